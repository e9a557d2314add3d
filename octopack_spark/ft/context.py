"""Context columns a row rule needs from other rows, computed over an Arrow table (ft.job does the
same with Spark aggregations; tests check both agree).

- repo_langs: sorted distinct languages of the repository's rows (stands in for GitHub's per-repo
  language list of CommitPack SQL step 1).
- inplace_files: distinct paths modified in place (old_file == new_file) by the commit, over all its
  rows; SQL step 5 keeps commits where this is exactly 1.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa


def add_context(table: pa.Table) -> pa.Table:
    repos = table.column("repo").to_pylist()
    langs = table.column("lang").to_pylist()
    commits = table.column("commit").to_pylist()
    olds = table.column("old_file").to_pylist()
    news = table.column("new_file").to_pylist()
    by_repo: dict[str, set] = defaultdict(set)
    for r, lang in zip(repos, langs):
        if lang is not None:
            by_repo[r].add(lang)
    by_commit: dict[str, set] = defaultdict(set)
    for c, o, n in zip(commits, olds, news):
        if o is not None and n is not None and o == n:
            by_commit[c].add(n)
    repo_langs = pa.array([sorted(by_repo.get(r, ())) for r in repos], pa.list_(pa.string()))
    inplace = pa.array([len(by_commit.get(c, ())) for c in commits], pa.int32())
    for name, col in (("repo_langs", repo_langs), ("inplace_files", inplace)):
        if name in table.column_names:
            table = table.drop_columns([name])
        table = table.append_column(name, col)
    return table

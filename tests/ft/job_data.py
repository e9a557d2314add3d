"""A small mined `commits` dataset with one planted case per pipeline step, for the job tests.

Files are real code (the standard library's .py files, fixed per Python version); every row id and
expectation is derived here, so tests assert exact outcomes. `write_commits_dataset` writes it the way
`octopack mine` does: Parquet partitioned by lang under commits/, then manifest.json.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from octopack_spark.mining.identity import row_id as make_row_id
from octopack_spark.ft.context import add_context
from octopack_spark.schema import COMMITS_PARTITION, COMMITS_SCHEMA, COMMITS_TABLE, COMMITS_VERSION, content_sizes
from octopack_spark.storage.fs import Storage
from octopack_spark.storage.manifest import Manifest, TableEntry, write_manifest

T0 = dt.datetime(2023, 3, 1, tzinfo=dt.timezone.utc)
VERBS = ["Add", "Fix", "Refactor", "Improve", "Simplify", "Handle", "Remove", "Optimize", "Update", "Rework",
         "Clean", "Extend"]
NOUNS = ["bounds check", "error path", "retry branch", "cache lookup", "input validation", "logging call",
         "loop guard", "parser state", "timeout logic", "default value", "type check", "return value"]


def stdlib_texts(n: int, lines: int = 90) -> list[str]:
    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for p in sorted(root.glob("*.py")):
        try:
            text = p.read_text(encoding="utf-8").splitlines(keepends=True)
        except (UnicodeDecodeError, OSError):
            continue
        if len(text) >= lines + 10 and "#" not in p.stem:
            out.append("".join(text[:lines]))
        if len(out) == n:
            return out
    raise RuntimeError("not enough stdlib files")


def _sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


def record(repo: str, commit: str, path: str, old, new, subject: str, *, message=None, license="mit", stars=10,
           when=T0, change_type="M", old_file="same", lang="Python", skip_reason=None, commit_files=1) -> dict:
    of = path if old_file == "same" else old_file
    return {
        "commit": commit, "parent": _sha("p", commit), "repo": repo, "repos": repo, "old_file": of, "new_file": path,
        "change_type": change_type, "old_contents": old, "new_contents": new, "subject": subject,
        "message": message if message is not None else subject + "\n", "lang": lang, "license": license,
        "author_time": when, "committer_time": when, "author_id": _sha("a", repo)[:24], "diff": None,
        "lines_added": 1, "lines_removed": 0, "old_size": None if old is None else len(old.encode()),
        "new_size": None if new is None else len(new.encode()), "skip_reason": skip_reason,
        "row_id": make_row_id(repo, commit, path), "repo_url": f"https://example.invalid/{repo}",
        "commit_files": commit_files, "stars": stars,
    }


def _edit(text: str, i: int) -> str:
    lines = text.splitlines(keepends=True)
    at = len(lines) // 2
    lines.insert(at, f"_octopack_marker_{i} = {i * 7 + 3}  # keep in sync with the loader\n")
    return "".join(lines)


def planted(humaneval_python: dict) -> tuple[list[dict], dict[str, str | None]]:
    """Rows and the expected drop_reason per row_id (None = kept)."""
    texts = stdlib_texts(16)
    rows: list[dict] = []
    expect: dict[str, str | None] = {}

    def add(r, reason):
        rows.append(r)
        expect[r["row_id"]] = reason
        return r

    def good(i, repo=None, edit=None, **kw):
        subject = kw.pop("subject", f"{VERBS[i % len(VERBS)]} the {NOUNS[i % len(NOUNS)]} in module number {i}")
        return record(repo or f"team{i}/proj{i}", _sha("c", str(i), repo or ""), f"src/mod{i}.py", texts[i],
                      _edit(texts[i], i if edit is None else edit), subject, when=T0 + dt.timedelta(hours=i), **kw)

    for i in range(6):  # plain good rows
        add(good(i), None)
    # SQL step 2: the same commit mined from a fork (same subject/message/license/path); the fork has
    # fewer stars, so upstream survives and its repos become the union.
    up = add(good(6, repo="up6/proj", stars=50), None)
    fork = dict(up, repo="fork6/proj", repos="fork6/proj", stars=1,
                row_id=make_row_id("fork6/proj", up["commit"], up["new_file"]))
    add(fork, "exact_commit_dup")
    # opt-out: only repository -> dropped; with a fork elsewhere (merged by step 2) -> kept.
    add(good(7, repo="sitmo/solo"), "optout")
    o = add(good(8, repo="sitmo/shared", stars=100), None)
    add(dict(o, repo="other8/shared", repos="other8/shared", stars=1,
             row_id=make_row_id("other8/shared", o["commit"], o["new_file"])), "exact_commit_dup")
    # exact content dup: another commit with identical old/new contents (newer, so it loses)
    c = good(9)
    add(c, None)
    add(dict(good(9, repo="copy9/proj", subject="Fix the loop guard in the copied module"),
             committer_time=T0 + dt.timedelta(days=30), old_contents=c["old_contents"],
             new_contents=c["new_contents"]), "exact_content_dup")
    # near dup: an edited copy of row 10's change (a few tweaked lines), in another repo, fewer stars
    n = add(good(10, stars=40), None)
    tweaked = n["old_contents"].splitlines(keepends=True)
    for k in (2, 5):
        tweaked[k] = tweaked[k].rstrip("\n") + "  # vendored\n"
    old2 = "".join(tweaked)
    add(dict(good(10, repo="vendor10/proj", stars=2), old_contents=old2, new_contents=_edit(old2, 10)), "near_dup")
    # decontamination: a HumanEvalPack solution pasted into the new file
    d = good(11)
    d["new_contents"] = d["new_contents"] + "\n\n" + humaneval_python["prompt"] + humaneval_python["canonical_solution"]
    add(d, "decontaminated")
    # row rules
    add(good(12, license="gpl-3.0"), "license_not_allowed")
    add(good(13, message="Merge branch 'dev' into main\n"), "message_merge")
    add(dict(good(14), change_type="A", old_file=None, old_contents=None), "not_inplace_modification")
    add(good(15, skip_reason="binary"), "contents_missing")
    # in repo team0/proj0, whose other rows give it Python in its language list
    add(dict(good(0), commit=_sha("unknown-ext"), new_file="src/notes.unknownext", old_file="src/notes.unknownext",
             lang=None, row_id=make_row_id("team0/proj0", _sha("unknown-ext"), "src/notes.unknownext")),
        "unknown_extension")
    add(good(1, repo="t17/p", edit=117, subject="Add WIP version of the loop guard here"), "wip")
    add(good(2, repo="t18/p", edit=118, subject="Clear the stale cache and wipe old loop entries"), None)  # wip bug case
    add(good(3, repo="t19/p", edit=119, subject="Plug the leak in the loop guard handling"), None)  # plug bug case
    add(good(4, repo="t20/p", edit=120, subject="Behebe den Fehler in der Schleifenbedingung bitte"), "verb_start")
    add(good(5, repo="t21/p", edit=121, subject="Fixed the loop guard in module five"), "verb_start")
    return rows, expect


def write_commits_dataset(root: str, rows: list[dict], version: str = COMMITS_VERSION) -> None:
    """Write rows like `octopack mine`: commits/ partitioned by lang, then manifest.json. `version` 1.0: the
    size columns of 1.1 are left null, as files written before 1.1 read."""
    # Like mining: a side's size is its contents' byte length whenever the contents are there (some planted
    # rows replace the contents of a template row).
    rows = [dict(r, **{f"{side}_size": len(r[f"{side}_contents"].encode()) for side in ("old", "new")
                       if r.get(f"{side}_contents") is not None}) for r in rows]
    table = pa.Table.from_pylist(rows, schema=COMMITS_SCHEMA)
    if version != "1.0":
        sizes = content_sizes(table.column("old_contents"), table.column("new_contents"))
        sizes["inplace_files"] = add_context(table).column("inplace_files")
        for name, values in sizes.items():
            table = table.set_column(table.schema.get_field_index(name), COMMITS_SCHEMA.field(name), values)
    cdir = os.path.join(root, COMMITS_TABLE)
    files = []
    if rows:
        pq.write_to_dataset(table, cdir, partition_cols=[COMMITS_PARTITION],
                            basename_template="part-{i}.parquet")
        for d, _, fs in os.walk(cdir):
            files += [os.path.relpath(os.path.join(d, f), root) for f in fs if f.endswith(".parquet")]
    entry = TableEntry(version, rows=len(rows), files=sorted(files), partitioning=[COMMITS_PARTITION])
    write_manifest(Storage(), root, Manifest(kind="mine", tables={COMMITS_TABLE: entry}))


def load_humaneval(humanevalpack_dir, task: int = 0) -> dict:
    with open(os.path.join(humanevalpack_dir, "python.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i == task:
                return json.loads(line)
    raise IndexError(task)

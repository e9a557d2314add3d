"""Commit rows (COMMITS_SCHEMA) built from real code with planted near-duplicates, for the dedup tests.

Real code = the Python standard library's own .py files (always present, fixed for a Python version).
Every choice comes from a seeded generator, so the data and the expected clusters are reproducible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sysconfig
from pathlib import Path

import pyarrow as pa

from octopack_spark.mining.identity import row_id as make_row_id
from octopack_spark.schema import COMMITS_SCHEMA

T0 = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)


def stdlib_sources(n: int, min_lines: int = 60, seed: int = 7) -> list[tuple[str, str]]:
    """(module name, text) of `n` stdlib modules with at least `min_lines` lines."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*.py") if p.is_file())
    rng = random.Random(seed)
    rng.shuffle(files)
    out = []
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        lines = text.splitlines(keepends=True)
        if len(lines) < min_lines:
            continue
        out.append((p.stem, "".join(lines[:120])))  # ~4 KB: the size of CommitPackFT samples
        if len(out) == n:
            break
    if len(out) < n:
        raise RuntimeError(f"only {len(out)} stdlib modules found under {root}")
    return out


def sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


def make_row(repo: str, commit: str, path: str, old: str, new: str, subject: str, *, license: str = "mit",
             stars: int | None = 10, when: dt.datetime = T0, lang: str = "Python", message: str | None = None,
             repos: str | None = None) -> dict:
    return {
        "commit": commit, "parent": sha("parent", commit), "repo": repo, "repos": repos or repo,
        "old_file": path, "new_file": path, "change_type": "M", "old_contents": old, "new_contents": new,
        "subject": subject, "message": message or subject, "lang": lang, "license": license,
        "author_time": when, "committer_time": when, "author_id": sha("author", repo)[:24], "diff": None,
        "lines_added": 1, "lines_removed": 1, "old_size": None if old is None else len(old.encode()), "new_size": None if new is None else len(new.encode()),
        "skip_reason": None, "row_id": make_row_id(repo, commit, path), "repo_url": f"https://example.com/{repo}",
        "commit_files": 1, "stars": stars,
    }


def insert_line(text: str, at: int, line: str) -> str:
    lines = text.splitlines(keepends=True)
    lines.insert(at, line)
    return "".join(lines)


def change_line(text: str, rng: random.Random, tag: str) -> tuple[str, int, str]:
    """Insert one line somewhere in the middle third of the text: (new text, index, line)."""
    n = len(text.splitlines())
    at = rng.randrange(n // 3, 2 * n // 3)
    line = f"    result_{tag} = compute_{tag}(value, limit={rng.randrange(1000)})\n"
    return insert_line(text, at, line), at, line


def light_edit(text: str, rng: random.Random, n_edits: int = 3) -> str:
    """A copy with a few lines of the top quarter altered (an 'edited copy'); line count unchanged."""
    lines = text.splitlines(keepends=True)
    for _ in range(n_edits):
        i = rng.randrange(0, max(1, len(lines) // 4))
        lines[i] = lines[i].rstrip("\n") + "  # local tweak\n"
    return "".join(lines)


def planted_dataset(n_base: int = 24, seed: int = 11):
    """Rows plus the expected near-dup clusters {survivor row_id: set of member row_ids}.

    Per base commit i (repo upstream_i, a real stdlib module, one inserted line):
    - i % 4 == 0: two forks (same change, other SHAs/repos): one with more stars but a GPL license
      (must not win: permissive first), one with fewer stars.
    - i % 4 == 1: an edited copy (other repo, a few renames near the top of the file, same change).
    - i % 4 == 2: a fork with MORE stars and the same permissive license (must win).
    - i % 4 == 3: a second, later commit to the same file (a different change): not a duplicate.
    """
    rng = random.Random(seed)
    rows, clusters = [], {}
    for i, (mod, text) in enumerate(stdlib_sources(n_base, seed=seed)):
        path = f"src/{mod}.py"
        new, at, line = change_line(text, rng, f"b{i}")
        subject = f"Add compute step to {mod}"
        up = make_row(f"upstream{i}/{mod}", sha("up", str(i)), path, text, new, subject,
                      stars=100, when=T0 + dt.timedelta(days=i))
        rows.append(up)
        if i % 4 == 0:
            gpl = make_row(f"gplfork{i}/{mod}", sha("gpl", str(i)), path, text, new, subject, license="gpl-3.0",
                           stars=5000, when=T0 + dt.timedelta(days=i, hours=1))
            small = make_row(f"fork{i}/{mod}", sha("fork", str(i)), path, text, new, subject, stars=3,
                             when=T0 + dt.timedelta(days=i, hours=2))
            rows += [gpl, small]
            clusters[up["row_id"]] = {up["row_id"], gpl["row_id"], small["row_id"]}
        elif i % 4 == 1:
            old2 = light_edit(text, random.Random(1000 + i))
            lines2 = old2.splitlines(keepends=True)  # and one tweak inside the change's context
            lines2[at + 1] = lines2[at + 1].rstrip("\n") + "  # tweak\n"
            old2 = "".join(lines2)
            new2 = insert_line(old2, at, line)  # the same change applied to the edited copy
            cp = make_row(f"copy{i}/{mod}", sha("copy", str(i)), path, old2, new2, subject, stars=1,
                          when=T0 + dt.timedelta(days=i, hours=3))
            rows.append(cp)
            clusters[up["row_id"]] = {up["row_id"], cp["row_id"]}
        elif i % 4 == 2:
            big = make_row(f"bigfork{i}/{mod}", sha("big", str(i)), path, text, new, subject, stars=900,
                           when=T0 + dt.timedelta(days=i, hours=4))
            rows.append(big)
            clusters[big["row_id"]] = {up["row_id"], big["row_id"]}
        else:
            newer = change_line(new, rng, f"c{i}")[0]
            nxt = make_row(f"upstream{i}/{mod}", sha("up2", str(i)), path, new, newer,
                           f"Add second compute step to {mod}", stars=100, when=T0 + dt.timedelta(days=i, hours=5))
            rows.append(nxt)
    return rows, clusters


def to_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=COMMITS_SCHEMA)

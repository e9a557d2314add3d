"""Small pipeline datasets for the query tests, laid out the way the jobs write them.

`commits` is Hive-partitioned by lang with Spark's directory escaping (`lang=C%23/`, null ->
`__HIVE_DEFAULT_PARTITION__`) and data files that do not hold the partition column; files are named
`<unit>-part-...parquet` as `storage.publish` names them; `manifest.json` is written last through the
Manifest API. Everything is deterministic, so tests can compute expected answers in Python.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import posixpath
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from octopack_spark import schema as S
from octopack_spark.sql.hive import partition_dir
from octopack_spark.storage.fs import Storage, join
from octopack_spark.storage.manifest import Manifest, TableEntry, write_manifest

# Names Spark escapes (C#, Cap'n Proto) or keeps (C++, spaces, parentheses), and null (unknown language).
LANGS = ["Python", "C++", "C#", "Cap'n Proto", "Graphviz (DOT)", "Common Lisp", "Go", None]
LICENSES = ["mit", "apache-2.0", None]
REPOS = ["acme/alpha", "acme/beta", "zed/gamma", "solo/delta"]

def _sha(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


def commit_rows(n: int = 60) -> list[dict]:
    """n file changes over REPOS x LANGS x LICENSES; commits touch 1-3 files each."""
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    rows = []
    for i in range(n):
        repo = REPOS[(i * 7) % len(REPOS)] if i % 5 else REPOS[0]  # alpha is the busiest repo
        commit = _sha("c", i // 2)  # two files per commit on average
        lang = LANGS[i % len(LANGS)]
        path = f"src/f{i}.{(lang or 'txt').lower().replace(' ', '')}"
        ts = t0 + dt.timedelta(hours=i)
        rows.append({
            "commit": commit, "parent": _sha("c", i // 2 - 1) if i >= 2 else None, "repo": repo,
            "repos": repo, "old_file": path, "new_file": path, "change_type": "M",
            "old_contents": f"old {i}\n", "new_contents": f"new {i}\n", "subject": f"Fix thing {i}",
            "message": f"Fix thing {i}\n\nbody", "lang": lang, "license": LICENSES[i % len(LICENSES)],
            "author_time": ts, "committer_time": ts, "author_id": _sha("a", i % 3),
            "diff": f"-old {i}\n+new {i}\n", "lines_added": 1 + i % 3, "lines_removed": i % 2,
            "old_size": 6, "new_size": 6, "skip_reason": None, "row_id": _sha(repo, commit, path),
            "repo_url": f"https://example.invalid/{repo}", "commit_files": 2, "stars": 10 * (i % 4),
        })
    return rows


def error_rows() -> list[dict]:
    t = dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc)
    spec = [("clone", "auth_required", "bad/one"), ("clone", "auth_required", "bad/two"),
            ("clone", "not_found", "bad/three"), ("validate", "scheme_not_allowed", "bad/four"),
            ("limits", "too_large", "bad/five")]
    return [{"repo": r, "repo_url": f"https://example.invalid/{r}", "stage": st, "reason": re,
             "message": f"{re} for {r}", "time": t, "run_id": "run1"} for st, re, r in spec]


def state_rows() -> list[dict]:
    t = dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc)
    return [{"repo": r, "repo_url": f"https://example.invalid/{r}", "last_head": _sha("c", 29),
             "status": "ok" if r != "solo/delta" else "partial", "time": t, "run_id": "run1",
             "commits": 10, "rows": 15, "bytes": 100, "seconds": 0.5} for r in REPOS]


# First-failure drops per rule (rows, bytes) for the stats table, built by the ft job's own code.
FT_TOTAL = (1000, 100_000)
FT_DROPPED = {"license_not_allowed": (200, 20_000), "subject_length": (100, 9_000),
              "near_dup": (50, 6_000), "decontaminated": (10, 1_000)}
FT_LANG_IN = {"Python": (600, 60_000), "C#": (300, 30_000), "Cap'n Proto": (100, 10_000)}
FT_LANG_OUT = {"Python": (400, 40_000), "C#": (200, 20_000), "Cap'n Proto": (40, 4_000)}


def stats_table() -> pa.Table:
    from octopack_spark.ft.stats import build_funnel, stats_rows

    dropped_rows = sum(r for r, _ in FT_DROPPED.values())
    dropped_bytes = sum(b for _, b in FT_DROPPED.values())
    steps = build_funnel(FT_TOTAL[0], FT_TOTAL[1], FT_DROPPED, seconds={"license_not_allowed": 1.5},
                         active=list(FT_DROPPED) + ["verb_start"])
    return stats_rows(FT_TOTAL[0], FT_TOTAL[1], FT_TOTAL[0] - dropped_rows, FT_TOTAL[1] - dropped_bytes,
                      steps, FT_LANG_IN, FT_LANG_OUT, seconds_total=12.5)


def _parquet_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def write_table(storage: Storage, root: str, table: str, rows: list[dict], schema: pa.Schema,
                partition_by: Optional[str] = None, unit: str = "u000", files_per_part: int = 1,
                schema_version: str = "1.0") -> TableEntry:
    """Write rows the way Spark + publish would and return the manifest entry."""
    files = []
    total = 0
    groups: dict[Optional[str], list[dict]] = {}
    for r in rows:
        groups.setdefault(r.get(partition_by) if partition_by else None, []).append(r)
    file_schema = pa.schema([f for f in schema if f.name != partition_by]) if partition_by else schema
    for key in sorted(groups, key=lambda k: (k is None, k or "")):
        part_rows = groups[key]
        sub = partition_dir({partition_by: key}) if partition_by else ""
        chunks = [part_rows[i::files_per_part] for i in range(files_per_part)]
        for n, chunk in enumerate(chunks):
            if not chunk:
                continue
            data = pa.Table.from_pylist([{k: v for k, v in r.items() if k != partition_by} for r in chunk],
                                        schema=file_schema)
            rel = posixpath.join(table, sub, f"{unit}-part-{n:05d}.zstd.parquet") if sub else \
                posixpath.join(table, f"{unit}-part-{n:05d}.zstd.parquet")
            blob = _parquet_bytes(data)
            storage.write_bytes_atomic(join(root, *rel.split("/")), blob)
            files.append(rel)
            total += len(blob)
    return TableEntry(schema_version=schema_version, rows=len(rows), bytes=total, files=files,
                      partitioning=[partition_by] if partition_by else [])


def build_mine(storage: Storage, root: str, n_commits: int = 60, commits_version: str = S.COMMITS_VERSION
               ) -> Manifest:
    storage.mkdirs(root)
    m = Manifest(kind="mine")
    m.tables["commits"] = write_table(storage, root, "commits", commit_rows(n_commits), S.COMMITS_SCHEMA,
                                      partition_by="lang", files_per_part=2, schema_version=commits_version)
    m.tables["errors"] = write_table(storage, root, "errors", error_rows(), S.ERRORS_SCHEMA)
    m.tables["state"] = write_table(storage, root, "state", state_rows(), S.STATE_SCHEMA)
    m.counts = {"rows": n_commits}
    write_manifest(storage, root, m)
    return m


def build_ft(storage: Storage, root: str, n_commits: int = 60) -> Manifest:
    """scored (all rows + a keep flag), commitpackft (kept rows, partitioned by lang) and stats."""
    storage.mkdirs(root)
    rows = commit_rows(n_commits)
    scored = [{"row_id": r["row_id"], "repo": r["repo"], "lang": r["lang"], "subject": r["subject"],
               "keep": i % 3 != 0, "drop_reason": None if i % 3 else "subject_too_short"}
              for i, r in enumerate(rows)]
    scored_schema = pa.schema([("row_id", pa.string()), ("repo", pa.string()), ("lang", pa.string()),
                               ("subject", pa.string()), ("keep", pa.bool_()), ("drop_reason", pa.string())])
    kept = [{"row_id": s["row_id"], "lang": s["lang"], "subject": s["subject"],
             "old_contents": "a", "new_contents": "b"} for s in scored if s["keep"]]
    ft_schema = pa.schema([("row_id", pa.string()), ("lang", pa.string()), ("subject", pa.string()),
                           ("old_contents", pa.string()), ("new_contents", pa.string())])
    m = Manifest(kind="ft")
    from octopack_spark.ft.tables import SCORED_VERSION

    m.tables["scored"] = write_table(storage, root, "scored", scored, scored_schema, schema_version=SCORED_VERSION)
    m.tables["commitpackft"] = write_table(storage, root, "commitpackft", kept, ft_schema, partition_by="lang")
    stats = stats_table()
    m.tables["stats"] = write_table(storage, root, "stats", stats.to_pylist(), stats.schema)
    write_manifest(storage, root, m)
    return m


def build_quickstart(storage: Storage, root: str) -> tuple[Manifest, Manifest]:
    """`out/quickstart/` layout: <root>/mine and <root>/ft."""
    return build_mine(storage, join(root, "mine")), build_ft(storage, join(root, "ft"))


@contextmanager
def edited_manifest(root: str | os.PathLike) -> Iterator[dict]:
    """`<root>/manifest.json` (a local dataset) as a dict to change in the block; written back at its end."""
    path = Path(root) / "manifest.json"
    m = json.loads(path.read_text())
    yield m
    path.write_text(json.dumps(m))


def damage_commits_and_state(root: Path) -> None:
    """In the local mine dataset at `root`: `commits` claims schema version 2.0 and the first `state` file is
    gone, while `errors` stays intact (an engine must still answer on it)."""
    with edited_manifest(root) as m:
        m["tables"]["commits"]["schema_version"] = "2.0"
        os.remove(root / m["tables"]["state"]["files"][0])


def check_author_times_are_utc(engine) -> None:
    """Either engine returns `author_time` as UTC instants equal to the source rows'."""
    t = engine.query("SELECT row_id, author_time FROM commits").read_all()
    assert t.schema.field("author_time").type == pa.timestamp("us", tz="UTC")
    src = {r["row_id"]: r["author_time"] for r in commit_rows()}
    assert {r["row_id"]: r["author_time"] for r in t.to_pylist()} == src

"""Table schemas and their versions: the contract between the jobs, the trainer and analysts.

Every table is plain Parquet (strings, ints, bools, UTC timestamps) so Spark, pyarrow, DuckDB and HF
`datasets` read it without extensions. A manifest records each table's schema version; readers refuse
a major version they do not know (see `octopack_spark.storage.manifest`).
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

# ---------------------------------------------------------------- commits (mining output)
COMMITS_TABLE = "commits"
COMMITS_VERSION = "1.1"  # 1.1: old_chars, new_chars, same_contents, inplace_files, secrets

SECRETS_TYPE = pa.list_(pa.struct([pa.field("kind", pa.string()), pa.field("field", pa.string()),
                                   pa.field("start", pa.int32()), pa.field("end", pa.int32())]))

# CommitPack names first, then ours. `lang` is the Hive partition column of the written table.
COMMITS_SCHEMA = pa.schema(
    [
        pa.field("commit", pa.string(), nullable=False),  # commit SHA (hex)
        pa.field("parent", pa.string()),  # first parent SHA; null for a root commit
        pa.field("repo", pa.string(), nullable=False),  # repository name (owner/name or given name)
        pa.field("repos", pa.string(), nullable=False),  # comma-separated names (aggregated by exact dedup)
        pa.field("old_file", pa.string()),  # path before; null when added
        pa.field("new_file", pa.string()),  # path after; null when deleted
        pa.field("change_type", pa.string(), nullable=False),  # A, M, D or R
        pa.field("old_contents", pa.string()),  # full text before (null: absent side or skipped)
        pa.field("new_contents", pa.string()),  # full text after
        pa.field("subject", pa.string(), nullable=False),  # first line of the message
        pa.field("message", pa.string(), nullable=False),  # full message
        pa.field("lang", pa.string()),  # CommitPack language name from extension/file name; null = unknown
        pa.field("license", pa.string()),  # SPDX expression of the root licence files (lower-case ids) or null
        pa.field("author_time", TS, nullable=False),
        pa.field("committer_time", TS, nullable=False),
        pa.field("author_id", pa.string(), nullable=False),  # salted hash of the author e-mail
        pa.field("diff", pa.string()),  # unified diff (libgit2), null when skipped
        pa.field("lines_added", pa.int32()),
        pa.field("lines_removed", pa.int32()),
        pa.field("old_size", pa.int64()),  # bytes; null for an absent side
        pa.field("new_size", pa.int64()),
        pa.field("skip_reason", pa.string()),  # binary, too_large, not_utf8, submodule, ... (contents null)
        pa.field("row_id", pa.string(), nullable=False),  # stable hash of (repo, commit, path)
        pa.field("repo_url", pa.string(), nullable=False),  # the source as given (URL or local path)
        pa.field("commit_files", pa.int32(), nullable=False),  # files changed by this commit
        pa.field("stars", pa.int64()),  # from the repos file, when given
        # 1.1: what ft's rules need, computed once at mining time: ft reads no contents for the sizes and
        # needs no per-commit aggregation for inplace_files.
        pa.field("old_chars", pa.int64()),  # characters of old_contents; null when old_contents is null
        pa.field("new_chars", pa.int64()),  # characters of new_contents
        pa.field("same_contents", pa.bool_()),  # old_contents == new_contents; null when either is null
        pa.field("inplace_files", pa.int32()),  # distinct paths the commit modified in place (old == new path)
        # 1.1: secrets found at mining time in new_contents and message: kind and character span in that
        # field, never the value (octopack_spark/governance/secrets_fast.py); null when none or not scanned.
        pa.field("secrets", SECRETS_TYPE),
    ]
)
COMMITS_PARTITION = "lang"


def content_sizes(old: pa.Array, new: pa.Array) -> dict[str, pa.Array]:
    """The 1.1 size columns (old_chars, new_chars, same_contents) of two content columns, vectorised."""
    import pyarrow.compute as pc

    return {"old_chars": pc.utf8_length(old).cast(pa.int64()), "new_chars": pc.utf8_length(new).cast(pa.int64()),
            "same_contents": pc.equal(old, new)}

# ---------------------------------------------------------------- errors (one row per failed repo/stage)
ERRORS_TABLE = "errors"
ERRORS_VERSION = "1.0"
ERRORS_SCHEMA = pa.schema(
    [
        pa.field("repo", pa.string(), nullable=False),
        pa.field("repo_url", pa.string(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),  # validate, clone, open, walk, limits
        pa.field("reason", pa.string(), nullable=False),  # short machine-readable code
        pa.field("message", pa.string(), nullable=False),  # human-readable detail
        pa.field("time", TS, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

# ---------------------------------------------------------------- state (incremental mining)
STATE_TABLE = "state"
STATE_VERSION = "1.1"  # 1.1: `pending`
STATE_SCHEMA = pa.schema(
    [
        pa.field("repo", pa.string(), nullable=False),
        pa.field("repo_url", pa.string(), nullable=False),
        pa.field("last_head", pa.string()),  # HEAD commit mined up to (null when nothing mined)
        pa.field("status", pa.string(), nullable=False),  # ok, partial, empty, failed
        pa.field("time", TS, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("commits", pa.int64(), nullable=False),  # non-merge commits mined in this run
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("bytes", pa.int64(), nullable=False),  # old+new contents bytes emitted
        pa.field("seconds", pa.float64(), nullable=False),
        # JSON list of {head, base, start, stop}: ranges of the commit list of `head` excluding `base`
        # that a time budget left unmined; the next run mines them first. Null when nothing is left.
        pa.field("pending", pa.string()),
    ]
)

# Versions of tables written by later stages are declared by the modules that write them and
# registered here so readers can check them in one place.
TABLE_VERSIONS: dict[str, str] = {
    COMMITS_TABLE: COMMITS_VERSION,
    ERRORS_TABLE: ERRORS_VERSION,
    STATE_TABLE: STATE_VERSION,
}


def register_table(name: str, version: str) -> None:
    TABLE_VERSIONS[name] = version


def empty_table(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def spark_ddl(schema: pa.Schema, exclude: tuple[str, ...] = ()) -> str:
    """Spark DDL string for an Arrow schema of plain types, lists and structs (used for mapInArrow output)."""
    names = {
        pa.string(): "string",
        pa.int32(): "int",
        pa.int64(): "bigint",
        pa.float64(): "double",
        pa.bool_(): "boolean",
        TS: "timestamp",
    }

    def ddl(name: str, t: pa.DataType) -> str:
        if pa.types.is_list(t):  # commits 1.1 `secrets`: array<struct<...>>
            return f"array<{ddl(name, t.value_type)}>"
        if pa.types.is_struct(t):
            return "struct<" + ",".join(f"`{f.name}`:{ddl(name, f.type)}" for f in t) + ">"
        if t not in names:
            raise TypeError(f"no Spark DDL mapping for {name}: {t}")
        return names[t]

    return ", ".join(f"`{f.name}` {ddl(f.name, f.type)}" for f in schema if f.name not in exclude)

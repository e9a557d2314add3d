"""`octopack tables`: what the datasets hold, from their manifests, optionally checked against the files.

Without --verify only the manifest and one Parquet footer per table (for the columns) are read. With
--verify every listed file's footer is read: the row counts are summed and compared with the manifest,
file sizes with the manifest's byte count, and column sets compared across files.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Optional

import pyarrow as pa

from octopack_spark.sql.catalog import Catalog, TableRef, missing_files
from octopack_spark.storage.fs import Storage


@dataclass
class Verification:
    ok: bool
    rows_in_files: Optional[int] = None
    bytes_in_files: Optional[int] = None
    missing_files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class TableInfo:
    dataset: str
    table: str
    sql_name: str  # how a query names it
    root: str
    kind: str
    schema_version: str
    reader_version: Optional[str]  # the version this build reads (None: table unknown to this build)
    compatible: bool
    rows: int
    files: int
    bytes: int
    partitioning: list[str]
    columns: list[tuple[str, str]]
    verification: Optional[Verification] = None


def _footer(storage: Storage, uri: str):
    import pyarrow.parquet as pq

    fs, path = storage.pyarrow_filesystem(uri)
    with fs.open_input_file(path) as f:
        md = pq.ParquetFile(f).metadata
        return md.num_rows, md.schema.to_arrow_schema(), f.size()


def _columns(schema: pa.Schema, partitioning: list[str]) -> list[tuple[str, str]]:
    keys = set(partitioning)
    cols = [(f.name, str(f.type)) for f in schema if f.name not in keys]
    return cols + [(k, "string (partition)") for k in partitioning]


def table_columns(storage: Storage, ref: TableRef) -> list[tuple[str, str]]:
    """Columns as stored (one footer), partition columns last."""
    if ref.entry.files:
        try:
            _, schema, _ = _footer(storage, ref.file_uris[0])
        except (OSError, FileNotFoundError, pa.ArrowException) as e:
            return [("?", f"cannot read {ref.entry.files[0]}: {e}")]
        return _columns(schema, ref.partitioning)
    from octopack_spark.sql.duckdb_engine import KNOWN_SCHEMAS

    known = KNOWN_SCHEMAS.get(ref.name)
    return _columns(known, ref.partitioning) if known is not None else []


def verify(storage: Storage, ref: TableRef) -> Verification:
    gone = missing_files(storage, ref)
    v = Verification(ok=True, missing_files=gone)
    if gone:
        v.problems.append(f"{len(gone)} listed file(s) missing")
    gone_set = set(gone)
    present = [u for f, u in zip(ref.entry.files, ref.file_uris) if f not in gone_set]
    results, errors = [], []

    def one(u: str):
        try:
            return u, _footer(storage, u)
        except (OSError, pa.ArrowException) as e:
            return u, e

    with ThreadPoolExecutor(max_workers=max(1, min(16, len(present)))) as pool:
        for u, r in pool.map(one, present):
            (errors if isinstance(r, Exception) else results).append((u, r))
    for u, e in errors:
        v.problems.append(f"unreadable file {u}: {e}")
    if results:
        v.rows_in_files = sum(r[0] for _, r in results)
        v.bytes_in_files = sum(r[2] for _, r in results)
        names = {tuple(sorted(set(r[1].names) - set(ref.partitioning))) for _, r in results}
        if len(names) > 1:
            v.problems.append(f"files disagree on columns ({len(names)} different column sets)")
    elif not ref.entry.files:
        v.rows_in_files, v.bytes_in_files = 0, 0
    if not gone and not errors:
        if v.rows_in_files != ref.entry.rows:
            v.problems.append(f"manifest says {ref.entry.rows} rows, files hold {v.rows_in_files}")
        if ref.entry.bytes and v.bytes_in_files != ref.entry.bytes:
            v.problems.append(f"manifest says {ref.entry.bytes} bytes, files hold {v.bytes_in_files}")
    v.ok = not v.problems
    return v


def describe(catalog: Catalog, storage: Storage, names: Optional[list[str]] = None,
             with_columns: bool = True, check: bool = False) -> list[TableInfo]:
    refs = [catalog.lookup(n) for n in names] if names else list(catalog.tables)
    for n, r in zip(names or [], refs):
        if r is None:
            from octopack_spark.sql.errors import TableNameError

            raise TableNameError(f"no table '{n}' (tables: {catalog.describe_names()})")
    unique = catalog.unique_names()
    out = []
    for ref in refs:
        out.append(TableInfo(
            dataset=ref.dataset.name, table=ref.name,
            sql_name=ref.name if ref.name.lower() in unique else ref.qualified,
            root=ref.root, kind=ref.dataset.manifest.kind, schema_version=ref.entry.schema_version,
            reader_version=ref.known_version, compatible=ref.version_ok, rows=ref.entry.rows,
            files=len(ref.entry.files), bytes=ref.entry.bytes, partitioning=ref.partitioning,
            columns=table_columns(storage, ref) if with_columns and ref.version_ok else [],
            verification=verify(storage, ref) if check else None,
        ))
    return out


def _human(n: int) -> str:
    x = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if x < 1024 or unit == "TiB":
            return f"{x:.0f} {unit}" if unit == "B" else f"{x:.1f} {unit}"
        x /= 1024
    return str(n)


def render_text(catalog: Catalog, infos: list[TableInfo], with_columns: bool = True) -> str:
    lines = ["datasets:"]
    for ds in catalog.datasets:
        m = ds.manifest
        lines.append(f"  {ds.name}: {ds.root} (kind={m.kind or '?'}, created={m.created or '?'}, "
                     f"code={m.code_version or '?'}, config={m.config_hash or '?'})")
    header = ["table", "version", "rows", "files", "size", "partitioned by"]
    check = any(i.verification is not None for i in infos)
    if check:
        header.append("verified")
    rows = []
    for i in infos:
        version = i.schema_version if i.compatible else \
            f"{i.schema_version} (INCOMPATIBLE: this build reads {i.reader_version.split('.')[0]}.x)"
        r = [i.sql_name, version, str(i.rows), str(i.files), _human(i.bytes), ", ".join(i.partitioning) or "-"]
        if check:
            v = i.verification
            r.append("ok" if v.ok else "FAILED: " + "; ".join(v.problems))
        rows.append(r)
    widths = [max(len(h), *(len(r[j]) for r in rows)) if rows else len(h) for j, h in enumerate(header)]
    lines.append("")
    lines.append("  ".join(h.ljust(widths[j]) for j, h in enumerate(header)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.rjust(widths[j]) if header[j] in ("rows", "files") else c.ljust(widths[j])
                               for j, c in enumerate(r)).rstrip())
    if with_columns:
        for i in infos:
            if not i.columns:
                continue
            lines.append("")
            lines.append(f"{i.sql_name} ({i.dataset}.{i.table}, schema {i.schema_version}):")
            w = max(len(c) for c, _ in i.columns)
            lines += [f"  {c.ljust(w)}  {t}" for c, t in i.columns]
    return "\n".join(lines) + "\n"


def render_json(infos: list[TableInfo]) -> str:
    return json.dumps([asdict(i) for i in infos], indent=2) + "\n"

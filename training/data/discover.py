"""Find the data files of a source and split them into units (one Parquet row group, or one JSONL file).

A source path may be:
- a dataset root holding `manifest.json` (preferred): the table's files listed there are read, so a
  half-written dataset is never seen;
- a directory: every `*.parquet` / `*.jsonl` / `*.json` below it (names starting with `_` or `.`
  skipped, so `_tokenized/` and Spark markers are ignored);
- a glob such as `s3://bucket/ft/commitpackft/lang=*/*.parquet` (`*` also matches `/`);
- a single file.
Local paths and s3:// URIs both go through `octopack_spark.storage.Storage`. Units carry a key made of
the path relative to the source root plus the row group, so the same data read locally or from S3
gets the same order and the same cache entries.
"""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass, field
from typing import Optional

from octopack_spark.errors import UserFacingError
from octopack_spark.storage.fs import Storage, is_s3, join, relative_to

PARQUET_SUFFIXES = (".parquet",)
JSON_SUFFIXES = (".jsonl", ".json")
GLOB_CHARS = "*?["


class DataSourceError(UserFacingError):
    pass


@dataclass(frozen=True)
class DataFile:
    uri: str
    rel: str  # path relative to the source root, '/'-separated
    size: int
    fmt: str  # "parquet" or "json"
    partitions: tuple[tuple[str, str], ...] = ()  # Hive k=v directories in `rel`


@dataclass(frozen=True)
class Unit:
    """The smallest piece of data a rank reads at once: a row group of a Parquet file, or a JSONL file."""

    source: str
    file: DataFile
    row_group: int  # -1 for a JSONL file
    num_rows: int  # -1 when unknown before reading (JSONL)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.file.rel}#rg{self.row_group}"


@dataclass
class ResolvedSource:
    name: str
    root: str  # directory the files are relative to; the tokenized cache lives beside it by default
    files: list[DataFile]
    how: str  # manifest, directory, glob, file
    manifest_rows: Optional[int] = None
    units: list[Unit] = field(default_factory=list)


def _fmt(path: str) -> Optional[str]:
    low = path.lower()
    if low.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if low.endswith(JSON_SUFFIXES):
        return "json"
    return None


def hive_partitions(rel: str) -> tuple[tuple[str, str], ...]:
    from urllib.parse import unquote

    out = []
    for part in rel.split("/")[:-1]:
        if "=" in part:
            k, _, v = part.partition("=")
            out.append((k, unquote(v)))
    return tuple(out)


def _rel(root: str, uri: str) -> str:
    try:
        rel = relative_to(root, uri)
    except ValueError:
        rel = uri
    return rel.lstrip("/").replace("\\", "/")


def _data_file(root: str, uri: str, size: int) -> Optional[DataFile]:
    fmt = _fmt(uri)
    if fmt is None:
        return None
    rel = _rel(root, uri)
    return DataFile(uri=uri, rel=rel, size=size, fmt=fmt, partitions=hive_partitions(rel))


def _parent(uri: str) -> str:
    if is_s3(uri):
        return uri.rstrip("/").rsplit("/", 1)[0]
    return posixpath.dirname(uri.rstrip("/")) if "/" in uri else "."


def resolve_files(storage: Storage, name: str, path: str, table: Optional[str]) -> ResolvedSource:
    from octopack_spark.storage.manifest import ManifestError, read_manifest

    if not path:
        raise DataSourceError(f"source '{name}': no data path given (set data.path or pass --data)")
    if any(c in path for c in GLOB_CHARS):
        return _resolve_glob(storage, name, path)
    manifest = None
    if storage.is_dir(path) or (is_s3(path) and storage.exists(join(path, "manifest.json"))):
        try:
            manifest = read_manifest(storage, path, required=False)
        except ManifestError as e:
            raise DataSourceError(f"source '{name}': {e}") from None
    if manifest is not None:
        tables = manifest.tables
        if table is None:
            if len(tables) != 1:
                raise DataSourceError(f"source '{name}': {path} has tables {sorted(tables)}; say which one (table:)")
            table = next(iter(tables))
        if table not in tables:
            raise DataSourceError(
                f"source '{name}': the manifest in {path} has no table '{table}' "
                f"(tables: {', '.join(sorted(tables)) or 'none'})")
        entry = tables[table]
        files = []
        for rel in entry.files:
            f = _data_file(path, join(path, rel), 0)
            if f is None:
                raise DataSourceError(f"source '{name}': manifest lists {rel}, which is neither Parquet nor JSONL")
            files.append(f)
        _fill_sizes(storage, files)
        return ResolvedSource(name, path, sorted(files, key=lambda f: f.rel), "manifest", manifest_rows=entry.rows)
    if storage.is_dir(path) or (is_s3(path) and storage.list_files(path)):
        infos = storage.list_files(path)
        files = [f for f in (_data_file(path, i.uri, i.size) for i in infos) if f is not None]
        if not files:
            raise DataSourceError(f"source '{name}': no .parquet/.jsonl files under {path}")
        return ResolvedSource(name, path, sorted(files, key=lambda f: f.rel), "directory")
    if storage.exists(path):
        f = _data_file(_parent(path), path, 0)
        if f is None:
            raise DataSourceError(f"source '{name}': {path} is neither Parquet nor JSONL")
        _fill_sizes(storage, [f])
        return ResolvedSource(name, _parent(path), [f], "file")
    raise DataSourceError(f"source '{name}': nothing found at {path}")


def _resolve_glob(storage: Storage, name: str, pattern: str) -> ResolvedSource:
    parts = pattern.split("/")
    base_parts = []
    for p in parts:
        if any(c in p for c in GLOB_CHARS):
            break
        base_parts.append(p)
    base = "/".join(base_parts) or "."
    rest = pattern[len(base):].lstrip("/")
    files = []
    for info in storage.list_files(base):
        rel = _rel(base, info.uri)
        if fnmatch.fnmatchcase(rel, rest):
            f = _data_file(base, info.uri, info.size)
            if f is not None:
                files.append(f)
    if not files:
        raise DataSourceError(f"source '{name}': no .parquet/.jsonl files match {pattern}")
    return ResolvedSource(name, base, sorted(files, key=lambda f: f.rel), "glob")


def _fill_sizes(storage: Storage, files: list[DataFile]) -> None:
    """Sizes key the tokenized cache (a rewritten file must not reuse stale tokens)."""
    from pyarrow import fs as pafs

    for i, f in enumerate(files):
        fs, p = storage.pyarrow_filesystem(f.uri)
        try:
            info = fs.get_file_info(p)
        except OSError as e:
            raise DataSourceError(f"cannot stat {f.uri}: {e}") from e
        if info.type != pafs.FileType.File:
            raise DataSourceError(f"data file {f.uri} is missing (listed by the manifest)")
        files[i] = DataFile(f.uri, f.rel, info.size, f.fmt, f.partitions)


def plan_units(storage: Storage, src: ResolvedSource, languages: Optional[list[str]] = None,
               required: Optional[list[str]] = None) -> list[Unit]:
    """Units of a source in a fixed order (file path, then row group). Reads Parquet footers only.

    A `lang=` partition not in `languages` is skipped without opening its files. A Parquet file that
    lacks a `required` column (Hive partition keys count) stops the run with a clear message."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    keep = set(languages) if languages else None
    units: list[Unit] = []
    for f in src.files:
        parts = dict(f.partitions)
        if keep is not None and "lang" in parts and parts["lang"] not in keep:
            continue
        if f.fmt == "json":
            units.append(Unit(src.name, f, -1, -1))
            continue
        fs, p = storage.pyarrow_filesystem(f.uri)
        try:
            with fs.open_input_file(p) as fh:
                md = pq.ParquetFile(fh).metadata
        except (OSError, pa.ArrowException) as e:  # a truncated file raises ArrowInvalid (a ValueError)
            raise DataSourceError(f"{f.uri} is not a readable Parquet file (truncated or corrupt): {e}") from None
        have = set(md.schema.to_arrow_schema().names) | set(parts)
        missing = [c for c in (required or []) if c not in have]
        if missing:
            raise DataSourceError(
                f"source '{src.name}': {f.uri} has no column(s) {', '.join(missing)} needed by the template "
                f"(columns: {', '.join(sorted(have))})")
        for rg in range(md.num_row_groups):
            n = md.row_group(rg).num_rows
            if n:
                units.append(Unit(src.name, f, rg, n))
    src.units = units
    return units

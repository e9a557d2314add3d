"""The tables analysts can query: datasets found through their manifests, never by globbing data files.

`--data` names a dataset root (a folder or S3 prefix holding `manifest.json`) or a folder holding several
(`out/quickstart/` with `mine/` and `ft/`). Manifests are looked for at each given root and one level
below. Every table is exposed under its own name when that name is unique, and always as
`<dataset>.<table>`, where <dataset> is the folder name (made a plain SQL identifier).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from pyarrow import fs as pafs

import octopack_spark.ft.tables  # noqa: F401  registers the ft job's table versions (scored, commitpackft, stats)
from octopack_spark.schema import TABLE_VERSIONS
from octopack_spark.sql.errors import DatasetError, TableNameError
from octopack_spark.sql.hive import split_partitioned_path
from octopack_spark.storage.fs import Storage, StorageError, is_s3, join
from octopack_spark.storage.manifest import (
    MANIFEST_NAME,
    Manifest,
    ManifestError,
    TableEntry,
    check_schema_version,
)

# Schema names DuckDB and Spark keep for themselves; a dataset folder with such a name gets a suffix.
_RESERVED_QUALIFIERS = {"main", "temp", "information_schema", "pg_catalog", "system", "default", "global_temp"}


@dataclass(frozen=True)
class Dataset:
    name: str  # SQL qualifier
    root: str  # URI as given (local path or s3://...)
    manifest: Manifest


@dataclass(frozen=True)
class TableRef:
    """One table of one dataset, with what a reader needs: exact files and partition layout."""

    dataset: Dataset
    name: str
    entry: TableEntry
    table_dir: str  # relative to the dataset root; "" when files sit in the root

    @property
    def qualified(self) -> str:
        return f"{self.dataset.name}.{self.name}"

    @property
    def root(self) -> str:
        return self.dataset.root

    @property
    def table_uri(self) -> str:
        return join(self.root, self.table_dir) if self.table_dir else self.root

    @property
    def partitioning(self) -> list[str]:
        return list(self.entry.partitioning)

    @property
    def file_uris(self) -> list[str]:
        return [join(self.root, f) for f in self.entry.files]

    def check_version(self) -> None:
        """Stop with a clear message when this build cannot read the table's schema version."""
        check_schema_version(self.name, self.entry.schema_version, where=self.root)

    @property
    def version_ok(self) -> bool:
        try:
            self.check_version()
        except ManifestError:
            return False
        return True

    @property
    def known_version(self) -> Optional[str]:
        return TABLE_VERSIONS.get(self.name)


@dataclass
class Catalog:
    datasets: list[Dataset] = field(default_factory=list)
    tables: list[TableRef] = field(default_factory=list)

    def lookup(self, name: str) -> Optional[TableRef]:
        """The table a query's name refers to: `table` (when unique) or `dataset.table`.

        None when the name is not one of ours (it may be a CTE or an engine's own table); raises
        TableNameError when an unqualified name exists in several datasets."""
        parts = [p.lower() for p in name.split(".")]
        if len(parts) == 1:
            hits = [t for t in self.tables if t.name.lower() == parts[0]]
            if len(hits) > 1:
                options = ", ".join(t.qualified for t in hits)
                raise TableNameError(
                    f"table '{name}' exists in {len(hits)} datasets; qualify it as one of: {options}")
            return hits[0] if hits else None
        if len(parts) == 2:
            for t in self.tables:
                if t.dataset.name.lower() == parts[0] and t.name.lower() == parts[1]:
                    return t
        return None

    def unique_names(self) -> set[str]:
        counts: dict[str, int] = {}
        for t in self.tables:
            counts[t.name.lower()] = counts.get(t.name.lower(), 0) + 1
        return {n for n, c in counts.items() if c == 1}

    def describe_names(self) -> str:
        """The names a query may use, for error messages."""
        unique = self.unique_names()
        names = {t.name for t in self.tables if t.name.lower() in unique} | {t.qualified for t in self.tables}
        return ", ".join(sorted(names)) or "none"


def qualifier_for(root: str) -> str:
    """A plain SQL identifier from the dataset folder's name (`ft-2024` -> `ft_2024`)."""
    base = posixpath.basename(root.rstrip("/").replace("\\", "/")) or "dataset"
    if "://" in root and "/" not in root.split("://", 1)[1].rstrip("/"):
        base = root.split("://", 1)[1].rstrip("/")  # a bare bucket
    name = re.sub(r"[^A-Za-z0-9_]", "_", base)
    if not name or name[0].isdigit():
        name = "d_" + name
    if name.lower() in _RESERVED_QUALIFIERS:
        name += "_ds"
    return name


def _table_dir(name: str, entry: TableEntry, root: str) -> str:
    """The folder holding a table's files (and its partition folders), checked against every file."""
    dirs = set()
    for f in entry.files:
        if f.startswith("/") or ".." in f.split("/"):
            raise DatasetError(f"manifest of {root}: table '{name}' lists a file outside the dataset: {f!r}")
        if entry.partitioning:
            try:
                d, _ = split_partitioned_path(f, entry.partitioning)
            except ValueError as e:
                raise DatasetError(f"manifest of {root}: table '{name}' is partitioned by "
                                   f"{entry.partitioning} but {e}") from None
        else:
            d = posixpath.dirname(f)
        dirs.add(d)
    if len(dirs) > 1:
        raise DatasetError(f"manifest of {root}: table '{name}' has files under several folders: {sorted(dirs)}")
    return dirs.pop() if dirs else name


def _read_manifest(storage: Storage, root: str) -> Optional[Manifest]:
    uri = join(root, MANIFEST_NAME)
    try:
        text = storage.read_text(uri)
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise DatasetError(f"{uri} is not UTF-8 text: the manifest is corrupt") from None
    try:
        return Manifest.from_json(text, where=uri)
    except ManifestError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise DatasetError(f"{uri} is malformed ({type(e).__name__}: {e}); the manifest is corrupt") from None


def _subdirs(storage: Storage, root: str) -> list[str]:
    fs, path = storage.pyarrow_filesystem(root)
    try:
        infos = fs.get_file_info(pafs.FileSelector(path, recursive=False, allow_not_found=True))
    except OSError as e:
        raise StorageError(f"cannot list {root}: {e}") from e
    out = []
    for info in infos:
        base = info.base_name
        if info.type == pafs.FileType.Directory and not base.startswith(("_", ".")):
            out.append(join(root, base))
    return sorted(out)


def _check_root(storage: Storage, root: str) -> None:
    if is_s3(root):
        storage.ensure_bucket(root)
    if not storage.exists(root):
        raise DatasetError(f"--data {root}: no such folder or prefix")


def discover(data: Iterable[str], storage: Optional[Storage] = None) -> Catalog:
    """Find the datasets under the given roots (each root and one level below) and their tables."""
    storage = storage or Storage.for_config()
    datasets: list[Dataset] = []
    seen_roots: set[str] = set()
    for given in data:
        root = given.rstrip("/") if given not in ("/",) else given
        _check_root(storage, root)
        found = []
        m = _read_manifest(storage, root)
        if m is not None:
            found.append((root, m))
        for sub in _subdirs(storage, root):
            sm = _read_manifest(storage, sub)
            if sm is not None:
                found.append((sub, sm))
        if not found:
            raise DatasetError(
                f"no {MANIFEST_NAME} in {root} or its sub-folders: the dataset is missing, still being "
                "written, or its job failed before committing")
        for r, man in found:
            if r in seen_roots:
                continue
            seen_roots.add(r)
            datasets.append(Dataset(name=qualifier_for(r), root=r, manifest=man))
    _dedupe_qualifiers(datasets)
    tables = []
    for ds in datasets:
        for name, entry in sorted(ds.manifest.tables.items()):
            tables.append(TableRef(ds, name, entry, _table_dir(name, entry, ds.root)))
    return Catalog(datasets, tables)


def _dedupe_qualifiers(datasets: list[Dataset]) -> None:
    used: dict[str, int] = {}
    for i, ds in enumerate(datasets):
        key = ds.name.lower()
        if key in used:
            used[key] += 1
            datasets[i] = Dataset(f"{ds.name}_{used[key]}", ds.root, ds.manifest)
        else:
            used[key] = 1


def missing_files(storage: Storage, ref: TableRef) -> list[str]:
    """Files the manifest lists that are not in storage (one listing per table on S3)."""
    if not ref.entry.files:
        return []
    if is_s3(ref.root):
        present = {f.uri for f in storage.list_files(ref.table_uri)}
        # list_files hides names starting with '_' or '.', which a manifest never lists.
        return [f for f, u in zip(ref.entry.files, ref.file_uris) if u not in present]
    fs = pafs.LocalFileSystem()
    out = []
    for f, u in zip(ref.entry.files, ref.file_uris):
        if fs.get_file_info(u).type != pafs.FileType.File:
            out.append(f)
    return out


def require_readable(storage: Storage, ref: TableRef) -> None:
    """Version check plus every listed file present; clear errors instead of engine tracebacks."""
    ref.check_version()
    gone = missing_files(storage, ref)
    if gone:
        more = f" (and {len(gone) - 3} more)" if len(gone) > 3 else ""
        raise DatasetError(
            f"table '{ref.qualified}' in {ref.root}: {len(gone)} file(s) listed in the manifest are missing: "
            f"{', '.join(gone[:3])}{more}; the dataset was modified after its job committed it")

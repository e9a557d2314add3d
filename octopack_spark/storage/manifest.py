"""Dataset manifests: the commit point of every job's output.

A dataset directory (local or S3) holds tables as Parquet files plus `manifest.json`, written last.
The manifest lists, per table, its schema version, row count and the exact data files, so a reader
that goes through it never sees a half-written dataset: files a crashed or running job left behind
are simply not listed. Readers refuse schema versions whose major number they do not know.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from octopack_spark import code_version
from octopack_spark.errors import UserFacingError
from octopack_spark.schema import TABLE_VERSIONS
from octopack_spark.storage.fs import Storage, join

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "octopack-manifest"
MANIFEST_VERSION = 1


class ManifestError(UserFacingError):
    pass


@dataclass
class TableEntry:
    schema_version: str
    rows: int = 0
    bytes: int = 0
    files: list[str] = field(default_factory=list)  # relative to the dataset root
    partitioning: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["files"] = d.pop("files")  # the long list last in manifest.json
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TableEntry":
        return cls(
            schema_version=str(d["schema_version"]),
            rows=int(d.get("rows", 0)),
            bytes=int(d.get("bytes", 0)),
            files=list(d.get("files", [])),
            partitioning=list(d.get("partitioning", [])),
        )


@dataclass
class Manifest:
    kind: str  # "mine" or "ft"
    tables: dict[str, TableEntry] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    config_hash: str = ""
    code_version: str = field(default_factory=code_version)
    created: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    counts: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        d = {
            "format": MANIFEST_FORMAT,
            "manifest_version": MANIFEST_VERSION,
            "kind": self.kind,
            "created": self.created,
            "code_version": self.code_version,
            "config_hash": self.config_hash,
            "counts": self.counts,
            "timings": self.timings,
            "tables": {k: v.to_dict() for k, v in sorted(self.tables.items())},
            "runs": self.runs,
            "config": self.config,
        }
        d.update(self.extra)
        return json.dumps(d, indent=2, sort_keys=False, default=str) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "manifest") -> "Manifest":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ManifestError(f"{where} is not valid JSON: {e}") from None
        if not isinstance(d, dict) or d.get("format") != MANIFEST_FORMAT:
            raise ManifestError(f"{where} is not an octopack manifest (format={d.get('format') if isinstance(d, dict) else None!r})")
        if int(d.get("manifest_version", 0)) > MANIFEST_VERSION:
            raise ManifestError(
                f"{where} has manifest_version {d.get('manifest_version')}, newer than this octopack-spark "
                f"understands ({MANIFEST_VERSION}); upgrade octopack-spark"
            )
        known = {"format", "manifest_version", "kind", "created", "code_version", "config_hash", "counts",
                 "timings", "tables", "runs", "config"}
        return cls(
            kind=d.get("kind", ""),
            tables={k: TableEntry.from_dict(v) for k, v in d.get("tables", {}).items()},
            config=d.get("config", {}),
            config_hash=d.get("config_hash", ""),
            code_version=d.get("code_version", ""),
            created=d.get("created", ""),
            counts=d.get("counts", {}),
            timings=d.get("timings", {}),
            runs=d.get("runs", []),
            extra={k: v for k, v in d.items() if k not in known},
        )

    def table(self, name: str) -> TableEntry:
        if name not in self.tables:
            raise ManifestError(f"dataset has no table '{name}' (tables: {', '.join(sorted(self.tables)) or 'none'})")
        return self.tables[name]


def check_schema_version(table: str, found: str, where: str = "") -> None:
    """Stop with a clear message when a table's major schema version is not the one we read."""
    expected = TABLE_VERSIONS.get(table)
    if expected is None:
        return  # a table this build does not know: readers treat it as opaque
    if found.split(".")[0] != expected.split(".")[0]:
        loc = f" in {where}" if where else ""
        raise ManifestError(
            f"table '{table}'{loc} has schema version {found}, but this octopack-spark reads "
            f"version {expected.split('.')[0]}.x; re-run the job that wrote it or use a matching release"
        )


def manifest_uri(root: str) -> str:
    return join(root, MANIFEST_NAME)


def read_manifest(storage: Storage, root: str, required: bool = True) -> Optional[Manifest]:
    uri = manifest_uri(root)
    try:
        text = storage.read_text(uri)
    except FileNotFoundError:
        if required:
            raise ManifestError(
                f"no {MANIFEST_NAME} in {root}: the dataset is missing, still being written, or its job "
                "failed before committing"
            ) from None
        return None
    m = Manifest.from_json(text, where=uri)
    for name, entry in m.tables.items():
        check_schema_version(name, entry.schema_version, where=root)
    return m


def write_manifest(storage: Storage, root: str, manifest: Manifest) -> str:
    uri = manifest_uri(root)
    storage.write_text_atomic(uri, manifest.to_json())
    return uri


def table_file_uris(root: str, entry: TableEntry) -> list[str]:
    return [join(root, f) for f in entry.files]

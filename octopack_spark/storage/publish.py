"""Commit staged Spark output into a table directory, crash-safely.

Spark writes each unit of work (a batch of repositories, a whole stage) into `_staging/<unit>/`.
Publishing it:
  1. lists the staged data files and writes an intent record `_log/<unit>.json` (moves to make),
  2. moves each file to `<table>/<partition dirs>/<unit>-<name>`,
  3. rewrites the record with `"done": true`.
A crash between 1 and 3 is finished by `recover()` on the next run (moves are idempotent: a file
already at its destination is not moved again). Only files of done units are ever listed in a
manifest, so readers never see a half-published unit.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from typing import Optional

from octopack_spark.errors import UserFacingError
from octopack_spark.storage.fs import Storage, is_s3, join, relative_to

LOG_DIR = "_log"
STAGING_DIR = "_staging"


@dataclass
class PublishedFile:
    path: str  # relative to the dataset root
    size: int


def staging_uri(root: str, unit: str) -> str:
    return join(root, STAGING_DIR, unit)


def _intent_uri(root: str, unit: str) -> str:
    return join(root, LOG_DIR, f"{unit}.json")


def publish(
    storage: Storage,
    root: str,
    unit: str,
    moves: dict[str, tuple[str, str]],
    extra: Optional[dict] = None,
) -> dict[str, list[PublishedFile]]:
    """Publish staged tables of one unit.

    `moves` maps table name -> (staged directory URI, table directory relative to root). Returns the
    published files per table. `extra` (e.g. repo outcomes) is stored in the intent record.
    """
    plan: dict[str, list[dict]] = {}
    for table, (staged_dir, table_rel) in moves.items():
        items = []
        for f in storage.list_files(staged_dir, suffix=".parquet"):
            rel_in_stage = relative_to(staged_dir, f.uri)
            sub, name = posixpath.split(rel_in_stage)
            dst_rel = posixpath.join(table_rel, sub, f"{unit}-{name}") if sub else posixpath.join(table_rel, f"{unit}-{name}")
            items.append({"src": f.uri, "dst": dst_rel, "size": f.size})
        plan[table] = items
    record = {"unit": unit, "done": False, "tables": plan, "extra": extra or {}}
    storage.write_text_atomic(_intent_uri(root, unit), json.dumps(record, indent=1))
    _apply(storage, root, record)
    return {t: [PublishedFile(i["dst"], i["size"]) for i in items] for t, items in plan.items()}


def _apply(storage: Storage, root: str, record: dict) -> None:
    for items in record["tables"].values():
        for i in items:
            dst = join(root, i["dst"])
            if storage.exists(i["src"]):
                storage.move(i["src"], dst)
            elif not storage.exists(dst):
                raise FileNotFoundError(f"staged file {i['src']} vanished before it reached {dst}")
    record["done"] = True
    storage.write_text_atomic(_intent_uri(root, record["unit"]), json.dumps(record, indent=1))
    # The staging dir of this unit is now empty apart from markers; remove it.
    storage.delete(staging_uri(root, record["unit"]))


class BadIntentRecord(UserFacingError):
    pass


_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _read_record(storage: Storage, root: str, uri: str) -> dict:
    """An intent record, refused unless every path in it stays inside the dataset: files move only from
    `_staging/<unit>/` to `<table>/...` of this root (a crafted record must not move or delete anything
    elsewhere as the user who runs the job)."""
    try:
        rec = json.loads(storage.read_text(uri))
        unit = rec["unit"]
        tables = rec["tables"]
        if not isinstance(unit, str) or not _UNIT.match(unit) or not isinstance(tables, dict):
            raise ValueError(f"bad unit name {unit!r}")
        src_prefix = staging_uri(root, unit).rstrip("/") + "/"
        for table, items in tables.items():
            if not isinstance(table, str) or not _UNIT.match(table):
                raise ValueError(f"bad table name {table!r}")
            for i in items:
                dst, src = i["dst"], i["src"]
                norm = posixpath.normpath(dst)
                if (not isinstance(dst, str) or dst.startswith("/") or "\\" in dst or norm != dst
                        or norm.split("/")[0] in ("..", ".", LOG_DIR, STAGING_DIR) or ".." in norm.split("/")):
                    raise ValueError(f"destination {dst!r} leaves the dataset's tables")
                if not isinstance(src, str) or not src.startswith(src_prefix) or ".." in src[len(src_prefix):].split("/"):
                    raise ValueError(f"source {src!r} is not in this unit's staging area")
    except BadIntentRecord:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise BadIntentRecord(f"{uri} is not a valid publish record ({e}); refusing to act on it. Remove it if it "
                              "was not written by octopack") from None
    return rec


def completed_units(storage: Storage, root: str) -> list[dict]:
    """Intent records of published units, oldest first (finishing interrupted ones first)."""
    recover(storage, root)
    out = []
    for f in _list_log(storage, root):
        rec = _read_record(storage, root, f)
        if rec.get("done"):
            out.append(rec)
    return sorted(out, key=lambda r: r["unit"])


def _list_log(storage: Storage, root: str) -> list[str]:
    return [f.uri for f in storage.list_files(join(root, LOG_DIR), suffix=".json")]


def recover(storage: Storage, root: str) -> list[str]:
    """Finish publishing units whose intent was recorded but not completed; return their names."""
    finished = []
    for uri in _list_log(storage, root):
        rec = _read_record(storage, root, uri)
        if not rec.get("done"):
            _apply(storage, root, rec)
            finished.append(rec["unit"])
    return finished


def delete_unit(storage: Storage, root: str, record: dict) -> None:
    """Delete a published unit's files and then its record: only once no manifest lists them."""
    for items in record["tables"].values():
        for i in items:
            storage.delete(join(root, i["dst"]))
    storage.delete(_intent_uri(root, record["unit"]))


def discard_staging(storage: Storage, root: str) -> None:
    """Remove staging left by killed runs (their units never got an intent record)."""
    storage.delete(join(root, STAGING_DIR))


__all__ = ["publish", "recover", "completed_units", "delete_unit", "discard_staging", "staging_uri", "PublishedFile", "is_s3"]

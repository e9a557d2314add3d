"""Hive-style partition directories exactly as Spark writes them, and their values read back.

Spark writes `partitionBy("lang")` as `lang=<escaped value>/`, escaping a fixed set of ASCII characters
as `%XX` (upper-case hex of the code point) and writing null or "" as `__HIVE_DEFAULT_PARTITION__`.
Language names such as "C#" (-> `C%23`) and "Cap'n Proto" (-> `Cap%27n Proto`) are escaped; "C++",
"Graphviz (DOT)" and "Common Lisp" are not. Readers must undo exactly this: DuckDB's url_decode and
pyarrow's "uri" segment decoding do (checked in tests/sql/test_hive.py against real Spark output).
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"

# org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils.charToEscape (non-Windows).
_ESCAPED = frozenset('"#%\'*/:=?\\\x7f{[]^') | frozenset(chr(c) for c in range(1, 0x20))
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def escape_value(value: Optional[str]) -> str:
    """The directory name segment Spark writes for a partition value."""
    if value is None or value == "":
        return DEFAULT_PARTITION
    return "".join(f"%{ord(c):02X}" if c in _ESCAPED else c for c in value)


def unescape_value(segment_value: str) -> Optional[str]:
    """Inverse of `escape_value` (Spark's unescapePathName: `%XX` -> char, a lone `%` stays)."""
    if segment_value == DEFAULT_PARTITION:
        return None
    return _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), segment_value)


def partition_dir(values: dict[str, Optional[str]]) -> str:
    """`k1=v1/k2=v2` for the given partition values, in order."""
    return "/".join(f"{k}={escape_value(v)}" for k, v in values.items())


def split_partitioned_path(rel_path: str, keys: Sequence[str]) -> tuple[str, dict[str, Optional[str]]]:
    """Split `table/k1=v1/.../file.parquet` into (table dir, {k: decoded value}).

    Raises ValueError when the path does not end in one `key=value` segment per partition key."""
    parts = rel_path.split("/")
    if len(parts) < len(keys) + 1:
        raise ValueError(f"{rel_path!r} has fewer directory levels than partition keys {list(keys)}")
    segs = parts[len(parts) - 1 - len(keys):-1]
    values: dict[str, Optional[str]] = {}
    for key, seg in zip(keys, segs):
        name, eq, raw = seg.partition("=")
        if not eq or name != key:
            raise ValueError(f"{rel_path!r}: expected a '{key}=...' directory, found {seg!r}")
        values[key] = unescape_value(raw)
    return "/".join(parts[:len(parts) - 1 - len(keys)]), values

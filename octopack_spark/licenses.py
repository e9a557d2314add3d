"""Repository license detection (LICENSE / COPYING text -> SPDX id) and CommitPack's permissive list.

Ids are lower-case SPDX ids as CommitPack writes them ("mit", "apache-2.0"). Detection reads the
license file at the repository's HEAD and matches key phrases of each license's canonical text
(the approach of GitHub's licensee, reduced to phrases so no template files are needed). An
`SPDX-License-Identifier:` line wins when present. A file we cannot classify gives "unknown"; no
file gives None.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

# The 12 licenses of CommitPack's BigQuery selection (sql_1_commits_table_base).
PERMISSIVE_LICENSES: tuple[str, ...] = (
    "mit",
    "artistic-2.0",
    "isc",
    "cc0-1.0",
    "epl-1.0",
    "mpl-2.0",
    "unlicense",
    "apache-2.0",
    "bsd-3-clause",
    "agpl-3.0",
    "lgpl-2.1",
    "bsd-2-clause",
)

# File names looked at, best first (compared case-insensitively, at the repository root).
LICENSE_FILE_NAMES: tuple[str, ...] = (
    "license",
    "license.md",
    "license.txt",
    "license.rst",
    "licence",
    "licence.md",
    "licence.txt",
    "copying",
    "copying.md",
    "copying.txt",
    "unlicense",
    "unlicense.md",
    "unlicense.txt",
    "license-mit",
    "license-mit.txt",
    "license-mit.md",
    "license-apache",
    "license-apache.txt",
    "copying.lesser",
)

_SPDX_LINE = re.compile(r"spdx-license-identifier:\s*([A-Za-z0-9.+-]+)", re.IGNORECASE)


def _norm(text: str) -> str:
    t = text.lower()
    t = re.sub(r"[\u2018\u2019`]", "'", t)
    t = re.sub(r"[\u201c\u201d]", '"', t)
    t = re.sub(r"[*#>|_=]+", " ", t)  # markdown decoration
    t = re.sub(r"\s+", " ", t)
    return t


def _has(t: str, *phrases: str) -> bool:
    return all(p in t for p in phrases)


def classify_license_text(text: str) -> str:
    """SPDX id (lower-case) for a license file's text, or "unknown"."""
    m = _SPDX_LINE.search(text[:4000])
    if m:
        return m.group(1).lower()
    t = _norm(text[:200_000])
    if _has(t, "gnu affero general public license"):
        return "agpl-3.0"
    if _has(t, "gnu lesser general public license"):
        if "version 3" in t:
            return "lgpl-3.0"
        return "lgpl-2.1"
    if _has(t, "gnu library general public license"):
        return "lgpl-2.0"
    if _has(t, "gnu general public license"):
        if "version 3" in t:
            return "gpl-3.0"
        if "version 2" in t:
            return "gpl-2.0"
        return "gpl"
    if _has(t, "apache license") and ("version 2.0" in t or "apache-2.0" in t or "license-2.0" in t):
        return "apache-2.0"
    if _has(t, "mozilla public license"):
        if "2.0" in t:
            return "mpl-2.0"
        if "1.1" in t:
            return "mpl-1.1"
        return "mpl"
    if _has(t, "eclipse public license"):
        if re.search(r"(v|version) ?2\.0", t):
            return "epl-2.0"
        return "epl-1.0"
    if _has(t, "this is free and unencumbered software released into the public domain"):
        return "unlicense"
    if "cc0" in t and ("creative commons" in t or "public domain" in t):
        return "cc0-1.0"
    if _has(t, "artistic license 2.0") or _has(t, "the artistic license", "version 2.0"):
        return "artistic-2.0"
    if _has(t, "boost software license"):
        return "bsl-1.0"
    if _has(t, "do what the fuck you want to public license"):
        return "wtfpl"
    if _has(t, "permission is hereby granted, free of charge, to any person obtaining a copy"):
        return "mit"
    if re.search(r"permission to use, copy, modify, (and/or|and) distribute this software for any purpose", t):
        if "provided that the above copyright notice" in t:
            return "isc"
        return "0bsd"
    if _has(t, "redistribution and use in source and binary forms"):
        if "all advertising materials mentioning" in t:
            return "bsd-4-clause"
        if "neither the name" in t or "names of its contributors may" in t or "name of the copyright holder nor" in t:
            return "bsd-3-clause"
        return "bsd-2-clause"
    if _has(t, "altered source versions must be plainly marked"):
        return "zlib"
    return "unknown"


def pick_license_file(names: Iterable[str]) -> Optional[str]:
    """The best license file among root-level names, or None."""
    by_lower = {n.lower(): n for n in names}
    for cand in LICENSE_FILE_NAMES:
        if cand in by_lower:
            return by_lower[cand]
    for lower, n in sorted(by_lower.items()):
        if lower.startswith(("license", "licence", "copying")):
            return n
    return None


def is_permissive(license_id: Optional[str], allowed: Iterable[str] = PERMISSIVE_LICENSES) -> bool:
    if not license_id:
        return False
    ids = {x.strip().lower() for x in license_id.split(",") if x.strip()}
    allowed_set = set(allowed)
    return bool(ids) and ids <= allowed_set

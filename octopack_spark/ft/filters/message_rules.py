"""filters1 step 12 (spec §2): rules on the lower-cased cleaned subject.

Fixed bug: the verb list's `'plug '` carried its own trailing space and the code appended another,
so "Plug ..." never matched; verbs here are bare and one space is appended once.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop
from octopack_spark.ft.filters.words import BAD_SUBJECT_PARTS, BAD_SUBJECTS, VERBS_EN

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow

_VERSION = re.compile(r"(?:v)?\d+\.\d+\.\d+(?=$|\S)")
_HEX = re.compile(r"^[a-f0-9]+(?:-[a-f0-9]+)*$")


@functools.lru_cache(maxsize=16)
def verb_prefixes(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(sorted({v.strip() + " " for v in VERBS_EN + extra if v.strip()}))


def verb_start(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """The subject starts with one of the paper's 257 English imperative verbs followed by a space."""
    s = row.subject_f1.lower()
    return KEEP if s.startswith(verb_prefixes(tuple(cfg.extra_verbs))) else drop("verb_start")


def bad_subject(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """The whole subject is not "readme", "update", "test", "update readme.md", ..."""
    return drop("bad_subject") if row.subject_f1.lower() in BAD_SUBJECTS else KEEP


def bad_subject_part(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """No "auto commit", "merge branch", "merge pull request", "signed-off-by", "<?xml", ..."""
    s = row.subject_f1.lower()
    return drop("bad_subject_part") if any(p in s for p in BAD_SUBJECT_PARTS) else KEEP


def version_subject(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """The subject does not start with a version number (v1.2.3)."""
    return drop("version_subject") if _VERSION.match(row.subject_f1.lower()) else KEEP


def hex_subject(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """The subject is not only hex digits and hyphens (hash-like messages such as "0239-2a41")."""
    return drop("hex_subject") if _HEX.match(row.subject_f1.lower()) else KEEP

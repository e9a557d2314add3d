"""What a rule is: a pure function of one row and the filter config returning (keep, reason)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow

Verdict = tuple[bool, Optional[str]]
KEEP: Verdict = (True, None)


def drop(reason: str) -> Verdict:
    return (False, reason)


@dataclass(frozen=True)
class Rule:
    name: str  # the drop reason it records, and the name used in ft.filters.disabled
    stage: str  # funnel stage (see pipeline.STAGES)
    fn: Callable[["FtRow", "FilterConfig"], Verdict]
    doc: str  # one line for the funnel / data card

    def __call__(self, row: "FtRow", cfg: "FilterConfig") -> Verdict:
        return self.fn(row, cfg)


def like_to_regex(pattern: str) -> re.Pattern:
    """A SQL LIKE pattern (`%` any run, `_` one char; case-sensitive as in BigQuery) as a regex."""
    out = []
    for ch in pattern:
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(out) + r"\Z", re.DOTALL)

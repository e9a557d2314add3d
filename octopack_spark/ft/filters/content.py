"""filters1 steps 1-3 (spec §2): size and validity of the file contents.

A missing side (null) is `contents_missing`'s verdict; these rules judge present text only, so each
reason says what it means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow


def old_too_long(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 1: len(old_contents) < max_old_chars (50,000 characters)."""
    return KEEP if (row.old_chars or 0) < cfg.max_old_chars else drop("old_too_long")


def new_empty(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 2: new_contents is not empty."""
    return drop("new_empty") if row.new_chars == 0 else KEEP


def unchanged(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 3: old_contents != new_contents (mode-only changes, reverted edits)."""
    return drop("unchanged") if row.same_contents else KEEP

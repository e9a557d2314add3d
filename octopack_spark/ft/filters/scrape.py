"""The scrape step's outcome as a rule: rows whose contents the mining job could not provide.

The paper's scraper stored "" for failed fetches (then dropped by filters1 `new_empty`). The mining job
records why instead (`skip_reason`: binary, too_large, not_utf8, submodule, ...), so such rows get
their own reason rather than being mistaken for empty files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow


def contents_missing(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Both file versions are present as text (no skip_reason, neither side null)."""
    if row.skip_reason or row.old_chars is None or row.new_chars is None:
        return drop("contents_missing")
    return KEEP

"""Pre-scrape rules of scrape_github.py (spec §1), applied before contents were fetched."""

from __future__ import annotations

from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop
from octopack_spark.ft.filters.words import TRIVIAL_MESSAGES
from octopack_spark.mining.languages import detect_language

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow


def known_extension(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """new_file ends with an extension (or is a file name such as Dockerfile) of programming_languages.json."""
    return KEEP if detect_language(row.new_file) is not None else drop("unknown_extension")


def update_filename_message(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """The message is not GitHub's web-editor default "Update <old_file>"."""
    if row.old_file is not None and row.message_stripped == "Update " + row.old_file:
        return drop("update_filename_message")
    return KEEP


def trivial_message(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """The message is not exactly "initial commit", "please" or "lalala" (case-sensitive, as the paper)."""
    return drop("trivial_message") if row.message_stripped in TRIVIAL_MESSAGES else KEEP

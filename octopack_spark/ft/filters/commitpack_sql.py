"""CommitPack's BigQuery steps as row rules (spec §1): sql_1 (license, repo languages, message) and
sql_4/sql_5 (in-place single-file modifications). sql_2 is the exact dedup (ft.dedup.exact).

Messages are compared after stripping surrounding whitespace: git messages end with a newline while
the paper's lists are bare strings ("initial commit"), and the pre-scrape list carries both "please" and
"please\\n", which shows both forms occurred.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop, like_to_regex
from octopack_spark.licenses import is_permissive

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow


def license_allowlist(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """sql_1: the repository license is one of the allowed (paper: 12 permissive) SPDX ids."""
    return KEEP if is_permissive(row.license, cfg.licenses) else drop("license_not_allowed")


@functools.lru_cache(maxsize=64)
def _lang_patterns(patterns: tuple[str, ...]):
    return tuple(like_to_regex(p) for p in patterns)


def repo_language(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """sql_1: the repository's language list matches one of the paper's 21 languages (LIKE patterns).

    GitHub's per-repository language list is approximated by the languages of the repository's files
    in the mined table (`repo_langs`); without that context the row's own language is used.
    """
    langs = row.repo_langs if row.repo_langs is not None else ([row.lang] if row.lang else [])
    pats = _lang_patterns(tuple(cfg.repo_languages))
    for lang in langs:
        if lang and any(p.match(lang) for p in pats):
            return KEEP
    return drop("repo_language")


def message_length(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """sql_1: min_message_chars < len(message) < max_message_chars (5 and 10,000)."""
    n = len(row.message_stripped)
    return KEEP if cfg.min_message_chars < n < cfg.max_message_chars else drop("message_length")


@functools.lru_cache(maxsize=16)
def _blocklist(messages: tuple[str, ...]) -> frozenset[str]:
    return frozenset(m.lower() for m in messages)


def message_blocklist(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """sql_1: the lower-cased message is not one of 24 boilerplate messages ("initial commit", "wip", ...)."""
    return drop("message_blocklist") if row.message_stripped.lower() in _blocklist(tuple(cfg.message_blocklist)) else KEEP


def message_merge(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """sql_1: the lower-cased message does not start with "merge"."""
    return drop("message_merge") if row.message_stripped.lower().startswith("merge") else KEEP


def inplace_modification(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """sql_4: old and new path both set and equal (no add, delete or rename)."""
    ok = row.old_file is not None and row.new_file is not None and row.old_file == row.new_file
    return KEEP if ok else drop("not_inplace_modification")


def single_file_commit(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """sql_5: the commit has exactly one in-place modification (other files may be added/deleted/renamed,
    as in the paper's HAVING COUNT(*)=1 over sql_4's output). Without context: commit_files == 1."""
    n = row.inplace_files if row.inplace_files is not None else row.commit_files
    return KEEP if n == 1 else drop("not_single_file_commit")

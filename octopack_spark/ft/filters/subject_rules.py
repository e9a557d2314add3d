"""filters2 (spec §2), in order. Steps 1-2 read the subject after filters1; step 3 removes "[ci skip]"
and the rest read that (`FtRow.subject_final`, the subject CommitPackFT ships).

Fixed bugs: the "Bump" drop is a deterministic draw from the row id (`FtRow.bump_draw`), not an
unseeded random() (the draw is also stored as the `bump_draw` column); "wip" is matched as a whole word, not as a substring of "wipe" or "swipe".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop
from octopack_spark.ft.filters.words import BUMP_PREFIXES, JOKE_SUBJECTS
from octopack_spark.ft.row import bump_draw

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow

_SHA = re.compile(r"[a-f0-9]{40}")
_ISSUE = re.compile(r"issue\s*\d+|bug\s*\d+|feature\s*\d+", re.IGNORECASE)
_WIP = re.compile(r"\bwip\b")


def cherry_pick(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 1: no "cherry picked from commit"."""
    return drop("cherry_pick") if "cherry picked from commit" in row.subject_f1 else KEEP


def sha_in_subject(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 2: no 40-hex commit SHA ("Revert commit f514fe31...")."""
    return drop("sha_in_subject") if _SHA.search(row.subject_f1) else KEEP


def bump_sample(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 4: drop bump_drop_fraction (90%) of subjects starting with Bump / Set version / Update version
    (case-sensitive). Which ones: bump_draw(row_id, bump_salt) < fraction, the same on every run."""
    if row.subject_final.startswith(BUMP_PREFIXES) and bump_draw(row.row_id, cfg.bump_salt) < cfg.bump_drop_fraction:
        return drop("bump_sample")
    return KEEP


def first_person(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 5: no " i ", "i've" or "i'm"."""
    s = row.subject_final_lower
    return drop("first_person") if (" i " in s or "i've" in s or "i'm" in s) else KEEP


def thanks(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 6: not "thanks to" together with "for" (the latter case-sensitive, as the paper)."""
    return drop("thanks") if ("thanks to" in row.subject_final_lower and "for" in row.subject_final) else KEEP


def code_review(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 7: no "code review"."""
    return drop("code_review") if "code review" in row.subject_final_lower else KEEP


def joke_message(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 8: not one of three joke subjects."""
    return drop("joke_message") if row.subject_final_lower in JOKE_SUBJECTS else KEEP


def issue_ref(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 9: no "issue 12", "bug 7", "feature 3" (case-insensitive, optional whitespace)."""
    return drop("issue_ref") if _ISSUE.search(row.subject_final_lower) else KEEP


def review_tool_ref(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 10: no "cdpcp" or "//codereview"."""
    s = row.subject_final_lower
    return drop("review_tool_ref") if ("cdpcp" in s or "//codereview" in s) else KEEP


def wip(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 11: no "work in progress" and no word "wip"."""
    s = row.subject_final_lower
    return drop("wip") if ("work in progress" in s or _WIP.search(s)) else KEEP


def url(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 12: no http:// or https://."""
    s = row.subject_final_lower
    return drop("url") if ("http://" in s or "https://" in s) else KEEP


def leetcode(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 13: no "| leetcode" (solution dumps)."""
    return drop("leetcode") if "| leetcode" in row.subject_final_lower else KEEP


def few_words(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 14: at least min_final_words (4) words."""
    return KEEP if len(row.subject_final.split()) >= cfg.min_final_words else drop("few_words")

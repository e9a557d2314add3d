"""filters1 steps 4-10 (spec §2): the subject's shape and its relation to the file name.

Steps 4-7 read the raw subject; 9-10 the subject cleaned by step 8 (`FtRow.subject_f1`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop
from octopack_spark.mining.languages import file_extension

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow


def subject_hash(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 4: no `#` in the subject (issue / PR references such as "Fix #12")."""
    return drop("subject_hash") if "#" in row.subject else KEEP


def extension_dot(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 5a: the file name contains a dot (so Dockerfile / Makefile rows end here)."""
    if cfg.require_extension_dot and "." not in row.file_name:
        return drop("extension_dot")
    return KEEP


def extension_whitelist(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 5b: for the ten whitelisted languages the extension (with its dot) is in the list.

    Fixed bug: the original compared the dot-less extension against dotted entries and so rejected
    every row of these languages.
    """
    allowed = cfg.extension_whitelist.get(row.lang or "")
    if allowed is None:
        return KEEP
    return KEEP if file_extension(row.new_file) in allowed else drop("extension_whitelist")


def filename_in_subject(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 6: the file's base name without its last extension does not occur in the subject
    ("Update README.md" for README.md). Case-sensitive, as the paper. An empty stem (".gitignore")
    never counts as a match: the original's "" is in every subject and dropped all dot files."""
    name = row.file_name
    if "." not in name:
        return KEEP
    stem = name.rsplit(".", 1)[0]
    return drop("filename_in_subject") if stem and stem in row.subject else KEEP


def _length_ok(text: str, cfg: "FilterConfig") -> bool:
    return (cfg.min_subject_chars < len(text) < cfg.max_subject_chars
            and cfg.min_subject_words < len(text.split()) < cfg.max_subject_words)


def subject_length(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 7: 10 < chars < 1000 and 4 < words < 1000 on the raw subject."""
    return KEEP if _length_ok(row.subject, cfg) else drop("subject_length")


def subject_length_clean(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 9: the same length rule on the subject cleaned by step 8."""
    return KEEP if _length_ok(row.subject_f1, cfg) else drop("subject_length_clean")


def subject_uppercase(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Step 10: the cleaned subject starts with an upper-case character."""
    s = row.subject_f1.strip()
    return KEEP if s and s[0].isupper() else drop("subject_uppercase")

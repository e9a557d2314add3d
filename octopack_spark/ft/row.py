"""One commits-table row as the filters see it: input fields, context columns and derived text.

Rules are pure functions of an `FtRow` and the config. Derived fields (the two cleaned subjects, the
lower-cased forms) are computed once here so every rule reads the same text. Null strings from the
input become "" for text rules; whether contents are missing is a rule of its own (`contents_missing`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from octopack_spark.ft.subject import clean_subject, remove_ci_skip
from octopack_spark.mining.languages import detect_language


def bump_draw(row_id: str, salt: str) -> float:
    """A uniform number in [0, 1) fixed by (salt, row_id): replaces the paper's unseeded random()."""
    h = hashlib.blake2b(f"{salt}\0{row_id}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2.0**64


@dataclass(slots=True)
class FtRow:
    row_id: str = ""
    commit: str = ""
    repo: str = ""
    repos: str = ""
    old_file: Optional[str] = None
    new_file: Optional[str] = None
    change_type: str = ""
    old_contents: Optional[str] = None
    new_contents: Optional[str] = None
    # What the content rules read: lengths in characters (None = that side is missing) and whether
    # both sides are equal. derive() fills them from the contents; the scoring pass gives them from
    # Arrow instead, so file contents never become Python strings for rules that only need their size.
    old_chars: Optional[int] = None
    new_chars: Optional[int] = None
    same_contents: Optional[bool] = None
    subject: str = ""
    message: str = ""
    lang: Optional[str] = None
    license: Optional[str] = None
    skip_reason: Optional[str] = None
    commit_files: Optional[int] = None
    # Context computed over the whole table (Spark window / ft.context): languages seen in the
    # repository, and in-place modifications (old path == new path) in the commit.
    repo_langs: Optional[list[str]] = None
    inplace_files: Optional[int] = None
    # Scores computed in batches before the rules run (ft.score).
    n_tokens: Optional[int] = None
    nl_lang: Optional[str] = None
    nl_score: Optional[float] = None
    message_nl_lang: Optional[str] = None
    message_nl_score: Optional[float] = None
    # Derived text.
    message_stripped: str = field(default="", repr=False)
    subject_f1: str = ""  # after filters1 step 8
    subject_final: str = ""  # after filters2 step 3: the CommitPackFT subject
    subject_final_lower: str = field(default="", repr=False)

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], subjects: Optional[dict] = None) -> "FtRow":
        r = cls()
        for name in ("row_id", "commit", "repo", "repos", "change_type", "subject", "message"):
            v = d.get(name)
            setattr(r, name, v if isinstance(v, str) else "")
        for name in ("old_file", "new_file", "old_contents", "new_contents", "old_chars", "new_chars",
                     "same_contents", "lang", "license", "skip_reason", "commit_files", "repo_langs", "inplace_files", "n_tokens", "nl_lang", "nl_score", "message_nl_lang", "message_nl_score"):
            setattr(r, name, d.get(name))
        if not r.repos:
            r.repos = r.repo
        if r.lang is None and r.new_file:
            r.lang = detect_language(r.new_file)
        r.derive(subjects)
        return r

    @classmethod
    def from_columns(cls, columns: Mapping[str, list]) -> list["FtRow"]:
        """Rows from column lists (Arrow `column.to_pylist()`): cheaper than one dict per row."""
        n = len(next(iter(columns.values()))) if columns else 0
        names = [k for k in ROW_FIELDS if k in columns]
        subjects: dict = {}
        return [cls.from_mapping({k: columns[k][i] for k in names}, subjects) for i in range(n)]

    def derive(self, subjects: Optional[dict] = None) -> "FtRow":
        """Derived fields. `subjects`: a cache subject -> (f1, final) shared by the rows of a batch
        (the rows of one commit share their subject)."""
        self.message_stripped = self.message.strip()
        cleaned = subjects.get(self.subject) if subjects is not None else None
        if cleaned is None:
            f1 = clean_subject(self.subject)
            cleaned = (f1, remove_ci_skip(f1))
            if subjects is not None:
                subjects[self.subject] = cleaned
        self.subject_f1, self.subject_final = cleaned
        self.subject_final_lower = self.subject_final.lower()
        if self.old_chars is None and self.old_contents is not None:
            self.old_chars = len(self.old_contents)
        if self.new_chars is None and self.new_contents is not None:
            self.new_chars = len(self.new_contents)
        if self.same_contents is None and self.old_contents is not None and self.new_contents is not None:
            self.same_contents = self.old_contents == self.new_contents
        return self

    @property
    def file_name(self) -> str:
        return (self.new_file or "").rsplit("/", 1)[-1]


# The input columns an FtRow reads (everything else of a batch is never converted to Python).
ROW_FIELDS = ("row_id", "commit", "repo", "repos", "change_type", "subject", "message", "old_file", "new_file",
           "old_contents", "new_contents", "old_chars", "new_chars", "same_contents", "lang", "license", "skip_reason", "commit_files", "repo_langs",
           "inplace_files", "n_tokens", "nl_lang", "nl_score", "message_nl_lang", "message_nl_score")

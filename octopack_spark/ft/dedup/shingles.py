"""Documents and shingles for MinHash: pure functions, no Spark.

A row becomes one document (`document_text`), the document becomes code tokens (identifiers and
numbers as words, every other non-space character as its own token), and consecutive `n` tokens become
one 64-bit shingle hash (ft.hashing, shared with decontamination).
"""

from __future__ import annotations

import difflib
import re
from typing import Optional

import numpy as np

from octopack_spark.ft.hashing import crc32_hashes, window_hashes

# Bytes regex: ASCII words, or any single non-space byte (so UTF-8 multi-byte characters become a few
# byte tokens: deterministic, and cheaper than decoding).
_TOKEN = re.compile(rb"[A-Za-z0-9_]+|[^\sA-Za-z0-9_]")
_DIFF_HEADER = ("diff --git", "index ", "--- ", "+++ ", "@@", "new file mode", "deleted file mode",
                "old mode", "new mode", "similarity index", "rename from", "rename to", "Binary files",
                "\\ No newline")

def changed_text(old: Optional[str], new: Optional[str], diff: Optional[str], context_lines: int) -> str:
    """The changed lines (with +/- markers) and their context, without headers or line numbers, so the
    same change applied at another position (a fork, a copy in another file) gives the same text."""
    if diff:
        return "\n".join(line for line in diff.split("\n") if line and not line.startswith(_DIFF_HEADER))
    a = (old or "").splitlines()
    b = (new or "").splitlines()
    out = []
    for line in difflib.unified_diff(a, b, n=context_lines, lineterm=""):
        if line.startswith(("--- ", "+++ ", "@@")):
            continue
        out.append(line)
    return "\n".join(out)


def document_text(mode: str, subject: Optional[str], old: Optional[str], new: Optional[str],
                  diff: Optional[str] = None, context_lines: int = 3) -> str:
    """The text a row is compared by (see MinHashConfig.document)."""
    subject = subject or ""
    if mode == "change":
        return subject + "\n" + changed_text(old, new, diff, context_lines)
    if mode == "sample":
        return subject + "\n" + (old or "") + "\n" + (new or "")
    if mode == "new_contents":
        return new or ""
    raise ValueError(f"unknown document mode {mode!r} (expected change, sample or new_contents)")


def tokens(text: str | bytes, lowercase: bool = False) -> list[bytes]:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if lowercase:
        data = data.lower()
    return _TOKEN.findall(data)


def token_hashes(text: str | bytes, lowercase: bool = False) -> np.ndarray:
    return crc32_hashes(tokens(text, lowercase))


def shingle_hashes(tok: np.ndarray, n: int) -> np.ndarray:
    """64-bit hashes of every window of `n` consecutive token hashes (one window if fewer tokens)."""
    return window_hashes(tok, n)


def shingle_strings(text: str, n: int, lowercase: bool = False) -> list[bytes]:
    """The n-grams as byte strings (for the library backends that hash strings themselves)."""
    tok = tokens(text, lowercase)
    if not tok:
        return []
    if len(tok) < n:
        return [b" ".join(tok)]
    return [b" ".join(tok[i:i + n]) for i in range(len(tok) - n + 1)]

"""Programming language of a file from its name, with CommitPack's 358-language table.

Fixes the original bug (`licenses_optout_langs.py` looked up `split(".")[-1]`, which has no dot, so
nothing matched): we look up `"." + ext`, try compound extensions (`.rs.in`, `.cmake.in`) before the
last one, and match the dot-less entries (`Dockerfile`, `Makefile`) by whole file name.
Unknown files get None; they are kept, not dropped.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Optional


@functools.lru_cache(maxsize=1)
def language_table() -> dict[str, list[str]]:
    """The bundled table: language name -> list of extensions (leading dot) or file names."""
    with resources.files("octopack_spark.data").joinpath("programming_languages.json").open("rb") as f:
        return json.load(f)


@functools.lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    exact: dict[str, str] = {}  # ".C" -> "C++" (case matters: .C is C++, .c is C)
    folded: dict[str, str] = {}  # lower-cased fallback: ".PY" -> Python
    names: dict[str, str] = {}  # "Dockerfile" -> Dockerfile
    for lang, exts in language_table().items():
        for e in exts:
            if e.startswith("."):
                exact[e] = lang
                folded.setdefault(e.lower(), lang)
            else:
                names[e] = lang
    # When the lower-cased form is itself a real entry, that entry wins (".c" stays C).
    for e, lang in exact.items():
        if e == e.lower():
            folded[e] = lang
    return exact, folded, names


@functools.lru_cache(maxsize=65536)  # the same paths recur commit after commit
def detect_language(path: Optional[str]) -> Optional[str]:
    """Language of `path` (any directory prefix is ignored), or None when the table has no match."""
    if not path:
        return None
    base = path.rsplit("/", 1)[-1]
    exact, folded, names = _indexes()
    if base in names:
        return names[base]
    # Candidate suffixes from the longest compound extension to the last one: a.b.rs.in -> .b.rs.in, .rs.in, .in
    # A dot file such as ".emacs" is looked up whole, as the table lists it like an extension.
    dot = base.find(".")
    while dot != -1:
        suffix = base[dot:]
        lang = exact.get(suffix)
        if lang is None:
            lang = folded.get(suffix.lower())
        if lang is not None:
            return lang
        dot = base.find(".", dot + 1)
    return None


def file_extension(path: Optional[str]) -> Optional[str]:
    """The last extension with its dot ("a/b.tar.gz" -> ".gz"), or None when the name has no dot."""
    if not path:
        return None
    base = path.rsplit("/", 1)[-1]
    i = base.rfind(".")
    if i <= 0:
        return None
    return base[i:]

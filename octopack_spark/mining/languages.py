"""Programming language of a file from its name, with CommitPack's 358-language table.

Fixes the original bug (`licenses_optout_langs.py` looked up `split(".")[-1]`, which has no dot, so
nothing matched): we look up `"." + ext`, try compound extensions (`.rs.in`, `.cmake.in`) before the
last one, and match the dot-less entries (`Dockerfile`, `Makefile`) by whole file name.
Unknown files get None; they are kept, not dropped.

Extensions that several languages share (`.h` C/C++/Objective-C, `.m` Objective-C/MATLAB, `.pl` Perl/Prolog,
`.v` Verilog/Coq, `.inc`, `.cls`) are decided from the file's content when it is given
(`detect_language(path, content)`), with rules kept as data in `octopack_spark/data/language_heuristics.json`
(ported from GitHub Linguist's heuristics.yml, plus our own; attribution in data/ATTRIBUTION.md). Without
content the path-only answer is unchanged: the CommitPack table's language (`.h` C, `.pl` Perl) or None for
an extension the table does not list.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Optional, Union


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


# Bytes of content the rules look at: enough for headers, imports and the first definitions.
CONTENT_SCAN_BYTES = 64 * 1024


@functools.lru_cache(maxsize=1)
def _heuristics() -> dict[str, dict]:
    """Extension -> {"default", "rules": [(language, kind, [compiled patterns])]}."""
    with resources.files("octopack_spark.data").joinpath("language_heuristics.json").open("rb") as f:
        raw = json.load(f)["extensions"]
    out: dict[str, dict] = {}
    for ext, spec in raw.items():
        rules = []
        for r in spec["rules"]:
            if "and" in r:
                kind, pats = "and", r["and"]
            else:
                kind, pats = "any", r["pattern"] if isinstance(r["pattern"], list) else [r["pattern"]]
            rules.append((r["language"], kind, [re.compile(p, re.MULTILINE) for p in pats]))
        out[ext] = {"default": spec.get("default"), "rules": rules}
    return out


def ambiguous_extensions() -> tuple[str, ...]:
    """Extensions whose language is decided from content when content is given."""
    return tuple(_heuristics())


def language_by_content(ext: str, content: Union[bytes, str]) -> Optional[str]:
    """The first rule for `ext` whose pattern(s) match `content`, else the extension's default (may be None)."""
    spec = _heuristics()[ext]
    if isinstance(content, bytes):
        text = content[:CONTENT_SCAN_BYTES].decode("utf-8", "replace")
    else:
        text = content[:CONTENT_SCAN_BYTES]
    text = text.replace("\r\n", "\n")
    for lang, kind, pats in spec["rules"]:
        hit = all(p.search(text) for p in pats) if kind == "and" else any(p.search(text) for p in pats)
        if hit:
            return lang
    return spec["default"]


def detect_language(path: Optional[str], content: Optional[Union[bytes, str]] = None) -> Optional[str]:
    """Language of `path` (any directory prefix is ignored), or None when nothing matches.

    With `content` (the file's bytes or text) an ambiguous extension (`ambiguous_extensions()`) is decided
    by content rules; other files, and calls without content, use the path alone."""
    if content is not None and path:
        base = path.rsplit("/", 1)[-1]
        i = base.rfind(".")
        if i > 0 and base[i:] in _heuristics():
            return language_by_content(base[i:], content)
    return _detect_by_path(path)


@functools.lru_cache(maxsize=65536)  # the same paths recur commit after commit
def _detect_by_path(path: Optional[str]) -> Optional[str]:
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

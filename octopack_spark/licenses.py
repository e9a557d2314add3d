"""Repository license detection (root LICENSE / COPYING / LICENCE / UNLICENSE files -> SPDX expression)
and the license allowlist (an SPDX expression against a list of allowed ids).

Output convention of the `license` column (unchanged for single licenses): lower-case SPDX ids as
CommitPack writes them ("mit", "apache-2.0", "gpl-3.0"). Several licenses give an SPDX expression with
lower-case ids and upper-case operators, operands sorted: "apache-2.0 OR mit" (dual license, either
applies), "bsd-3-clause AND mit" (both apply). A repository whose license files we cannot classify gives
"unknown"; a repository without a license file gives None.

Detection (see docs/governance.md):
1. An `SPDX-License-Identifier:` line near the top of a license file wins for that file.
2. Otherwise the full text goes to `licenseclassifier` (PyPI; a pure-Python port of google/licensecheck,
   the matcher behind pkg.go.dev): word-level patterns of ~700 SPDX licenses with a coverage threshold,
   so a README that only *mentions* a license is not classified.
3. Texts the matcher does not cover (a bare header such as "GNU GENERAL PUBLIC LICENSE Version 3", a
   decorated Markdown file) fall back to title phrases read from the *head* of the text only: the full
   GPL-2.0 text mentions the Lesser GPL in its last paragraph and GPL-3.0 / MPL-2.0 mention the Affero
   GPL, which is what made the old whole-text phrase search call them lgpl-2.1 / agpl-3.0.

A text can't tell "GPL-2.0-only" from "GPL-2.0-or-later" (the license text is the same; the choice is in
source headers), so a GPL-family text gives the family id ("gpl-2.0", "lgpl-2.1", "agpl-3.0" = GitHub's
license keys, the ids CommitPack's allowlist uses). The allowlist treats "-only", "-or-later" and "+"
as the same family.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable, Optional, Union

# The 12 licenses of CommitPack's BigQuery selection (sql_1_commits_table_base). Note that agpl-3.0 and
# lgpl-2.1 are copyleft and mpl-2.0 / epl-1.0 weak (file-level) copyleft: this is the paper's list, kept
# as the default for a faithful reproduction. PERMISSIVE_ONLY_LICENSES is the list without them.
PERMISSIVE_LICENSES: tuple[str, ...] = (
    "mit",
    "artistic-2.0",
    "isc",
    "cc0-1.0",
    "epl-1.0",
    "mpl-2.0",
    "unlicense",
    "apache-2.0",
    "bsd-3-clause",
    "agpl-3.0",
    "lgpl-2.1",
    "bsd-2-clause",
)

# The paper's list less every copyleft license (agpl-3.0, lgpl-2.1, mpl-2.0, epl-1.0).
PERMISSIVE_ONLY_LICENSES: tuple[str, ...] = (
    "mit",
    "artistic-2.0",
    "isc",
    "cc0-1.0",
    "unlicense",
    "apache-2.0",
    "bsd-3-clause",
    "bsd-2-clause",
)

# GNU copyleft families (for tests and reports): a text of any of these must never pass PERMISSIVE_ONLY.
GNU_COPYLEFT_PREFIXES: tuple[str, ...] = ("gpl-", "lgpl-", "agpl-")

# File names looked at, best first (compared case-insensitively, at the repository root).
LICENSE_FILE_NAMES: tuple[str, ...] = (
    "license",
    "license.md",
    "license.txt",
    "license.rst",
    "licence",
    "licence.md",
    "licence.txt",
    "copying",
    "copying.md",
    "copying.txt",
    "unlicense",
    "unlicense.md",
    "unlicense.txt",
    "license-mit",
    "license-mit.txt",
    "license-mit.md",
    "license-apache",
    "license-apache.txt",
    "copying.lesser",
)

_STEMS = ("license", "licence", "copying", "unlicense")
# Extensions that only say how the text is formatted (LICENSE.md is not a "tagged" file like LICENSE-MIT).
_FORMAT_EXTS = {"", "md", "markdown", "txt", "text", "rst", "html", "htm", "org", "adoc", "asciidoc"}
# Root files that start like a license file but are not the repository's license.
_NOT_LICENSE = re.compile(r"third|3rd|party|vendor|dependenc|notice|header|template|check|\.(py|js|ts|go|rs|java|"
                          r"c|h|rb|php|pl|sh|json|ya?ml|toml|xml|png|jpe?g|gif|svg|pdf|ico|sig|asc)$",
                          re.IGNORECASE)

_TAG_FIRST = re.compile(r"([a-z0-9][a-z0-9.+]{0,24})[-_](license|licence|copying)(?:\.([a-z]+))?$")
_SPDX_LINE = re.compile(r"spdx-license-identifier:[ \t]*([^\n\r]+)", re.IGNORECASE)
_DUAL = re.compile(r"dual[- ]licen[cs]|at your (option|choice)|your choice of|(terms of|under) either|"
                   r"either of (the|these) licen[cs]es|choose (either|one of)|licen[cs]ed under either",
                   re.IGNORECASE)
_LESSER_NAME = re.compile(r"lesser|lgpl|\.lib$", re.IGNORECASE)

UNKNOWN = "unknown"
# Coverage (in % of the text) at which licenseclassifier reports a match; a second, lower pass accepts a
# single license inside a file with extra prose (a project header, "see also" lines).
_COVERAGE = 75.0
_COVERAGE_RELAXED = 40.0
_MAX_CHARS = 300_000


# ---------------------------------------------------------------------------------------------------------------
# SPDX expressions: parse, render, evaluate against an allowlist
# ---------------------------------------------------------------------------------------------------------------

Expr = Union[tuple]  # ("id", x) | ("with", x, exc) | ("and", [Expr...]) | ("or", [Expr...])


class ExpressionError(ValueError):
    """A license string that is not an SPDX expression."""


_TOKEN = re.compile(r"\s*(\(|\)|,|/|[A-Za-z0-9][A-Za-z0-9.+:_-]*)")


def _tokens(s: str) -> list[str]:
    out, pos = [], 0
    s = s.strip()
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m:
            raise ExpressionError(f"not an SPDX expression: {s!r}")
        out.append(m.group(1))
        pos = m.end()
        while pos < len(s) and s[pos].isspace():
            pos += 1
    return out


def parse_expression(s: str) -> Expr:
    """Parse an SPDX expression (AND binds tighter than OR; WITH tighter than both). Also accepted: the
    legacy comma list "mit,apache-2.0" (all apply, as the old `is_permissive` read it) and "MIT/Apache-2.0"
    (Cargo's old dual-license spelling, = OR). Operators are matched case-insensitively."""
    toks = _tokens(s)
    if not toks:
        raise ExpressionError("empty license expression")
    pos = 0

    def peek() -> Optional[str]:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def is_op(t: Optional[str], *ops: str) -> bool:
        return t is not None and t.upper() in ops

    def atom() -> Expr:
        t = peek()
        if t is None:
            raise ExpressionError(f"expression ends early: {s!r}")
        if t == "(":
            take()
            e = or_expr()
            if peek() != ")":
                raise ExpressionError(f"missing ')': {s!r}")
            take()
            return e
        if t in (")", ",", "/") or is_op(t, "AND", "OR", "WITH"):
            raise ExpressionError(f"unexpected {t!r} in {s!r}")
        take()
        if is_op(peek(), "WITH"):
            take()
            exc = peek()
            if exc is None or exc in ("(", ")", ",", "/") or is_op(exc, "AND", "OR", "WITH"):
                raise ExpressionError(f"WITH needs an exception id: {s!r}")
            take()
            return ("with", t.lower(), exc.lower())
        return ("id", t.lower())

    def chain(operand, op: str, legacy: str) -> Expr:
        """operand (op operand)*: `op` in any case, or its legacy spelling (`,` for AND, `/` for OR)."""
        parts = [operand()]
        while is_op(peek(), op.upper()) or peek() == legacy:
            take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else (op, parts)

    def and_expr() -> Expr:
        return chain(atom, "and", ",")

    def or_expr() -> Expr:
        return chain(and_expr, "or", "/")

    e = or_expr()
    if pos != len(toks):
        raise ExpressionError(f"unexpected {toks[pos]!r} in {s!r}")
    return e


def render_expression(e: Expr, _parent: str = "") -> str:
    """Canonical text: lower-case ids, upper-case operators, operands sorted, parentheses only where needed."""
    kind = e[0]
    if kind == "id":
        return e[1]
    if kind == "with":
        return f"{e[1]} WITH {e[2]}"
    flat: list = []
    for p in e[1]:  # (a AND b) AND c -> a AND b AND c, so equal ids meet and collapse
        flat.extend(p[1] if p[0] == kind else [p])
    parts = sorted({render_expression(p, kind) for p in flat})
    if len(parts) == 1:
        return parts[0]
    text = f" {kind.upper()} ".join(parts)
    return f"({text})" if _parent == "and" and kind == "or" else text


def normalize_expression(s: str) -> str:
    """`s` in the column's canonical form ("MIT OR Apache-2.0" -> "apache-2.0 OR mit")."""
    return render_expression(parse_expression(s))


def license_family(license_id: str) -> str:
    """The id without its GNU version qualifier: gpl-2.0-only / gpl-2.0-or-later / gpl-2.0+ -> gpl-2.0."""
    x = license_id.strip().lower()
    for suffix in ("-or-later", "-only", "+"):
        if x.endswith(suffix):
            return x[: -len(suffix)]
    return x


def _allowed(e: Expr, allowed: frozenset[str]) -> bool:
    kind = e[0]
    if kind == "id":
        return license_family(e[1]) in allowed
    if kind == "with":  # an exception only adds permissions: the license itself decides
        return f"{license_family(e[1])} with {e[2]}" in allowed or license_family(e[1]) in allowed
    if kind == "and":
        return all(_allowed(p, allowed) for p in e[1])
    return any(_allowed(p, allowed) for p in e[1])


@functools.lru_cache(maxsize=4096)  # called per row with a handful of distinct values
def _is_allowed(license_expr: str, allowed: frozenset[str]) -> bool:
    if license_family(license_expr) in allowed:  # a value listed literally ("unknown" if someone allows it)
        return True
    try:
        e = parse_expression(license_expr)
    except ExpressionError:
        return False
    return _allowed(e, allowed)


def is_permissive(license_id: Optional[str], allowed: Iterable[str] = PERMISSIVE_LICENSES) -> bool:
    """Whether the license expression `license_id` satisfies the allowlist `allowed`: an id is allowed when
    its family is listed (case-insensitive; "-only"/"-or-later"/"+" ignored), `A OR B` when either is,
    `A AND B` (and the legacy "a,b") when both are, `A WITH exc` when A is. None, "" and an unparsable
    string are not allowed."""
    if not license_id or not license_id.strip():
        return False
    fam = frozenset(license_family(a) for a in allowed if a and a.strip())
    return _is_allowed(license_id.strip(), fam)


# ---------------------------------------------------------------------------------------------------------------
# One license file's text -> expression
# ---------------------------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    t = text.lower()
    t = re.sub(r"[\u2018\u2019`]", "'", t)
    t = re.sub(r"[\u201c\u201d]", '"', t)
    t = re.sub(r"[*#>|_=]+", " ", t)  # markdown decoration
    t = re.sub(r"\s+", " ", t)
    return t


def _has(t: str, *phrases: str) -> bool:
    return all(p in t for p in phrases)


def _spdx_line(text: str) -> Optional[str]:
    m = _SPDX_LINE.search(text[:4000])
    if not m:
        return None
    raw = re.sub(r"(\*/|-->|#\}|\*\)|\"|').*$", "", m.group(1)).strip()
    try:
        return normalize_expression(raw)
    except ExpressionError:
        first = raw.split()[0] if raw.split() else ""
        return first.lower() or None


def _heuristic(text: str) -> str:
    """Title phrases for texts the matcher does not cover. GNU and MPL/EPL titles are read from the head
    of the text only (other licenses' bodies mention them)."""
    t = _norm(text[:200_000])
    head = t[:700]
    if "gnu affero general public license" in head:
        return "agpl-3.0"
    if "gnu lesser general public license" in head:
        return "lgpl-3.0" if re.search(r"version 3\b", head) else "lgpl-2.1"
    if "gnu library general public license" in head:
        return "lgpl-2.0"
    if "gnu general public license" in head:
        if re.search(r"version 3\b", head):
            return "gpl-3.0"
        if re.search(r"version 2\b", head):
            return "gpl-2.0"
        if re.search(r"version 1\b", head):
            return "gpl-1.0"
        return UNKNOWN
    if "mozilla public license" in head:
        if "2.0" in head:
            return "mpl-2.0"
        if "1.1" in head:
            return "mpl-1.1"
        return UNKNOWN
    if "eclipse public license" in head:
        if re.search(r"(v|version) ?2\.0", head):
            return "epl-2.0"
        return "epl-1.0"
    if _has(t, "apache license") and ("version 2.0" in t or "apache-2.0" in t or "license-2.0" in t):
        return "apache-2.0"
    if _has(t, "this is free and unencumbered software released into the public domain"):
        return "unlicense"
    if "cc0" in t and ("creative commons" in t or "public domain" in t):
        return "cc0-1.0"
    if _has(t, "artistic license 2.0") or _has(head, "the artistic license", "version 2.0"):
        return "artistic-2.0"
    if _has(t, "boost software license"):
        return "bsl-1.0"
    if _has(t, "do what the fuck you want to public license"):
        return "wtfpl"
    if _has(t, "permission is hereby granted, free of charge, to any person obtaining a copy"):
        return "mit"
    if re.search(r"permission to use, copy, modify, (and/or|and) distribute this software for any purpose", t):
        if "provided that the above copyright notice" in t:
            return "isc"
        return "0bsd"
    if _has(t, "redistribution and use in source and binary forms"):
        if "all advertising materials mentioning" in t:
            return "bsd-4-clause"
        if "neither the name" in t or "names of its contributors may" in t or "name of the copyright holder nor" in t:
            return "bsd-3-clause"
        return "bsd-2-clause"
    if _has(t, "altered source versions must be plainly marked"):
        return "zlib"
    return UNKNOWN


def _matcher(text: str, coverage: float):
    from licenseclassifier import identify_license  # imported late: its scanner loads on first use

    return identify_license(text, coverage_threshold=coverage)


def _combine_ids(ids: Iterable[str], dual: bool) -> str:
    """Distinct ids -> expression. Ids of one GNU family collapse to the family ("gpl-1.0" + the
    "gpl-1.0-or-later" notice of its appendix = one license)."""
    fams: dict[str, str] = {}
    for i in ids:
        i = i.lower()
        fam = license_family(i)
        fams.setdefault(fam, fam)
    if "gpl-3.0" in fams and "lgpl-3.0" in fams:  # LGPL-3.0 is GPL-3.0 + extra permissions; SPDX's text has both
        del fams["gpl-3.0"]
    uniq = sorted(fams.values())
    if not uniq:
        return UNKNOWN
    if len(uniq) == 1:
        return uniq[0]
    return (" OR " if dual else " AND ").join(uniq)


def classify_license_text(text: str) -> str:
    """SPDX id or expression (lower-case ids) for one license file's text, or "unknown".

    Several licenses in one file are joined with OR when the prose around them says the choice is the
    user's ("dual-licensed", "at your option", "either of"), else with AND (the safe reading for the
    allowlist: every license must be allowed)."""
    if not text or not text.strip():
        return UNKNOWN
    spdx = _spdx_line(text)
    if spdx:
        return spdx
    text = text[:_MAX_CHARS]
    for coverage in (_COVERAGE, _COVERAGE_RELAXED):
        matches = _matcher(text, coverage)
        if not matches:
            continue
        ids = [m.id for m in matches]
        if coverage == _COVERAGE_RELAXED and len({license_family(i) for i in ids}) > 1:
            break  # a weak match on a mix of licenses: not trusted
        uncovered, last = [], 0
        for m in sorted(matches, key=lambda m: m.start):
            uncovered.append(text[last:m.start])
            last = max(last, m.end)
        uncovered.append(text[last:])
        dual = bool(_DUAL.search(" ".join(uncovered)))
        return _combine_ids(ids, dual)
    return _heuristic(text)


# ---------------------------------------------------------------------------------------------------------------
# Repository root -> expression
# ---------------------------------------------------------------------------------------------------------------


def _stem_and_tag(name: str) -> Optional[tuple[str, str]]:
    """("license", "mit") for LICENSE-MIT.txt; ("copying", "") for COPYING.md; None for other names."""
    low = name.lower()
    for stem in sorted(_STEMS, key=len, reverse=True):
        if low.startswith(stem):
            rest = low[len(stem):]
            if rest and rest[0] not in "-._ ":
                return None  # "licenses" (a directory's name), "copyright"
            rest = rest.lstrip("-._ ")
            base, _, ext = rest.rpartition(".")
            if ext in _FORMAT_EXTS:
                rest = base
            return stem, rest
    m = _TAG_FIRST.match(low)  # MIT-LICENSE (rails), APACHE_LICENSE.txt: the tag before the stem
    if m and (m.group(3) or "") in _FORMAT_EXTS:
        return m.group(2), m.group(1)
    return None


def license_files(names: Iterable[str]) -> list[str]:
    """Every license file among a repository root's file names, best first: LICENSE*, LICENCE*, COPYING*,
    UNLICENSE* (case-insensitive), without third-party/notice files and non-text extensions."""
    names = list(names)
    rank = {n: i for i, n in enumerate(LICENSE_FILE_NAMES)}
    found = [n for n in names if _stem_and_tag(n) is not None and not _NOT_LICENSE.search(n)]
    return sorted(set(found), key=lambda n: (rank.get(n.lower(), len(rank)), n.lower(), n))


def pick_license_file(names: Iterable[str]) -> Optional[str]:
    """The best license file among root-level names, or None (kept for callers that read one file;
    `detect_license` reads them all)."""
    by_lower = {n.lower(): n for n in names}
    for cand in LICENSE_FILE_NAMES:
        if cand in by_lower:
            return by_lower[cand]
    for lower, n in sorted(by_lower.items()):
        if lower.startswith(("license", "licence", "copying")):
            return n
    return None


def combine_license_files(classified: dict[str, str], texts: Optional[dict[str, str]] = None) -> Optional[str]:
    """Expressions per license file name -> the repository's expression (None when `classified` is empty).

    - files we could not classify are ignored when another file is classified ("unknown" only when none is);
    - COPYING (GPL-3.0) + COPYING.LESSER (LGPL-3.0) is the LGPL-3.0 layout (LGPL-3.0 is GPL-3.0 plus extra
      permissions, so both texts ship): lgpl-3.0;
    - different licenses in separately named files (LICENSE-MIT + LICENSE-APACHE) or with a top-level file
      saying "either of" / "dual licensed" are alternatives: OR; otherwise every license applies: AND.
    """
    if not classified:
        return None
    known = {n: e for n, e in classified.items() if e and e != UNKNOWN}
    if not known:
        return UNKNOWN
    exprs = {n: normalize_expression(e) if _parses(e) else e for n, e in known.items()}
    distinct = set(exprs.values())
    if len(distinct) == 1:
        return distinct.pop()
    fams = {license_family(e) for e in distinct}
    if fams == {"gpl-3.0", "lgpl-3.0"} and any(_LESSER_NAME.search(n) for n in exprs if "lgpl" in exprs[n]):
        return "lgpl-3.0"
    tagged = all((_stem_and_tag(n) or ("", ""))[1] for n in exprs)
    # Only prose files (not themselves a license text, e.g. "available under *either* of the licenses in
    # LICENSE.APACHE or LICENSE.BSD") can say the licenses are alternatives: license texts say "at your option".
    says_dual = any(_DUAL.search(t[:5000]) for n, t in (texts or {}).items() if n not in known)
    op = " OR " if (tagged or says_dual) else " AND "
    try:
        return normalize_expression(op.join(f"({e})" for e in sorted(distinct)))
    except ExpressionError:
        return op.join(sorted(distinct))


def _parses(e: str) -> bool:
    try:
        parse_expression(e)
        return True
    except ExpressionError:
        return False


def detect_license(names: Iterable[str], read_text: Callable[[str], str]) -> Optional[str]:
    """The repository's license expression from its root: `names` are the root tree's file names,
    `read_text(name)` returns a file's text (decoded, e.g. `blob.data[:300_000].decode("utf-8", "replace")`).
    None when there is no license file; "unknown" when none of them could be classified."""
    files = license_files(names)
    if not files:
        return None
    classified: dict[str, str] = {}
    texts: dict[str, str] = {}
    for n in files:
        text = read_text(n) or ""
        texts[n] = text
        classified[n] = classify_license_text(text)
    return combine_license_files(classified, texts)

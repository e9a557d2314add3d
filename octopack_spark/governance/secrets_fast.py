"""Secrets at mining time: the findings of `find_secrets`, at a cost the miner can afford.

`find_secrets` (secrets.py) runs ~25 Python regular expressions over the whole text, ~0.3 µs per character:
too slow for every file the miner reads. Here a multi-pattern prefilter (Hyperscan, compiled once per
process) scans the raw bytes for *triggers*, a superset of what the detectors can match (token prefixes,
`-----BEGIN `, `/:_authToken=`, a secret-looking name followed by an operator and the start of a value, ...).
Most files have none and cost only that scan. Around each trigger a *window* of whole lines is cut (the
trigger's line; for the patterns that may span lines, from a secret-looking name's line to its value's
line, from an npm `_authToken=` to its value's line, or from a
private key's BEGIN line to its END line, or to the end of the text without END), overlapping windows
are merged, and `find_secrets` runs on each window with only the detectors whose triggers fired in it;
spans are shifted back to character offsets in the whole text.

Why the result is the same as `find_secrets(text)`: windows start at a line start and end at a line end,
where every anchor, lookaround and plausibility check of the detectors sees the same thing as in the
whole text (a newline or the text's edge: `^`, `$`, `\\b`, `(?<![A-Za-z0-9])`, `(?!\\w)`); the only `\\Z`
(a private key without END) gets a window to the end of the text; a match can only cross a window edge
if it is itself inside some window, and overlapping windows are merged; findings of different windows
are disjoint, so per-window merging equals whole-text merging. tests/governance/test_secrets_fast.py
checks it on the planted corpus and on real files.

Deliberate difference: the triggers are ASCII byte patterns, while the detectors run on `str` with
Unicode semantics, so a match that needs a non-ASCII character where the triggers expect ASCII is not
found here: a Unicode digit inside a Discord or Telegram token (`\\d`), the Kelvin sign, long s or dotted/
dotless i standing for k/s/i in a case-insensitive keyword (`pa\\u017fsword = ...`), or a value of a
secret-looking name containing them. Real keys are ASCII. Non-ASCII whitespace between a name and its
value is covered.

Without the `hyperscan` package, Python regular expressions of the same triggers (each rewritten to
start with a literal) decide whether a text has any; if so, `find_secrets` runs on the whole text (same
findings; much slower, see docs/governance.md).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional, Union

from octopack_spark.governance.secrets import Finding, find_secrets

try:  # optional at import: the fallback below is exact, only slower
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the environment
    _hs = None

Buffer = Union[bytes, bytearray, memoryview]

# Whitespace as Python's `\s` sees it in str (ASCII part; non-ASCII bytes are accepted too: a superset).
_WS = rb"[\t\n\x0b\x0c\r \x1c-\x1f\x80-\xff]"
_NAMES = (rb"(?:passw(?:or)?d|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key|auth[_-]?token|"
          rb"access[_-]?token|private[_-]?key|client[_-]?secret|token|credentials?)")

# (trigger, caseless, window rule). Rules: "line" (the detector's match lies on the trigger's last line),
# "assign" (from the name's line to the value's line: the trigger ends on the value's line, and the name is
# the first byte before it that is not a space, an operator or a quote; Hyperscan's start-of-match flag
# would give it directly but makes the whole scan ~6x slower), "npm" (from the trigger's line to the line
# of the first non-space after it), "key" (BEGIN line to the END line).
_LINE, _ASSIGN, _NPM, _KEY = range(4)
_TRIGGERS: list[tuple[bytes, bool, int, str]] = [  # ..., the detector's kind
    (rb"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}", False, _LINE, "aws_key"),  # aws key id
    # aws secret key: `aws.{0,20}?(?:key|...).{0,20}?['"]...` (unbounded here: cheaper to compile)
    (rb"aws[^\n]*(?:key|pwd|pw|pass|token)[^\n]*['\"][0-9a-zA-Z/+]{40}['\"]", True, _LINE, "aws_key"),
    (rb"AccountKey=[a-zA-Z0-9+/=]{88}", False, _LINE, "azure_storage_key"),
    (rb"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}", False, _LINE, "github_token"),
    (rb"(?:glpat|gldt|glft|glsoat|glrt)-", False, _LINE, "gitlab_token"),
    (rb"GR1348941[A-Za-z0-9_\-]{20}", False, _LINE, "gitlab_token"),
    (rb"glcbt-", False, _LINE, "gitlab_token"),
    (rb"gl(?:imt|ptt|agent|oas)-", False, _LINE, "gitlab_token"),
    (rb"xox[abposr]-", True, _LINE, "slack_token"),
    (rb"https://hooks\.slack\.com/services/T", True, _LINE, "slack_token"),
    (rb"[rs]k_live_[0-9a-zA-Z]{24}", False, _LINE, "stripe_key"),
    (rb"AC[a-z0-9]{32}", False, _LINE, "twilio_key"),
    (rb"SK[a-z0-9]{32}", False, _LINE, "twilio_key"),
    (rb"SG\.[a-zA-Z0-9_\-]{22}\.[a-zA-Z0-9_\-]{43}", False, _LINE, "sendgrid_key"),
    (rb"[0-9a-z]{32}-us[0-9]", False, _LINE, "mailchimp_key"),
    (rb"/:_authToken=", False, _NPM, "npm_token"),
    (rb"pypi-AgEIcHlwaS5vcmc", False, _LINE, "pypi_token"),
    (rb"pypi-AgENdGVzdC5weXBpLm9yZw", False, _LINE, "pypi_token"),
    (rb"T3BlbkFJ", False, _LINE, "openai_key"),  # openai
    (rb"[MNO][a-zA-Z0-9_\-]{23,25}\.[a-zA-Z0-9_\-]{6}\.[a-zA-Z0-9_\-]{27}", False, _LINE, "discord_token"),  # discord
    (rb"[0-9]{8}:[0-9A-Za-z_\-]{35}", False, _LINE, "telegram_token"),  # telegram
    (rb"sq0csp-", False, _LINE, "square_oauth"),
    (rb"eyJ[A-Za-z0-9_=\-]+\.", False, _LINE, "jwt"),  # jwt
    (rb"://[^:/?#\[\]@!$&'()*+,;=\s]+:[^:/?#\[\]@!$&'()*+,;=\s]+@", False, _LINE, "url_password"),  # url password
    (rb"-----BEGIN ", False, _KEY, "private_key"),
    # the entropy check: a secret-looking name, an operator, the first characters of a value
    (_NAMES + rb"[A-Za-z0-9_.\-]*[\"']?" + _WS + rb"*(?::=|=>|[:=])" + _WS
     + rb"*(?:[\"'`][^\"'`\s]{8}|[A-Za-z0-9+/=_.!@%^&*~$\-]{12})", True, _ASSIGN, "high_entropy_assignment"),
]
_RULES = [rule for _p, _c, rule, _k in _TRIGGERS]
_KINDS = [kind for _p, _c, _r, kind in _TRIGGERS]
_KEY_BEGIN = re.compile(rb"-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |SSH2 ENCRYPTED |PGP )?"
                        rb"PRIVATE KEY(?: BLOCK)?)-----")
_SKIP_SPACE = re.compile(_WS + rb"*")
_BETWEEN_NAME_AND_VALUE = frozenset(b"\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f:=>\"'`" + bytes(range(0x80, 0x100)))
_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 continuation bytes: characters = bytes - these


@lru_cache(maxsize=1)
def _database():
    """The compiled Hyperscan database (once per process), or None without the package."""
    if _hs is None:
        return None
    db = _hs.Database()
    flags = [_hs.HS_FLAG_CASELESS if caseless else 0 for _p, caseless, _r, _k in _TRIGGERS]
    db.compile(expressions=[p for p, _c, _r, _k in _TRIGGERS], ids=list(range(len(_TRIGGERS))), flags=flags)
    return db


# The fallback's triggers: the same superset, each written to start with a literal (Python's `re` finds
# a literal prefix fast, an alternation or a class at ~2-20 MB/s); the caseless ones run on data.lower().
_FALLBACK_EXACT = [p for p, caseless, _r, _k in _TRIGGERS if not caseless and not p.startswith((b"[", b"(?:"))]
_FALLBACK_EXACT += [
    rb"(?:A3T|ABIA|ACCA|AKIA|ASIA)", rb"(?:ghp|gho|ghu|ghs|ghr)_", rb"(?:glpat|gldt|glft|glsoat|glrt)-",
    rb"k_live_", rb"-us[0-9](?<=[0-9a-z]{32}-us[0-9])", rb"\.(?<=[a-zA-Z0-9_\-]{23}\.)[a-zA-Z0-9_\-]{6}\.",
    rb":(?<=[0-9]{8}:)[0-9A-Za-z_\-]{35}",
]
_FALLBACK_LOWER = [rb"xox[abposr]-", rb"https://hooks\.slack\.com/services/t",
                   rb"aws[^\n]*(?:key|pwd|pw|pass|token)[^\n]*['\"][0-9a-z/+]{40}['\"]"]
_FALLBACK_LOWER += [name + rb"[a-z0-9_.\-]*[\"']?" + _WS + rb"*(?::=|=>|[:=])" + _WS
                    + rb"*(?:[\"'`][^\"'`\s]{8}|[a-z0-9+/=_.!@%^&*~$\-]{12})"
                    # every name of _NAMES contains one of these (client_secret: secret; auth_token: token)
                    for name in (rb"passw", rb"pwd", rb"secret", rb"api[_-]?key", rb"access[_-]?key",
                                 rb"private[_-]?key", rb"token", rb"credential")]


@lru_cache(maxsize=1)
def _fallback_regexes() -> tuple[list[re.Pattern], list[re.Pattern]]:
    return [re.compile(p) for p in _FALLBACK_EXACT], [re.compile(p) for p in _FALLBACK_LOWER]


def _fallback_triggers(data: Buffer) -> bool:
    exact, lower = _fallback_regexes()
    if any(rx.search(data) for rx in exact):
        return True
    low = bytes(data).lower()
    return any(rx.search(low) for rx in lower)


def backend() -> str:
    """`hyperscan` or `python-regex` (the fallback), for logs and docs."""
    return "hyperscan" if _database() is not None else "python-regex"


def _windows(data: bytes, hits: list[tuple[int, int]]) -> list[tuple[int, int, frozenset]]:
    """Merged [start, end) byte windows of whole lines (end excludes the line's newline), each with the
    kinds whose triggers fired in it: a detector's match contains a match of its trigger, so no other
    detector can match inside the window."""
    n = len(data)
    spans = []
    for tid, end in hits:
        rule = _RULES[tid]
        if rule == _LINE:
            first = last = end - 1
        elif rule == _ASSIGN:
            first = last = end - 1
            first = data.rfind(b"\n", 0, first) + 1
            while first > 0 and data[first - 1] in _BETWEEN_NAME_AND_VALUE:
                first -= 1
        elif rule == _NPM:
            first, last = end - 1, _SKIP_SPACE.match(data, end).end()
        else:  # _KEY
            m = _KEY_BEGIN.match(data, end - 11)
            if m is None:
                continue  # not a private key header: no detector matches here
            stop = data.find(b"-----END " + m.group(1) + b"-----", m.end())
            first, last = m.start(), (n if stop < 0 else stop)
        ws = data.rfind(b"\n", 0, first) + 1
        we = data.find(b"\n", min(last, n))
        spans.append((ws, n if we < 0 else we, _KINDS[tid]))
    spans.sort()
    merged: list[list] = []
    for s, e, kind in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
            merged[-1][2].add(kind)
        else:
            merged.append([s, e, {kind}])
    return [(s, e, frozenset(k)) for s, e, k in merged]


def _chars(data: bytes, pos: int) -> int:
    """Characters in data[:pos] (valid UTF-8)."""
    return len(data[:pos].translate(None, _CONTINUATION))


def _scan(data: Buffer, text: Optional[str]) -> list[Finding]:
    db = _database()
    if db is None:
        if not _fallback_triggers(data):
            return []
        if text is None:
            try:
                text = str(data, "utf-8")
            except UnicodeDecodeError:
                return []
        return find_secrets(text)
    hits: list[tuple[int, int]] = []
    db.scan(data, match_event_handler=lambda tid, _start, end, _flags, _ctx: hits.append((tid, end)))
    if not hits:
        return []
    data = bytes(data)
    if text is None:
        try:
            text = data.decode("utf-8")  # the miner drops contents that are not UTF-8 (not_utf8)
        except UnicodeDecodeError:
            return []
    ascii_only = len(text) == len(data)
    found: list[Finding] = []
    for ws, we, kinds in _windows(data, hits):
        cs, ce = (ws, we) if ascii_only else (_chars(data, ws), _chars(data, we))
        for f in find_secrets(text[cs:ce], kinds):
            found.append(Finding(f.kind, f.start + cs, f.end + cs))
    return found


def scan_buffer(data: Optional[Buffer]) -> list[Finding]:
    """`find_secrets` of the UTF-8 text in `data` (bytes, a memoryview, a pygit2 Blob through
    memoryview), decoding only when a trigger fired; [] for None, empty or non-UTF-8 data."""
    if data is None:
        return []
    mv = memoryview(data)
    if not mv.nbytes:
        return []
    return _scan(mv, None)


def scan_text_fast(text: Optional[str]) -> list[Finding]:
    """Same findings as `find_secrets(text)` (see the module doc for the one deliberate difference)."""
    if not text:
        return []
    return _scan(text.encode("utf-8", "surrogatepass"), text)

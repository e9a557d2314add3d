"""Personal data in commit messages: e-mail addresses, and the names in `Signed-off-by:`, `Co-authored-by:`
(and the other Git trailers that name people), replaced by placeholders. Pure Python.

Placeholders are `<EMAIL_n>` / `<PERSON_n>` numbered by first appearance in the message (the same address
gets the same number within a message) unless a key is given (`OCTOPACK_PII_KEY` in the environment, never
stored with the data): then `n` is an HMAC-SHA256 of the lower-cased address (or name) under that key, the same
for a person across the whole dataset, and nobody without the key can confirm a guessed address.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Optional

TRAILERS = ("Signed-off-by", "Co-authored-by", "Co-Authored-By", "Reviewed-by", "Acked-by", "Tested-by",
            "Reported-by", "Suggested-by", "Helped-by", "Cc")
_TRAILER = re.compile(r"(?im)^(?P<key>" + "|".join(re.escape(t) for t in TRAILERS) + r"):[ \t]*(?P<name>[^<\n]*?)"
                      r"[ \t]*(?:<(?P<email>[^>\n]*)>)?[ \t]*$")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
KEY_ENV = "OCTOPACK_PII_KEY"


class _Namer:
    def __init__(self, key: Optional[str]):
        self.key = key.encode() if key else None
        self.seen: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, value: str) -> str:
        ident = (kind, value.strip().lower())
        if ident not in self.seen:
            if self.key:
                tag = hmac.new(self.key, f"{kind}:{ident[1]}".encode(), hashlib.sha256).hexdigest()[:10]
            else:
                tag = str(1 + sum(1 for k in self.seen if k[0] == kind))
            self.seen[ident] = f"<{kind}_{tag}>"
        return self.seen[ident]


def pseudonymize(message: Optional[str], key: Optional[str] = None) -> Optional[str]:
    """`message` with trailer names and every e-mail address replaced by placeholders. `key` defaults to
    $OCTOPACK_PII_KEY (numbered placeholders without it)."""
    if not message or ("@" not in message and "-by:" not in message.lower() and "cc:" not in message.lower()):
        return message
    name = _Namer(key if key is not None else os.environ.get(KEY_ENV))

    def trailer(m: re.Match) -> str:
        who, email = m.group("name").strip(), m.group("email")
        person = name("PERSON", email or who) if who else ""
        parts = [f"{m.group('key')}:", person, name("EMAIL", email) if email else ""]
        return " ".join(p for p in parts if p)

    out = _TRAILER.sub(trailer, message)
    return _EMAIL.sub(lambda m: name("EMAIL", m.group(0)), out)

"""Secrets in file contents and commit messages: find them (kind and span, never the value kept) and
redact them with a placeholder per kind. Pure Python: no Spark; the jobs call it per row.

Detectors:
- the regular expressions of Yelp's `detect-secrets` plugins (pinned in setup.cfg), used as a library on
  whole strings (not per line, not through its CLI): AWS, Azure storage, GitHub, GitLab, Slack, Stripe,
  Twilio, SendGrid, Mailchimp, npm, PyPI, OpenAI, Discord, Telegram, Square, JWT, URL credentials, private
  key blocks (the whole `-----BEGIN ... PRIVATE KEY-----` ... `-----END ...-----` block is the span);
- an entropy check of ours: a value assigned to a secret-looking name (`password`, `api_key`, `token`,
  `client_secret`, ... in code, YAML, JSON, INI and .env files) that is long and random enough
  (Shannon entropy per character), skipping placeholders (`changeme`, `${VAR}`, `<your-key>`, `xxxx`, ...).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional

# detect-secrets plugin module -> our kind (also the placeholder: <SECRET_{KIND.upper()}>)
_PLUGINS = {
    "aws.AWSKeyDetector": "aws_key",
    "azure_storage_key.AzureStorageKeyDetector": "azure_storage_key",
    "github_token.GitHubTokenDetector": "github_token",
    "gitlab_token.GitLabTokenDetector": "gitlab_token",
    "slack.SlackDetector": "slack_token",
    "stripe.StripeDetector": "stripe_key",
    "twilio.TwilioKeyDetector": "twilio_key",
    "sendgrid.SendGridDetector": "sendgrid_key",
    "mailchimp.MailchimpDetector": "mailchimp_key",
    "npm.NpmDetector": "npm_token",
    "pypi_token.PypiTokenDetector": "pypi_token",
    "openai.OpenAIDetector": "openai_key",
    "discord.DiscordBotTokenDetector": "discord_token",
    "telegram_token.TelegramBotTokenDetector": "telegram_token",
    "square_oauth.SquareOAuthDetector": "square_oauth",
    "jwt.JwtTokenDetector": "jwt",
    "basic_auth.BasicAuthDetector": "url_password",
}
_PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |SSH2 ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:.*?-----END \1-----|.*\Z)", re.S)
_SECRET_NAME = (r"(?:[A-Za-z0-9_.-]*(?:passw(?:or)?d|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key|"
                r"auth[_-]?token|access[_-]?token|private[_-]?key|client[_-]?secret|token|credentials?)"
                r"[A-Za-z0-9_.-]*)")
_ASSIGNED = re.compile(
    r"""(?i)(?<![A-Za-z0-9])["']?""" + _SECRET_NAME + r"""["']?\s*(?::=|=>|[:=])\s*"""
    r"""(?:(["'`])([^"'`\s]{8,200})\1|([A-Za-z0-9+/=_.!@%^&*~$-]{12,200})(?=[\s"'`,;#]|$))""", re.M)
_PLACEHOLDER = re.compile(r"(?i)example|changeme|change_me|placeholder|your[_-]|xxxx|\*\*\*|dummy|redacted|"
                          r"<[^>]*>|\$\{|\{\{|%\(|^\$|process\.env|os\.environ|getenv|://|"
                          r"^(?:true|false|null|none|nil)$")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(\))?|[A-Z0-9_]+|[a-z0-9]+(?:_[a-z0-9]+)+"
                         r"|[A-Za-z_][\w]*\(\)")
MIN_ENTROPY = 3.0
MIN_ASSIGNED_CHARS = 12  # shorter assigned values are test fixtures ("abc123456") more often than keys  # bits per character: random base64/hex keys have 3.5-6; words and identifiers less
PLACEHOLDER_FORMAT = "<SECRET_{}>"


@dataclass(frozen=True)
class Finding:
    kind: str  # aws_key, private_key, high_entropy_assignment, ...
    start: int  # character offsets of the secret in the scanned string
    end: int

    def to_dict(self, field: str) -> dict:
        return {"kind": self.kind, "field": field, "start": self.start, "end": self.end}


@lru_cache(maxsize=1)
def _detectors() -> list[tuple[str, re.Pattern]]:
    import importlib

    out = []
    for ref, kind in _PLUGINS.items():
        mod_name, cls_name = ref.split(".")
        cls = getattr(importlib.import_module(f"detect_secrets.plugins.{mod_name}"), cls_name)
        for rx in cls().denylist:
            # detect-secrets only needs a match, so its JWT pattern ends lazily (`*?`) and matches no
            # signature; a redaction needs the whole token.
            pattern = rx.pattern[:-2] + "*" if kind == "jwt" and rx.pattern.endswith("*?") else rx.pattern
            out.append((kind, re.compile(pattern, rx.flags | re.M)))
    return out


def shannon_entropy(text: str) -> float:
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _looks_random(value: str) -> bool:
    if _PLACEHOLDER.search(value) or not re.search(r"\d", value) or not re.search(r"[A-Za-z]", value):
        return False
    if _IDENTIFIER.fullmatch(value):
        return False  # an attribute path, a call, a constant's or a variable's name (settings.API_KEY_V2)
    return len(value) >= MIN_ASSIGNED_CHARS and shannon_entropy(value) >= MIN_ENTROPY


def _plausible(kind: str, text: str, start: int, end: int) -> bool:
    """Checks a detect-secrets match must also pass here: an AWS key id is a whole word (not 20 letters
    inside a DNA string); a password in a URL is not a word or a placeholder (`user:pass@`, `{}:{}@`)."""
    if kind == "aws_key" and end - start == 20:
        return not (start > 0 and text[start - 1].isalnum()) and not (end < len(text) and text[end].isalnum())
    if kind == "url_password":
        value = text[start:end]
        return len(value) >= 8 and not _PLACEHOLDER.search(value) and shannon_entropy(value) >= MIN_ENTROPY
    return True


def _span_of(m: re.Match) -> tuple[int, int]:
    for g in range(len(m.groups()), 0, -1):
        if m.group(g) and len(m.group(g)) >= 8:  # a capturing group that holds the secret (not a prefix)
            return m.span(g)
    start, end = m.span()
    text = m.group(0)
    lead = len(text) - len(text.lstrip(" \t\r\n=:\"'"))
    trail = len(text) - len(text.rstrip(" \t\r\n\"'"))
    return start + lead, end - trail


def find_secrets(text: Optional[str], kinds: Optional[frozenset] = None) -> list[Finding]:
    """Every secret found in `text`, as (kind, start, end), sorted, overlaps merged (first kind kept).
    `kinds` runs only those detectors (secrets_fast: the others cannot match where none of their
    triggers fired); None runs all."""
    if not text:
        return []
    found = ([Finding("private_key", m.start(), m.end()) for m in _PRIVATE_KEY.finditer(text)]
             if kinds is None or "private_key" in kinds else [])
    if kinds is None or not kinds <= _OWN_KINDS:
        for kind, rx in _detectors():
            if kinds is not None and kind not in kinds:
                continue
            for m in rx.finditer(text):
                start, end = _span_of(m)
                if end > start and _plausible(kind, text, start, end):
                    found.append(Finding(kind, start, end))
    if kinds is None or "high_entropy_assignment" in kinds:
        for m in _ASSIGNED.finditer(text):
            value_group = 2 if m.group(2) else 3
            if _looks_random(m.group(value_group)):
                found.append(Finding("high_entropy_assignment", *m.span(value_group)))
    return _merge(found)


_OWN_KINDS = frozenset({"private_key", "high_entropy_assignment"})  # not from detect-secrets


def _merge(found: Iterable[Finding]) -> list[Finding]:
    out: list[Finding] = []
    # Overlaps keep the earliest, longest finding; a named detector wins over the entropy check.
    for f in sorted(found, key=lambda f: (f.start, f.kind == "high_entropy_assignment", -(f.end - f.start))):
        if out and f.start < out[-1].end:
            last = out[-1]
            out[-1] = Finding(last.kind, last.start, max(last.end, f.end))
        else:
            out.append(f)
    return out


def placeholder(kind: str) -> str:
    return PLACEHOLDER_FORMAT.format(kind.upper())


def redact(text: Optional[str], findings: Optional[list[Finding]] = None) -> Optional[str]:
    """`text` with each secret replaced by its kind's placeholder (e.g. `<SECRET_AWS_KEY>`)."""
    if not text:
        return text
    findings = find_secrets(text) if findings is None else findings
    parts, pos = [], 0
    for f in findings:
        parts += [text[pos:f.start], placeholder(f.kind)]
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def scan_fields(row: dict, fields: Iterable[str]) -> list[dict]:
    """Findings over several string fields of a row, as the `secrets` column's structs
    {kind, field, start, end} (no secret value)."""
    return [f.to_dict(name) for name in fields for f in find_secrets(row.get(name))]

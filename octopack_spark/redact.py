"""The one place that removes secrets from what octopack-spark writes or prints.

Everything that leaves a process — manifest.json (`config`), `_log/*.json` intent records, the `errors` and
`state` tables (`repo_url`, `message`), log lines, `--print-config` — must pass through here first:

- `redact_config(d)`: a config-like mapping (nested dicts/lists, e.g. `PipelineConfig.model_dump()` or a
  Spark conf). The value of a key that looks secret (`secret`, `password`, `token`, `credential`,
  `signature`, `key`, ... as a word of the key name: `secret_access_key`, `session_token`,
  `spark.hadoop.fs.s3a.secret.key`, `fs.azure.account.key.acct.blob.core.windows.net`,
  `spark.ssl.keyStorePassword`) becomes "***" when it is a non-empty string, a list or a mapping; numbers
  and booleans under such keys stay (`ft.tokens.chars_per_token: 3.5` is not a secret). Every other string
  goes through `redact_text`, so a URL with a password anywhere in the config is cleaned too.
- `redact_url(url)`: one URL; user info (`https://user:TOKEN@host/…` → `https://***@host/…`) and secret
  query parameters (`?token=…`, `X-Amz-Signature=…`, `sig=…`) are masked.
- `redact_text(text)`: free text such as an error message or a log line; masks URLs with user info
  (also without a scheme: `user:TOKEN@host`), `key=value` / `key: value` / `"key": "value"` pairs whose
  key looks secret, `Authorization: Bearer …`, and GitHub/GitLab/Slack token formats.
- `redact(value)`: any of these by type (mapping → redact_config, string → redact_text, list → each).

It errs towards masking: a false positive hides a harmless value, a false negative leaks a secret. Names
and numbers are kept, so a redacted config still says which settings were used (and config hashes still
change when a non-secret setting does). Redaction cannot recognise a secret that is neither in a URL nor
under a secret-looking name (e.g. a bare token passed as a repository name).
"""

from __future__ import annotations

import os
import re
from typing import Any, Optional
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

MASK = "***"

# Words of a key name that mark its value as secret ("secret_access_key" -> secret, access, key).
SECRET_WORDS = frozenset({
    "secret", "secrets", "password", "passwd", "pwd", "passphrase", "token", "credential", "credentials",
    "signature", "sig", "key", "apikey", "authorization", "cookie", "privatekey",
})
# Compound words that end like a secret word ("accesskey", "authtoken", "dbpassword").
SECRET_SUFFIXES = ("key", "token", "secret", "password", "passwd", "credential", "credentials")

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")

# Pieces of text that look like a secret key name, for key=value pairs in free text. Each alternative ends
# at a non-letter, so `min_tokens=50` and `tokenizer=x` are left alone.
_SECRET_NAME = (r"(?:secret|password|passwd|passphrase|pwd|token|credentials?|signature|sig|"
                r"(?:access|secret|private|api|account|encryption|signing)[_.\- ]?key)(?![a-z])")
_KEY_VALUE = re.compile(
    r"(?P<key>[A-Za-z0-9_.\-]*" + _SECRET_NAME + r"[A-Za-z0-9_.\-]*)"
    r"(?P<sep>[\"']?\s*[:=]\s*)"
    r"(?P<value>\"[^\"\n]*\"?|'[^'\n]*'?|[^\s\"',;&)}\]]+)",
    re.IGNORECASE,
)
# scheme://userinfo@host — the greedy userinfo runs to the last '@' before the path, so a password that
# contains an unescaped '@' is masked whole.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#\s\"'<>]+)@")
# user:password@host without a scheme (git and libgit2 messages print remotes this way).
_BARE_USERINFO = re.compile(r"(?<![\w/@:*])(?P<user>[\w.%+\-]+):(?P<password>[^\s/:\"']+)@(?=[\w\-]+(?:\.[\w\-]+)+)")
_AUTHORIZATION = re.compile(r"(?P<head>\bauthorization\b[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\"'\n,;]+)", re.IGNORECASE)
_BEARER = re.compile(r"(?P<head>\b(?:bearer|basic)\s+)(?P<value>[A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)
_TOKEN_FORMATS = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,}"
    r"|xox[abprs]-[A-Za-z0-9\-]{10,})\b")


def key_words(name: str) -> list[str]:
    """`spark.hadoop.fs.s3a.secretKey` -> ['spark', 'hadoop', 'fs', 's3a', 'secret', 'key']."""
    return [w.lower() for w in _WORD_SPLIT.split(str(name)) if w]


def is_secret_key(name: str) -> bool:
    """Whether a setting or field called `name` holds a secret (by the words of its name)."""
    for w in key_words(name):
        if w in SECRET_WORDS or w.endswith(SECRET_SUFFIXES):
            return True
    return False


def redact_url(url: str) -> str:
    """`url` with its user info and secret query parameters masked; anything that is not a URL with a
    host goes through `redact_text`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if not parts.scheme or not parts.netloc:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_key(k) for k, _ in pairs):
            query = "&".join(f"{quote(k, safe='')}={MASK if is_secret_key(k) else quote(v, safe='')}"
                             for k, v in pairs)
    return urlunsplit((parts.scheme, netloc, redact_text(parts.path), query, redact_text(parts.fragment)))


def redact_text(text: str) -> str:
    """Free text (an error message, a log line, a repository URL) with every recognisable secret masked."""
    if not text:
        return text
    out = _URL_USERINFO.sub(lambda m: m.group("scheme") + MASK + "@", text)
    out = _BARE_USERINFO.sub(lambda m: m.group("user") + ":" + MASK + "@", out)
    out = _AUTHORIZATION.sub(lambda m: m.group("head") + MASK, out)
    out = _BEARER.sub(lambda m: m.group("head") + MASK, out)
    out = _KEY_VALUE.sub(_mask_value, out)
    out = _TOKEN_FORMATS.sub(MASK, out)
    return out


def _mask_value(m: re.Match) -> str:
    value = m.group("value")
    quote_char = value[0] if value[0] in "\"'" else ""
    return m.group("key") + m.group("sep") + quote_char + MASK + quote_char


def redact_config(config: Any) -> Any:
    """A copy of a config-like value (mappings, lists, scalars) with secrets masked; see the module doc."""
    if isinstance(config, dict):
        out = {}
        for k, v in config.items():
            if is_secret_key(k) and _maskable(v):
                out[k] = MASK
            else:
                out[k] = redact_config(v)
        return out
    if isinstance(config, (list, tuple)):
        return [redact_config(v) for v in config]
    if isinstance(config, str):
        return redact_text(config)
    return config


def redact(value: Any) -> Any:
    """Redact by type: a mapping as a config, a string as text, a list item by item; other values as given."""
    return redact_config(value)


def _maskable(v: Any) -> bool:
    if isinstance(v, (str, bytes)):
        return len(v) > 0
    return isinstance(v, (dict, list, tuple)) and len(v) > 0


def portable_ref(ref: Optional[str], base: Optional[str] = None) -> Optional[str]:
    """What published metadata (data card, stats.json) may say about a location: URIs with their
    credentials masked; a local absolute path relative to `base` (the dataset's root) when one is given,
    else its file name. A machine's absolute paths are never published; other strings pass unchanged."""
    if not ref:
        return ref
    if "://" in ref:
        return redact_url(ref)
    if not os.path.isabs(ref):
        return redact_text(ref)
    if base and "://" not in base and os.path.isabs(base):
        return os.path.relpath(ref, base)
    return os.path.basename(ref.rstrip("/")) or "."

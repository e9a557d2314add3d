"""Stable identifiers: row ids from (repo, commit, path) and salted author ids (no raw e-mails)."""

from __future__ import annotations

import hashlib


def row_id(repo: str, commit: str, path: str) -> str:
    """128-bit hex id of one file change; the same inputs give the same id on every machine and run."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repo.encode("utf-8", "surrogatepass"))
    h.update(b"\0")
    h.update(commit.encode("ascii"))
    h.update(b"\0")
    h.update(path.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def author_id(email: bytes, salt: str) -> str:
    """Salted hash of a normalised author e-mail; the e-mail itself is never stored."""
    h = hashlib.blake2b(digest_size=12, key=hashlib.sha256(salt.encode()).digest()[:32])
    h.update(email.strip().lower())
    return h.hexdigest()

"""The one n-gram hashing scheme of the ft stage: MinHash shingles (ft.dedup) and decontamination
n-grams (ft.decont) both hash tokens with zlib.crc32 and combine `n` consecutive token hashes with fixed
position multipliers and the splitmix64 finaliser. Never Python's `hash()`: it is salted per process and
would give executors different values. A leaf module: numpy and zlib only.
"""

from __future__ import annotations

import zlib
from typing import Iterable

import numpy as np

# Position multipliers for the n-gram combination: fixed odd 64-bit constants from a seeded generator.
POS_MULT = (np.random.default_rng(0x5EED).integers(1, 2**63, size=64, dtype=np.uint64) * np.uint64(2)
            + np.uint64(1))


def crc32_hashes(tokens: Iterable[bytes]) -> np.ndarray:
    """One uint64 (a crc32) per token."""
    return np.fromiter(map(zlib.crc32, tokens), dtype=np.uint64)


def mix64(h: np.ndarray) -> np.ndarray:
    # splitmix64 finaliser: spreads the combined token hashes over all 64 bits.
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def window_hashes(tok: np.ndarray, n: int) -> np.ndarray:
    """64-bit hashes of every window of `n` consecutive token hashes (one window if fewer tokens)."""
    if n > len(POS_MULT):
        raise ValueError(f"n-gram size {n} > {len(POS_MULT)}")
    m = len(tok)
    if m == 0:
        return np.empty(0, dtype=np.uint64)
    if m < n:
        n = m
    w = m - n + 1
    h = tok[:w] * POS_MULT[0]
    for i in range(1, n):
        h = h + tok[i:i + w] * POS_MULT[i]
    return mix64(h + np.uint64(n))

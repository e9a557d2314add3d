"""MinHash signatures for a batch of documents: pure functions, no Spark.

`rensa` backend (default): our tokens and 64-bit shingle hashes (shingles.py) go to rensa's
`RMinHash.digest_matrix_from_flat_token_hashes`, which computes R-MinHash signatures in Rust for the whole
batch in one call. Measured here (benchmarks/minhash_bench.py) it is the fastest option; rensa runs
single-threaded inside Spark tasks (RAYON_NUM_THREADS=1, set before its first use) so a task uses one core.

`numpy` backend: classical MinHash, each shingle's 64-bit hash h goes through num_perm hash functions
h_k(x) = top 32 bits of (a_k * x + b_k) mod 2^64 (multiply-add-shift with odd a_k; the input is already
a mixed 64-bit hash), and the signature keeps the minimum per k. All shingles of a batch are hashed in
one vectorised pass and reduced per document with `np.minimum.reduceat`, so Python work is per batch,
not per shingle. `datasketch`: the library's MinHash over shingle strings (a slow baseline).
Signatures of the three backends are not interchangeable, so a run uses one backend throughout.

A document with fewer than `min_tokens` tokens gets no signature (`valid` False).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from octopack_spark.ft.dedup.shingles import shingle_hashes, shingle_strings, token_hashes, tokens

# Shingles hashed per vectorised step; bounds the (num_perm x chunk) uint64 temporary to ~64 MB at 128 perms.
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Permutations:
    a: np.ndarray  # (num_perm,) odd uint64
    b: np.ndarray  # (num_perm,) uint64

    @classmethod
    def make(cls, num_perm: int, seed: int) -> "Permutations":
        rng = np.random.default_rng(seed)
        a = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        return cls(a, b)


def _minhash_block(h: np.ndarray, perms: Permutations, offsets: np.ndarray) -> np.ndarray:
    """(len(offsets), num_perm) uint32 minima of the docs whose shingles start at `offsets` in `h`."""
    v = (h[:, None] * perms.a[None, :] + perms.b[None, :]) >> np.uint64(32)
    return np.minimum.reduceat(v, offsets, axis=0).astype(np.uint32)


def numpy_signatures(shingles: Sequence[np.ndarray], perms: Permutations) -> np.ndarray:
    """(n_docs, num_perm) uint32 signatures; an empty shingle array gives all-0xFFFFFFFF."""
    k = len(perms.a)
    out = np.full((len(shingles), k), 0xFFFFFFFF, dtype=np.uint32)
    i, n = 0, len(shingles)
    while i < n:
        if len(shingles[i]) == 0:
            i += 1
            continue
        if len(shingles[i]) >= _CHUNK:  # one big document: min over chunks
            h = shingles[i]
            acc = out[i]
            for s in range(0, len(h), _CHUNK):
                acc = np.minimum(acc, _minhash_block(h[s:s + _CHUNK], perms, np.array([0]))[0])
            out[i] = acc
            i += 1
            continue
        # Group consecutive non-empty small documents until the chunk is full.
        j, total, idx = i, 0, []
        while j < n and len(shingles[j]) < _CHUNK and total + len(shingles[j]) <= _CHUNK:
            if len(shingles[j]):
                idx.append(j)
                total += len(shingles[j])
            j += 1
        parts = [shingles[t] for t in idx]
        offsets = np.zeros(len(parts), dtype=np.int64)
        np.cumsum([len(p) for p in parts[:-1]], out=offsets[1:])
        out[idx] = _minhash_block(np.concatenate(parts), perms, offsets)
        i = j
    return out


def rensa_signatures(shingles: Sequence[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """(n_docs, num_perm) uint32 R-MinHash signatures of pre-hashed shingles; empty docs give all-0xFFFFFFFF."""
    import os

    # Rayon sizes its pool at first use; inside a Spark task one thread is the core we were given.
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    from rensa import RMinHash

    out = np.full((len(shingles), num_perm), 0xFFFFFFFF, dtype=np.uint32)
    idx = [i for i, s in enumerate(shingles) if len(s)]
    if not idx:
        return out
    offsets = np.zeros(len(idx) + 1, dtype=np.uint64)
    np.cumsum([len(shingles[i]) for i in idx], out=offsets[1:])
    flat = np.concatenate([shingles[i] for i in idx])
    m = RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, num_perm, seed)
    out[idx] = np.asarray(m.to_rows(), dtype=np.uint64).astype(np.uint32)
    return out


def _datasketch_signature(text: str, n: int, lowercase: bool, num_perm: int, seed: int) -> np.ndarray:
    from datasketch import MinHash

    m = MinHash(num_perm=num_perm, seed=seed)
    m.update_batch(shingle_strings(text, n, lowercase))
    return m.hashvalues.astype(np.uint32)


def signatures(texts: Sequence[str | None], *, ngram_size: int, num_perm: int, seed: int,
               min_tokens: int = 1, lowercase: bool = False, backend: str = "rensa",
               perms: Permutations | None = None, return_counts: bool = False):
    """Signatures (n, num_perm) uint32 and a bool mask of documents that got one (plus, with
    `return_counts`, each document's token count)."""
    valid = np.zeros(len(texts), dtype=bool)
    counts = np.zeros(len(texts), dtype=np.int64)
    if backend in ("numpy", "rensa"):
        sh = []
        for i, t in enumerate(texts):
            tok = token_hashes(t, lowercase) if t else np.empty(0, dtype=np.uint64)
            counts[i] = len(tok)
            if len(tok) >= min_tokens and len(tok) > 0:
                valid[i] = True
                sh.append(shingle_hashes(tok, ngram_size))
            else:
                sh.append(np.empty(0, dtype=np.uint64))
        if backend == "rensa":
            sig = rensa_signatures(sh, num_perm, seed)
        else:
            sig = numpy_signatures(sh, perms or Permutations.make(num_perm, seed))
        return (sig, valid, counts) if return_counts else (sig, valid)
    if backend != "datasketch":
        raise ValueError(f"unknown MinHash backend {backend!r} (expected rensa, numpy or datasketch)")
    out = np.full((len(texts), num_perm), 0xFFFFFFFF, dtype=np.uint32)
    for i, t in enumerate(texts):
        counts[i] = len(tokens(t, lowercase)) if t else 0
        if counts[i] >= min_tokens and counts[i] > 0:
            valid[i] = True
            out[i] = _datasketch_signature(t, ngram_size, lowercase, num_perm, seed)
    return (out, valid, counts) if return_counts else (out, valid)

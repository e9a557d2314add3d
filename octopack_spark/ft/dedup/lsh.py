"""LSH banding parameters and a pure-Python reference of banding + clustering (no Spark).

The Spark stage (minhash.py) bands with `xxhash64(band, slice(sig, ...))` in SQL; `band_keys` here is the
same idea in numpy, used by the benchmark and the tests as an oracle for what Spark must find.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def collision_probability(s: float | np.ndarray, bands: int, rows: int):
    """P(two documents with Jaccard s share at least one band)."""
    return 1.0 - (1.0 - np.power(s, rows)) ** bands


def s_curve_threshold(bands: int, rows: int) -> float:
    """Jaccard at which the collision probability is about one half ((1/b)^(1/r), the usual estimate)."""
    return float((1.0 / bands) ** (1.0 / rows))


def _area(f, a: float, b: float, n: int = 400) -> float:
    if b <= a:
        return 0.0
    x = np.linspace(a, b, n)
    y = f(x)
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


@lru_cache(maxsize=256)
def optimal_bands_rows(threshold: float, num_perm: int, fp_weight: float = 0.5,
                       fn_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimising fp_weight * P(collide | s < threshold) area +
    fn_weight * P(miss | s >= threshold) area (the text-dedup / datasketch criterion). Ties go to the
    layout using fewer permutations, then to more bands: deterministic."""
    best = None
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _area(lambda s: collision_probability(s, b, r), 0.0, threshold)
            fn = _area(lambda s: 1.0 - collision_probability(s, b, r), threshold, 1.0)
            err = fp_weight * fp + fn_weight * fn
            key = (round(err, 12), b * r, -b)
            if best is None or key < best[0]:
                best = (key, b, r)
    return best[1], best[2]


def resolve_bands_rows(cfg) -> tuple[int, int]:
    """The layout a MinHashConfig asks for: explicit bands/rows, else the optimum for its threshold."""
    if cfg.bands is not None:
        return cfg.bands, cfg.rows
    return optimal_bands_rows(cfg.threshold, cfg.num_perm, cfg.fp_weight, cfg.fn_weight)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 keys: rows of equal key in the same band column are LSH candidates."""
    from octopack_spark.ft.hashing import POS_MULT, mix64

    n = sigs.shape[0]
    s = sigs[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    h = np.zeros((n, bands), dtype=np.uint64)
    for i in range(rows):
        h = h + s[:, :, i] * POS_MULT[i]
    return mix64(h + np.arange(bands, dtype=np.uint64)[None, :])


def clusters_reference(ids: list[str], sigs: np.ndarray, valid: np.ndarray, bands: int, rows: int,
                       threshold: float | None = None) -> dict[str, str]:
    """Driver-side reference clustering for small inputs (tests, benchmark): {id: smallest id of its
    component} for ids in a component of size >= 2. Same edges as the Spark stage: every bucket member
    links to the bucket's smallest id; with `threshold`, only if the signatures agree on >= threshold."""
    keys = band_keys(sigs, bands, rows)
    parent = {i: i for i in ids}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    idx = [i for i in range(len(ids)) if valid[i]]
    for b in range(bands):
        buckets: dict[int, list[int]] = {}
        for i in idx:
            buckets.setdefault(int(keys[i, b]), []).append(i)
        for members in buckets.values():
            if len(members) < 2:
                continue
            root = min(members, key=lambda i: ids[i])
            for m in members:
                if m == root:
                    continue
                if threshold is not None and np.mean(sigs[m] == sigs[root]) < threshold:
                    continue
                a, c = find(ids[m]), find(ids[root])
                if a != c:
                    parent[max(a, c)] = min(a, c)
    comp = {i: find(i) for i in ids}
    sizes: dict[str, int] = {}
    for r in comp.values():
        sizes[r] = sizes.get(r, 0) + 1
    return {i: r for i, r in comp.items() if sizes[r] >= 2}

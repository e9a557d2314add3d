import numpy as np
import pytest
from pydantic import ValidationError

from octopack_spark.ft.dedup.config import MinHashConfig
from octopack_spark.ft.dedup.lsh import (band_keys, clusters_reference, collision_probability,
                                         optimal_bands_rows, resolve_bands_rows, s_curve_threshold)
from octopack_spark.ft.dedup.shingles import document_text
from octopack_spark.ft.dedup.signatures import signatures
from tests.ft.dedup.commit_rows import planted_dataset


def test_default_layout_favours_recall_above_threshold():
    cfg = MinHashConfig()
    b, r = resolve_bands_rows(cfg)
    assert (b, r) == (28, 9) and b * r <= cfg.num_perm
    assert collision_probability(0.8, b, r) > 0.98
    assert collision_probability(0.3, b, r) < 0.001
    assert 0.65 < s_curve_threshold(b, r) < 0.72


def test_optimiser_moves_with_threshold_and_weights():
    lo = optimal_bands_rows(0.6, 128)
    hi = optimal_bands_rows(0.85, 128)
    assert s_curve_threshold(*lo) < s_curve_threshold(*hi)
    recall_first = optimal_bands_rows(0.75, 128, 0.1, 0.9)
    precision_first = optimal_bands_rows(0.75, 128, 0.9, 0.1)
    assert collision_probability(0.75, *recall_first) > collision_probability(0.75, *precision_first)


def test_explicit_layout_and_validation():
    assert resolve_bands_rows(MinHashConfig(num_perm=128, bands=16, rows=8)) == (16, 8)
    with pytest.raises(ValidationError, match="exceeds num_perm"):
        MinHashConfig(num_perm=64, bands=16, rows=8)
    with pytest.raises(ValidationError, match="set together"):
        MinHashConfig(bands=16)
    with pytest.raises(ValidationError):
        MinHashConfig(nonsense=1)


def test_band_keys_equal_exactly_when_band_equal():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 2**32, size=(3, 12), dtype=np.uint64).astype(np.uint32)
    s[1, 4:8] = s[0, 4:8]  # same band 1 only
    k = band_keys(s, 3, 4)
    assert k[0, 1] == k[1, 1] and k[0, 0] != k[1, 0] and k[0, 2] != k[1, 2]
    assert k[2, 0] != k[2, 1]  # band index is part of the key


def test_reference_clustering_recovers_planted_clusters():
    rows, expected = planted_dataset()
    texts = [document_text("change", r["subject"], r["old_contents"], r["new_contents"]) for r in rows]
    sig, valid = signatures(texts, ngram_size=5, num_perm=256, seed=42, min_tokens=20)
    got = clusters_reference([r["row_id"] for r in rows], sig, valid, 28, 9, threshold=0.7)
    comps = {}
    for rid, root in got.items():
        comps.setdefault(root, set()).add(rid)
    assert sorted(map(sorted, comps.values())) == sorted(map(sorted, expected.values()))

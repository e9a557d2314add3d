import subprocess
import sys

import numpy as np
import pytest

from octopack_spark.ft.dedup import signatures as sigmod
from octopack_spark.ft.dedup.shingles import shingle_hashes, token_hashes
from octopack_spark.ft.dedup.signatures import Permutations, numpy_signatures, signatures


def _pairs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(4000)]
    out = []
    for _ in range(n):
        w = list(rng.choice(vocab, 300))
        b = list(w)
        for j in rng.choice(len(b), int(rng.integers(0, 45)), replace=False):
            b[j] = f"z{rng.integers(10**9)}"
        out.append((" ".join(w), " ".join(b)))
    return out


def _true_jaccard(a, b, n=5):
    x = set(shingle_hashes(token_hashes(a), n).tolist())
    y = set(shingle_hashes(token_hashes(b), n).tolist())
    return len(x & y) / len(x | y)


@pytest.mark.parametrize("backend", ["rensa", "numpy", "datasketch"])
def test_signature_agreement_estimates_jaccard(backend):
    pairs = _pairs()
    texts = [t for p in pairs for t in p]
    sig, valid = signatures(texts, ngram_size=5, num_perm=256, seed=1, backend=backend)
    assert valid.all() and sig.shape == (len(texts), 256) and sig.dtype == np.uint32
    est = np.array([np.mean(sig[2 * i] == sig[2 * i + 1]) for i in range(len(pairs))])
    true = np.array([_true_jaccard(a, b) for a, b in pairs])
    assert true.min() < 0.6 and true.max() > 0.95  # the pairs span the interesting range
    err = est - true
    # MinHash with k=256 has sd sqrt(J(1-J)/k) <= 0.031: no bias, error of that order.
    assert abs(err.mean()) < 0.01
    assert np.sqrt(np.mean(err ** 2)) < 0.04


@pytest.mark.parametrize("backend", ["rensa", "numpy"])
def test_identical_and_short_documents(backend):
    doc = "for i in range(10): total += values[i] * weights[i]"
    sig, valid = signatures([doc, doc, "x = 1", None, ""], ngram_size=5, num_perm=64, seed=3,
                            min_tokens=10, backend=backend)
    assert valid.tolist() == [True, True, False, False, False]
    assert np.array_equal(sig[0], sig[1])
    assert (sig[2:] == 0xFFFFFFFF).all()  # no signature: never equal to a real one by chance of content


def test_seed_changes_signatures():
    doc = ["alpha beta gamma delta epsilon zeta eta theta iota kappa"]
    a, _ = signatures(doc, ngram_size=3, num_perm=32, seed=1)
    b, _ = signatures(doc, ngram_size=3, num_perm=32, seed=2)
    assert not np.array_equal(a, b)


def test_numpy_chunking_matches_direct_minimum(monkeypatch):
    rng = np.random.default_rng(5)
    docs = [rng.integers(0, 2**63, size=s, dtype=np.uint64) for s in (3, 0, 50, 7, 1, 40)]
    perms = Permutations.make(16, 9)
    direct = np.stack([
        ((d[:, None] * perms.a[None, :] + perms.b[None, :]) >> np.uint64(32)).min(axis=0).astype(np.uint32)
        if len(d) else np.full(16, 0xFFFFFFFF, np.uint32) for d in docs])
    monkeypatch.setattr(sigmod, "_CHUNK", 16)  # force both the grouped and the big-document paths
    assert np.array_equal(numpy_signatures(docs, perms), direct)


@pytest.mark.parametrize("backend", ["rensa", "numpy"])
def test_signatures_identical_across_processes_and_threads(backend):
    code = ("import numpy as np; from octopack_spark.ft.dedup.signatures import signatures;"
            "s,_ = signatures(['def f(a, b):\\n    return a * b + f(a - 1, b)\\n' * 5, 'x y z w v u t s r q'],"
            f" ngram_size=3, num_perm=64, seed=42, backend='{backend}'); print(s.tolist())")
    outs = set()
    for seed, threads in (("1", "1"), ("2", "2")):
        env = {"PYTHONHASHSEED": seed, "RAYON_NUM_THREADS": threads, "PATH": "/usr/bin:/bin"}
        outs.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                env=env).stdout)
    assert len(outs) == 1


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="unknown MinHash backend"):
        signatures(["a b c"], ngram_size=1, num_perm=8, seed=0, backend="fast")

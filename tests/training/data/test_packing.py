"""Loss masking and packing: hand-checked masks, and no token lost, duplicated or misaligned."""

import json
from collections import Counter

import numpy as np
import pytest

from training.data.packing import (IGNORE, SplitPacker, WholePacker, make_packer, make_sample, segments)

M = IGNORE


def test_make_sample_answer_only_mask_hand_checked():
    s = make_sample(np.array([5, 6, 7, 8, 9]), 3, loss_on="answer", eos_id=2, seq_len=16, overflow="truncate",
                    allow_long=False)
    assert s.ids.tolist() == [5, 6, 7, 8, 9, 2]
    assert s.labels.tolist() == [M, M, M, 8, 9, 2]  # prompt masked, EOS is a target


def test_make_sample_full_sequence_loss_masks_only_the_first_token():
    s = make_sample(np.array([5, 6, 7, 8, 9]), 3, loss_on="all", eos_id=2, seq_len=16, overflow="truncate",
                    allow_long=False)
    assert s.labels.tolist() == [M, 6, 7, 8, 9, 2]
    s = make_sample(np.array([5, 6]), 0, loss_on="answer", eos_id=None, seq_len=16, overflow="truncate",
                    allow_long=False)
    assert s.ids.tolist() == [5, 6] and s.labels.tolist() == [M, 6]


def test_overflow_truncate_drop_and_no_target():
    kw = dict(loss_on="answer", eos_id=2, seq_len=4, allow_long=False)
    s = make_sample(np.array([5, 6, 7, 8, 9]), 3, overflow="truncate", **kw)
    assert s.ids.tolist() == [5, 6, 7, 8] and s.labels.tolist() == [M, M, M, 8]
    assert make_sample(np.array([5, 6, 7, 8, 9]), 3, overflow="drop", **kw) == "too_long"
    assert make_sample(np.array([5, 6, 7, 8, 9]), 5, overflow="truncate", **kw) == "no_target"
    long = make_sample(np.array([5, 6, 7, 8, 9]), 3, overflow="drop", loss_on="answer", eos_id=2, seq_len=4,
                       allow_long=True)
    assert len(long.ids) == 6  # split packing keeps long samples whole


def random_samples(n, seq_len, seed=0, max_len=None):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        L = int(rng.integers(2, (max_len or seq_len) + 1))
        ids = rng.integers(10, 1000, L).astype(np.int32)
        s = make_sample(ids[:-1], int(rng.integers(1, L - 1)) if L > 2 else 1, loss_on="answer", eos_id=3,
                        seq_len=seq_len, overflow="truncate", allow_long=max_len is not None and max_len > seq_len)
        assert not isinstance(s, str)
        out.append(s)
    return out


@pytest.mark.parametrize("open_bins", [1, 3, 8])
def test_whole_packing_keeps_every_sample_exactly_once(open_bins):
    L = 64
    samples = random_samples(200, L)
    p = WholePacker(L, pad_id=1, open_bins=open_bins)
    seqs = []
    for s in samples:
        p.add(s)
        while (q := p.pop()) is not None:
            seqs.append(q)
    seqs += list(p.flush())
    got = Counter()
    for q in seqs:
        assert len(q.input_ids) == len(q.labels) == len(q.position_ids) == L
        segs = segments(q.position_ids)
        if q.n_pad:
            a, b = segs[-1]
            assert (a, b) == (L - q.n_pad, L)  # padding is the trailing segment
            assert (q.input_ids[a:] == 1).all() and (q.labels[a:] == M).all()
            segs = segs[:-1]
        for a, b in segs:
            got[(tuple(q.input_ids[a:b]), tuple(q.labels[a:b]))] += 1
            assert q.position_ids[a:b].tolist() == list(range(b - a))
    want = Counter((tuple(s.ids), tuple(s.labels)) for s in samples)
    assert got == want
    # first-fit with more open bins wastes less padding than next-fit
    pad = sum(q.n_pad for q in seqs)
    assert pad < L * len(seqs)


def test_more_open_bins_pack_tighter():
    L = 64
    samples = random_samples(300, L)

    def n_seqs(k):
        p = WholePacker(L, 1, open_bins=k)
        for s in samples:
            p.add(s)
        return len(p.ready) + len(list(p.flush()))

    assert n_seqs(8) < n_seqs(1)


def test_none_mode_is_one_sample_per_sequence():
    samples = random_samples(20, 32)
    p = make_packer("none", 32, pad_id=1, open_bins=8)
    for s in samples:
        p.add(s)
    seqs = list(p.flush())
    assert len(seqs) == 20
    for s, q in zip(samples, seqs):
        assert q.input_ids[:len(s)].tolist() == s.ids.tolist() and q.n_pad == 32 - len(s)


def test_split_packing_is_the_exact_concatenation():
    L = 32
    samples = random_samples(60, L, max_len=80)  # some longer than a sequence
    p = SplitPacker(L)
    seqs = []
    for s in samples:
        p.add(s)
        while (q := p.pop()) is not None:
            seqs.append(q)
    all_ids = np.concatenate([s.ids for s in samples])
    all_labels = np.concatenate([s.labels for s in samples])
    packed_ids = np.concatenate([q.input_ids for q in seqs])
    n = len(packed_ids)
    assert n == len(seqs) * L and len(all_ids) - n == p.pending_tokens() < L
    assert (packed_ids == all_ids[:n]).all()  # nothing lost, duplicated or reordered
    expect_labels = all_labels[:n].copy()
    expect_labels[::L] = M  # the first token of a sequence has no context to be predicted from
    assert (np.concatenate([q.labels for q in seqs]) == expect_labels).all()
    # positions restart at every sample start and at every sequence start
    starts = np.cumsum([0] + [len(s) for s in samples])[:-1]
    for k, q in enumerate(seqs):
        seg_starts = [a for a, _ in segments(q.position_ids)]
        expected = sorted({0} | {int(x) - k * L for x in starts if k * L <= x < (k + 1) * L})
        assert seg_starts == expected
        assert q.position_ids[0] == 0


@pytest.mark.parametrize("mode", ["whole", "split", "none"])
def test_packer_state_roundtrip_continues_identically(mode):
    L = 48
    samples = random_samples(120, L, seed=3, max_len=70 if mode == "split" else None)

    def run(packer, items):
        out = []
        for s in items:
            packer.add(s)
            while (q := packer.pop()) is not None:
                out.append(q.input_ids.tolist() + q.labels.tolist() + q.position_ids.tolist())
        return out

    ref = make_packer(mode, L, 1, 4)
    full = run(ref, samples)
    a = make_packer(mode, L, 1, 4)
    first = run(a, samples[:57])
    state = json.loads(json.dumps(a.state()))
    b = make_packer(mode, L, 1, 4)
    b.load_state(state)
    assert first + run(b, samples[57:]) == full


def test_whole_packer_rejects_oversized_sample():
    p = WholePacker(8, 1)
    with pytest.raises(ValueError, match="does not fit"):
        p.add(make_sample(np.arange(10, 30), 2, loss_on="answer", eos_id=None, seq_len=8, overflow="truncate",
                          allow_long=True))

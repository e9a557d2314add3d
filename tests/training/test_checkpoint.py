"""Checkpoint bookkeeping that needs no DeepSpeed engine: RNG round trip, which checkpoint to resume."""

import json
import random

import numpy as np
import pytest
import torch

from training.checkpoint import ResumeError, _prune, find_resume, rng_state, set_rng_state, state_file, tag_for


def test_rng_state_round_trips_through_json():
    torch.manual_seed(1)
    random.seed(2)
    np.random.seed(3)
    st = json.loads(json.dumps(rng_state()))
    expected = (torch.rand(3).tolist(), random.random(), np.random.rand())
    torch.manual_seed(9)
    random.seed(9)
    np.random.seed(9)
    set_rng_state(st)
    assert (torch.rand(3).tolist(), random.random(), np.random.rand()) == expected


def _fake_ckpt(d, step, world):
    tag = tag_for(step)
    (d / tag).mkdir(parents=True, exist_ok=True)
    for r in range(world):
        open(state_file(str(d), tag, r), "w").write("{}")
    (d / "latest").write_text(tag)
    return tag


def test_find_resume_modes(tmp_path):
    assert find_resume(str(tmp_path), "auto", 2) is None
    assert find_resume(str(tmp_path), "never", 2) is None
    tag = _fake_ckpt(tmp_path, 12, 2)
    p = find_resume(str(tmp_path), "auto", 2)
    assert (p.tag, p.step) == (tag, 12)
    with pytest.raises(ResumeError, match="already holds checkpoints"):
        find_resume(str(tmp_path), "never", 2)
    p = find_resume(str(tmp_path / tag), str(tmp_path / tag), 2)  # an explicit tag dir
    assert p.step == 12 and p.ckpt_dir == str(tmp_path)
    with pytest.raises(ResumeError, match="same number of processes"):
        find_resume(str(tmp_path), "auto", 3)
    with pytest.raises(ResumeError, match="neither"):
        find_resume(str(tmp_path), str(tmp_path / "nope"), 2)


def test_prune_keeps_the_newest(tmp_path):
    for s in (2, 4, 6, 8):
        _fake_ckpt(tmp_path, s, 1)
    _prune(str(tmp_path), keep_last=2)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [tag_for(6), tag_for(8)]

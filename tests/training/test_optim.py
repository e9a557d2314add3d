"""LR schedule, weight-decay groups and the token-weighted loss."""

import math

import pytest
import torch

from training.config import OptimConfig
from training.optim import build_optimizer, lr_factor, token_loss_sum


def test_warmup_then_cosine_hand_checked():
    o = OptimConfig(warmup_steps=4, schedule="cosine", min_lr_ratio=0.1)
    f = [lr_factor(s, o, 14) for s in range(14)]
    assert f[:4] == [0.25, 0.5, 0.75, 1.0]  # the first step already learns
    assert f[4] == pytest.approx(1.0)
    assert f[9] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 5 / 9)))
    assert f[13] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(f[4:], f[5:]))


def test_linear_and_constant():
    assert lr_factor(5, OptimConfig(warmup_steps=0, schedule="constant"), 10) == 1.0
    o = OptimConfig(warmup_steps=0, schedule="linear", min_lr_ratio=0.0)
    assert [lr_factor(s, o, 5) for s in range(5)] == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0])


def test_weight_decay_only_on_matrices():
    m = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    opt = build_optimizer(m, OptimConfig(weight_decay=0.1))
    wd = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    assert wd[id(m[0].weight)] == 0.1 and wd[id(m[0].bias)] == 0.0 and wd[id(m[1].weight)] == 0.0


def test_token_loss_sum_hand_checked():
    # vocabulary of 2; uniform logits give ln 2 per target token
    logits = torch.zeros(1, 4, 2)
    labels = torch.tensor([[-100, 1, -100, 0]])  # targets at positions 1 and 3 (predicted from 0 and 2)
    s, n = token_loss_sum(logits, labels)
    assert n == 2 and s.item() == pytest.approx(2 * math.log(2))
    logits[0, 0, 1] = 100.0  # position 0 predicts label at position 1 (=1) with certainty
    s, n = token_loss_sum(logits, labels)
    assert s.item() == pytest.approx(math.log(2), abs=1e-6)

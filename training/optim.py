"""Optimizer, learning-rate schedule and the token-weighted loss."""

from __future__ import annotations

import math

from training.config import OptimConfig


def lr_factor(step: int, o: OptimConfig, max_steps: int) -> float:
    """Multiplier of the peak LR for optimizer step `step` (0-based).

    Linear warmup reaching the peak at step warmup_steps-1 (the first step already has a non-zero LR,
    unlike schedules that start at 0), then cosine/linear decay to min_lr_ratio at the last step."""
    if o.warmup_steps and step < o.warmup_steps:
        return (step + 1) / o.warmup_steps
    if o.schedule == "constant":
        return 1.0
    span = max(1, max_steps - 1 - o.warmup_steps)
    progress = min(1.0, max(0.0, (step - o.warmup_steps) / span))
    if o.schedule == "cosine":
        decay = 0.5 * (1.0 + math.cos(math.pi * progress))
    else:
        decay = 1.0 - progress
    return o.min_lr_ratio + (1.0 - o.min_lr_ratio) * decay


def build_optimizer(model, o: OptimConfig, fused: bool = False):
    """AdamW with weight decay on matrices only (biases, norms and 1-D params are not decayed)."""
    import torch

    decay, no_decay = [], []
    for _, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": o.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    kw = {"fused": True} if fused else {}
    return torch.optim.AdamW(groups, lr=o.lr, betas=tuple(o.betas), eps=o.eps, **kw)


def build_scheduler(optimizer, o: OptimConfig, max_steps: int):
    import torch

    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, o, max_steps))


def token_loss_sum(logits, labels):
    """(sum of next-token cross-entropy over target tokens, number of target tokens).

    Summed, not averaged, so the trainer can divide by the number of target tokens of the whole
    global batch: every token weighs the same whatever micro-batch or rank it lands in (a plain
    per-micro-batch mean over-weights short micro-batches under gradient accumulation)."""
    import torch.nn.functional as F

    shift_logits = logits[:, :-1, :].float()
    shift_labels = labels[:, 1:]
    loss = F.cross_entropy(shift_logits.reshape(-1, shift_logits.size(-1)), shift_labels.reshape(-1),
                           ignore_index=-100, reduction="sum")
    return loss, int((shift_labels != -100).sum())

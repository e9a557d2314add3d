"""The DeepSpeed config a run uses, derived from the training config (written beside the run).

The optimizer and LR schedule are torch objects handed to `deepspeed.initialize`, not DeepSpeed's
own: DeepSpeed's FusedAdam/CPUAdam are JIT-compiled C++/CUDA ops (about 225 s on this CPU), while
torch's AdamW works everywhere and checkpoints the same way.
"""

from __future__ import annotations

import copy
from typing import Any

from training.config import TrainConfig


def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def deepspeed_config(cfg: TrainConfig, world_size: int, on_gpu: bool = False) -> dict[str, Any]:
    t = cfg.train
    zero: dict[str, Any] = {"stage": t.zero_stage}
    if t.zero_stage >= 2:
        zero.update(contiguous_gradients=True, overlap_comm=on_gpu, reduce_scatter=True,
                    reduce_bucket_size=50_000_000, allgather_bucket_size=50_000_000)
    if t.zero_stage == 3:
        # export gathers the full weights on rank 0 (training/export.py)
        zero.update(stage3_gather_16bit_weights_on_model_save=True, stage3_param_persistence_threshold=100_000)
    if t.offload_optimizer == "cpu":
        if t.zero_stage == 0:
            raise ValueError("train.offload_optimizer needs zero_stage >= 1")
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": on_gpu}
    d: dict[str, Any] = {
        "train_micro_batch_size_per_gpu": t.micro_batch_size,
        "gradient_accumulation_steps": t.grad_accum,
        "train_batch_size": t.micro_batch_size * t.grad_accum * world_size,
        "gradient_clipping": cfg.optim.grad_clip,
        "zero_optimization": zero,
        "bf16": {"enabled": t.precision == "bf16"},
        "fp16": {"enabled": t.precision == "fp16", "loss_scale": 0, "initial_scale_power": 16,
                 "loss_scale_window": 1000, "hysteresis": 2, "min_loss_scale": 1},
        # a torch optimizer: allowed with ZeRO and with CPU offload (no DeepSpeedCPUAdam build)
        "zero_allow_untested_optimizer": True,
        "zero_force_ds_cpu_optimizer": False,
        "steps_per_print": 10**9,  # our own log does this
        "wall_clock_breakdown": False,
    }
    return deep_merge(d, t.deepspeed)

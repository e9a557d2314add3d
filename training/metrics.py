"""Throughput and model-FLOPs utilisation (MFU), and the per-step log (CSV, optional TensorBoard).

FLOPs per token (PaLM appendix B convention, forward + backward):
    6 * N_matmul + 12 * n_layers * d_model * seq_len
N_matmul counts parameters that take part in a matmul: everything but the input embedding lookup
(and GPT-2's position table), with the LM head included even when tied. The attention term uses the
full sequence length, i.e. dense attention even when packing masks make part of it redundant (what
sdpa/eager kernels compute anyway). With LoRA the frozen weights need no weight gradients:
    (4 * N_matmul + 2 * N_trainable) + 12 * n_layers * d_model * seq_len.
MFU = FLOPs per token * tokens processed per second (padding included: it is computed) / (peak
FLOP/s per device * devices). Peak: `mfu.peak_flops`, else a table of GPUs at the training precision,
else (CPU) a short matmul measurement: what one rank's threads reach on a GEMM of the model's width,
so CPU MFU reads as "fraction of attainable GEMM speed", not of a datasheet figure.
"""

from __future__ import annotations

import csv
import os
import time
from typing import Optional

# Dense peak FLOP/s per device: (bf16/fp16 tensor cores, fp32 without TF32).
GPU_PEAKS = {
    "H200": (989.4e12, 66.9e12),
    "H100": (989.4e12, 66.9e12),  # SXM; PCIe is lower (756 TF bf16), set mfu.peak_flops there
    "A100": (312e12, 19.5e12),
    "L40S": (362e12, 91.6e12),
    "L4": (121e12, 30.3e12),
    "A10": (125e12, 31.2e12),
    "V100": (125e12, 15.7e12),
}

LOG_FIELDS = ["step", "loss", "lr", "grad_norm", "tokens", "target_tokens", "tokens_per_s", "mfu",
              "step_time_s", "epoch", "elapsed_s"]


def flops_per_token(counts: dict[str, int], n_layers: int, d_model: int, seq_len: int, lora: bool) -> float:
    attn = 12.0 * n_layers * d_model * seq_len
    if lora:
        return 4.0 * counts["matmul"] + 2.0 * counts["trainable"] + attn
    return 6.0 * counts["matmul"] + attn


def model_shape(config) -> tuple[int, int]:
    """(n_layers, d_model) of a transformers config (GPT-2 maps these names to n_layer/n_embd)."""
    return int(config.num_hidden_layers), int(config.hidden_size)


def gpu_peak(name: str, precision: str) -> Optional[float]:
    for key, (half, fp32) in GPU_PEAKS.items():
        if key in name.upper():
            return fp32 if precision == "fp32" else half
    return None


def measure_cpu_peak(d_model: int, precision: str, trials: int = 6, trial_s: float = 0.1) -> float:
    """FLOP/s this process reaches on 512x512 GEMMs at the training precision.

    The best of several short trials: on a shared machine other load only ever slows a trial down,
    so the maximum is the stable estimate of what the cores can do."""
    import torch

    n = 512
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g).to(dtype)
    b = torch.randn(n, n, generator=g).to(dtype)
    for _ in range(3):
        a @ b
    best = 0.0
    for _ in range(trials):
        iters, t0 = 0, time.perf_counter()
        while True:
            a @ b
            iters += 1
            dt = time.perf_counter() - t0
            if dt >= trial_s and iters >= 3:
                break
        best = max(best, 2.0 * n ** 3 * iters / dt)
    return best


def resolve_peak(configured: Optional[float], device_type: str, device_name: str, precision: str,
                 d_model: int) -> tuple[float, str]:
    if configured:
        return configured, "config"
    if device_type == "cuda":
        p = gpu_peak(device_name, precision)
        if p:
            return p, f"table:{device_name}"
        return measure_cuda(precision), "measured"  # unknown GPU: a measurement beats no figure
    return measure_cpu_peak(d_model, precision), "measured"


def measure_cuda(precision: str) -> float:
    import torch

    n = 8192
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]
    a = torch.randn(n, n, device="cuda", dtype=dtype)
    b = torch.randn(n, n, device="cuda", dtype=dtype)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(10):
        a @ b
    torch.cuda.synchronize()
    return 2.0 * n ** 3 * 10 / (time.perf_counter() - t0)


class StepLog:
    """Rank 0's per-step log: `<dir>/train_log.csv` (+ TensorBoard events when asked for).

    On resume, rows after the resumed step (written by the killed run past its last checkpoint)
    are dropped so the file is one clean curve."""

    def __init__(self, log_dir: str, csv_enabled: bool, tensorboard: bool, resume_step: int):
        os.makedirs(log_dir, exist_ok=True)
        self.path = os.path.join(log_dir, "train_log.csv")
        self._csv = None
        self._tb = None
        if csv_enabled:
            rows = []
            if resume_step > 0 and os.path.isfile(self.path):
                with open(self.path, newline="") as f:
                    rows = [r for r in csv.DictReader(f) if int(r["step"]) <= resume_step]
            fh = open(self.path, "w", newline="")
            self._csv = csv.DictWriter(fh, fieldnames=LOG_FIELDS)
            self._csv.writeheader()
            self._csv.writerows(rows)
            fh.flush()
            self._fh = fh
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as e:
                from octopack_spark.errors import UserFacingError

                raise UserFacingError(f"log.tensorboard needs the tensorboard package ({e}); "
                                      "pip install tensorboard, or use the CSV log") from None
            self._tb = SummaryWriter(os.path.join(log_dir, "tensorboard"), purge_step=resume_step + 1)

    def write(self, row: dict) -> None:
        if self._csv is not None:
            # repr keeps every float bit: resumed and uninterrupted curves compare exactly
            self._csv.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
            self._fh.flush()
        if self._tb is not None:
            for k in ("loss", "lr", "grad_norm", "tokens_per_s", "mfu"):
                if row.get(k) is not None:
                    self._tb.add_scalar(f"train/{k}", row[k], row["step"])

    def close(self) -> None:
        if self._csv is not None:
            self._fh.close()
        if self._tb is not None:
            self._tb.close()


def read_log(path: str) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: (float(v) if k not in ("step", "epoch", "tokens", "target_tokens") else int(float(v)))
                 for k, v in r.items() if v != ""} for r in csv.DictReader(f)]

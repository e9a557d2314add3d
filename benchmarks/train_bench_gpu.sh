#!/usr/bin/env bash
# GPU form of the training benchmark: a ~1.02B-parameter Llama (training/configs/llama-1b-gpu.yaml),
# bf16, ZeRO-2, sequence 2048, micro-batch 8, on one GPU; packed vs unpacked side by side, with
# tokens/s and MFU against the GPU's dense bf16 peak (training/metrics.py GPU_PEAKS).
#   bash benchmarks/train_bench_gpu.sh [--steps 30] [--set mfu.peak_flops=...]
# Needs: a CUDA torch build and about 40 GB of GPU memory (fits an 80 GB H100/A100).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
"$PY" - <<'PY'
import sys, torch
if not torch.cuda.is_available():
    sys.exit("train_bench_gpu.sh: no CUDA device visible (torch.cuda.is_available() is False)")
print("GPU:", torch.cuda.get_device_name(0), f"{torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB")
PY
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,power.limit --format=csv 2>/dev/null || true
export TOKENIZERS_PARALLELISM=false
exec "$PY" benchmarks/train_bench.py --preset gpu-1b "$@"

"""Training throughput and MFU: packed sequences against the unpacked baseline, side by side.

    .venv/bin/python benchmarks/train_bench.py                   # reduced CPU form (a few minutes)
    .venv/bin/python benchmarks/train_bench.py --preset gpu-1b   # ~1B Llama, bf16, seq 2048, 1 GPU
    bash benchmarks/train_bench_gpu.sh                           # the same, with GPU checks

Every run trains with `python -m training` (the real trainer: DeepSpeed ZeRO-2, data pipeline,
tokenized cache) on a synthetic CommitPackFT-layout dataset, in a fresh process, for a fixed number
of optimizer steps; the first `--warmup` steps are left out of the figures. Reported per run:
- useful tokens/s: non-padding tokens per second (what the model learns from),
- processed tokens/s: every position computed, padding included,
- MFU: FLOPs per token (6N + 12*L*d*T, see training/metrics.py) x processed tokens/s / peak,
and ratios against the baseline (`packing.mode=none`: one sample per sequence, padded; what a
trainer without packing does). Step times are medians over the timed steps, and each mode runs
`--rounds` times interleaved with the others (fastest round kept), because a shared machine adds
spikes. Peak FLOP/s: the GPU table; on CPU the best GEMM speed measured before any run (pass
`--set mfu.peak_flops=X` for a datasheet figure, e.g. 1.66e11 for 2 Zen 4 cores at 2.6 GHz x 32
fp32 FLOP/cycle).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from machine_info import describe  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Preset:
    """One benchmark setting: the training config, synthetic rows per language, optimizer steps per run (the
    first `warmup` not timed), `--set` values on top of the config, and training processes."""
    config: str
    rows: dict[str, int]
    steps: int
    warmup: int
    sets: list[str]
    nproc: int = 1


PRESETS = {
    # A ~4.5M-parameter Llama: small enough for a shared 2-core CPU, big enough that matmuls dominate.
    "cpu": Preset("tiny-cpu", {"Python": 240, "JavaScript": 160, "Go": 120}, steps=16, warmup=4, sets=[
        "tokenize.seq_len=512", "train.micro_batch_size=4", "train.grad_accum=1",
        "model.config={hidden_size: 256, intermediate_size: 704, num_hidden_layers: 4, "
        "num_attention_heads: 4, num_key_value_heads: 4}",
        "train.precision=fp32", "checkpoint.every_steps=100000", "export.enabled=false"]),
    # ~1.02B-parameter Llama (training/configs/llama-1b-gpu.yaml), bf16, seq 2048, 8 sequences per step.
    "gpu-1b": Preset("llama-1b-gpu", {"Python": 3000, "JavaScript": 2000, "Go": 1500}, steps=30, warmup=8, sets=[
        "train.micro_batch_size=8", "train.grad_accum=1", "checkpoint.every_steps=100000",
        "export.enabled=false", "log.every_steps=1"]),
}
MODES = ["none", "whole", "split"]


def machine() -> str:
    import deepspeed
    import torch
    import transformers

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (f"machine: {describe()}, GPU: {gpu}\n"
            f"software: torch {torch.__version__}, deepspeed {deepspeed.__version__}, "
            f"transformers {transformers.__version__}")


def run_one(preset: Preset, data: str, out: Path, mode: str, steps: int, extra: list[str]) -> dict:
    from training.metrics import read_log

    cmd = [sys.executable, "-m", "training", "--config", preset.config, "--data", data, "--output", str(out),
           "--max-steps", str(steps), "--set", "log.progress=false", "--set", f"packing.mode={mode}"]
    for s in preset.sets + extra:
        cmd += ["--set", s]
    if preset.nproc > 1:
        cmd += ["--nproc", str(preset.nproc)]
    # keep the caller's PYTHONPATH (e.g. packages installed with --target) after the project root
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"run {mode} failed:\n{r.stderr[-4000:]}")
    rows = read_log(str(out / "logs" / "train_log.csv"))
    summary = json.loads((out / "train_summary.json").read_text())
    timed = rows[preset.warmup:]
    # median step time: on a shared machine other jobs only add spikes, the median ignores them
    step_s = statistics.median(r["step_time_s"] for r in timed)
    prev = rows[preset.warmup - 1]["tokens"] if preset.warmup else 0
    useful_per_step = (timed[-1]["tokens"] - prev) / len(timed)
    cfg = summary["config"]
    per_step = cfg["train"]["micro_batch_size"] * cfg["train"]["grad_accum"] * cfg["tokenize"]["seq_len"] \
        * summary["world_size"]
    fpt, peak = summary["flops_per_token"], summary["peak_flops_per_device"]
    return {
        "mode": mode,
        "useful_tok_s": useful_per_step / step_s,
        "processed_tok_s": per_step / step_s,
        "padding": 1 - useful_per_step / per_step,
        "mfu": fpt * per_step / step_s / (peak * summary["world_size"]),
        "flops_per_token": fpt,
        "world_size": summary["world_size"],
        "step_s": step_s,
        "final_loss": rows[-1]["loss"],
        "params_m": summary["params"]["total"] / 1e6,
        "peak": peak,
        "peak_src": summary["peak_flops_source"],
    }


def measure_peak(preset: Preset, extra: list[str], trials: int) -> tuple[float, str]:
    """Peak FLOP/s per device: the GPU table, or on CPU the best of short GEMM trials at the threads
    one rank gets. On CPU it is measured before every run and the best of all measurements is used
    for every run: other jobs on a shared machine can only make a measurement lower."""
    import torch

    from training.config import load_train_config
    from training.metrics import measure_cuda, gpu_peak, measure_cpu_peak

    cfg = load_train_config(preset.config, sets=preset.sets + extra)
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        p = gpu_peak(name, cfg.train.precision)
        if p:
            return p, f"table: {name} {cfg.train.precision}"
        return measure_cuda(cfg.train.precision), f"measured: 8192x8192 {cfg.train.precision} GEMM on {name}"
    threads = max(1, (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1) // preset.nproc)
    torch.set_num_threads(threads)
    return measure_cpu_peak(cfg.model.config.get("hidden_size", 64), cfg.train.precision, trials=trials,
                            trial_s=0.1), f"measured: best 512x512 {cfg.train.precision} GEMM, {threads} thread(s)"


def prepare_tokens(preset: Preset, data: str, tmp: str, extra: list[str]) -> str:
    """One tokenizer for all runs, and every unit tokenized into the cache up front, so no run pays
    for tokenization and the runs differ only in packing."""
    from octopack_spark.storage.fs import Storage
    from training.config import load_train_config
    from training.data.pipeline import build_pipeline
    from training.model import corpus_texts, load_tokenizer, train_bpe_tokenizer

    cfg = load_train_config(preset.config, overrides={"data.path": data}, sets=preset.sets + extra)
    t = cfg.tokenizer.train
    tok_dir = os.path.join(tmp, "tokenizer")
    train_bpe_tokenizer(corpus_texts(cfg, Storage(), t.max_rows), t.vocab_size, t.min_frequency).save_pretrained(tok_dir)
    tok = load_tokenizer(tok_dir)
    stream = build_pipeline(cfg, tok, Storage(), 0, 1).streams[0]
    for unit in stream.units:
        stream.load(unit)
    return tok_dir


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument("--steps", type=int, help="optimizer steps per run (default: the preset's)")
    ap.add_argument("--modes", default=",".join(MODES), help="packing modes; the first is the baseline")
    ap.add_argument("--set", action="append", default=[], help="extra config overrides for every run")
    ap.add_argument("--rounds", type=int, default=None,
                    help="runs per mode, interleaved; the fastest counts (default: 2 on CPU, 1 on GPU)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    preset = PRESETS[args.preset]
    steps = args.steps or preset.steps
    modes = args.modes.split(",")
    print(machine())
    from training.synthetic import write_commitpackft_dataset

    with tempfile.TemporaryDirectory(prefix="train-bench-") as tmp:
        data = os.path.join(tmp, "ft")
        info = write_commitpackft_dataset(data, preset.rows, files_per_lang=4, row_group_size=64)
        print(f"preset {args.preset}: config {preset.config}, {steps} steps ({preset.warmup} warm-up steps "
              f"not timed), {preset.nproc} process(es), data {info['rows']} synthetic CommitPackFT rows")
        tok_dir = prepare_tokens(preset, data, tmp, args.set)
        sets = args.set + [f"tokenizer.path={tok_dir}"]
        fixed = next((float(x.split("=", 1)[1]) for x in sets if x.startswith("mfu.peak_flops=")), None)
        peaks: list[float] = []
        src = "config (mfu.peak_flops)"
        if fixed is None:
            p, src = measure_peak(preset, args.set, trials=30)
            peaks.append(p)
        rounds = args.rounds or (1 if args.preset.startswith("gpu") else 2)
        best: dict[str, dict] = {}
        for k in range(rounds):
            for mode in modes:
                if fixed is None and src.startswith("measured"):
                    peaks.append(measure_peak(preset, args.set, trials=10)[0])  # GEMM speed right now
                res = run_one(preset, data, Path(tmp) / f"run-{mode}-{k}", mode, steps, sets)
                print(f"  round {k + 1}/{rounds} packing={mode}: median {res['step_s']:.3f} s/step", flush=True)
                if mode not in best or res["step_s"] < best[mode]["step_s"]:
                    best[mode] = res
        peak = fixed if fixed is not None else max(peaks)
        if peaks and len(peaks) > 1:
            print(f"GEMM measurements (GFLOP/s): {', '.join(f'{x / 1e9:.0f}' for x in peaks)}; the best is the peak")
        for r in best.values():
            r["peak"], r["peak_src"] = peak, src
            r["mfu"] = r["flops_per_token"] * r["processed_tok_s"] / (peak * r["world_size"])
        results = [best[m] for m in modes]
    base = results[0]
    print(f"\nmodel {base['params_m']:.1f}M params; peak {base['peak']:.3g} FLOP/s per device ({base['peak_src']})")
    hdr = f"{'packing':<8} {'useful tok/s':>13} {'processed tok/s':>16} {'padding':>8} {'MFU':>7} {'s/step':>8} " \
          f"{'final loss':>10} {'useful x':>9} {'MFU x':>7}"
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        tag = " (baseline)" if r is base else ""
        print(f"{r['mode']:<8} {r['useful_tok_s']:>13.0f} {r['processed_tok_s']:>16.0f} {r['padding']:>8.1%} "
              f"{r['mfu']:>7.2%} {r['step_s']:>8.3f} {r['final_loss']:>10.4f} "
              f"{r['useful_tok_s'] / base['useful_tok_s']:>9.2f} {r['mfu'] / base['mfu']:>7.2f}{tag}")
    if args.json:
        Path(args.json).write_text(json.dumps({"preset": args.preset, "steps": steps, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

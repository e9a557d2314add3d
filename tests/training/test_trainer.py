"""End-to-end training runs (real processes, real DeepSpeed on CPU with gloo):

- a 2-process ZeRO-2 run over CommitPackFT shards (synthetic, or a real `octopack ft` output root
  named by OCTOPACK_TEST_FT_DATASET; see tests/training/conftest.py), started as `octopack train --nproc 2` (the
  deepspeed launcher), in which the loss falls and whose HF export loads and generates;
- the same run killed with SIGKILL after its step-4 checkpoint and started again: the resumed run
  logs exactly the uninterrupted run's losses, learning rates, gradient norms and token counts for
  every step (fp32 on CPU with the same thread count is deterministic: same data, same RNG streams,
  same reduction order in gloo's 2-rank allreduce; so equality is exact, not approximate) and
  exports bit-identical weights;
- a 1-process LoRA + ZeRO-3 run whose merged export differs from the base weights and loads.
Dropout is on (attention_dropout 0.1), so restoring the RNG state matters, and an OASST-like JSONL
source is mixed in, so the mixer state is part of the data position.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from training.metrics import read_log

ROOT = Path(__file__).resolve().parents[2]
STEPS = 12


def train_cmd(data: Path, out: Path, oasst: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "octopack_spark.cli.main", "train", "--config", "tiny-cpu",
            "--data", str(data), "--output", str(out), "--max-steps", str(STEPS),
            "--set", "log.progress=false",
            "--set", "tokenize.seq_len=256",
            "--set", "tokenizer.train.vocab_size=512",
            "--set", "model.config={hidden_size: 64, intermediate_size: 176, num_hidden_layers: 2, "
                     "num_attention_heads: 4, num_key_value_heads: 4, attention_dropout: 0.1}",
            "--set", "train.micro_batch_size=2", "--set", "train.grad_accum=2",
            "--set", "optim.warmup_steps=2", "--set", "optim.lr=0.003",
            "--set", "checkpoint.every_steps=4", "--set", "checkpoint.keep_last=3",
            "--set", f"data.extra_sources=[{{name: oasst, path: '{oasst}', template: oasst, weight: 0.3}}]",
            *extra]


def env() -> dict:
    e = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return e


@pytest.fixture(scope="module")
def reference_run(trainer_dataset, oasst_jsonl, tmp_path_factory):
    """The uninterrupted 2-process ZeRO-2 run."""
    out = tmp_path_factory.mktemp("ref") / "run"
    r = subprocess.run(train_cmd(trainer_dataset, out, oasst_jsonl, "--nproc", "2"), env=env(), cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    return out


@pytest.mark.slow
def test_two_process_zero2_loss_falls(reference_run):
    rows = read_log(str(reference_run / "logs" / "train_log.csv"))
    assert [r["step"] for r in rows] == list(range(1, STEPS + 1))
    first, last = rows[0]["loss"], rows[-1]["loss"]
    assert last < first - 1.0, (first, last)
    assert rows[-1]["tokens"] > rows[0]["tokens"] > 0 and all(0 < r["mfu"] for r in rows)
    ds = (reference_run / "deepspeed_config.json").read_text()
    assert '"stage": 2' in ds
    # both ranks trained on their own shards: each counted rows, and their rows add up
    import json

    summary = json.loads((reference_run / "train_summary.json").read_text())
    assert summary["world_size"] == 2
    per_rank = [c["commitpackft:rows"] for c in summary["counters_per_rank"]]
    assert all(n > 0 for n in per_rank)
    assert all(c["oasst:samples"] > 0 for c in summary["counters_per_rank"])
    ckpt = reference_run / "checkpoints" / "step00000012"
    assert len(list(ckpt.glob("*optim_states.pt"))) == 2  # ZeRO-2: one optimizer partition per rank


@pytest.mark.slow
def test_export_loads_with_transformers_and_generates(reference_run):
    import torch
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(reference_run))
    tok = AutoTokenizer.from_pretrained(str(reference_run))
    prompt = "Question: Fix wrong factor in helper_3 computation\ndef helper_3(a, b):\n    return a + b * 3\n\nAnswer:\n"
    x = tok(prompt, return_tensors="pt")
    y = model.generate(**x, max_new_tokens=16, do_sample=False)
    assert y.shape[1] > x["input_ids"].shape[1]
    assert isinstance(tok.decode(y[0][x["input_ids"].shape[1]:]), str)
    # the export holds exactly the trained weights (DeepSpeed's own consolidation of the checkpoint)
    ref = get_fp32_state_dict_from_zero_checkpoint(str(reference_run / "checkpoints"))
    got = model.state_dict()
    for k, v in ref.items():
        assert torch.equal(got[k], v), k


@pytest.mark.slow
def test_killed_run_resumes_with_the_same_loss_curve(reference_run, trainer_dataset, oasst_jsonl, tmp_path):
    out = tmp_path / "run"
    cmd = train_cmd(trainer_dataset, out, oasst_jsonl, "--nproc", "2")
    proc = subprocess.Popen(cmd, env=env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    log = out / "logs" / "train_log.csv"
    deadline = time.time() + 600
    try:
        while time.time() < deadline and proc.poll() is None:
            if log.is_file() and any(r["step"] >= 6 for r in read_log(str(log))):
                break
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # octopack, the launcher and both ranks: no clean-up
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    for _ in range(200):  # every process of the run is gone (orphans would keep training)
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("processes of the killed run are still alive")
    killed_at = max(r["step"] for r in read_log(str(log)))
    assert 6 <= killed_at < STEPS
    time.sleep(2)
    assert max(r["step"] for r in read_log(str(log))) == killed_at  # nothing trains on
    assert (out / "checkpoints" / "latest").read_text() == "step00000004"

    r = subprocess.run(cmd, env=env(), cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    assert "step00000004 at step 4" in r.stderr  # really resumed from the checkpoint before the kill
    resumed = read_log(str(log))
    ref = read_log(str(reference_run / "logs" / "train_log.csv"))
    assert [x["step"] for x in resumed] == list(range(1, STEPS + 1))
    for a, b in zip(ref, resumed):
        for k in ("loss", "lr", "grad_norm", "tokens", "target_tokens", "epoch"):
            assert a[k] == b[k], (a["step"], k, a[k], b[k])
    from safetensors.torch import load_file

    wa, wb = load_file(str(reference_run / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert wa.keys() == wb.keys() and all((wa[k] == wb[k]).all() for k in wa)


@pytest.mark.slow
def test_lora_zero3_single_process_merges_into_the_export(ft_dataset, oasst_jsonl, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "lora"
    cmd = [sys.executable, "-m", "training", "--config", "tiny-cpu", "--data", str(ft_dataset),
           "--output", str(out), "--max-steps", "3", "--set", "log.progress=false", "--set", "tokenize.seq_len=128",
           "--set", "tokenizer.train.vocab_size=400", "--set", "train.zero_stage=3", "--set", "lora.enabled=true",
           "--set", "lora.r=4", "--set", "optim.lr=0.01", "--set", "optim.warmup_steps=0",
           "--set", "model.config={hidden_size: 64, intermediate_size: 176, num_hidden_layers: 2, "
                    "num_attention_heads: 4, num_key_value_heads: 4}"]
    r = subprocess.run(cmd, env=env(), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    assert (out / "adapter" / "adapter_config.json").is_file()
    merged = AutoModelForCausalLM.from_pretrained(str(out))
    tok = AutoTokenizer.from_pretrained(str(out))
    # the base weights are the seeded random init; merging the trained adapter changed q/v projections
    from training.config import load_train_config
    from training.model import build_model

    cfg = load_train_config(str(out / "train_config.yaml"), sets=["lora.enabled=false"])
    base = build_model(cfg, tok).state_dict()
    got = merged.state_dict()
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(got[q], base[q])
    assert torch.equal(got["model.layers.0.mlp.up_proj.weight"], base["model.layers.0.mlp.up_proj.weight"])
    x = tok("Question: Add docstring\n", return_tensors="pt")
    assert merged.generate(**x, max_new_tokens=4, do_sample=False).shape[1] > x["input_ids"].shape[1]

"""The whole path on this CPU: sample repos -> mine -> ft -> `octopack train` (tiny-cpu) -> the exported
model evaluated by `octopack eval run` (real generation, sandboxed execution). Any score is fine; what
is checked is that every stage consumes the previous one's real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.pipeline_data import build_pipeline_dataset

pytestmark = [pytest.mark.slow, pytest.mark.toolchain, pytest.mark.spark]
ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    res = subprocess.run([sys.executable, "-m", "octopack_spark.cli.main", *args], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"octopack {args[0]} failed:\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}"
    return res


def test_train_on_pipeline_output_then_eval_run(tmp_path, spark, humanevalpack_dir):
    ft = build_pipeline_dataset(tmp_path / "pipeline", spark, humanevalpack_dir)
    model = tmp_path / "model"
    _run("train", "--config", "tiny-cpu", "--data", str(ft), "--output", str(model), "--max-steps", "8",
         "--set", "log.progress=false", "--set", "tokenize.seq_len=256",
         "--set", "checkpoint.every_steps=100")
    assert (model / "config.json").is_file() and (model / "tokenizer.json").is_file()

    out = tmp_path / "eval"
    _run("eval", "run", "--task", "synthesize", "--language", "python", "--model", str(model),
         "--data", str(humanevalpack_dir), "--n", "2", "--limit", "3", "--max-new-tokens", "48",
         "--output", str(out), "--no-chart")
    assert json.loads((out / "generations_humanevalsynthesize-python.json").read_text())
    data = json.loads((out / "evaluation_results.json").read_text())
    scores = [v for k, v in data.items() if k.startswith("humanevalsynthesize-python")]
    assert scores and "pass@1" in scores[0] and 0.0 <= scores[0]["pass@1"] <= 1.0
    samples = [json.loads(line) for line in (out / "evaluation_results.samples.jsonl").read_text().splitlines()]
    assert len(samples) == 3 * 2 and all("passed" in s for s in samples)

"""A CommitPackFT dataset produced by the real pipeline (sample repos -> `mine` -> `ft`), for the
modules downstream of it (training, evaluation) to test on real shards."""

from __future__ import annotations

from pathlib import Path

from octopack_spark.config import load_config
from octopack_spark.ft.job import run_ft
from octopack_spark.mining.job import run_mine
from octopack_spark.samples import create_samples

ROOT = Path(__file__).resolve().parents[2]


def build_pipeline_dataset(work: Path, spark, humanevalpack_dir: Path) -> Path:
    """Mine the sample repositories and build CommitPackFT with the quickstart config; returns the
    ft dataset root (manifest.json + commitpackft/lang=...)."""
    repos = create_samples(str(work / "samples"))
    cfg = load_config(ROOT / "infra" / "quickstart.yaml", overrides={
        "mine.repos": repos,
        "mine.output": str(work / "mine"),
        "mine.allowed_roots": [str(work)],
        "ft.input": str(work / "mine"),
        "ft.output": str(work / "ft"),
        "ft.decont.source": str(humanevalpack_dir),
    })
    run_mine(cfg, spark=spark)
    summary = run_ft(cfg, spark=spark)
    assert summary.rows_out > 0, "the sample repositories should give CommitPackFT rows"
    return work / "ft"

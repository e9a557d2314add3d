"""`spark-submit jobs/build_commitpackft.py` on the Spark standalone cluster gives the same verdicts,
survivors and output rows as the job in local mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ft.job_data import load_humaneval, planted, write_commits_dataset
from tests.ft.test_job import ft_cfg, read_table

pytestmark = [pytest.mark.spark, pytest.mark.cluster, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def verdicts(root):
    t = read_table(root, "scored")
    cols = ("drop_reason", "repos", "near_dup_cluster", "exact_commit_dup_of", "exact_content_dup_of", "decont_hit")
    return {r["row_id"]: tuple(r[c] for c in cols) for r in t.to_pylist()}


def test_cluster_run_matches_local(spark, spark_cluster_master, tmp_path, humanevalpack_dir):
    from octopack_spark.ft.job import run_ft

    rows, expect = planted(load_humaneval(humanevalpack_dir))
    inp = tmp_path / "mined"
    write_commits_dataset(str(inp), rows)
    run_ft(ft_cfg(inp, tmp_path / "local", humanevalpack_dir), spark=spark)

    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               SPARK_LOCAL_IP="127.0.0.1", PYTHONPATH=str(ROOT))
    cmd = [str(Path(sys.executable).parent / "spark-submit"), "--master", spark_cluster_master,
           "--conf", "spark.ui.enabled=false", "--conf", "spark.executor.memory=1g",
           "--conf", "spark.sql.shuffle.partitions=3",  # local mode used 4: partitioning must not matter
           str(ROOT / "jobs" / "build_commitpackft.py"), "--input", str(inp), "--output",
           str(tmp_path / "cluster"), "--humanevalpack", str(humanevalpack_dir),
           "--tokenizer", "/nonexistent/tokenizer", "--token-fallback", "chars",
           "--set", "ft.tokens.chars_per_token=16"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, env=env)
    assert p.returncode == 0, p.stderr[-4000:]
    assert "CommitPackFT funnel" in p.stdout and "KEPT" in p.stdout

    local, cluster = verdicts(tmp_path / "local"), verdicts(tmp_path / "cluster")
    assert cluster == local
    assert {k: v[0] for k, v in cluster.items()} == expect
    a = sorted(read_table(tmp_path / "local", "commitpackft").column("row_id").to_pylist())
    b = sorted(read_table(tmp_path / "cluster", "commitpackft").column("row_id").to_pylist())
    assert a == b

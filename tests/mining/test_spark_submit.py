"""The mining job through spark-submit: local mode and a real standalone cluster give identical output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from tests.helpers.gitrepo import RepoBuilder
from tests.helpers.sample_repos import build_rich_repo, make_corrupt_repo

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _spark_submit(master: str, repos: list[str], out: Path, allowed: Path) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    cmd = [str(bin_dir / "spark-submit"), "--master", master, "--conf", "spark.ui.enabled=false",
           "--conf", "spark.executor.memory=1g", "--conf", "spark.sql.shuffle.partitions=7",
           str(ROOT / "jobs" / "mine_commits.py"),
           "--output", str(out), "--allowed-root", str(allowed), "--set", "mine.batch_repos=2",
           "--set", "mine.max_files_per_commit=6", "--set", "mine.max_file_bytes=1000",
           "--set", "mine.max_failed_share=0.5"]
    for r in repos:
        cmd += ["--repo", r]
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               SPARK_LOCAL_IP="127.0.0.1", PYTHONPATH=str(ROOT))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)


def _rows(out: Path, table: str, drop=()) -> list[dict]:
    m = json.loads((out / "manifest.json").read_text())
    files = [str(out / f) for f in m["tables"][table]["files"]]
    part = "hive" if m["tables"][table]["partitioning"] else None
    t = ds.dataset(files, format="parquet", partitioning=part, partition_base_dir=str(out / table)).to_table()
    rows = [{k: v for k, v in r.items() if k not in drop} for r in t.to_pylist()]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def test_local_and_standalone_cluster_give_identical_output(tmp_path, spark_cluster_master):
    rich = build_rich_repo(str(tmp_path / "demo"))
    tool = RepoBuilder(str(tmp_path / "tool"))
    tool.commit({"main.rs": "fn main() {}\n"}, "Create the tool")
    tool.commit({"main.rs": "fn main() { println!(\"hi\"); }\n"}, "Print a greeting")
    make_corrupt_repo(str(tmp_path / "broken"))
    repos = [rich.path, str(tmp_path / "tool"), str(tmp_path / "broken"), "ext::sh -c id"]
    outs = {}
    for label, master in (("local", "local[2]"), ("cluster", spark_cluster_master)):
        out = tmp_path / f"out-{label}"
        res = _spark_submit(master, repos, out, tmp_path)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
        assert "repos ok 2, partial 1, empty 0, failed 1" in res.stdout, res.stdout
        outs[label] = out
    local, cluster = outs["local"], outs["cluster"]
    a, b = _rows(local, "commits"), _rows(cluster, "commits")
    assert len(a) == 25 and a == b
    assert _rows(local, "errors", drop=("time", "run_id")) == _rows(cluster, "errors", drop=("time", "run_id"))
    assert _rows(local, "state", drop=("time", "run_id", "seconds")) == \
        _rows(cluster, "state", drop=("time", "run_id", "seconds"))
    ml, mc = (json.loads((o / "manifest.json").read_text()) for o in (local, cluster))
    assert ml["counts"] == mc["counts"]
    for m in (ml, mc):
        # The run records the effective Spark settings: the submitter's win, the project's fill the rest.
        assert m["spark_conf"]["spark.sql.shuffle.partitions"] == "7"
        assert m["spark_conf"]["spark.executor.memory"] == "1g"
        assert m["spark_conf"]["spark.sql.parquet.columnarReaderBatchSize"] == "16"
        m["config"]["mine"].pop("output")
    assert ml["config"] == mc["config"]  # same config; only the submitted master differed

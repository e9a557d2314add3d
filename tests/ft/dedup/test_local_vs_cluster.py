"""The same input gives the same survivors in local mode and on the standalone cluster."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.ft.dedup.commit_rows import make_row, planted_dataset, sha, to_table

pytestmark = [pytest.mark.spark, pytest.mark.cluster, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]


def _dataset(hep_dir: Path):
    rows, clusters = planted_dataset()
    # exact commit duplicates (the same commit in two forks) and a contaminated row
    a = make_row("orig/tool", sha("x1"), "tool.py", "a = 1\n" * 30, "a = 2\n" * 30, "Change a everywhere",
                 stars=7, repos="orig/tool,mirror/tool")
    b = make_row("fork/tool", sha("x1"), "tool.py", "a = 1\n" * 30, "a = 2\n" * 30, "Change a everywhere",
                 stars=70)
    test = json.loads(next(open(hep_dir / "rust.jsonl")))["test"]
    c = make_row("he/rs", sha("x2"), "lib.rs", "fn main() {}\n", "fn main() {}\n" + test, "Add tests")
    return rows + [a, b, c], clusters


def _run(master: str, inp: Path, out: Path, hep_dir: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable)
    p = subprocess.run([sys.executable, str(ROOT / "tests/ft/dedup/dedup_job.py"), "--master", master,
                        "--input", str(inp), "--output", str(out), "--humanevalpack", str(hep_dir)],
                       env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, f"job on {master} failed:\n{p.stdout[-3000:]}\n{p.stderr[-6000:]}"
    return json.loads(out.read_text())


def test_local_and_cluster_keep_the_same_survivors(tmp_path, spark_cluster_master, humanevalpack_dir):
    rows, clusters = _dataset(humanevalpack_dir)
    inp = tmp_path / "rows.parquet"
    pq.write_table(to_table(rows), inp)
    local = _run("local[2]", inp, tmp_path / "local.json", humanevalpack_dir)
    cluster = _run(spark_cluster_master, inp, tmp_path / "cluster.json", humanevalpack_dir)
    assert cluster["master"].startswith("spark://") and local["master"].startswith("local")
    assert len(local["rows"]) == len(rows)
    assert local["rows"] == cluster["rows"]
    assert local["stats"] == cluster["stats"]
    # and the survivors are the planted ones
    got = {}
    for r in local["rows"]:
        if r["near_dup_cluster"]:
            got.setdefault(r["near_dup_cluster"], set()).add(r["row_id"])
    for survivor, members in clusters.items():
        assert got[survivor] >= members
    by_id = {r["row_id"]: r for r in local["rows"]}
    fork, orig = rows[-2]["row_id"], rows[-3]["row_id"]
    assert by_id[orig]["exact_commit_dup_of"] == fork
    assert by_id[fork]["repos"] == "fork/tool,mirror/tool,orig/tool"
    assert by_id[rows[-1]["row_id"]]["decont_hit"] == "exact:Rust/0:test"
    assert local["stats"]["decontaminate"]["contaminated"] == 1

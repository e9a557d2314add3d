"""Kill a real mining run mid-way, rerun it, and compare with an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from tests.helpers.gitrepo import RepoBuilder
from tests.helpers.mine_cli import child_env, mine_cmd

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _make_repos(root: Path, n: int) -> list[str]:
    paths = []
    for i in range(n):
        b = RepoBuilder(str(root / f"r{i}"))
        for j in range(6):
            b.commit({f"m{i}.py": f"def f():\n    return {j}\n", f"n{j % 2}.js": f"var x = {i * j};\n"},
                     f"Change value {j} in repo {i}")
        paths.append(str(root / f"r{i}"))
    return paths


def _commit_rows(out: Path) -> list[tuple]:
    m = json.loads((out / "manifest.json").read_text())
    files = [str(out / f) for f in m["tables"]["commits"]["files"]]
    t = ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=str(out / "commits")).to_table()
    return sorted((r["row_id"], r["commit"], r["repo"], r["old_contents"], r["new_contents"], r["diff"])
                  for r in t.to_pylist())


def _done_units(out: Path) -> int:
    log = out / "_log"
    if not log.is_dir():
        return 0
    n = 0
    for f in log.glob("*-b*.json"):
        try:
            n += json.loads(f.read_text()).get("done", False)
        except (json.JSONDecodeError, OSError):
            pass
    return n


def test_killed_run_resumes_to_exactly_the_uninterrupted_rows(tmp_path):
    repos = _make_repos(tmp_path, 5)
    ref = tmp_path / "uninterrupted"
    res = subprocess.run(mine_cmd(ref, tmp_path, repos), env=child_env(), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    expected = _commit_rows(ref)
    assert len(expected) > 5 * 6 and len({r[0] for r in expected}) == len(expected)

    out = tmp_path / "killed"
    proc = subprocess.Popen(mine_cmd(out, tmp_path, repos), env=child_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 600
    while _done_units(out) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the driver, its JVM and Python workers
    proc.wait(timeout=60)
    done = _done_units(out)
    assert 2 <= done < 5
    assert not (out / "manifest.json").exists()  # a killed first run never claims a dataset

    res = subprocess.run(mine_cmd(out, tmp_path, repos), env=child_env(), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert _commit_rows(out) == expected
    m = json.loads((out / "manifest.json").read_text())
    assert m["counts"]["rows"] == len(expected) and m["counts"]["repos"] == 5
    # The rerun mined only what the killed run had not committed.
    assert m["runs"][-1]["commits"] < 5 * 6

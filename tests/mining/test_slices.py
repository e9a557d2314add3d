"""Long histories split over several tasks give exactly the rows of one walk; time budgets resume."""

from __future__ import annotations

import hashlib
import json
import os
import re

import pyarrow.dataset as ds
import pytest

from octopack_spark.config import MineConfig, PipelineConfig
from octopack_spark.mining import job as mining_job
from octopack_spark.mining.job import mine_item, run_mine
from octopack_spark.mining.sources import resolve_sources
from octopack_spark.mining.walk import RepoOutcome, mine_repository
from octopack_spark.storage.fs import Storage
from tests.helpers.gitrepo import RepoBuilder
from tests.helpers.sample_repos import build_rich_repo


def _history(path: str, commits: int) -> RepoBuilder:
    b = RepoBuilder(path)
    for i in range(commits):
        b.commit({f"src/m{i % 7}.py": f"value = {i}\n" * (1 + i % 5), f"doc/n{i % 3}.md": f"# note {i}\n"},
                 f"Change step {i}")
    return b


def _digest(out) -> tuple[set, str]:
    m = json.loads((out / "manifest.json").read_text())
    files = [str(out / f) for f in m["tables"]["commits"]["files"]]
    t = ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=str(out / "commits")).to_table()
    rows = sorted(t.to_pylist(), key=lambda r: r["row_id"])
    h = hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()
    return {r["row_id"] for r in rows}, h


@pytest.mark.spark
def test_sliced_history_equals_one_walk(tmp_path, spark):
    repo = _history(str(tmp_path / "long"), 40)
    rich = build_rich_repo(str(tmp_path / "rich"))
    outs = {}
    for per_task in (1000, 7):
        cfg = PipelineConfig()
        cfg.mine.repos = [repo.path, rich.path]
        cfg.mine.output = str(tmp_path / f"out-{per_task}")
        cfg.mine.allowed_roots = [str(tmp_path)]
        cfg.mine.commits_per_task = per_task
        s = run_mine(cfg, spark=spark)
        assert (s.repos_ok, s.commits) == (2, 40 + 8)
        outs[per_task] = tmp_path / f"out-{per_task}"
    ids_one, h_one = _digest(outs[1000])
    ids_sliced, h_sliced = _digest(outs[7])
    assert len(ids_one) == 80 + 22
    assert ids_sliced == ids_one and h_sliced == h_one
    st = json.loads((outs[7] / "manifest.json").read_text())
    assert st["counts"]["rows"] == len(ids_one)
    # 40 commits in slices of 7: six tasks wrote the long repository's rows (one file name per task).
    writers = {re.search(r"part-\d+-\d+-([0-9a-f]+)", os.path.basename(f)).group(1)
               for f in st["tables"]["commits"]["files"]}
    assert len(writers) >= 6


def test_time_budget_stop_is_resumable(tmp_path, monkeypatch):
    """A walk stopped by its time budget records the commits it did not reach; mining that pending
    range later gives exactly the rows of an uninterrupted walk."""
    repo = _history(str(tmp_path / "long"), 12)
    spec = resolve_sources([mining_job.RepoSpec(repo.path)], allowed_roots=[str(tmp_path)]).specs[0]
    full_cfg = MineConfig(allowed_roots=[str(tmp_path)])
    o = RepoOutcome(spec.name, spec.url)
    expected = sorted(r["row_id"] for b in mine_repository(spec, full_cfg, o) for r in b.to_pylist())

    # A clock that advances one second per reading: the 100 s budget runs out part-way.
    clock = {"t": 0.0}

    def fake():
        clock["t"] += 1.0
        return clock["t"]

    import octopack_spark.mining.walk as walk

    monkeypatch.setattr(walk.time, "monotonic", fake)
    monkeypatch.setattr(mining_job.time, "monotonic", fake)
    cfg = MineConfig(allowed_roots=[str(tmp_path)], repo_time_budget_s=9)
    storage = Storage()
    staged = str(tmp_path / "staged" / "commits")
    first = mine_item({"key": spec.name, "kind": "repo", "spec": spec.to_dict(), "last_head": None}, cfg, storage,
                      staged)
    o1 = first["outcome"]
    assert o1["status"] == "partial" and 0 < o1["commits"] < 12
    assert [e["reason"] for e in o1["errors"]] == ["time_budget_exceeded"]
    (pending,) = first["pending"]
    assert pending["stop"] == 12 and pending["start"] == o1["commits"]

    monkeypatch.undo()
    second = mine_item({"key": "x", "kind": "slice", "spec": spec.to_dict(), "license": o1["license"], **pending},
                       MineConfig(allowed_roots=[str(tmp_path)]), storage, staged)
    assert second["outcome"]["status"] == "ok" and second["pending"] == []
    assert o1["commits"] + second["outcome"]["commits"] == 12
    got = ds.dataset(str(tmp_path / "staged" / "commits"), format="parquet", partitioning="hive").to_table()
    assert sorted(got.column("row_id").to_pylist()) == expected


def test_merge_outcomes():
    first = {"repo": "r", "status": "ok", "commits": 0, "rows": 0, "bytes": 0, "seconds": 1.0, "errors": [],
             "errors_dropped": 0, "head": "h", "license": "mit"}
    ok = {"status": "ok", "commits": 5, "rows": 9, "bytes": 100, "seconds": 2.0, "errors": [], "errors_dropped": 0}
    bad = {"status": "failed", "commits": 0, "rows": 0, "bytes": 0, "seconds": 0.5,
           "errors": [{"stage": "clone", "reason": "timeout", "message": "m"}], "errors_dropped": 0}
    m = mining_job.merge_outcomes(first, [ok, ok])
    assert (m["status"], m["commits"], m["rows"], m["seconds"]) == ("ok", 10, 18, 5.0)
    assert mining_job.merge_outcomes(first, [ok, bad])["status"] == "partial"
    assert mining_job.merge_outcomes(first, [bad, bad])["status"] == "failed"


def test_staged_rows_are_checked_against_the_outcomes(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from octopack_spark.errors import UserFacingError
    from octopack_spark.mining.job import check_staged_rows

    staged = tmp_path / "_staging" / "u" / "commits" / "lang=Python"
    staged.mkdir(parents=True)
    pq.write_table(pa.table({"x": [1, 2, 3]}), staged / "part-a.parquet")
    st = Storage()
    root = str(tmp_path / "_staging" / "u" / "commits")
    assert check_staged_rows(st, root, [{"rows": 2}, {"rows": 1}], "u") == 3
    with pytest.raises(UserFacingError, match="hold 3 rows but the tasks counted 4"):
        check_staged_rows(st, root, [{"rows": 4}], "u")


def test_a_slice_that_cannot_run_is_left_pending(tmp_path):
    spec = mining_job.RepoSpec(str(tmp_path / "gone"), "gone", kind="local", location=str(tmp_path / "gone"))
    r = mine_item({"key": "k", "kind": "slice", "spec": spec.to_dict(), "license": None, "head": "a" * 40,
                   "base": None, "start": 4000, "stop": 8000}, MineConfig(), Storage(), str(tmp_path / "s"))
    assert r["outcome"]["status"] == "failed" and r["files"] == []
    assert r["pending"] == [{"head": "a" * 40, "base": None, "start": 4000, "stop": 8000}]

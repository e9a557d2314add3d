"""Repositories whose HEAD did not move are settled on the driver: no task, no clone, no fetch."""

from __future__ import annotations

import os

import pytest

from octopack_spark.config import PipelineConfig
from octopack_spark.mining import job as mine_job
from octopack_spark.mining.sources import RepoSpec, resolve_sources
from octopack_spark.mining.unchanged import split_unchanged
from tests.helpers.gitrepo import RepoBuilder
from tests.mining.test_clone import _publish, daemon  # noqa: F401 - the git daemon fixture


def _specs(*urls, roots=None):
    src = resolve_sources([RepoSpec(u) for u in urls], *([roots] if roots else []))
    assert not src.problems, src.problems
    return src.specs


def _prior(spec, head, status="ok", pending=None):
    return {spec.name: {"repo": spec.name, "repo_url": spec.url, "last_head": head, "status": status,
                        "pending": pending}}


def test_local_heads(tmp_path):
    b = RepoBuilder(str(tmp_path / "r"))
    b.commit({"a.py": "a = 1\n"}, "Add a")
    head = str(b.commit({"a.py": "a = 2\n"}, "Change a"))
    [spec] = _specs(str(tmp_path / "r"), roots=[str(tmp_path)])
    todo, outcomes = split_unchanged([spec], _prior(spec, head))
    assert todo == [] and [(o["repo"], o["status"], o["head"], o["commits"]) for o in outcomes] == \
        [(spec.name, "ok", head, 0)]
    # Moved, half-mined, failed before, or never mined: the task decides.
    for prior in (_prior(spec, "0" * 40), _prior(spec, head, status="partial"),
                  _prior(spec, head, pending='[{"start": 0}]'), {}):
        assert split_unchanged([spec], prior) == ([spec], [])


def test_remote_heads_by_ls_remote(tmp_path, daemon):  # noqa: F811
    served, base = daemon
    work = RepoBuilder(str(tmp_path / "work"))
    head = str(work.commit({"a.py": "x = 1\n"}, "Add a"))
    _publish(work, served, "proj")
    [spec, gone] = _specs(f"{base}/proj.git", f"{base}/missing.git")
    prior = {**_prior(spec, head), **_prior(gone, head)}
    todo, outcomes = split_unchanged([spec, gone], prior)
    assert todo == [gone] and [o["repo"] for o in outcomes] == [spec.name]  # unreachable: left to the task
    work.commit({"b.py": "y = 1\n"}, "Add b")
    _publish(work, served, "proj")
    assert split_unchanged([spec], prior) == ([spec], [])


@pytest.mark.spark
def test_rerun_of_an_unchanged_corpus_starts_no_spark_job(tmp_path, daemon, spark, monkeypatch):  # noqa: F811
    served, base = daemon
    local = RepoBuilder(str(tmp_path / "local"))
    local.commit({"a.py": "a = 1\n"}, "Add a")
    work = RepoBuilder(str(tmp_path / "work"))
    work.commit({"b.py": "b = 1\n"}, "Add b")
    _publish(work, served, "proj")
    cfg = PipelineConfig()
    cfg.mine.repos = [str(tmp_path / "local"), f"{base}/proj.git"]
    cfg.mine.output = str(tmp_path / "out")
    cfg.mine.allowed_roots = [str(tmp_path)]
    cfg.mine.clone_cache_dir = str(tmp_path / "cache")
    first = mine_job.run_mine(cfg, spark=spark)
    assert (first.repos_ok, first.commits) == (2, 2)
    [entry] = [e for e in os.listdir(tmp_path / "cache") if e.endswith(".git")]
    fetch_head = tmp_path / "cache" / entry / "FETCH_HEAD"
    stamp = os.stat(fetch_head).st_mtime_ns if fetch_head.exists() else None

    def no_spark(*a, **k):
        raise AssertionError("a Spark job was started for an unchanged corpus")

    monkeypatch.setattr(mine_job, "_mine_batch", no_spark)
    again = mine_job.run_mine(cfg, spark=None)
    assert (again.repos, again.repos_ok, again.commits, again.rows) == (2, 2, 0, 0)
    assert (os.stat(fetch_head).st_mtime_ns if fetch_head.exists() else None) == stamp  # not even fetched
    monkeypatch.undo()
    work.commit({"b.py": "b = 2\n"}, "Change b")
    _publish(work, served, "proj")
    moved = mine_job.run_mine(cfg, spark=spark)  # the moved remote is fetched and mined, the other skipped
    assert (moved.repos_ok, moved.commits, moved.rows) == (2, 1, 1)

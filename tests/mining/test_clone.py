"""The clone cache: URL sources are cloned once and fetched afterwards; locks and eviction."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest

from octopack_spark.config import MineConfig
from octopack_spark.mining.clone import cache_root, open_repository
from octopack_spark.mining.sources import RepoSpec, resolve_sources
from octopack_spark.mining.walk import RepoOutcome, mine_repository
from tests.conftest import free_port
from tests.helpers.gitrepo import RepoBuilder


@pytest.fixture()
def daemon(tmp_path):
    """`git daemon` on 127.0.0.1 serving bare copies under tmp_path/served."""
    served = tmp_path / "served"
    served.mkdir()
    port = free_port()
    proc = subprocess.Popen(["git", "daemon", "--export-all", "--reuseaddr", f"--base-path={served}",
                             "--listen=127.0.0.1", f"--port={port}", str(served)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield served, f"git://127.0.0.1:{port}"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)


def _publish(work: RepoBuilder, served, name: str) -> None:
    dst = served / f"{name}.git"
    if not dst.exists():
        subprocess.run(["git", "clone", "-q", "--bare", work.path, str(dst)], check=True)
    else:
        subprocess.run(["git", "-C", work.path, "push", "-q", str(dst), "main"], check=True)


def _spec(url: str) -> RepoSpec:
    src = resolve_sources([RepoSpec(url)])
    assert not src.problems, src.problems
    return src.specs[0]


def _mine(spec, cfg, last_head=None):
    o = RepoOutcome(spec.name, spec.url)
    rows = [r for b in mine_repository(spec, cfg, o, last_head) for r in b.to_pylist()]
    return rows, o


def test_rerun_fetches_into_the_cached_clone(tmp_path, daemon):
    served, base = daemon
    work = RepoBuilder(str(tmp_path / "work"))
    work.commit({"a.py": "x = 1\n"}, "Add a")
    work.commit({"a.py": "x = 2\n"}, "Change a")
    _publish(work, served, "proj")
    cfg = MineConfig(clone_cache_dir=str(tmp_path / "cache"))
    spec = _spec(f"{base}/proj.git")
    rows, o = _mine(spec, cfg)
    assert o.status == "ok" and o.commits == 2 and len(rows) == 2
    entries = [e for e in os.listdir(cache_root(cfg)) if e.endswith(".git")]
    assert len(entries) == 1
    cached = os.path.join(cache_root(cfg), entries[0])
    inode = os.stat(cached).st_ino
    packs_before = set(os.listdir(os.path.join(cached, "objects", "pack")))

    work.commit({"b.py": "y = 1\n"}, "Add b")
    _publish(work, served, "proj")
    rows2, o2 = _mine(spec, cfg, last_head=o.head)
    # Same directory (not cloned again), new objects fetched, only the new commit mined.
    assert os.stat(cached).st_ino == inode
    assert set(os.listdir(os.path.join(cached, "objects", "pack"))) > packs_before
    assert o2.status == "ok" and o2.commits == 1 and [r["new_file"] for r in rows2] == ["b.py"]
    assert o2.head != o.head


def test_concurrent_tasks_on_one_repository(tmp_path, daemon):
    served, base = daemon
    work = RepoBuilder(str(tmp_path / "work"))
    for i in range(5):
        work.commit({f"f{i}.py": f"v = {i}\n"}, f"Add f{i}")
    _publish(work, served, "proj")
    cfg = MineConfig(clone_cache_dir=str(tmp_path / "cache"))
    spec = _spec(f"{base}/proj.git")
    results = []

    def run():
        results.append(_mine(spec, cfg))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for rows, o in results:
        assert o.status == "ok" and o.commits == 5 and len(rows) == 5
    assert len([e for e in os.listdir(cache_root(cfg)) if e.endswith(".git")]) == 1


def _serve_two(tmp_path, served) -> MineConfig:
    """Repositories "one" and "two" served, and a cache capped at one byte (anything evicts)."""
    for name in ("one", "two"):
        work = RepoBuilder(str(tmp_path / f"w-{name}"))
        work.commit({"data.txt": (name * 20000) + "\n"}, f"Add {name}")
        _publish(work, served, name)
    return MineConfig(clone_cache_dir=str(tmp_path / "cache"), clone_cache_max_bytes=1)


def test_eviction_keeps_the_cache_under_its_cap(tmp_path, daemon):
    served, base = daemon
    cfg = _serve_two(tmp_path, served)
    for name in ("one", "two"):
        _rows, o = _mine(_spec(f"{base}/{name}.git"), cfg)
        assert o.status == "ok"
    left = [e for e in os.listdir(cache_root(cfg)) if e.endswith(".git")]
    assert len(left) == 1 and "_two-" in left[0]  # the least recently used entry went


def test_entry_in_use_is_not_evicted(tmp_path, daemon):
    served, base = daemon
    cfg = _serve_two(tmp_path, served)
    with open_repository(_spec(f"{base}/one.git"), cfg, time.monotonic() + 60) as (repo, _git_dir):
        _rows, o = _mine(_spec(f"{base}/two.git"), cfg)
        assert o.status == "ok"
        assert not repo.is_empty  # still readable: its shared lock kept it from eviction
    left = sorted(e for e in os.listdir(cache_root(cfg)) if e.endswith(".git"))
    assert len(left) == 2 and "_one-" in left[0] and "_two-" in left[1]


def test_unreachable_url_fails_cleanly(tmp_path):
    cfg = MineConfig(clone_cache_dir=str(tmp_path / "cache"), repo_time_budget_s=20)
    rows, o = _mine(_spec(f"git://127.0.0.1:{free_port()}/nothing.git"), cfg)
    assert rows == [] and o.status == "failed"
    assert (o.errors[0]["stage"], o.errors[0]["reason"]) == ("clone", "unreachable")
    assert not [e for e in os.listdir(cache_root(cfg)) if e.endswith(".git")]

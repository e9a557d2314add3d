"""mine + ft on more than 1 GB of file contents with a 1 GiB heap, and a stage made to die of heap.

The repositories are generated here: long histories of large text files (each version ~0.8 MB, under
mine.max_file_bytes), so every row carries ~1.6 MB of contents and Spark's row batches would need
gigabytes if they were bounded in rows alone (the OutOfMemoryError users hit with default settings).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pygit2
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.spark]

ROOT = Path(__file__).resolve().parents[1]
FILE_BYTES = 800_000
CONTENT_GOAL = 1_050_000_000  # old + new contents over all rows


def _big_text(rng: random.Random) -> list[str]:
    words = ["value", "count", "index", "buffer", "result", "node", "item", "total", "offset", "cache"]
    lines = []
    size = 0
    while size < FILE_BYTES:
        a, b = rng.choice(words), rng.choice(words)
        line = f"    {a}_{rng.randrange(10**6)} = compute_{b}({rng.randrange(10**9)}, {rng.random():.6f})\n"
        lines.append(line)
        size += len(line)
    return lines


def _make_repo(path: str, seed: int, commits: int) -> int:
    """A repository of `commits` commits, each rewriting a few lines of two ~0.8 MB Python files.
    Returns the content bytes the rows will carry (old + new contents of every row)."""
    rng = random.Random(seed)
    repo = pygit2.init_repository(path, bare=True, initial_head="main")
    files = {f"pkg/module_{i}.py": _big_text(rng) for i in range(2)}
    sig = pygit2.Signature("Gen", "gen@example.com", 1_700_000_000, 0)
    parent = []
    total = 0
    for c in range(commits):
        tb = repo.TreeBuilder()
        sub = repo.TreeBuilder()
        for name, lines in files.items():
            before = sum(len(x) for x in lines)
            if not c:
                total += before  # an added file: new contents only
            else:
                for _ in range(3):
                    lines[rng.randrange(len(lines))] = f"    patched_{c}_{rng.randrange(10**6)} = {rng.random():.8f}\n"
                total += before + sum(len(x) for x in lines)
            sub.insert(name.split("/")[1], repo.create_blob("".join(lines).encode()), pygit2.enums.FileMode.BLOB)
        tb.insert("pkg", sub.write(), pygit2.enums.FileMode.TREE)
        sig = pygit2.Signature("Gen", "gen@example.com", 1_700_000_000 + 60 * c, 0)
        oid = repo.create_commit("refs/heads/main", sig, sig, f"Update the generated modules ({c})", tb.write(), parent)
        parent = [oid]
    return total


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> tuple[Path, list[str], int]:
    root = tmp_path_factory.mktemp("bigrepos")
    per_repo = CONTENT_GOAL // 2 // (2 * 2 * FILE_BYTES) + 2
    repos, total = [], 0
    for i in range(2):
        p = str(root / f"big{i}.git")
        total += _make_repo(p, seed=i, commits=per_repo)
        repos.append(p)
    assert total >= 1_000_000_000
    return root, repos, total


def _octopack(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OCTOPACK_LOG_DIR=str(cwd / "logs"))
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    return subprocess.run([sys.executable, "-m", "octopack_spark.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=2400)


@pytest.fixture(scope="module")
def mined(big_corpus):
    root, repos, total = big_corpus
    out = root / "mine"
    args = ["mine", "--output", str(out), "--allowed-root", str(root), "--set", "spark.conf.spark.driver.memory=1g"]
    for r in repos:
        args += ["--repo", r]
    res = _octopack(*args, cwd=root)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return root, out, total, res


def test_mine_with_1g_heap_over_1gb_of_contents(mined):
    _root, out, total, res = mined
    m = json.loads((out / "manifest.json").read_text())
    assert m["counts"]["repos_by_status"] == {"ok": 2}
    run = m["runs"][-1]
    assert run["bytes"] == total >= 1_000_000_000  # every content byte made it into the rows
    assert "repos ok 2" in res.stdout


def test_ft_with_1g_heap_over_1gb_of_contents(mined, humanevalpack_dir):
    root, out, _total, _res = mined
    ft = root / "ft"
    res = _octopack("ft", "--input", str(out), "--output", str(ft), "--token-fallback", "chars",
                    "--humanevalpack", str(humanevalpack_dir), "--set", "spark.conf.spark.driver.memory=1g",
                    "--allow-empty", cwd=root)  # ~0.8 MB files: the paper's size rules keep no row
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    m = json.loads((ft / "manifest.json").read_text())
    rows = json.loads((out / "manifest.json").read_text())["counts"]["rows"]
    assert m["counts"]["rows_in"] == rows > 600


def test_stage_dying_of_heap_prints_one_line_and_publishes_nothing(mined, humanevalpack_dir):
    """A stage made to fail (1 GiB heap, Parquet reader batches of a million rows of ~1.6 MB): one
    `error:` line naming the stage, what ran out and the setting; exit non-zero; no dataset."""
    root, out, _total, _res = mined
    ft = root / "ft-oom"
    res = _octopack("ft", "--input", str(out), "--output", str(ft), "--token-fallback", "chars",
                    "--humanevalpack", str(humanevalpack_dir), "--set", "spark.conf.spark.driver.memory=1g",
                    "--set", "spark.conf.spark.sql.parquet.columnarReaderBatchSize=1000000", cwd=root)
    assert res.returncode != 0
    errors = [x for x in res.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1, res.stderr[-3000:]
    line = errors[0]
    assert "ft stage 'ft: " in line and "Java heap exhausted" in line and "spark.driver.memory" in line, line
    assert not (ft / "manifest.json").exists()
    assert not (ft / "commitpackft").exists()
    # No Java stack trace on the console; the whole trace is in the log file the line names.
    assert "\tat org.apache" not in res.stderr and "\tat java." not in res.stderr
    log = line.rsplit("full trace: ", 1)[1].strip()
    assert "OutOfMemoryError" in Path(log).read_text(errors="replace")

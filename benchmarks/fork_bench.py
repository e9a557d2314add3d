"""What mining fork networks once saves: one repository and N forks, mined with and without networks.

    python benchmarks/fork_bench.py [--forks 8] [--commits 400] [--extra 5] [--files 20] [--out DIR]

Builds (git fast-import, deterministic) a repository of --commits commits over --files Python files, and
--forks bare clones of it, each with --extra commits of its own; then runs `octopack mine` (run_mine on a
local Spark session, the same for both) over the 1 + N repositories twice, side by side in one process:
`mine.fork_networks=false` (every repository walked in full) and `true` (the network walked once), and
prints wall time, commits walked and rows written for each. A first small run warms Spark up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from octopack_spark.config import PipelineConfig  # noqa: E402
from octopack_spark.mining.job import run_mine  # noqa: E402

_ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1")


def _fast_import(repo: str, stream: str) -> None:
    subprocess.run(["git", "-C", repo, "fast-import", "--quiet"], input=stream.encode(), check=True, env=_ENV)


def _commit(ref: str, mark: int, t: int, msg: str, path: str, text: str, parent: str | None) -> str:
    data = text.encode()
    out = [f"commit {ref}", f"mark :{mark}", f"author Ada <ada@example.com> {t} +0000",
           f"committer Ada <ada@example.com> {t} +0000", f"data {len(msg.encode())}", msg]
    if parent:
        out.append(f"from {parent}")
    out += [f"M 100644 inline {path}", f"data {len(data)}", text]
    return "\n".join(out) + "\n"


def build(root: str, forks: int, commits: int, extra: int, files: int) -> list[str]:
    orig = os.path.join(root, "upstream.git")
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", orig], check=True, env=_ENV)
    parts = []
    for i in range(commits):
        f = i % files
        body = "".join(f"def f{f}_{k}(x):\n    return x * {k} + {i}\n\n" for k in range(20 + i % 7))
        parts.append(_commit("refs/heads/main", i + 1, 1_700_000_000 + 60 * i, f"Update module {f} ({i})",
                             f"pkg/mod{f}.py", body, f":{i}" if i else None))
    _fast_import(orig, "".join(parts))
    repos = [orig]
    for n in range(forks):
        fork = os.path.join(root, f"fork{n:02d}.git")
        subprocess.run(["git", "clone", "-q", "--bare", orig, fork], check=True, env=_ENV)
        parts = [_commit("refs/heads/main", k + 1, 1_800_000_000 + 60 * k, f"Fork {n} change {k}",
                         f"fork/extra{k}.py", f"FORK = {n}\nSTEP = {k}\n", "refs/heads/main^0" if k == 0 else f":{k}")
                 for k in range(extra)]
        _fast_import(fork, "".join(parts))
        repos.append(fork)
    return repos


def mine(repos: list[str], root: str, out: str, networks: bool, spark) -> tuple[float, object]:
    cfg = PipelineConfig()
    cfg.mine.repos = repos
    cfg.mine.output = out
    cfg.mine.allowed_roots = [root]
    cfg.mine.fork_networks = networks
    cfg.mine.batch_repos = 64
    t0 = time.perf_counter()
    summary = run_mine(cfg, spark=spark)
    return time.perf_counter() - t0, summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--forks", type=int, default=8)
    ap.add_argument("--commits", type=int, default=400)
    ap.add_argument("--extra", type=int, default=5)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--out", help="scratch directory (default: a temporary one, removed afterwards)")
    args = ap.parse_args(argv)
    root = args.out or tempfile.mkdtemp(prefix="fork-bench-")
    os.makedirs(root, exist_ok=True)
    try:
        from octopack_spark.spark.session import get_spark

        repos = build(root, args.forks, args.commits, args.extra, args.files)
        cfg = PipelineConfig()
        spark = get_spark(cfg.spark, cfg.storage, uris=[root], app_name="fork-bench")
        mine(repos[:1], root, os.path.join(root, "warmup"), False, spark)  # JVM, Python workers
        results = {}
        for networks in (False, True):
            results[networks] = mine(repos, root, os.path.join(root, f"out-{networks}"), networks, spark)
        print(f"fork_bench: 1 repository + {args.forks} forks, {args.commits} shared commits, "
              f"{args.extra} commits of its own per fork, spark {spark.sparkContext.master}")
        for networks, label in ((False, "per repository"), (True, "fork networks ")):
            secs, s = results[networks]
            print(f"  {label}: mine {secs:6.1f} s, {s.commits:6d} commits walked, {s.rows:6d} rows")
        (t_off, s_off), (t_on, s_on) = results[False], results[True]
        print(f"  saving: {s_off.commits / max(s_on.commits, 1):.1f}x fewer commits walked, "
              f"{t_off / t_on:.1f}x less wall time")
    finally:
        if not args.out:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

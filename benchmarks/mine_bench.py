"""Mining throughput: octopack's pygit2 walker vs `git log -p --no-merges` on the same repositories.

    .venv/bin/python benchmarks/mine_bench.py [--repo PATH_OR_URL ...] [--repeat 3] [--spark]

For every repository (a bare mirror in a scratch dir, so both sides read the same packs) it measures:
  * git:  `git log -p --no-merges HEAD > /dev/null` (patches only, no full file contents)
  * ours: `mine_repository` producing every row with full before/after contents, unified diff and
          metadata as Arrow batches (what a Spark task hands to the writer)
Throughput is commits per CPU-second ("per core"): CPU time is what one core spends, and it is far less
disturbed than wall time by other load on the machine. Wall times are printed too. Peak memory of our
walker is measured in a fresh process at 25 %, 50 % and 100 % of the history to show it does not grow
with history length. `--spark` additionally runs the whole Spark job (local[2]: clone, walk, Parquet).

Default repositories (cloned once into ~/.cache/octopack-spark/bench-repos): psf/requests,
pallets/click, python-attrs/attrs — a few thousand commits each.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from machine_info import describe

DEFAULT_REPOS = [
    "https://github.com/psf/requests",
    "https://github.com/pallets/click",
    "https://github.com/python-attrs/attrs",
]
CACHE = os.path.expanduser(os.environ.get("OCTOPACK_BENCH_REPOS", "~/.cache/octopack-spark/bench-repos"))


def machine() -> str:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{describe()}, {git}"


def mirror(src: str, scratch: str) -> str:
    """A bare copy of `src` (path or URL) so that both tools read identical, local packs."""
    parts = src.rstrip("/").split("/")
    name = parts[-1].removesuffix(".git")
    if name == "repo" and len(parts) > 1:  # mirrors laid out as <owner+name>/repo
        name = parts[-2].split("+")[-1]
    if "://" in src or src.startswith("git@"):
        cached = os.path.join(CACHE, name + ".git")
        if not os.path.isdir(cached):
            os.makedirs(CACHE, exist_ok=True)
            subprocess.run(["git", "clone", "--bare", "--quiet", src, cached], check=True)
        src = cached
    dst = os.path.join(scratch, name + ".git")
    subprocess.run(["git", "clone", "--bare", "--quiet", "--no-local", src, dst], check=True)
    return dst


def run_git(path: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        subprocess.run(["git", "-C", path, "log", "-p", "--no-merges", "HEAD"], stdout=devnull, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


_WORKER = r"""
import json, resource, sys, time
from octopack_spark.config import MineConfig
from octopack_spark.mining.sources import RepoSpec
from octopack_spark.mining.walk import RepoOutcome, mine_repository
path, max_commits = sys.argv[1], int(sys.argv[2])
spec = RepoSpec(path, name="bench", kind="local", location=path)
cfg = MineConfig(max_commits=max_commits or None)
# warm-up imports (pyarrow lazily imports parts of itself on first conversion)
next(iter(mine_repository(spec, MineConfig(max_commits=1), RepoOutcome("b", path))), None)
out = RepoOutcome("bench", path)
t, c = time.perf_counter(), time.process_time()
rows = 0
for batch in mine_repository(spec, cfg, out):
    rows += batch.num_rows
wall, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({"commits": out.commits, "rows": rows, "bytes": out.bytes, "wall": wall, "cpu": cpu,
                  "errors": out.errors, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_ours(path: str, max_commits: int = 0) -> dict:
    out = subprocess.run([sys.executable, "-c", _WORKER, path, str(max_commits)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", action="append", help="repository path or URL (repeatable)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool; the best is reported")
    ap.add_argument("--spark", action="store_true", help="also run the full Spark job (local[2])")
    args = ap.parse_args()
    print("machine:", machine())
    scratch = tempfile.mkdtemp(prefix="octopack-bench-")
    try:
        repos = [mirror(r, scratch) for r in (args.repo or DEFAULT_REPOS)]
        rows = []
        for path in repos:
            n = int(subprocess.run(["git", "-C", path, "rev-list", "--no-merges", "--count", "HEAD"],
                                   capture_output=True, text=True, check=True).stdout)
            gits, ours = [], []
            for _ in range(args.repeat):  # interleaved, so both see the same machine conditions
                gits.append(run_git(path))
                ours.append(run_ours(path))
            g_wall, g_cpu = min(w for w, _ in gits), min(c for _, c in gits)
            best = min(ours, key=lambda r: r["cpu"])
            assert best["commits"] == n, (best["commits"], n, best["errors"])
            mem = [run_ours(path, max(1, n * q // 100))["maxrss_mb"] for q in (25, 50)] + [best["maxrss_mb"]]
            rows.append((os.path.basename(path), n, best, g_wall, g_cpu, mem))
        print()
        hdr = (f"{'repository':<16}{'commits':>8}{'git c/s/core':>14}{'ours c/s/core':>15}{'ratio':>7}"
               f"{'git wall':>10}{'ours wall':>10}{'rows':>8}{'content MB':>11}  peak RSS MB @25/50/100% history")
        print(hdr)
        print("-" * len(hdr))
        tot_git = tot_ours = tot_n = 0.0
        for name, n, best, g_wall, g_cpu, mem in rows:
            g, o = n / g_cpu, n / best["cpu"]
            tot_git += g_cpu
            tot_ours += best["cpu"]
            tot_n += n
            print(f"{name:<16}{n:>8}{g:>14.0f}{o:>15.0f}{o / g:>7.2f}{g_wall:>9.2f}s{best['wall']:>9.2f}s"
                  f"{best['rows']:>8}{best['bytes'] / 1e6:>11.1f}  {mem[0]:.0f} / {mem[1]:.0f} / {mem[2]:.0f}")
        print(f"{'all':<16}{int(tot_n):>8}{tot_n / tot_git:>14.0f}{tot_n / tot_ours:>15.0f}"
              f"{(tot_n / tot_ours) / (tot_n / tot_git):>7.2f}")
        print("\nratio = ours / git commits per CPU-second (target >= 0.5); ours also emits full old/new contents.")
        if args.spark:
            bench_spark(repos, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def bench_spark(repos: list[str], scratch: str) -> None:
    from octopack_spark.config import PipelineConfig
    from octopack_spark.mining.job import run_mine

    cfg = PipelineConfig()
    cfg.spark.master = "local[2]"
    cfg.mine.repos = repos
    cfg.mine.allowed_roots = [scratch]
    cfg.mine.output = os.path.join(scratch, "out")
    t = time.perf_counter()
    s = run_mine(cfg)
    wall = time.perf_counter() - t
    print(f"\nSpark job local[2] (session start, clone, walk, Parquet write, manifest): {s.commits} commits, "
          f"{s.rows} rows in {wall:.1f} s wall = {s.commits / wall / 2:.0f} commits/s per core")


if __name__ == "__main__":
    sys.exit(main())

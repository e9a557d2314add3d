"""Scale benchmark: the data side end to end on real repositories, with default settings.

    .venv/bin/python benchmarks/scale_bench.py --corpus DIR [--sizes 0.01,0.1,1] [--out DIR]
        [--cores-check NAME] [--big-tree] [--clone-cache [--clone-cache-repos A,B,C]]

DIR holds one Git repository per sub-directory (bare mirrors or clones; e.g. `git clone --mirror` of
the repositories listed in docs/scale.md). For each size (a share of every repository's non-merge
history, newest first, via the repos file's `max_commits` column) it runs the commands a user runs,
as subprocesses with default settings:

  mine   octopack mine --repos-file corpus.csv --output OUT/<size>/mine
  ft     octopack ft --input OUT/<size>/mine --output OUT/<size>/ft
  sql    octopack sql "SELECT count(*) ..." over commits and commitpackft
  load   the training data loader (training.data) over the ft output: every row of every unit read,
         templated and tokenized with the tiny-cpu tokenizer (trained on the data, as `octopack train` does)

and prints for each: wall time, rows/s, input and output bytes, and the peak RSS of the whole process
tree (driver JVM + Python driver + Python workers, sampled every 0.2 s). Side by side, in the same run:
`git log -p --no-merges` over the same commits (one core; through `git diff-tree --stdin -p`, which
is what `git log -p` runs, restarted past commits whose blobs are missing — plain `git log -p` dies on
them), and the ratio of commits/s per core. `--cores-check NAME` mines repository NAME pinned to one CPU
(taskset, local[1]) and on two (local[2]) and compares wall time and rows; `--big-tree` mines a generated repository with a 50,000-file
tree and a small one with the same changes; `--clone-cache` serves three repositories over git://
on 127.0.0.1 and mines them twice (clone, then a rerun that asks each remote for its HEAD and, nothing
having moved, neither fetches nor mines).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine_info import cores, describe  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable


# ----------------------------------------------------------------------------------------- measuring
def _tree_rss(pid: int) -> int:
    """RSS (bytes) of a process and all its descendants."""
    total, todo, seen = 0, [pid], set()
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
        todo += children.get(p, [])
    return total


def run_measured(cmd: list[str], env: dict | None = None, log: str | None = None) -> dict:
    """Run a command; wall time, exit code, peak RSS of its process tree, and its output."""
    t0 = time.perf_counter()
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            stop.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    rc = proc.wait()
    stop.set()
    th.join()
    if log:
        out.close()
    text = open(log).read() if log else ""
    return {"wall": time.perf_counter() - t0, "rc": rc, "peak_rss": peak[0], "output": text}


def dir_bytes(path: str) -> int:
    from octopack_spark.storage.fs import local_tree_bytes

    return local_tree_bytes(path)


def gib(n: float) -> str:
    return f"{n / 1024**3:.2f} GiB" if n >= 1024**3 else f"{n / 1024**2:.0f} MiB"


# ----------------------------------------------------------------------------------------- corpus
def corpus_repos(corpus: str) -> list[tuple[str, str]]:
    """(name, git dir) for every repository under `corpus`."""
    out = []
    for name in sorted(os.listdir(corpus)):
        p = os.path.join(corpus, name)
        for cand in (p, os.path.join(p, "repo"), os.path.join(p, ".git")):
            if os.path.isfile(os.path.join(cand, "HEAD")) and os.path.isdir(os.path.join(cand, "objects")):
                out.append((name, cand))
                break
    return out


def non_merge_count(git_dir: str) -> int:
    r = subprocess.run(["git", f"--git-dir={git_dir}", "rev-list", "--count", "--no-merges", "HEAD"],
                       capture_output=True, text=True, check=True)
    return int(r.stdout.strip())


def write_repos_file(path: str, repos: list[tuple[str, str]], counts: dict[str, int], share: float) -> dict:
    import csv

    limits = {}
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["url", "name", "max_commits"])
        for name, d in repos:
            n = max(1, int(round(counts[name] * share)))
            limits[name] = n
            w.writerow([d, name, n if share < 1 else ""])
    return limits


def git_log_p(git_dir: str, n: int) -> dict:
    """`git log -p --no-merges -n N` work, as `git diff-tree --stdin -p -M` over the same commit list,
    restarted past commits git cannot read (missing blobs). Wall time, commits and skipped commits."""
    t0 = time.perf_counter()
    revs = subprocess.run(["git", f"--git-dir={git_dir}", "rev-list", "--no-merges", "--date-order", "-n", str(n),
                           "HEAD"], capture_output=True, text=True, check=True).stdout.split()
    pos, skipped = 0, 0
    while pos < len(revs):
        proc = subprocess.Popen(["git", f"--git-dir={git_dir}", "diff-tree", "--stdin", "-p", "-M", "--root",
                                 "--always", "--format=%H"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        def write_revs(p=proc, r=revs[pos:]):
            try:
                p.stdin.write(("\n".join(r) + "\n").encode())
                p.stdin.close()
            except BrokenPipeError:  # git died on a commit it cannot read; the loop restarts past it
                pass

        feed = threading.Thread(target=write_revs, daemon=True)
        feed.start()
        seen = 0
        for line in proc.stdout:
            if len(line) == 41 and line[:40].strip(b"0123456789abcdef") == b"":
                seen += 1
        proc.wait()
        feed.join()
        pos += seen
        if proc.returncode != 0 and pos < len(revs):
            # the commit whose header did not appear failed (its header is printed after its diff is made)
            pos += 1
            skipped += 1
        elif proc.returncode == 0:
            break
    return {"wall": time.perf_counter() - t0, "commits": len(revs), "skipped": skipped}


# ----------------------------------------------------------------------------------------- stages
def octopack(*args: str) -> list[str]:
    return [PY, "-m", "octopack_spark.cli.main", *args]


def manifest(path: str) -> dict:
    with open(os.path.join(path, "manifest.json")) as f:
        return json.load(f)


LOADER = r"""
import json, sys, time
from training.config import load_train_config
from training.data.pipeline import build_pipeline
from training.model import resolve_tokenizer
from octopack_spark.storage.fs import Storage
data, out = sys.argv[1], sys.argv[2]
cfg = load_train_config("tiny-cpu", overrides={"data.path": data, "output": out, "data.shuffle": False})
storage = Storage.for_config(cfg.storage)
tok, _ = resolve_tokenizer(cfg, storage, out, True, lambda: None)
t = time.perf_counter()
pipe = build_pipeline(cfg, tok, storage, 0, 1)
batches = tokens = 0
while pipe.epoch == 0:  # one full pass over the ft output
    b = pipe.next_batch(cfg.train.micro_batch_size)
    batches += 1
    tokens += int(b["input_ids"].size - b["n_pad"].sum())
print("LOADER=" + json.dumps({"seconds": time.perf_counter() - t, "batches": batches, "tokens": tokens,
                             "counters": pipe.all_counters()}))
"""


FT_ARGS = ["--token-fallback", "chars"]
HUMANEVALPACK = os.path.join(os.path.dirname(ROOT), "shared", "data", "humanevalpack")
if os.path.isdir(HUMANEVALPACK):  # decontamination source without the hub
    FT_ARGS += ["--humanevalpack", HUMANEVALPACK]


def run_size(repos, counts, share: float, out: str, logs: str, downstream: bool = True) -> dict:
    label = f"{share * 100:g}%"
    d = os.path.join(out, label.replace("%", "pct"))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    repos_file = os.path.join(d, "corpus.csv")
    limits = write_repos_file(repos_file, repos, counts, share)
    res: dict = {"size": label, "commits_planned": sum(limits.values())}
    env = dict(os.environ)

    # git log -p, one core, same commits
    g = {"wall": 0.0, "commits": 0, "skipped": 0}
    for name, gd in repos:
        x = git_log_p(gd, limits[name])
        for k in g:
            g[k] += x[k]
    res["git"] = g

    mine_out, ft_out = os.path.join(d, "mine"), os.path.join(d, "ft")
    roots = sorted({os.path.dirname(os.path.abspath(gd)) for _n, gd in repos} | {"/"})
    m = run_measured(octopack("mine", "--repos-file", repos_file, "--output", mine_out, "--allowed-root", roots[0]),
                     env, os.path.join(logs, f"mine-{label}.log"))
    mm = manifest(mine_out) if m["rc"] == 0 else {}
    res["mine"] = {**{k: m[k] for k in ("wall", "rc", "peak_rss")}, "rows": mm.get("counts", {}).get("rows", 0),
                   "commits": mm.get("counts", {}).get("commits", 0),
                   "in_bytes": sum(dir_bytes(os.path.join(gd, "objects")) for _n, gd in repos),
                   "out_bytes": dir_bytes(os.path.join(mine_out, "commits")),
                   "repos_by_status": mm.get("counts", {}).get("repos_by_status")}
    # The paper's tokenizer (bigcode/starcoder) is not on this machine and no hub is reachable: ft's own
    # fallback (characters / 3.3) counts tokens; every other setting is the default.
    if not downstream:
        return res
    f = run_measured(octopack("ft", "--input", mine_out, "--output", ft_out, *FT_ARGS), env,
                     os.path.join(logs, f"ft-{label}.log"))
    fm = manifest(ft_out) if f["rc"] == 0 else {}
    res["ft"] = {**{k: f[k] for k in ("wall", "rc", "peak_rss")}, "rows": fm.get("counts", {}).get("rows_in", 0),
                 "rows_out": fm.get("counts", {}).get("rows_out", 0), "in_bytes": res["mine"]["out_bytes"],
                 "out_bytes": dir_bytes(os.path.join(ft_out, "commitpackft")) + dir_bytes(os.path.join(ft_out, "scored"))}
    q = run_measured(octopack("sql", "SELECT (SELECT count(*) FROM commits) AS commits, "
                              "(SELECT count(*) FROM commitpackft) AS kept", "--data", d, "--format", "json"),
                     env, os.path.join(logs, f"sql-{label}.log"))
    res["sql"] = {**{k: q[k] for k in ("wall", "rc", "peak_rss")}, "answer": q["output"].strip().splitlines()[-1:]}
    load = run_measured([PY, "-c", LOADER, ft_out, os.path.join(d, "train")], env, os.path.join(logs, f"load-{label}.log"))
    line = [x for x in load["output"].splitlines() if x.startswith("LOADER=")]
    res["load"] = {**{k: load[k] for k in ("wall", "rc", "peak_rss")},
                   **(json.loads(line[0][7:]) if line else {}), "rows": res["ft"]["rows_out"]}
    return res


def print_size(r: dict, ncores: int) -> None:
    g, m = r["git"], r["mine"]
    print(f"\n== size {r['size']}: {r['commits_planned']} non-merge commits planned")
    for stage in ("mine", "ft", "sql", "load"):
        if stage not in r:
            print(f"  {stage:<5} not run at this size (--downstream-sizes)")
            continue
        s = r[stage]
        rows = s.get("rows", 0)
        rate = f"{rows / s['wall']:,.0f} rows/s" if rows and s["wall"] else ""
        extra = ""
        if "in_bytes" in s:
            extra = f", in {gib(s['in_bytes'])}, out {gib(s['out_bytes'])}"
        print(f"  {stage:<5} rc={s['rc']} wall {s['wall']:8.1f} s  rows {rows:>9,}  {rate:>14}{extra}, "
              f"peak RSS (JVM + Python) {gib(s['peak_rss'])}")
    if m["wall"] and g["wall"]:
        ours = m["commits"] / m["wall"] / ncores
        theirs = g["commits"] / g["wall"]
        print(f"  git log -p --no-merges: {g['commits']} commits in {g['wall']:.1f} s on 1 core "
              f"({g['skipped']} unreadable commits skipped) = {theirs:,.0f} commits/s/core; "
              f"octopack mine: {ours:,.0f} commits/s/core on {ncores} cores -> ratio {ours / theirs:.2f}")
        if "ft" in r and r["ft"]["wall"]:
            print(f"  ft rows/s {r['ft']['rows'] / r['ft']['wall']:,.0f} vs mine rows/s {m['rows'] / m['wall']:,.0f}")
    print(f"  repos by status: {m['repos_by_status']}" + (f"; sql answer: {r['sql']['answer']}" if "sql" in r else ""))


# ----------------------------------------------------------------------------------------- extras
def rows_digest(mine_out: str) -> tuple[int, str]:
    import pyarrow.dataset as ds

    m = manifest(mine_out)
    files = [os.path.join(mine_out, f) for f in m["tables"]["commits"]["files"]]
    t = ds.dataset(files, format="parquet", partitioning="hive",
                   partition_base_dir=os.path.join(mine_out, "commits")).to_table(
        columns=["row_id", "old_contents", "new_contents", "diff"])
    h = hashlib.sha256()
    keyed = sorted(zip(t.column("row_id").to_pylist(), t.column("old_contents").to_pylist(),
                       t.column("new_contents").to_pylist(), t.column("diff").to_pylist()))
    for row in keyed:
        h.update(json.dumps(row).encode())
    return len(keyed), h.hexdigest()


def cores_check(name: str, git_dir: str, out: str, logs: str) -> None:
    # "1 core" is the whole process tree pinned to one CPU (taskset), not only local[1]: the git
    # processes each task starts would otherwise run on the second core.
    print(f"\n== cores check: {name} pinned to 1 CPU (taskset -c 0, local[1]) vs 2 CPUs (local[2])")
    res = {}
    for n in (1, 2):
        o = os.path.join(out, f"cores-{n}")
        shutil.rmtree(o, ignore_errors=True)
        pin = ["taskset", "-c", "0"] if n == 1 else []
        r = run_measured(pin + octopack("mine", "--repo", git_dir, "--output", o, "--allowed-root", "/", "--master",
                                        f"local[{n}]"), None, os.path.join(logs, f"cores-{n}.log"))
        rows, digest = rows_digest(o) if r["rc"] == 0 else (0, "")
        res[n] = (r["wall"], rows, digest)
        print(f"  local[{n}]: rc={r['rc']} wall {r['wall']:.1f} s, rows {rows:,}, digest {digest[:16]}, "
              f"peak RSS {gib(r['peak_rss'])}")
    print(f"  2 cores / 1 core wall = {res[2][0] / res[1][0]:.2f}; rows identical: {res[1][1:] == res[2][1:]}")


def big_tree_check(out: str) -> None:
    """Per-commit cost of the walker on a 50,000-file tree vs a 50-file tree, same 300 small commits."""
    import pygit2

    from octopack_spark.config import MineConfig
    from octopack_spark.mining.sources import RepoSpec
    from octopack_spark.mining.walk import RepoOutcome, mine_repository

    print("\n== big tree: walker cost per commit, 50,000-file tree vs 50-file tree (300 commits each)")
    res = {}
    for files in (50, 50_000):
        path = os.path.join(out, f"tree-{files}.git")
        shutil.rmtree(path, ignore_errors=True)
        repo = pygit2.init_repository(path, bare=True)
        blob = repo.create_blob(b"int x = 1;\n")
        per_dir = 500
        root = repo.TreeBuilder()
        for dn in range(max(1, files // per_dir)):
            tb = repo.TreeBuilder()
            for fn in range(min(per_dir, files)):
                tb.insert(f"f{fn}.c", blob, pygit2.enums.FileMode.BLOB)
            root.insert(f"d{dn}", tb.write(), pygit2.enums.FileMode.TREE)
        tree = root.write()
        sig = pygit2.Signature("B", "b@example.com", 1_700_000_000, 0)
        parent = repo.create_commit("refs/heads/main", sig, sig, "Initial tree", tree, [])
        base = repo[tree]
        for i in range(300):
            d0 = base["d0"]
            tb = repo.TreeBuilder(repo[d0.id])
            tb.insert(f"f{i % per_dir}.c", repo.create_blob(f"int x = {i};\n".encode()), pygit2.enums.FileMode.BLOB)
            rb = repo.TreeBuilder(base)
            rb.insert("d0", tb.write(), pygit2.enums.FileMode.TREE)
            base = repo[rb.write()]
            parent = repo.create_commit("refs/heads/main", sig, sig, f"Change {i}", base.id, [parent])
        repo.set_head("refs/heads/main")
        spec = RepoSpec(path, name=f"tree{files}", kind="local", location=path)
        o = RepoOutcome(spec.name, path)
        t = time.perf_counter()
        rows = sum(b.num_rows for b in mine_repository(spec, MineConfig(max_commits=300), o))
        res[files] = (time.perf_counter() - t) / max(o.commits, 1)
        print(f"  {files:>6} files: {o.commits} commits, {rows} rows, {res[files] * 1000:.2f} ms/commit")
    print(f"  per-commit cost ratio (50,000 / 50 files) = {res[50_000] / res[50]:.2f}")


def clone_cache_check(repos: list[tuple[str, str]], out: str, logs: str, names: str = "") -> None:
    """Mine repositories over git:// twice: the first run clones, the rerun only fetches. `names`:
    comma-separated corpus names (complete repositories: a partial one cannot be served); default the
    three smallest."""
    wanted = [n for n in names.split(",") if n]
    small = [r for r in repos if r[0] in wanted] if wanted else sorted(repos, key=lambda r: dir_bytes(r[1]))[:3]
    base = tempfile.mkdtemp(prefix="octopack-daemon-")
    for name, gd in small:
        os.symlink(os.path.abspath(gd), os.path.join(base, name + ".git"))
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    daemon = subprocess.Popen(["git", "daemon", "--export-all", "--reuseaddr", f"--base-path={base}",
                               "--listen=127.0.0.1", f"--port={port}", base], stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        cache = os.path.join(out, "clone-cache")
        shutil.rmtree(cache, ignore_errors=True)
        o = os.path.join(out, "clone-cache-mine")
        shutil.rmtree(o, ignore_errors=True)
        args = ["mine", "--output", o, "--set", f"mine.clone_cache_dir={cache}"]
        for name, _gd in small:
            args += ["--repo", f"git://127.0.0.1:{port}/{name}.git"]
        print(f"\n== clone cache: {', '.join(n for n, _ in small)} over git://127.0.0.1")
        first = run_measured(octopack(*args), None, os.path.join(logs, "clone-1.log"))
        second = run_measured(octopack(*args), None, os.path.join(logs, "clone-2.log"))
        with open(os.path.join(logs, "clone-2.log")) as f:
            settled = [ln.split(": ", 1)[-1].strip() for ln in f if "unchanged since the last run" in ln]
        print(f"  first run (clone + mine): rc={first['rc']} {first['wall']:.1f} s; rerun on the unchanged corpus "
              f"(no clone; HEADs asked with ls-remote, nothing fetched or mined): rc={second['rc']} "
              f"{second['wall']:.1f} s -> {first['wall'] / second['wall']:.1f}x faster; {'; '.join(settled) or '-'}")
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait()
        shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="directory with one git repository per sub-directory")
    ap.add_argument("--sizes", default="0.01,0.1,1", help="shares of each repository's history")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "octopack-scale-bench"))
    ap.add_argument("--cores-check", metavar="NAME", help="repository for the 1-core vs 2-core check")
    ap.add_argument("--big-tree", action="store_true")
    ap.add_argument("--clone-cache", action="store_true")
    ap.add_argument("--clone-cache-repos", default="", metavar="A,B,C",
                    help="corpus repositories for --clone-cache (default: the three smallest)")
    ap.add_argument("--skip-sizes", action="store_true", help="only the extra checks")
    ap.add_argument("--downstream-sizes", default=None,
                    help="sizes at which ft, sql and the loader run after mine (default: all sizes)")
    args = ap.parse_args()
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {describe()}, {git}")
    repos = corpus_repos(args.corpus)
    counts = {n: non_merge_count(d) for n, d in repos}
    print(f"corpus: {len(repos)} repositories, {sum(counts.values()):,} non-merge commits: " +
          ", ".join(f"{n} {c:,}" for n, c in counts.items()))
    os.makedirs(args.out, exist_ok=True)
    logs = os.path.join(args.out, "logs")
    os.makedirs(logs, exist_ok=True)
    results = []
    if not args.skip_sizes:
        downstream = None if args.downstream_sizes is None else {float(x) for x in args.downstream_sizes.split(",")}
        for share in (float(x) for x in args.sizes.split(",")):
            r = run_size(repos, counts, share, args.out, logs, downstream is None or share in downstream)
            results.append(r)
            print_size(r, cores())
            with open(os.path.join(args.out, "results.json"), "w") as f:
                json.dump(results, f, indent=1)
        if len(results) >= 2:
            print("\n== cost curve (wall time relative to the previous size; rows ratio in brackets)")
            for a, b in zip(results, results[1:]):
                for stage in ("mine", "ft", "sql", "load"):
                    if stage not in a or stage not in b:
                        continue
                    ra = a[stage].get("rows") or 1
                    rb = b[stage].get("rows") or 1
                    print(f"  {stage:<5} {a['size']} -> {b['size']}: x{b[stage]['wall'] / a[stage]['wall']:.2f} "
                          f"(rows x{rb / ra:.2f})")
    if args.cores_check:
        gd = dict(repos)[args.cores_check]
        cores_check(args.cores_check, gd, args.out, logs)
    if args.big_tree:
        big_tree_check(args.out)
    if args.clone_cache:
        clone_cache_check(repos, args.out, logs, args.clone_cache_repos)
    return 0


if __name__ == "__main__":
    sys.exit(main())

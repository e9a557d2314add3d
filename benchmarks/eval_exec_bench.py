"""Benchmark: wall time to check all HumanEvalPack canonical solutions, per language, with the execution
engine (evaluation.execution) next to a straightforward one-process-per-sample runner, in the same run.

The baseline does what ../shared/reference/humanevalpack_exec.md's runner did: for every sample a fresh temp
dir, compile and run it with the plain toolchain commands (python main.py; node main.js; javac + java -ea;
go test in its own module dir with the warm module/build caches; g++ then ./main; rustc --test against the
prebuilt crates then ./main), no sandbox, as many worker threads as the engine. Both runners get the same
assembled source and a fixed timeout, and their pass/fail verdicts must be identical (except the two
nondeterministic canonicals, Go/95 and Rust/32, which are reported by name when they differ).

    .venv/bin/python benchmarks/eval_exec_bench.py [--languages python,js,...] [--limit N] [--workers N] [--repeat N]

Prints the machine (cores, CPU model, memory, load average), per language: wall and CPU seconds of both
runners, the speed-up, and verdict agreement; then the totals.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from machine_info import describe  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluation.data import LANGUAGES, load_language, problems_by_id  # noqa: E402
from evaluation.execution import api, engine  # noqa: E402
from evaluation.execution.assemble import assemble, program_for  # noqa: E402
from evaluation.execution.runners.rust import rustc_cmd  # noqa: E402
from evaluation.execution.toolchains import CPP_STD, Toolchains  # noqa: E402

KNOWN_FLAKY = {"Go/95", "Rust/32"}
# The figures of the previous recorded runs (docs/evaluation-execution.md, "Benchmark"), printed next to
# this run's: the two full runs after balanced chunks, python -S and reused worker cgroups (issue 13).
PREVIOUS = {"total": "4.84x / 5.14x", "python": "0.60x / 1.06x", "js": "0.76x / 0.67x",
            "java": "10.4x / 11.3x", "go": "20.0x / 15.9x", "cpp": "2.46x / 2.37x", "rust": "2.13x / 1.35x"}
FILE_NAMES = {"python": "main.py", "js": "main.js", "java": "Main.java", "go": "main_test.go",
              "cpp": "main.cpp", "rust": "main.rs"}


def machine() -> str:
    return describe()


# ------------------------------------------------------------------------------------------- baseline
class Baseline:
    """One process (compile, then run) per sample, no batching, no sandbox."""

    def __init__(self, tools: Toolchains, scratch: Path, timeout_s: float):
        self.t = tools
        self.scratch = scratch
        self.timeout_s = timeout_s
        # The baseline gets its own copy of the warm Go build cache (so it never writes into the engine's).
        self.gocache = scratch / "gocache"
        if tools.go and not self.gocache.exists() and tools.go_build_cache.exists():
            shutil.copytree(tools.go_build_cache, self.gocache, symlinks=True)

    def env(self, lang: str, d: Path) -> dict:
        env = {"PATH": f"{Path(self.t.go).parent if self.t.go else '/usr/bin'}:/usr/local/bin:/usr/bin:/bin",
               "HOME": str(d), "LANG": "C.UTF-8"}
        if lang == "js":
            env["NODE_PATH"] = str(self.t.js_modules)
        if lang == "go":
            env.update(GOMODCACHE=str(self.t.go_modcache), GOCACHE=str(self.gocache), GOFLAGS="-mod=mod",
                       GOPROXY="off", GOTOOLCHAIN="local", GOTELEMETRY="off", CGO_ENABLED="0")
        return env

    def _run(self, cmd, d, env, timeout):
        try:
            p = subprocess.run(cmd, cwd=d, env=env, capture_output=True, timeout=timeout)
            return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            return None, "", "timeout"

    def check(self, lang: str, source: str) -> bool:
        d = Path(tempfile.mkdtemp(dir=self.scratch))
        try:
            (d / FILE_NAMES[lang]).write_text(source)
            env = self.env(lang, d)
            t = self.t
            if lang == "python":
                rc, _, _ = self._run([t.python, "main.py"], d, env, self.timeout_s)
                return rc == 0
            if lang == "js":
                rc, out, err = self._run([t.node, "main.js"], d, env, self.timeout_s)
                return rc == 0 and "Assertion failed" not in err and not (out or err).strip()
            if lang == "java":
                rc, _, _ = self._run([t.javac, "-d", ".", "Main.java"], d, env, 120)
                if rc != 0:
                    return False
                rc, _, _ = self._run([t.java, "-ea", "-cp", ".", "Main"], d, env, self.timeout_s)
                return rc == 0
            if lang == "go":
                for n in ("go.mod", "go.sum"):
                    shutil.copy(t.go_template / n, d / n)
                rc, _, _ = self._run([t.go, "test", "-count=1", "."], d, env, 120 + self.timeout_s)
                return rc == 0
            if lang == "cpp":
                rc, _, _ = self._run([t.gxx, f"-std={CPP_STD}", "main.cpp", "-o", "main", "-lcrypto"], d, env, 120)
                if rc != 0:
                    return False
                rc, _, _ = self._run(["./main"], d, env, self.timeout_s)
                return rc == 0
            if lang == "rust":
                rc, _, _ = self._run(rustc_cmd(t.rustc, t.rust_externs, "main.rs", "main"), d, env, 120)
                if rc != 0:
                    return False
                rc, _, _ = self._run(["./main"], d, env, self.timeout_s)
                return rc == 0
            raise ValueError(lang)
        finally:
            shutil.rmtree(d, ignore_errors=True)


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--languages", default=",".join(LANGUAGES))
    ap.add_argument("--data", default=os.environ.get("OCTOPACK_HUMANEVALPACK_DIR",
                                                      str(ROOT.parent / "shared" / "data" / "humanevalpack")))
    ap.add_argument("--limit", type=int, default=0, help="only the first N problems per language")
    ap.add_argument("--workers", type=int, default=0, help="parallel samples for both runners (0 = cores)")
    ap.add_argument("--timeout", type=float, default=20.0, help="run timeout for both runners (s)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run both runners this many times per language, alternating, and report the fastest "
                         "wall time of each (other load on a shared machine makes single runs noisy)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    langs = [l.strip() for l in args.languages.split(",") if l.strip()]
    config = api.ExecConfig(workers=args.workers, measure_reference=False)
    workers = config.resolved_workers()
    tools, helper = engine.prepare_environment(config, langs)
    print(f"machine: {machine()}")
    print(f"workers: {workers} for both runners; run timeout {args.timeout:.0f} s for both; "
          f"best of {max(1, args.repeat)} alternating run(s) each\n")
    scratch = Path(tempfile.mkdtemp(prefix="octopack-bench-"))
    baseline = Baseline(tools, scratch, args.timeout)
    rows_out = []
    header = (f"{'language':<8} {'n':>4} {'engine s':>9} {'baseline s':>11} {'speed-up':>9} "
              f"{'engine cpu':>11} {'base cpu':>9} {'verdicts':>16}   previous speed-up")
    print(header)
    print("-" * len(header))
    try:
        for lang in langs:
            rows = load_language(lang, args.data)
            if args.limit:
                rows = rows[: args.limit]
            probs = problems_by_id(rows)
            reqs = [api.ExecRequest(lang, r["task_id"], program_for(r)) for r in rows]
            sources = [assemble(lang, q.program, probs[q.task_id]) for q in reqs]

            e_runs, b_runs = [], []
            for _ in range(max(1, args.repeat)):
                c0, t0 = children_cpu(), time.monotonic()
                res = engine.run_with_timeouts(reqs, probs, config, [args.timeout] * len(reqs), tools=tools,
                                               helper=helper)
                e_runs.append((time.monotonic() - t0, children_cpu() - c0))
                c0, t0 = children_cpu(), time.monotonic()
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    base = list(pool.map(lambda s: baseline.check(lang, s), sources))
                b_runs.append((time.monotonic() - t0, children_cpu() - c0))
            e_wall, e_cpu = min(e_runs)
            b_wall, b_cpu = min(b_runs)
            diff = [q.task_id for q, r, b in zip(reqs, res, base) if r.passed != b]
            flaky = [t for t in diff if t in KNOWN_FLAKY]
            real = [t for t in diff if t not in KNOWN_FLAKY]
            e_pass, b_pass = sum(r.passed for r in res), sum(base)
            verdict = "identical" if not diff else (f"flaky: {','.join(flaky)}" if not real else f"DIFFER {len(real)}")
            print(f"{lang:<8} {len(reqs):>4} {e_wall:>9.1f} {b_wall:>11.1f} {b_wall / e_wall:>8.2f}x "
                  f"{e_cpu:>11.1f} {b_cpu:>9.1f} {verdict:>16}   {PREVIOUS.get(lang, '-')}"
                  f"   (passed: engine {e_pass}, baseline {b_pass})", flush=True)
            if real:
                for t in real:
                    r = res[[q.task_id for q in reqs].index(t)]
                    print(f"    {t}: engine {r.status} / baseline {'passed' if not r.passed else 'failed'}: "
                          f"{r.detail[-300:]!r}")
            rows_out.append(dict(language=lang, n=len(reqs), engine_wall_s=e_wall, baseline_wall_s=b_wall,
                                 engine_cpu_s=e_cpu, baseline_cpu_s=b_cpu, engine_passed=e_pass,
                                 baseline_passed=b_pass, differing=diff, statuses=dict(collections.Counter(r.status for r in res))))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ew = sum(r["engine_wall_s"] for r in rows_out)
    bw = sum(r["baseline_wall_s"] for r in rows_out)
    ec = sum(r["engine_cpu_s"] for r in rows_out)
    bc = sum(r["baseline_cpu_s"] for r in rows_out)
    n = sum(r["n"] for r in rows_out)
    print("-" * len(header))
    print(f"{'total':<8} {n:>4} {ew:>9.1f} {bw:>11.1f} {bw / ew:>8.2f}x {ec:>11.1f} {bc:>9.1f} {'':>16}   "
          f"{PREVIOUS['total']}")
    print(f"\nspeed-up {bw / ew:.2f}x (previous runs: {PREVIOUS['total']}; target >= 5x)")
    print(f"\nmachine after the run: {machine()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "workers": workers, "languages": rows_out},
                                              indent=1))
    real_diffs = [t for r in rows_out for t in r["differing"] if t not in KNOWN_FLAKY]
    return 1 if real_diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Throughput of the CommitPackFT stage (`octopack ft`), with a baseline measured in the same run.

    .venv/bin/python benchmarks/ft_stage_bench.py [--rows 3000] [--master local[2]] [--skip-spark]

Data: synthetic mined commits built from the Python standard library's own files (real code, fixed per
Python version, seeded choices): single-file edits with commit subjects drawn from templates, a share of
rows that the paper's rules drop (merges, non-permissive licenses, short or non-imperative subjects,
adds), forks of the same commit (exact dedup) and edited copies (near dedup).

Runs, side by side:
  baseline  the paper's way: the rules applied one after another in plain Python, each row stopping at
            its first failure, language ID and token counts only for rows that got that far
            (commitpackft_filters1/2.py style, no scores kept)
  scorer    ft.score.Scorer in this process: every rule on every row, every score kept (no Spark)
  stage     the whole job, ft.job.run_ft on Spark (context, scoring, exact/content/near dedup,
            decontamination, scored/commitpackft/stats writes, data card)
Token counts use the documented chars fallback (no tokenizer download here), the same for all runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from machine_info import describe  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

VERBS = ["Add", "Fix", "Refactor", "Improve", "Simplify", "Handle", "Remove", "Optimize", "Use", "Rework", "Make",
         "Allow", "Support", "Move", "Rename", "Replace", "Clean up", "Document", "Extend", "Validate"]
OBJECTS = ["the bounds check", "error handling", "a retry branch", "the cache lookup", "input validation",
           "debug logging", "the loop guard", "parser state", "timeout handling", "default values", "type checks",
           "the return path", "unicode handling", "an early exit", "the lock usage"]
TAILS = ["in the reader", "for empty input", "when the file is missing", "before closing", "on Windows",
         "for large inputs", "in the fallback path", "after a reconnect", "in strict mode", "for old versions"]
BAD_SUBJECTS = ["Merge branch 'main' into dev", "wip", "fixed stuff", "Update README.md", "Bump version to 2.0.1",
                "Fix #123", "changes", "Fixed the bug in the reader code", "Minor tweaks", "Revert previous change"]


def machine() -> str:
    return describe()


def stdlib_texts(n: int, rng: random.Random) -> list[str]:
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py"))
    rng.shuffle(files)
    out = []
    for p in files:
        try:
            lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
        except (UnicodeDecodeError, OSError):
            continue
        if len(lines) >= 40:
            start = rng.randrange(0, max(1, len(lines) - 120))
            out.append("".join(lines[start:start + rng.randrange(30, 120)]))
        if len(out) == n:
            break
    return out


def synth_rows(n: int, seed: int = 5) -> list[dict]:
    from octopack_spark.mining.identity import row_id

    rng = random.Random(seed)
    texts = stdlib_texts(max(50, n // 3), rng)
    t0 = dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc)
    rows: list[dict] = []

    def sha(*parts) -> str:
        return hashlib.sha1("\0".join(map(str, parts)).encode()).hexdigest()

    i = 0
    while len(rows) < n:
        i += 1
        text = texts[i % len(texts)]
        lines = text.splitlines(keepends=True)
        at = rng.randrange(len(lines))
        new_lines = list(lines)
        new_lines.insert(at, f"    value_{i} = compute(value_{i - 1}, limit={rng.randrange(1000)})\n")
        if rng.random() < 0.5 and len(new_lines) > 3:
            del new_lines[rng.randrange(len(new_lines))]
        new = "".join(new_lines)
        r = rng.random()
        subject = (rng.choice(BAD_SUBJECTS) if r < 0.25 else
                   f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}")
        repo = f"org{i % 97}/proj{i % 41}"
        path = f"pkg/module_{i % 500}.py"
        commit = sha("c", i)
        lic = "gpl-3.0" if rng.random() < 0.08 else rng.choice(["mit", "apache-2.0", "bsd-3-clause"])
        ctype = "A" if rng.random() < 0.05 else "M"
        when = t0 + dt.timedelta(minutes=i)
        base = {
            "commit": commit, "parent": sha("p", i), "repo": repo, "repos": repo,
            "old_file": None if ctype == "A" else path, "new_file": path, "change_type": ctype,
            "old_contents": None if ctype == "A" else text, "new_contents": new, "subject": subject,
            "message": subject + "\n\n" + "Details of the change.\n" * rng.randrange(0, 3), "lang": "Python",
            "license": lic, "author_time": when, "committer_time": when, "author_id": sha("a", repo)[:24],
            "diff": None, "lines_added": 1, "lines_removed": 1, "old_size": len(text), "new_size": len(new),
            "skip_reason": None, "row_id": row_id(repo, commit, path), "repo_url": f"https://example.invalid/{repo}",
            "commit_files": 1, "stars": rng.randrange(0, 500),
        }
        rows.append(base)
        if rng.random() < 0.1:  # a fork holding the same commit (exact commit dup)
            fork = f"fork{i}/proj"
            rows.append(dict(base, repo=fork, repos=fork, row_id=row_id(fork, commit, path), stars=0))
        if rng.random() < 0.05:  # an edited copy in another repo (near dup)
            cp = f"vendor{i}/proj"
            old2 = text.replace("self", "this", 2)
            new2 = new.replace("self", "this", 2)
            rows.append(dict(base, repo=cp, repos=cp, commit=sha("v", i), old_contents=old2, new_contents=new2,
                             row_id=row_id(cp, sha("v", i), path), stars=1))
    return rows[:n]


def baseline(rows: list[dict], cfg) -> tuple[int, float]:
    """Paper-style: rules in order, stop at the first failure; scores only for rows that get there."""
    from octopack_spark.ft.filters.pipeline import active_rules
    from octopack_spark.ft.langid import detect
    from octopack_spark.ft.row import FtRow
    from octopack_spark.ft.tokens import count_sample_tokens, load_token_counter

    fc, tc = cfg.filters, cfg.tokens
    counter = load_token_counter(tc.tokenizer, tc.fallback, tc.chars_per_token)
    rules = active_rules(fc)
    t0 = time.perf_counter()
    kept = 0
    for d in rows:
        r = FtRow.from_mapping(d)
        ok = True
        for rule in rules:
            if rule.name == "token_length":
                r.n_tokens = count_sample_tokens(counter, [r.old_contents], [r.new_contents], tc.separator,
                                                 tc.max_chars)[0]
            elif rule.name == "nl_language":
                (r.nl_lang, r.nl_score), = detect([r.subject_final])
            if not rule(r, fc)[0]:
                ok = False
                break
        kept += ok
    return kept, time.perf_counter() - t0


def scorer_run(rows: list[dict], cfg) -> tuple[int, float]:
    import pyarrow as pa

    from octopack_spark.ft.context import add_context
    from octopack_spark.ft.score import Scorer, score_table
    from octopack_spark.schema import COMMITS_SCHEMA

    table = add_context(pa.Table.from_pylist(rows, schema=COMMITS_SCHEMA))
    s = Scorer(cfg)
    t0 = time.perf_counter()
    out = score_table(table, cfg, scorer=s)
    dt_ = time.perf_counter() - t0
    kept = sum(1 for x in out.column("drop_reasons").to_pylist() if not x)
    return kept, dt_


def write_commits_dataset(root: str, rows: list[dict]) -> None:
    """The input as `octopack mine` leaves it: commits/ partitioned by lang, then manifest.json."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from octopack_spark.schema import COMMITS_PARTITION, COMMITS_SCHEMA, COMMITS_VERSION
    from octopack_spark.storage.fs import Storage
    from octopack_spark.storage.manifest import Manifest, TableEntry, write_manifest

    cdir = os.path.join(root, "commits")
    pq.write_to_dataset(pa.Table.from_pylist(rows, schema=COMMITS_SCHEMA), cdir, partition_cols=[COMMITS_PARTITION])
    files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(cdir) for f in fs)
    write_manifest(Storage(), root, Manifest(kind="mine", tables={"commits": TableEntry(
        COMMITS_VERSION, rows=len(rows), files=files, partitioning=[COMMITS_PARTITION])}))


def stage_run(rows: list[dict], master: str, hep: str, workdir: str) -> tuple[int, float, dict]:
    from octopack_spark.config import SparkConfig, load_config
    from octopack_spark.ft.job import run_ft
    from octopack_spark.spark.session import get_spark

    inp, out = os.path.join(workdir, "mined"), os.path.join(workdir, "ft")
    write_commits_dataset(inp, rows)
    spark = get_spark(SparkConfig(master=master, app_name="ft-bench", conf={"spark.sql.shuffle.partitions": "8"}))
    cfg = load_config(overrides={
        "ft.input": inp, "ft.output": out, "ft.decont.source": hep, "ft.tokens.tokenizer": "/none",
        "ft.tokens.fallback": "chars", "spark.master": master})
    t0 = time.perf_counter()
    s = run_ft(cfg, spark=spark)
    dt_ = time.perf_counter() - t0
    spark.stop()
    return s.rows_out, dt_, s.stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--humanevalpack", default=str(ROOT.parent / "shared" / "data" / "humanevalpack"))
    ap.add_argument("--skip-spark", action="store_true", help="only the in-process runs")
    args = ap.parse_args()

    from octopack_spark.ft.config import FtConfig

    print(f"machine: {machine()}")
    rows = synth_rows(args.rows)
    mb = sum(len((r["old_contents"] or "").encode()) + len((r["new_contents"] or "").encode()) for r in rows) / 1e6
    print(f"data: {len(rows):,} rows, {mb:.1f} MB of file text (synthetic commits over stdlib files)")
    cfg = FtConfig(tokens={"tokenizer": "/none", "fallback": "chars"})
    # warm-up (model load, language table) outside the timed runs
    baseline(rows[:50], cfg)
    scorer_run(rows[:50], cfg)

    kept_b, t_b = baseline(rows, cfg)
    kept_s, t_s = scorer_run(rows, cfg)
    results = [("baseline (paper-style early exit, 1 core)", kept_b, t_b),
               ("scorer (all rules + scores, 1 core)", kept_s, t_s)]
    extra = None
    if not args.skip_spark:
        work = tempfile.mkdtemp(prefix="ft-bench-")
        try:
            kept_j, t_j, stats = stage_run(rows, args.master, args.humanevalpack, work)
            results.append((f"stage (run_ft on Spark {args.master}, incl. dedup/decont/writes)", kept_j, t_j))
            extra = stats
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'run':<62}{'kept':>7}{'seconds':>10}{'rows/s':>10}{'MB/s':>8}{'vs baseline':>13}")
    for name, kept, secs in results:
        rps = len(rows) / secs if secs else float("inf")
        print(f"{name:<62}{kept:>7}{secs:>10.2f}{rps:>10,.0f}{mb / secs:>8.2f}{t_b / secs:>12.3g}x")
    print("\n(vs baseline > 1 = faster than the baseline. kept differs between baseline/scorer and the stage "
          "because only the stage dedups and decontaminates.)")
    if extra:
        tm = extra["timings"]
        print("stage timings (s): " + ", ".join(f"{k} {v}" for k, v in tm.items() if isinstance(v, (int, float))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fuzz-style: 200 generated hostile repositories and 20 good ones in ONE mining run (issue 12, must-show 3).

The repositories come from `tests/helpers/hostile_repos.py` (seeded, so every run sees the same 220):
random bytes in paths and messages, odd encodings and times, deep trees, huge commits and big files,
symlinks and gitlinks, missing and corrupt blobs, partial clones without their promisor, missing trees
and commits, damaged packs, garbage refs, unborn and empty repositories, folders that are not
repositories, gitfiles / `.git` symlinks / alternates leading out of the allowed root, a promisor remote
whose upload-pack is a shell command, and sources refused before anything runs.

What must hold:
- the job completes and publishes one manifest;
- every good repository (and every hostile one whose rows are all still readable, e.g. odd bytes,
  odd times, huge commits, missing blobs) has exactly its generated (commit, path) rows; a row whose
  blob was removed says `missing_object`;
- no repository has a row that was not generated (nothing mined from outside the allowed root);
- every repository has a state row of this run, and every row that is missing is explained: the
  repository has a recorded error, and the commit is named in one unless the whole repository failed;
- no command planted in a repository's config ran.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict

import pyarrow.dataset as ds
import pytest

from octopack_spark.config import PipelineConfig
from octopack_spark.mining.job import run_mine
from octopack_spark.mining.walk import path_text
from octopack_spark.storage.fs import Storage
from octopack_spark.storage.manifest import read_manifest, table_file_uris
from tests.helpers.hostile_repos import ROWS_EXACT, generate

pytestmark = pytest.mark.spark

N_HOSTILE, N_GOOD = 200, 20
# Reasons a repository that could not be opened at all must give, by kind.
REPO_REASONS = {
    "gitfile_out": {"outside_allowed_root"},
    "gitlink_dir_out": {"outside_allowed_root"},
    "alternates_out": {"outside_allowed_root"},
    "empty": {"empty"},
    "unborn": {"empty"},
    "missing_path": {"not_found"},
    "not_a_repo": {"not_a_repository", "empty", "corrupt"},
    "refused_url": {"refused_transport", "bad_source", "outside_allowed_root"},
}


def _table(out, name):
    m = read_manifest(Storage(), str(out))
    files = table_file_uris(str(out), m.table(name))
    if not files:
        return [], m
    part = "hive" if m.table(name).partitioning else None
    return ds.dataset(files, format="parquet", partitioning=part,
                      partition_base_dir=os.path.join(str(out), name)).to_table().to_pylist(), m


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory, spark):
    base = tmp_path_factory.mktemp("fuzz")
    root, outside = base / "allowed", base / "outside"
    root.mkdir()
    outside.mkdir()
    t0 = time.monotonic()
    repos = generate(str(root), str(outside), N_HOSTILE, N_GOOD, seed=12)
    t_gen = time.monotonic() - t0
    repos_file = base / "repos.txt"
    repos_file.write_text("".join(r.source + "\n" for r in repos), encoding="utf-8")
    cfg = PipelineConfig()
    cfg.mine.repos_file = str(repos_file)
    cfg.mine.output = str(base / "out")
    cfg.mine.allowed_roots = [str(root)]
    cfg.mine.max_file_bytes = 100_000
    cfg.mine.max_files_per_commit = 200
    cfg.mine.batch_repos = 80
    cfg.mine.commits_per_task = 4  # long histories are split into slices: job 2 is fuzzed too
    cfg.mine.repo_time_budget_s = 300
    cfg.mine.max_failed_share = 1.0
    t0 = time.monotonic()
    summary = run_mine(cfg, spark=spark)
    t_mine = time.monotonic() - t0
    print(f"fuzz: generated {len(repos)} repositories in {t_gen:.1f} s, mined in {t_mine:.1f} s")
    out = base / "out"
    rows, manifest = _table(out, "commits")
    errors, _ = _table(out, "errors")
    state, _ = _table(out, "state")
    return repos, summary, rows, errors, state, manifest, outside


def test_the_run_completes_and_counts_add_up(fuzz_run):
    repos, summary, rows, errors, state, manifest, _ = fuzz_run
    assert summary.repos == len(repos)
    assert summary.rows == len(rows) == manifest.counts["rows"]
    assert len(errors) == manifest.counts["errors"]
    assert len({r["row_id"] for r in rows}) == len(rows), "duplicate rows"
    assert summary.repos_ok >= N_GOOD


def test_every_repository_has_its_rows_or_a_reason(fuzz_run):
    repos, _summary, rows, errors, state, _m, _ = fuzz_run
    got = defaultdict(set)
    by_key = {}
    for r in rows:
        key = (r["commit"], r["new_file"] if r["new_file"] is not None else r["old_file"])
        got[r["repo"]].add(key)
        by_key[(r["repo"],) + key] = r
    errs = defaultdict(list)
    for e in errors:
        errs[e["repo"]].append(e)
    states = defaultdict(list)
    for s in state:
        states[s["repo"]].append(s)
    problems = []
    for repo in repos:
        if repo.kind == "refused_url":
            reasons = {e["reason"] for e in errs[repo.source] + errs.get(os.path.basename(repo.source), [])}
            if not reasons & REPO_REASONS["refused_url"]:
                problems.append(f"{repo.source!r}: refused source without a validate error ({reasons})")
            continue
        name = repo.name
        expected = {(sha, path_text(p)) for sha, p in repo.rows}
        have = got.pop(name, set())
        st = states[name]
        where = f"{name} ({repo.kind}{', ' + repo.note if repo.note else ''})"
        if len(st) != 1:
            problems.append(f"{where}: {len(st)} state rows")
            continue
        st = st[0]
        reasons = {e["reason"] for e in errs[name]}
        if have - expected:
            problems.append(f"{where}: {len(have - expected)} rows that were never generated, e.g. "
                            f"{sorted(have - expected)[:2]}")
        if repo.kind in REPO_REASONS and not reasons & REPO_REASONS[repo.kind]:
            problems.append(f"{where}: expected one of {REPO_REASONS[repo.kind]}, got {reasons} ({st['status']})")
        if repo.kind in ROWS_EXACT:
            if have != expected:
                problems.append(f"{where}: {len(expected - have)} of {len(expected)} rows missing "
                                f"(status {st['status']}, errors {[(e['reason'], e['message'][:120]) for e in errs[name]]})")
            if st["rows"] != len(have):
                problems.append(f"{where}: state says {st['rows']} rows, the table holds {len(have)}")
            for (sha, raw), v in repo.rows.items():
                r = by_key.get((name, sha, path_text(raw)))
                if r is None or v["op"] == "D":
                    continue
                if repo.kind == "good":
                    assert r["new_contents"] == v["data"].decode(), where
                    assert r["skip_reason"] is None, (where, r["skip_reason"])
                if v["mode"] == "100644" and r["skip_reason"] is None and repo.removed_blobs:
                    from tests.helpers.hostile_repos import blob_sha

                    if blob_sha(v["data"]) in repo.removed_blobs:
                        problems.append(f"{where}: row {sha} {raw!r} has contents although its blob was removed")
            if repo.kind == "good" and (st["status"] != "ok" or errs[name]):
                problems.append(f"{where}: status {st['status']}, errors {errs[name]}")
            continue
        missing = expected - have
        if not missing:
            continue
        if not errs[name]:
            problems.append(f"{where}: {len(missing)} rows lost without any recorded error (status {st['status']})")
            continue
        repo_level = st["status"] in ("failed", "empty") or any(
            e["stage"] in ("validate", "clone", "open") and e["reason"] != "license_unreadable" for e in errs[name])
        if not repo_level:
            text = " ".join(e["message"] for e in errs[name])
            unexplained = sorted({sha for sha, _p in missing if sha not in text})
            if unexplained and len(errs[name]) < 50:
                problems.append(f"{where}: commits {unexplained[:3]} lost, named in no error: "
                                f"{[(e['reason'], e['message'][:100]) for e in errs[name]]}")
    assert not got, f"rows of repositories that were not listed: {sorted(got)[:5]}"
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} problems)"


def test_skip_reasons_for_missing_blobs(fuzz_run):
    repos, _s, rows, *_ = fuzz_run
    kinds = {r.name: r.kind for r in repos}
    reasons = defaultdict(int)
    for r in rows:
        if kinds.get(r["repo"]) in ("missing_blob", "corrupt_blob", "partial_clone", "promisor_cmd"):
            reasons[r["skip_reason"]] += 1
    assert reasons["missing_object"] > 0, dict(reasons)
    by = defaultdict(int)
    for r in rows:
        by[(kinds.get(r["repo"]), r["skip_reason"])] += 1
    assert by[("huge_commit", "commit_too_many_files")] > 0 and by[("huge_commit", "too_large")] > 0
    assert by[("modes", "symlink")] > 0 and by[("modes", "submodule")] > 0


def test_no_planted_command_ran(fuzz_run):
    repos, *_rest, outside = fuzz_run
    planted = [r.note for r in repos if r.kind == "promisor_cmd"]
    assert planted
    ran = [p for p in planted if os.path.exists(p)]
    assert not ran, f"a command from a repository's config ran: {ran}"
    assert not os.path.exists("/tmp/octopack-fuzz-pwned")


def test_paths_and_messages_are_lossless_text(fuzz_run):
    repos, _s, rows, *_ = fuzz_run
    kinds = {r.name: r.kind for r in repos}
    odd = [r for r in rows if kinds.get(r["repo"]) == "bytes_paths"]
    assert odd and any((r["new_file"] or r["old_file"]).startswith('"') for r in odd)
    msgs = [r for r in rows if kinds.get(r["repo"]) == "bytes_message"]
    assert msgs and all(isinstance(r["message"], str) for r in msgs)

"""The mining job: wires sources, state and `mine_repository` into Spark, commits batches, writes the manifest.

Data flow for one run:
  repos (CLI / repos file) -> validate + name (driver) -> previous state (last mined HEAD per repo)
  -> batches of `mine.batch_repos` repositories; per batch one Spark job with one task per repository:
     task clones bare into executor scratch, walks new commits, yields Arrow batches (mapInArrow)
     -> Spark writes `commits` (partitioned by lang) into `_staging/<unit>/`
     -> per-repo outcomes come back through an accumulator -> driver writes `errors` + `state` rows
     -> `publish` moves the unit into place (crash-safe, see storage/publish.py)
  -> `manifest.json` last, listing every file of every committed unit.
A killed run loses at most its current batch; rerunning resumes because committed repositories have a
state row with their last mined HEAD (the same mechanism that makes reruns incremental).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Optional

import pyarrow as pa

from octopack_spark.config import MineConfig, PipelineConfig
from octopack_spark.errors import UserFacingError
from octopack_spark.mining.sources import ReposFileError, RepoSpec, read_repos_file, resolve_sources
from octopack_spark.mining.walk import RepoOutcome, mine_repository
from octopack_spark.schema import (
    COMMITS_PARTITION,
    COMMITS_SCHEMA,
    COMMITS_TABLE,
    COMMITS_VERSION,
    ERRORS_SCHEMA,
    ERRORS_TABLE,
    ERRORS_VERSION,
    STATE_SCHEMA,
    STATE_TABLE,
    STATE_VERSION,
    spark_ddl,
)
from octopack_spark.spark.errors import job_failed
from octopack_spark.storage.fs import Storage, is_s3, join, normalize
from octopack_spark.storage.manifest import Manifest, TableEntry, read_manifest, write_manifest
from octopack_spark.storage.publish import completed_units, discard_staging, publish, recover, staging_uri

log = logging.getLogger(__name__)


@dataclass
class MineSummary:
    run_id: str
    output: str
    repos: int = 0
    repos_ok: int = 0
    repos_partial: int = 0
    repos_empty: int = 0
    repos_failed: int = 0
    commits: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    batches: int = 0
    errors: list[dict] = field(default_factory=list)

    def add(self, o: dict) -> None:
        self.repos += 1
        key = {"ok": "repos_ok", "partial": "repos_partial", "empty": "repos_empty"}.get(o["status"], "repos_failed")
        setattr(self, key, getattr(self, key) + 1)
        self.commits += o["commits"]
        self.rows += o["rows"]
        self.bytes += o["bytes"]

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d.pop("errors")
        return d

    def render(self) -> str:
        cps = self.commits / self.seconds if self.seconds else 0.0
        lines = [
            f"mined {self.repos} repositories into {self.output} (run {self.run_id})",
            f"  repos ok {self.repos_ok}, partial {self.repos_partial}, empty {self.repos_empty}, failed {self.repos_failed}",
            f"  commits {self.commits}, rows {self.rows}, content bytes {self.bytes}, {self.seconds:.1f} s ({cps:.1f} commits/s)",
        ]
        for e in self.errors[:20]:
            lines.append(f"  error: {e['repo']} [{e['stage']}/{e['reason']}] {e['message'][:160]}")
        if len(self.errors) > 20:
            lines.append(f"  ... and {len(self.errors) - 20} more (see the errors table)")
        return "\n".join(lines)


def _new_run_id() -> str:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{now}-{uuid.uuid4().hex[:6]}"


def collect_specs(mc: MineConfig) -> list[RepoSpec]:
    specs = [RepoSpec(u) for u in mc.repos]
    if mc.repos_file:
        try:
            specs += read_repos_file(mc.repos_file)
        except ReposFileError as e:
            raise UserFacingError(str(e)) from None
    if not specs:
        raise UserFacingError("no repositories given: pass --repo PATH_OR_URL (repeatable) or --repos-file FILE")
    return specs


def previous_state(storage: Storage, root: str, units: list[dict]) -> dict[str, dict]:
    """Latest state row per repository over all committed units (including a killed run's)."""
    latest: dict[str, dict] = {}
    files = [join(root, i["dst"]) for u in units for i in u["tables"].get(STATE_TABLE, [])]
    if not files:
        return latest
    table = storage.read_parquet(files, schema=STATE_SCHEMA)
    for row in table.to_pylist():
        cur = latest.get(row["repo"])
        if cur is None or (row["time"], row["run_id"]) >= (cur["time"], cur["run_id"]):
            latest[row["repo"]] = row
    return latest


def _resume_head(prev: Optional[dict], spec: RepoSpec, full_refresh: bool) -> Optional[str]:
    if full_refresh or prev is None:
        return None
    if prev["status"] in ("ok", "partial") and prev["repo_url"] == spec.url:
        return prev["last_head"]
    return None


def _mine_partition_fn(cfg_json: str, acc):
    """Build the mapInArrow function: one input row = one repository (JSON spec + last HEAD)."""

    def mine_partition(batches):
        mc = MineConfig.model_validate_json(cfg_json)
        for batch in batches:
            for item in batch.column(0).to_pylist():
                d = json.loads(item)
                spec = RepoSpec.from_dict(d["spec"])
                outcome = RepoOutcome(spec.name, spec.url)
                try:
                    yield from mine_repository(spec, mc, outcome, d.get("last_head"))
                except Exception as e:  # a bug must cost one repository, not the job
                    outcome.status = "partial" if outcome.rows else "failed"
                    outcome.error("internal", type(e).__name__, traceback.format_exc(limit=8))
                acc.add({spec.name: outcome.to_dict()})

    return mine_partition


def _outcome_tables(outcomes: list[dict], run_id: str, now: dt.datetime) -> tuple[pa.Table, pa.Table]:
    err_rows, state_rows = [], []
    for o in outcomes:
        for e in o["errors"]:
            err_rows.append({"repo": o["repo"], "repo_url": o["repo_url"], "stage": e["stage"],
                             "reason": e["reason"], "message": e["message"], "time": now, "run_id": run_id})
        state_rows.append({
            "repo": o["repo"], "repo_url": o["repo_url"], "last_head": o.get("head") if o["status"] in ("ok", "partial") else None,
            "status": o["status"], "time": now, "run_id": run_id, "commits": o["commits"], "rows": o["rows"],
            "bytes": o["bytes"], "seconds": float(o["seconds"]),
        })
    return (pa.Table.from_pylist(err_rows, schema=ERRORS_SCHEMA),
            pa.Table.from_pylist(state_rows, schema=STATE_SCHEMA))


def _commit_side_tables(storage: Storage, root: str, unit: str, outcomes: list[dict], run_id: str) -> dict[str, str]:
    now = dt.datetime.now(dt.timezone.utc)
    errors, state = _outcome_tables(outcomes, run_id, now)
    staged = {}
    for name, table in ((ERRORS_TABLE, errors), (STATE_TABLE, state)):
        d = join(staging_uri(root, unit), name)
        if table.num_rows:
            storage.write_parquet(join(d, "part-00000.parquet"), table)
        staged[name] = d
    return staged


def _validation_outcome(problem) -> dict:
    o = RepoOutcome(problem.spec.name, problem.spec.url)
    o.error("validate", problem.reason, problem.message)
    return o.to_dict()


def run_mine(cfg: PipelineConfig, spark=None) -> MineSummary:
    """Run the mining job described by `cfg` (cfg.mine.output required). Returns the run summary."""
    from pyspark.accumulators import AccumulatorParam

    from octopack_spark.spark.io import stage_table
    from octopack_spark.spark.session import get_spark

    class _DictMerge(AccumulatorParam):
        # Keyed by repository name, so a re-executed task overwrites instead of double counting.
        def zero(self, value):
            return {}

        def addInPlace(self, a, b):
            a.update(b)
            return a

    mc = cfg.mine
    if not mc.output:
        raise UserFacingError("no output given: pass --output DIR_OR_S3_URI")
    root = normalize(mc.output)  # absolute for local output: listings and Spark see absolute paths
    t0 = time.monotonic()
    storage = Storage.for_config(cfg.storage)
    storage.ensure_bucket(root)
    specs = collect_specs(mc)
    sources = resolve_sources(specs, mc.allowed_roots, mc.allowed_schemes)

    # Finish what a killed run left half-published, and drop its unpublished staging.
    finished = recover(storage, root)
    if finished:
        log.info("finished publishing %d unit(s) left by an interrupted run", len(finished))
    discard_staging(storage, root)
    old_units = completed_units(storage, root)
    prior = previous_state(storage, root, old_units)
    old_manifest = read_manifest(storage, root, required=False)

    run_id = _new_run_id()
    summary = MineSummary(run_id=run_id, output=root)

    if sources.problems:
        outcomes = [_validation_outcome(p) for p in sources.problems]
        unit = f"{run_id}-v"
        staged = _commit_side_tables(storage, root, unit, outcomes, run_id)
        publish(storage, root, unit, {t: (u, t) for t, u in staged.items()},
                extra={"run_id": run_id, "outcomes": outcomes})
        for o in outcomes:
            summary.add(o)
            summary.errors += [{"repo": o["repo"], **e} for e in o["errors"]]

    todo = [(s, _resume_head(prior.get(s.name), s, mc.full_refresh)) for s in sources.specs]
    if todo and spark is None:
        spark = get_spark(cfg.spark, cfg.storage, uris=[root], app_name="octopack-mine")
    cfg_json = mc.model_dump_json()
    ddl = spark_ddl(COMMITS_SCHEMA)
    for b, start in enumerate(range(0, len(todo), mc.batch_repos)):
        batch = todo[start:start + mc.batch_repos]
        unit = f"{run_id}-b{b:05d}"
        sc = spark.sparkContext
        acc = sc.accumulator({}, _DictMerge())
        items = [json.dumps({"spec": s.to_dict(), "last_head": h}) for s, h in batch]
        # One slice per repository: tasks are scheduled independently, so a big repo never holds up the rest.
        rdd = sc.parallelize([(i,) for i in items], numSlices=len(items))
        df = spark.createDataFrame(rdd, "spec string")
        mined = df.mapInArrow(_mine_partition_fn(cfg_json, acc), ddl)
        sc.setJobDescription(f"octopack mine {unit} ({len(batch)} repos)")
        try:
            staged_commits = stage_table(mined, root, unit, COMMITS_TABLE, partition_by=[COMMITS_PARTITION])
        except Exception as e:  # Py4JJavaError & co: report the root cause in one line
            hint = "batches committed so far are kept; rerun the same command to resume" + (
                f"; S3 endpoint {storage.s3.endpoint_url or 'AWS'}" if is_s3(root) else "")
            raise job_failed(f"mining batch {unit} ({len(batch)} repositories)", e, hint) from None
        results: dict = acc.value
        outcomes = []
        for s, _h in batch:
            o = results.get(s.name)
            if o is None:  # cannot happen unless an executor lost the update; record it, do not guess
                o = RepoOutcome(s.name, s.url)
                o.error("internal", "no_outcome", "the task finished without reporting an outcome")
                o = o.to_dict()
            outcomes.append(o)
        staged = _commit_side_tables(storage, root, unit, outcomes, run_id)
        staged[COMMITS_TABLE] = staged_commits
        publish(storage, root, unit, {t: (u, t) for t, u in staged.items()},
                extra={"run_id": run_id, "outcomes": outcomes})
        summary.batches += 1
        for o in outcomes:
            summary.add(o)
            summary.errors += [{"repo": o["repo"], **e} for e in o["errors"]]
        log.info("committed %s: %d repos, %d rows", unit, len(batch), sum(o["rows"] for o in outcomes))

    summary.seconds = time.monotonic() - t0
    all_units = completed_units(storage, root)
    if mc.full_refresh:
        keep = [u for u in all_units if u.get("extra", {}).get("run_id") == run_id]
        stale = [u for u in all_units if u.get("extra", {}).get("run_id") != run_id]
    else:
        keep, stale = all_units, []
    manifest = build_manifest(cfg, keep, summary, old_manifest if not mc.full_refresh else None)
    write_manifest(storage, root, manifest)
    for u in stale:  # only after the new manifest no longer lists them
        for items in u["tables"].values():
            for i in items:
                storage.delete(join(root, i["dst"]))
        storage.delete(join(root, "_log", f"{u['unit']}.json"))
    return summary


def build_manifest(cfg: PipelineConfig, units: list[dict], summary: MineSummary, old: Optional[Manifest]) -> Manifest:
    tables = {
        COMMITS_TABLE: TableEntry(COMMITS_VERSION, partitioning=[COMMITS_PARTITION]),
        ERRORS_TABLE: TableEntry(ERRORS_VERSION),
        STATE_TABLE: TableEntry(STATE_VERSION),
    }
    latest: dict[str, dict] = {}
    for u in units:
        outcomes = u.get("extra", {}).get("outcomes", [])
        for name, items in u["tables"].items():
            entry = tables.setdefault(name, TableEntry("?"))
            for i in items:
                entry.files.append(i["dst"])
                entry.bytes += i["size"]
        tables[COMMITS_TABLE].rows += sum(o["rows"] for o in outcomes)
        tables[ERRORS_TABLE].rows += sum(len(o["errors"]) for o in outcomes)
        tables[STATE_TABLE].rows += len(outcomes)
        for o in outcomes:
            latest[o["repo"]] = o
    status_counts: dict[str, int] = {}
    for o in latest.values():
        status_counts[o["status"]] = status_counts.get(o["status"], 0) + 1
    runs = list(old.runs) if old else []
    runs.append({"run_id": summary.run_id, **summary.to_dict()})
    return Manifest(
        kind="mine",
        tables=tables,
        config=cfg.redacted_dict(),
        config_hash=cfg.config_hash(),
        counts={
            "repos": len(latest),
            "repos_by_status": status_counts,
            "commits": sum(o["commits"] for u in units for o in u.get("extra", {}).get("outcomes", [])),
            "rows": tables[COMMITS_TABLE].rows,
            "errors": tables[ERRORS_TABLE].rows,
        },
        timings={"last_run_seconds": round(summary.seconds, 3)},
        runs=runs,
    )

"""The mining job: wires sources, state and the walk (mining/walk.py) into Spark, commits batches,
writes the manifest.

Data flow for one run:
  repos (CLI / repos file) -> validate + name (driver) -> previous state (last mined HEAD per repo, and
  ranges a time budget left unmined)
  -> batches of `mine.batch_repos` repositories; per batch:
     job 1, one task per repository: open (local path in place, URL via the clone cache), plan (HEAD,
       licence, commit list), mine the history when it has at most `mine.commits_per_task` commits
     job 2, one task per slice of `mine.commits_per_task` commits of each longer history (and of ranges
       left pending): mine that slice; rows are identical to one walk
     each task writes its rows as Parquet straight into `_staging/<unit>/commits/lang=.../` (mining/
       writer.py) and returns its outcome and file list; files no successful attempt reported are deleted
     -> driver merges outcomes per repository, writes `errors` + `state` rows
     -> `publish` moves the unit into place (crash-safe, see storage/publish.py)
  -> `manifest.json` last, listing every file of every committed unit.
A killed run loses at most its current batch; rerunning resumes because committed repositories have a
state row with their last mined HEAD (the same mechanism that makes reruns incremental).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

import pyarrow as pa

from octopack_spark.config import MineConfig, PipelineConfig
from octopack_spark.errors import UserFacingError
from octopack_spark.mining.sources import ReposFileError, RepoSpec, read_repos_file, resolve_sources
from octopack_spark.mining.changes import list_commits
from octopack_spark.mining.clone import MiningError, open_repository
from octopack_spark.mining.forks import (group_networks, mine_network_item, network_order, persisted, probe,
                                         resolve_pending)
from octopack_spark.governance.optout import OptOut, optout_from_config
from octopack_spark.mining.unchanged import split_unchanged
from octopack_spark.mining.walk import RepoOutcome, commit_limit, mine_commits, plan_repository
from octopack_spark.mining.progress import MineProgress, count_item
from octopack_spark.mining.writer import CommitsWriter
from octopack_spark.progress import current_reporter
from octopack_spark.schema import (
    COMMITS_PARTITION,
    COMMITS_TABLE,
    COMMITS_VERSION,
    ERRORS_SCHEMA,
    ERRORS_TABLE,
    ERRORS_VERSION,
    STATE_SCHEMA,
    STATE_TABLE,
    STATE_VERSION,
)
from octopack_spark.spark.diagnose import set_stage, stage_failed
from octopack_spark.steps import StageReporter, Step, StepRows, new_run_id, run_steps
from octopack_spark.storage.fs import Storage, is_s3, join, normalize, relative_to
from octopack_spark.storage.lock import dataset_lock
from octopack_spark.storage.manifest import Manifest, TableEntry, read_manifest, write_manifest
from octopack_spark.storage.publish import completed_units, delete_unit, discard_staging, publish, recover, staging_uri

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
    repos_opted_out: int = 0
    commits: int = 0
    rows: int = 0
    rows_skipped: int = 0
    bytes: int = 0
    seconds: float = 0.0
    batches: int = 0
    errors: list[dict] = field(default_factory=list)

    def add(self, o: dict) -> None:
        self.repos += 1
        key = {"ok": "repos_ok", "partial": "repos_partial", "empty": "repos_empty",
               "opted_out": "repos_opted_out"}.get(o["status"], "repos_failed")
        setattr(self, key, getattr(self, key) + 1)
        self.commits += o["commits"]
        self.rows += o["rows"]
        self.rows_skipped += o.get("rows_skipped", 0)
        self.bytes += o["bytes"]

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d.pop("errors")
        return d

    def render(self) -> str:
        cps = self.commits / self.seconds if self.seconds else 0.0
        lines = [
            f"mined {self.repos} repositories into {self.output} (run {self.run_id})",
            f"  repos ok {self.repos_ok}, partial {self.repos_partial}, empty {self.repos_empty}, failed {self.repos_failed}"
            + (f", opted out {self.repos_opted_out}" if self.repos_opted_out else ""),
            f"  commits {self.commits}, rows {self.rows}, content bytes {self.bytes}, {self.seconds:.1f} s ({cps:.1f} commits/s)",
        ]
        for e in self.errors[:20]:
            lines.append(f"  error: {e['repo']} [{e['stage']}/{e['reason']}] {e['message'][:160]}")
        if len(self.errors) > 20:
            lines.append(f"  ... and {len(self.errors) - 20} more (see the errors table)")
        return "\n".join(lines)


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


def _resume_point(prev: Optional[dict], spec: RepoSpec, full_refresh: bool) -> tuple[Optional[str], list[dict]]:
    """(last mined HEAD, slices a time budget left unmined) from the repository's previous state row."""
    if full_refresh or prev is None:
        return None, []
    if prev["status"] in ("ok", "partial") and prev["repo_url"] == spec.url:
        return prev["last_head"], json.loads(prev.get("pending") or "[]")
    return None, []


def _task_fn(cfg_json: str, storage_json: str, staged_commits: str, counters=None):
    """The mapInArrow function: one input row = one work item (a repository, or a slice of a big
    repository's history); one output row = its outcome and the Parquet files it wrote. `counters`
    (accumulators, only while a progress line is shown) get each item's counts."""

    def run_items(batches):
        from octopack_spark.config import StorageConfig

        mc = MineConfig.model_validate_json(cfg_json)
        storage = Storage.for_config(StorageConfig.model_validate_json(storage_json))
        keys, results = [], []
        for batch in batches:
            for item in batch.column(0).to_pylist():
                d = json.loads(item)
                keys.append(d["key"])
                result = mine_item(d, mc, storage, staged_commits)
                if counters is not None:
                    count_item(counters, d["kind"], result)
                results.append(json.dumps(result))
        yield pa.RecordBatch.from_pydict({"key": keys, "result": results})

    return run_items


def _file_name() -> str:
    from pyspark import TaskContext

    tc = TaskContext.get()
    tag = f"{tc.partitionId():05d}-{tc.attemptNumber()}" if tc is not None else "00000-0"
    return f"part-{tag}-{uuid.uuid4().hex[:12]}.zstd.parquet"


def _plan_uri(staged_commits: str, repo: str, head: str) -> str:
    key = hashlib.sha256(f"{repo}\0{head}".encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return join(staged_commits.rsplit("/", 1)[0], "_plans", f"{key}.txt")


def _slice_commits(d: dict, git_dir: str, spec: RepoSpec, mc: MineConfig, storage: Storage,
                   outcome: RepoOutcome) -> list[str]:
    """The commits [start, stop) of a slice work item: from the plan file its planning task wrote, or
    listed again for a range left pending by an earlier run (the same arguments give the same list)."""
    outcome.head, outcome.license = d["head"], d["license"]
    if d.get("plan_uri"):
        all_shas = storage.read_text(d["plan_uri"]).split("\n")
    else:
        all_shas, _merges = list_commits(
            git_dir, d["head"], d["base"], since=mc.since.timestamp() if mc.since else None,
            until=mc.until.timestamp() if mc.until else None, max_commits=commit_limit(spec, mc))
    shas = all_shas[d["start"]:d["stop"]]
    outcome.status = "ok"
    return shas


def mine_item(d: dict, mc: MineConfig, storage: Storage, staged_commits: str) -> dict:
    """Mine one work item inside a task. `d["kind"]` is "repo" (open, plan, and mine the history when it
    is short; a long one comes back as `split` for the driver to slice) or "slice" (commits
    [start, stop) of the plan of `head` excluding `base`). Returns {"outcome", "files", "split",
    "pending"}; `pending` lists the ranges a time budget left unmined, for the next run. Kinds `network`
    and `netslice` are a fork network's (mining/forks.py), `probe` reads a repository's roots."""
    if d["kind"] in ("network", "netslice"):
        return _mine_network(d, mc, storage, staged_commits)
    if d["kind"] == "probe":
        return _probe_item(d, mc)
    spec = RepoSpec.from_dict(d["spec"])
    outcome = RepoOutcome(spec.name, spec.url)
    t0 = time.monotonic()
    deadline = t0 + mc.repo_time_budget_s
    writer = CommitsWriter(storage, staged_commits, _file_name())
    split, pending, files = None, [], []
    try:
        with open_repository(spec, mc, deadline) as (repo, git_dir):
            shas, start, head, base = [], 0, None, None
            if d["kind"] == "repo":
                plan = plan_repository(repo, git_dir, spec, mc, outcome, d.get("last_head"))
                if plan is not None:
                    head, base = plan.head, plan.base
                    if len(plan.commits) > mc.commits_per_task:
                        # The slices read the commit list from here instead of listing it again.
                        plan_uri = _plan_uri(staged_commits, spec.name, head)
                        storage.write_bytes_atomic(plan_uri, "\n".join(plan.commits).encode("ascii"))
                        split = {"head": head, "base": base, "n": len(plan.commits), "plan_uri": plan_uri}
                    else:
                        shas = plan.commits
                if outcome.status != "empty":
                    outcome.status = "ok"
            else:
                head, base, start = d["head"], d["base"], d["start"]
                shas = _slice_commits(d, git_dir, spec, mc, storage, outcome)
            if shas:
                for batch in mine_commits(repo, git_dir, spec, mc, shas, outcome, deadline):
                    writer.write(batch)
                if outcome.stopped_at is not None:
                    pending.append({"head": head, "base": base, "start": start + outcome.stopped_at,
                                    "stop": start + len(shas)})
        files = [f.__dict__ for f in writer.close()]
    except MiningError as e:
        writer.abort()
        outcome.status = "failed" if outcome.commits == 0 else "partial"
        outcome.error(e.stage, e.reason, e.message)
    except Exception as e:  # a bug must cost one work item, not the job
        writer.abort()
        outcome.status = "failed"
        outcome.error("internal", type(e).__name__, traceback.format_exc(limit=8))
    if not files and outcome.rows:
        # Nothing of this item is published (a failed writer may have left partial files behind).
        outcome.commits = outcome.rows = outcome.rows_skipped = outcome.bytes = 0
    if d["kind"] == "slice" and outcome.status == "failed":
        # A slice that could not run at all (e.g. its executor could not clone) is mined by the next run.
        pending = [{"head": d["head"], "base": d["base"], "start": d["start"], "stop": d["stop"]}]
    outcome.seconds = time.monotonic() - t0
    return {"outcome": outcome.to_dict(), "files": files, "split": split, "pending": pending}


def _probe_item(d: dict, mc: MineConfig) -> dict:
    """HEAD and root commits of one repository (fork network detection); any failure: no roots (the
    mining task meets the error again and records it)."""
    spec = RepoSpec.from_dict(d["spec"])
    outcome = RepoOutcome(spec.name, spec.url, status="ok")
    try:
        outcome.head, roots = probe(spec, mc, time.monotonic() + mc.repo_time_budget_s)
    except Exception as e:  # noqa: BLE001
        outcome.status, roots = "failed", []
        log.debug("probe of %s failed: %s", spec.name, e)
    return {"outcome": outcome.to_dict(), "roots": roots, "files": [], "split": None, "pending": []}


def _stand_in(spec: dict, status: str) -> dict:
    return RepoOutcome(spec["name"], spec["url"], status=status).to_dict()


def _mine_network(d: dict, mc: MineConfig, storage: Storage, staged_commits: str) -> dict:
    """A fork network's work item (see mining/forks.py); result as mine_item's, plus `members`: one
    outcome per member (head, licence, the rows naming it)."""
    t0 = time.monotonic()
    writer = CommitsWriter(storage, staged_commits, _file_name())
    files, split, pending, members = [], None, [], {}
    outcome = RepoOutcome(d["members"][0]["name"], d["members"][0]["url"])
    try:
        res = mine_network_item(d, mc, storage, writer, lambda repo, head: _plan_uri(staged_commits, repo, head))
        files = [f.__dict__ for f in writer.close()]
        outcome, members, split, pending = res.outcome, res.members, res.split, res.pending
    except MiningError as e:
        writer.abort()
        outcome.status = "failed"
        outcome.error(e.stage, e.reason, e.message)
    except Exception as e:  # a bug must cost one work item, not the job
        writer.abort()
        outcome.status = "failed"
        outcome.error("internal", type(e).__name__, traceback.format_exc(limit=8))
    if not files and outcome.rows:  # nothing of this item is published
        outcome.commits = outcome.rows = outcome.rows_skipped = outcome.bytes = 0
        members = {}
    if outcome.status == "failed" or not members:
        # A failed slice leaves its range pending: its members are partial, not lost (last_head stays).
        status = "partial" if d["kind"] == "netslice" and outcome.status == "failed" else outcome.status
        members = {m["name"]: _stand_in(m, status) for m in d["members"]}
    if d["kind"] == "netslice" and outcome.status == "failed":
        pending = [{"network": persisted(d["network"]), "head": d["network"]["heads"][0], "base": None,
                    "start": d["start"], "stop": d["stop"]}]
    outcome.seconds = time.monotonic() - t0
    return {"outcome": outcome.to_dict(), "members": members, "files": files, "split": split, "pending": pending}


def merge_outcomes(first: dict, parts: list[dict]) -> dict:
    """One repository's outcome from its planning task and the slices of its history."""
    out = dict(first)
    out["errors"] = list(first["errors"])
    for p in parts:
        for k in ("commits", "rows", "rows_skipped", "bytes", "errors_dropped"):
            out[k] = out.get(k, 0) + p.get(k, 0)
        out["seconds"] = out["seconds"] + p["seconds"]
        out["errors"] += p["errors"]
    statuses = [p["status"] for p in parts]
    if parts and first["status"] == "ok":
        if all(s == "failed" for s in statuses):
            out["status"] = "failed"
        elif any(s != "ok" for s in statuses):
            out["status"] = "partial"
    return out


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
            "pending": json.dumps(o["pending"]) if o.get("pending") else None,
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


def _run_items(spark, cfg: PipelineConfig, storage: Storage, items: list[dict], staged_commits: str,
               what: str, counters=None) -> dict[str, dict]:
    """One Spark job, one task per work item; returns {key: result}. Files that no successful task
    attempt reported (a failed or speculative attempt) are deleted, so publish sees exactly the rows
    the outcomes count."""
    sc = spark.sparkContext
    payload = [(json.dumps(i),) for i in items]
    df = spark.createDataFrame(sc.parallelize(payload, numSlices=len(payload)), "item string")
    # Tasks check links out of the allowed roots (gitfiles, alternates) against the same absolute roots
    # the driver validated with, wherever their working directory is.
    roots = [os.path.realpath(os.path.abspath(os.path.expanduser(r))) for r in cfg.mine.allowed_roots]
    task_cfg = cfg.mine.model_copy(update={"allowed_roots": roots})
    fn = _task_fn(task_cfg.model_dump_json(), _task_storage(cfg, staged_commits).model_dump_json(), staged_commits,
                  counters)
    set_stage(spark, f"mine {what}")
    try:
        rows = df.mapInArrow(fn, "key string, result string").collect()
    except Exception as e:  # Py4JJavaError & co: one line naming what ran out; the trace goes to a log
        root = staged_commits.split("/_staging/")[0]
        published = "batches committed before it are published; rerun the same command to resume" + (
            f"; S3 endpoint {storage.s3.endpoint_url or 'AWS'}" if is_s3(root) else "")
        raise stage_failed("mine", e, cfg.spark, published=published) from None
    return {r["key"]: json.loads(r["result"]) for r in rows}


def _task_storage(cfg: PipelineConfig, uri: str):
    """Storage settings for tasks that write to S3 themselves: resolved on the driver (config, AWS
    environment, profile), because executors do not share the driver's environment."""
    if not is_s3(uri):
        return cfg.storage
    from octopack_spark.storage.s3 import resolve_s3

    s = resolve_s3(cfg.storage)
    return cfg.storage.model_copy(update={
        "endpoint_url": s.endpoint_url, "region": s.region, "access_key_id": s.access_key_id,
        "secret_access_key": s.secret_access_key, "session_token": s.session_token, "path_style": s.path_style})


def _drop_unreported(storage: Storage, staged_commits: str, results: list[dict]) -> None:
    reported = {f["path"] for r in results for f in r["files"]}
    for f in storage.list_files(staged_commits, suffix=".parquet"):
        if relative_to(staged_commits, f.uri) not in reported:
            storage.delete(f.uri)


def check_staged_rows(storage: Storage, staged_commits: str, outcomes: list[dict], what: str) -> int:
    """The rows in the staged files (from their Parquet footers) must be the rows the outcomes count;
    otherwise nothing of the batch is published. Returns the row count."""
    import pyarrow.parquet as pq

    in_files = 0
    for f in storage.list_files(staged_commits, suffix=".parquet"):
        fs, p = storage.pyarrow_filesystem(f.uri)
        with fs.open_input_file(p) as fh:
            in_files += pq.ParquetFile(fh).metadata.num_rows
    counted = sum(o["rows"] for o in outcomes)
    if in_files != counted:
        raise UserFacingError(f"mining {what}: the staged files hold {in_files} rows but the tasks counted {counted}; "
                              "nothing of this batch was published (rerun to retry it)")
    return in_files


@dataclass
class Network:
    """Repositories of one fork network mined by one task (mining/forks.py): `specs` in network order
    (the primary first), `bases` every member's last mined HEAD (unchanged members' too)."""

    specs: list
    bases: list[str]

    @property
    def key(self) -> str:
        return self.specs[0].name


def _network_items(net: Network) -> dict:
    return {"key": net.key, "kind": "network", "members": [s.to_dict() for s in net.specs], "bases": net.bases}


def _slice_items(key: str, spec: Optional[RepoSpec], rg: dict, license: Optional[str], per_task: int) -> list[dict]:
    """Work items of `per_task` commits each over one range: a repository's (`slice`) or, when the range
    holds a `network`, a fork network's (`netslice`)."""
    out = []
    for lo in range(rg["start"], rg["stop"], per_task):
        hi = min(lo + per_task, rg["stop"])
        if "network" in rg:
            out.append({"key": f"{key}\0{','.join(h or '' for h in rg['network']['heads'])}\0{lo}", "group": key,
                        "kind": "netslice", "members": rg["network"]["members"], "network": rg["network"],
                        "start": lo, "stop": hi, "plan_uri": rg.get("plan_uri")})
        else:
            out.append({"key": f"{spec.name}\0{rg['head']}\0{lo}", "group": key, "repo": spec.name, "kind": "slice",
                        "spec": spec.to_dict(), "head": rg["head"], "base": rg["base"], "start": lo,
                        "stop": hi, "license": license, "plan_uri": rg.get("plan_uri")})
    return out


def _network_outcomes(net: Network, r: dict, parts: list[dict]) -> list[dict]:
    """One outcome per member of a mined network: its own counts from the network task and slices; the
    network's errors and its ranges left pending go to the primary's."""
    outcomes = []
    for i, s in enumerate(net.specs):
        own = [p["outcome"] if p.get("members") is None else p["members"].get(s.name) for p in parts
               if p.get("members") is not None or p["outcome"]["repo"] == s.name]
        o = merge_outcomes(r["members"].get(s.name) or _stand_in(s.to_dict(), r["outcome"]["status"]),
                           [x for x in own if x is not None])
        o["pending"] = [rg for p in parts if p.get("members") is None and p["outcome"]["repo"] == s.name
                        for rg in p["pending"]]
        if i == 0:
            o["errors"] = r["outcome"]["errors"] + [e for p in parts if p.get("members") is not None
                                                    for e in p["outcome"]["errors"]] + o["errors"]
            o["pending"] += r["pending"] + [rg for p in parts if p.get("members") is not None for rg in p["pending"]]
        outcomes.append(o)
    return outcomes


def _slices_of(items: list[dict], first: dict, by_name: dict, per_task: int) -> list[dict]:
    """The second job's work items: the ranges the first job's tasks left (a long history it planned,
    ranges a time budget left pending), cut into slices of `per_task` commits."""
    slices: list[dict] = []
    for it in items:
        r = first.get(it["key"])
        if r is None:
            continue
        o = r["outcome"]
        members = [by_name[m["name"]] for m in it.get("members", [it.get("spec")])]
        for s, _h, pending in members:
            lic = (r.get("members") or {}).get(s.name, o)["license"]
            for rg in (pending if o["status"] != "failed" else []):
                slices += _slice_items(it["key"], s, rg, lic, per_task)
        sp = r["split"]
        if sp and "members" in sp:
            rg = {"network": {k: sp[k] for k in ("members", "heads", "bases", "licenses")}, "start": 0, "stop": sp["n"],
                  "plan_uri": sp["plan_uri"]}
            slices[:0] = _slice_items(it["key"], None, rg, None, per_task)
        elif sp:
            s = members[0][0]
            slices[:0] = _slice_items(it["key"], s, {"head": sp["head"], "base": sp["base"], "start": 0, "stop": sp["n"],
                                                     "plan_uri": sp["plan_uri"]}, o["license"], per_task)
    return slices


def _mine_batch(spark, cfg: PipelineConfig, storage: Storage, batch: list, staged_commits: str,
                what: str, counters=None, networks: Optional[dict[str, Network]] = None) -> list[dict]:
    """Mine a batch of repositories: a first job opens and plans every repository (or fork network:
    `networks` maps each member's name to its network) and mines the short histories; long histories
    (and ranges a time budget left for this run) become slices of at most `mine.commits_per_task`
    commits, mined by a second job. Returns one outcome per repository."""
    mc = cfg.mine
    networks = networks or {}
    by_name = {s.name: (s, h, p) for s, h, p in batch}
    items, seen = [], set()
    for s, h, _p in batch:
        net = networks.get(s.name)
        if net is None:
            items.append({"key": s.name, "kind": "repo", "spec": s.to_dict(), "last_head": h})
        elif net.key not in seen:
            seen.add(net.key)
            items.append(_network_items(net))
    first = _run_items(spark, cfg, storage, items, staged_commits, what, counters)
    slices = _slices_of(items, first, by_name, mc.commits_per_task)
    # Longest first (one task per slice, run in list order): the short remainder slices fill the cores at the
    # end instead of a full slice starting last and running alone.
    longest_first = sorted(slices, key=lambda x: x["start"] - x["stop"])
    second = _run_items(spark, cfg, storage, longest_first, staged_commits, f"{what}: {len(slices)} slices",
                        counters) if slices else {}
    _drop_unreported(storage, staged_commits, list(first.values()) + list(second.values()))
    outcomes = []
    for it in items:
        r = first.get(it["key"])
        specs = networks[it["key"]].specs if it["kind"] == "network" else [by_name[it["key"]][0]]
        if r is None:  # cannot happen unless Spark lost a task result; record it, do not guess
            for s in specs:
                o = RepoOutcome(s.name, s.url)
                o.error("internal", "no_outcome", "the task finished without reporting an outcome")
                outcomes.append({**o.to_dict(), "pending": []})
            continue
        parts = [second[x["key"]] for x in slices if x["group"] == it["key"] and x["key"] in second]
        if it["kind"] == "network":
            outcomes += _network_outcomes(networks[it["key"]], r, parts)
            continue
        o = merge_outcomes(r["outcome"], [p["outcome"] for p in parts])
        o["pending"] = r["pending"] + [rg for p in parts for rg in p["pending"]]
        outcomes.append(o)
    return outcomes


def run_mine(cfg: PipelineConfig, spark=None, reporter: Optional[StageReporter] = None) -> MineSummary:
    """Run the mining job described by `cfg` (cfg.mine.output required). Returns the run summary."""
    mc = cfg.mine
    if not mc.output:
        raise UserFacingError("no output given: pass --output DIR_OR_S3_URI")
    root = normalize(mc.output)  # absolute for local output: listings and Spark see absolute paths
    t0 = time.monotonic()
    storage = Storage.for_config(cfg.storage)
    storage.ensure_bucket(root)
    with dataset_lock(storage, root, "mine"):  # one writer per dataset: a second run is refused
        return _run_mine_locked(cfg, spark, storage, root, t0, reporter)


@dataclass
class MineRun:
    """What the mining steps (MINE_STEPS) share: settings, the dataset, and what each step found."""

    cfg: PipelineConfig
    spark: Any
    storage: Storage
    root: str
    t0: float
    run_id: str = field(default_factory=new_run_id)
    sources: Any = None                                     # mining.sources.Sources
    prior: dict[str, dict] = field(default_factory=dict)    # last state row per repository
    old_manifest: Optional[Manifest] = None
    todo: list[tuple] = field(default_factory=list)         # (spec, last mined HEAD, pending ranges)
    summary: Optional[MineSummary] = None
    optout: OptOut = field(default_factory=OptOut)
    opted_out: dict[str, tuple] = field(default_factory=dict)  # name -> (spec, why): never cloned or mined
    roots: dict[str, list[str]] = field(default_factory=dict)  # root commits per repository (fork networks)
    networks: dict[str, Network] = field(default_factory=dict)  # member name -> its network (mined together)

    def add_outcomes(self, outcomes: list[dict]) -> None:
        for o in outcomes:
            self.summary.add(o)
            self.summary.errors += [{"repo": o["repo"], **e} for e in o["errors"]]


def _sources_step(run: MineRun) -> None:
    """The repositories to mine, validated and named on the driver (no repositories: an error, before
    anything is touched)."""
    mc = run.cfg.mine
    run.sources = resolve_sources(collect_specs(mc), mc.allowed_roots, mc.allowed_schemes)


def _recover_step(run: MineRun) -> None:
    """Finish what a killed run left half-published, drop its unpublished staging, read the prior state."""
    finished = recover(run.storage, run.root)
    if finished:
        log.info("finished publishing %d unit(s) left by an interrupted run", len(finished))
    discard_staging(run.storage, run.root)
    run.prior = previous_state(run.storage, run.root, completed_units(run.storage, run.root))
    run.old_manifest = read_manifest(run.storage, run.root, required=False)


def _validate_step(run: MineRun) -> None:
    """Repositories that failed validation get an outcome (an errors + state row), published as unit `-v`."""
    mc = run.cfg.mine
    run.summary = MineSummary(run_id=run.run_id, output=run.root)
    if run.sources.problems:
        _publish_outcomes(run, f"{run.run_id}-v", [_validation_outcome(p) for p in run.sources.problems])
    run.optout = optout_from_config(mc)
    by_name = {s.name: s for s in run.sources.specs}
    for s in run.sources.specs:
        why = run.optout.reason(s.name, s.url)
        if why:  # before anything is cloned or asked (the `unchanged` step)
            run.opted_out[s.name] = (s, why)
            continue
        last_head, pending = _resume_point(run.prior.get(s.name), s, mc.full_refresh)
        run.todo.append((s, last_head, [resolve_pending(rg, by_name) for rg in pending]))


def _publish_outcomes(run: MineRun, unit: str, outcomes: list[dict]) -> None:
    """Outcomes without rows (errors + state rows only), published as one unit."""
    staged = _commit_side_tables(run.storage, run.root, unit, outcomes, run.run_id)
    publish(run.storage, run.root, unit, {t: (u, t) for t, u in staged.items()},
            extra={"run_id": run.run_id, "outcomes": outcomes})
    run.add_outcomes(outcomes)


def _unchanged_step(run: MineRun) -> StepRows:
    """Repositories whose HEAD is still the one mined last time need no task (no clone, no fetch): their
    "ok, 0 commits" outcome is published as unit `-u` (mining/unchanged.py)."""
    n = len(run.todo)
    if run.cfg.mine.full_refresh or not run.todo:
        return StepRows(rows_in=n, rows_out=n)
    specs, outcomes = split_unchanged([t[0] for t in run.todo], run.prior)
    if outcomes:
        needed = {s.name for s in specs}
        run.todo = [t for t in run.todo if t[0].name in needed]
        _publish_outcomes(run, f"{run.run_id}-u", outcomes)
        log.info("%d of %d repositories unchanged since the last run: no task needed", len(outcomes), n)
    return StepRows(rows_in=n, rows_out=len(run.todo))


def _mine_step(run: MineRun) -> StepRows:
    """Batches of `mine.batch_repos` repositories, each mined, checked and published as one unit."""
    from octopack_spark.spark.session import get_spark

    cfg = run.cfg
    if run.todo and run.spark is None:
        run.spark = get_spark(cfg.spark, cfg.storage, uris=[run.root], app_name="octopack-mine")
    _networks(run)
    with MineProgress(current_reporter(), run.summary, len(run.todo)) as progress:
        progress.start(run.spark if run.todo else None)
        _mine_batches(run, progress)
    return StepRows(rows_in=len(run.todo), rows_out=run.summary.rows)


def _mine_batches(run: MineRun, progress: MineProgress) -> None:
    """Each batch: mine, check the staged rows, publish the unit, then show its counts."""
    cfg, storage, root = run.cfg, run.storage, run.root
    for b, batch in enumerate(_batches(run.todo, run.networks, cfg.mine.batch_repos)):
        unit = f"{run.run_id}-b{b:05d}"
        staged_commits = join(staging_uri(root, unit), COMMITS_TABLE)
        outcomes = _mine_batch(run.spark, cfg, storage, batch, staged_commits, f"{unit} ({len(batch)} repos)",
                               progress.counters, run.networks)
        for o in outcomes:
            if run.roots.get(o["repo"]):
                o["roots"] = run.roots[o["repo"]]  # kept in the unit's record: later runs group forks with it
        check_staged_rows(storage, staged_commits, outcomes, unit)
        staged = _commit_side_tables(storage, root, unit, outcomes, run.run_id)
        staged[COMMITS_TABLE] = staged_commits
        publish(storage, root, unit, {t: (u, t) for t, u in staged.items()},
                extra={"run_id": run.run_id, "outcomes": outcomes, "commits_version": COMMITS_VERSION})
        run.summary.batches += 1
        run.add_outcomes(outcomes)
        progress.batch_committed()
        log.info("committed %s: %d repos, %d rows", unit, len(batch), sum(o["rows"] for o in outcomes))


def _batches(todo: list[tuple], networks: dict[str, Network], size: int) -> Iterator[list[tuple]]:
    """Batches of about `size` repositories; a fork network's members stay in one batch (a network
    bigger than `size` is a batch of its own)."""
    groups: dict[str, list[tuple]] = {}
    for t in todo:
        net = networks.get(t[0].name)
        groups.setdefault(net.key if net is not None else t[0].name, []).append(t)
    batch: list[tuple] = []
    for g in groups.values():
        if batch and len(batch) + len(g) > size:
            yield batch
            batch = []
        batch += g
    if batch:
        yield batch


def _published_rows(units: list[dict]) -> dict[str, int]:
    rows: dict[str, int] = {}
    for u in units:
        for o in u.get("extra", {}).get("outcomes", []):
            rows[o["repo"]] = rows.get(o["repo"], 0) + o.get("rows", 0)
    return rows


def _probe_roots(run: MineRun, specs: list[RepoSpec]) -> None:
    """Root commits of `specs` into run.roots: local repositories read here, URLs by `probe` tasks
    (one Spark job; they clone into the clone cache, which the mining tasks then only fetch)."""
    mc = run.cfg.mine
    remote = []
    for s in specs:
        if s.kind != "local":
            remote.append(s)
            continue
        try:
            _head, run.roots[s.name] = probe(s, mc, time.monotonic() + mc.repo_time_budget_s)
        except Exception as e:  # noqa: BLE001 - the mining task records the error
            log.debug("probe of %s failed: %s", s.name, e)
    if remote:
        from octopack_spark.spark.session import get_spark

        if run.spark is None:
            run.spark = get_spark(run.cfg.spark, run.cfg.storage, uris=[run.root], app_name="octopack-mine")
        staged = join(staging_uri(run.root, f"{run.run_id}-p"), COMMITS_TABLE)
        items = [{"key": s.name, "kind": "probe", "spec": s.to_dict()} for s in remote]
        for name, r in _run_items(run.spark, run.cfg, run.storage, items, staged, "fork networks: probe").items():
            if r.get("roots"):
                run.roots[name] = r["roots"]


def _networks(run: MineRun) -> None:
    """Fork networks (mining/forks.py): group the repositories to mine by shared root commits (with the
    roots earlier runs recorded); a network with an opted-out member is not mined at all; the others are
    mined one task per network. Opted-out repositories get a state row `opted_out` (unit `-o`)."""
    mc = run.cfg.mine
    units = [] if mc.full_refresh else completed_units(run.storage, run.root)
    prior_roots: dict[str, list[str]] = {}
    for u in units:
        for o in u.get("extra", {}).get("outcomes", []):
            if o.get("roots"):
                prior_roots[o["repo"]] = o["roots"]
    todo_names = {t[0].name for t in run.todo}
    known = {n: r for n, r in prior_roots.items() if n not in todo_names and n not in run.opted_out}
    opted_known = [n for n in known if run.optout.reason(n)]
    wanted = mc.fork_networks or run.opted_out or opted_known
    candidates = [t[0] for t in run.todo] + [spec for spec, _why in run.opted_out.values()]
    if wanted and candidates and len(candidates) + len(known) >= 2:
        _probe_roots(run, candidates)
    roots = {**prior_roots, **run.roots}
    by_name = {t[0].name: t for t in run.todo}
    removed: dict[str, tuple] = {}
    for group in group_networks(roots) if wanted else []:
        members = [by_name[n] for n in group if n in by_name]
        opted = [n for n in group if n in run.opted_out or (n in known and run.optout.reason(n))]
        if opted:
            src = opted[0]
            why = run.opted_out[src][1] if src in run.opted_out else run.optout.reason(src)
            for t in members:
                removed[t[0].name] = (t[0], f"in the fork network of {src} (shared root commit), which is opted out: {why}")
            continue
        if not mc.fork_networks or not members:
            continue
        bases = sorted({t[1] for t in members if t[1]} | {run.prior[n]["last_head"] for n in group
                        if n in known and n in run.prior and run.prior[n]["status"] in ("ok", "partial")
                        and run.prior[n].get("last_head")})
        own = {t[1] for t in members if t[1]}
        if len(members) >= 2 or set(bases) - own:
            net = Network(network_order([t[0] for t in members]), bases)
            for t in members:
                run.networks[t[0].name] = net
    run.opted_out.update(removed)
    run.todo = [t for t in run.todo if t[0].name not in run.opted_out]
    if run.networks:  # members of a network next to each other (batches keep them together)
        order = {t[0].name: i for i, t in enumerate(run.todo)}
        run.todo.sort(key=lambda t: (order[run.networks[t[0].name].key] if t[0].name in run.networks
                                     else order[t[0].name], order[t[0].name]))
        log.info("%d fork network(s) of %d repositories mined together", len({n.key for n in run.networks.values()}),
                 len(run.networks))
    if run.opted_out:
        _publish_opted_out(run, roots, _published_rows(units), opted_known)


def _publish_opted_out(run: MineRun, roots: dict[str, list[str]], published: dict, opted_known: list[str]) -> None:
    """Opted-out repositories (and their fork networks) get a state row `opted_out` (unit `-o`); refused
    without --full-refresh when any of them already has published rows."""
    mc = run.cfg.mine
    stale = sorted(n for n in set(run.opted_out) | set(opted_known) if published.get(n))
    stale += sorted(n for g in group_networks(roots) if set(g) & (set(run.opted_out) | set(opted_known))
                    for n in g if published.get(n) and n not in stale)
    if stale and not mc.full_refresh:
        raise UserFacingError(
            f"opted-out repositories (or forks of them) already have rows in {run.root}: {', '.join(stale[:10])}"
            f"{' ...' if len(stale) > 10 else ''}; rerun with --full-refresh to publish the dataset without them")
    outcomes = []
    for name, (spec, why) in sorted(run.opted_out.items()):
        o = RepoOutcome(spec.name, spec.url, status="opted_out")
        o.error("optout", "opted_out", why)
        outcomes.append({**o.to_dict(), "pending": [], **({"roots": roots[name]} if roots.get(name) else {})})
    _publish_outcomes(run, f"{run.run_id}-o", outcomes)


def _manifest_step(run: MineRun) -> None:
    """manifest.json over the units to keep; with full_refresh, then delete the other runs' files."""
    mc, storage, root = run.cfg.mine, run.storage, run.root
    run.summary.seconds = time.monotonic() - run.t0
    all_units = completed_units(storage, root)
    if mc.full_refresh:
        keep = [u for u in all_units if u.get("extra", {}).get("run_id") == run.run_id]
        stale = [u for u in all_units if u.get("extra", {}).get("run_id") != run.run_id]
    else:
        keep, stale = all_units, []
    manifest = build_manifest(run.cfg, keep, run.summary, run.old_manifest if not mc.full_refresh else None)
    if run.spark is not None:
        from octopack_spark.spark.session import recorded_conf

        manifest.extra["spark_conf"] = recorded_conf(run.spark)
    write_manifest(storage, root, manifest)
    for u in stale:  # only after the new manifest no longer lists them
        delete_unit(storage, root, u)


MINE_STEPS = (
    Step("sources", _sources_step, reads=("repos", "repos file"), writes=("sources",)),
    Step("recover", _recover_step, reads=("_log/", "_staging/", "state"), writes=("prior state",)),
    Step("validate", _validate_step, reads=("sources", "prior state"), writes=("unit <run>-v: errors, state",)),
    Step("unchanged", _unchanged_step, reads=("remote/local HEADs", "prior state"),
         writes=("unit <run>-u: state",)),
    Step("mine", _mine_step, reads=("repositories", "prior state"),
         writes=("unit <run>-b<N> per batch: commits, errors, state",)),
    Step("manifest", _manifest_step, reads=("committed units",), writes=("manifest.json",)),
)


def _run_mine_locked(cfg: PipelineConfig, spark, storage: Storage, root: str, t0: float,
                     reporter: Optional[StageReporter] = None) -> MineSummary:
    run = MineRun(cfg, spark, storage, root, t0)
    run_steps("mine", MINE_STEPS, run, logger=log, reporter=reporter)
    return run.summary


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def build_manifest(cfg: PipelineConfig, units: list[dict], summary: MineSummary, old: Optional[Manifest]) -> Manifest:
    tables = {
        COMMITS_TABLE: TableEntry(COMMITS_VERSION, partitioning=[COMMITS_PARTITION]),
        ERRORS_TABLE: TableEntry(ERRORS_VERSION),
        STATE_TABLE: TableEntry(STATE_VERSION),
    }
    latest: dict[str, dict] = {}
    for u in units:
        outcomes = u.get("extra", {}).get("outcomes", [])
        if u["tables"].get(COMMITS_TABLE):
            # A dataset appended to across releases holds files of each: its version is the oldest (units
            # from before 1.1 did not record theirs), so readers do not expect columns some files lack.
            tables[COMMITS_TABLE].schema_version = min(tables[COMMITS_TABLE].schema_version,
                                                       u.get("extra", {}).get("commits_version", "1.0"),
                                                       key=_version_key)
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

"""Measured run time of each task's canonical solution on this machine, cached as JSON, so timeouts scale
with the machine (ExecConfig: timeout = clamp(max(floor, multiplier * reference), floor, cap)).

Cache: <cache_dir>/reference/<language>.json, entries keyed by task_id and holding the sha256 of the
fields that determine the run (prompt, canonical_solution, test, test_setup, import) plus ENGINE_VERSION; an
entry whose key no longer matches (other dataset version, other engine) is measured again. Entries are
per task, so a subset of the dataset measures only its own tasks; the file also records the dataset hash
of the last full measurement for reference.

A canonical solution that does not pass is retried (Rust/32 and Go/95 are nondeterministic); if it never
passes, no runtime is recorded and the task gets ExecConfig.default_timeout_s.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Mapping

from evaluation.execution import contract, engine
from evaluation.execution.assemble import program_for

ENGINE_VERSION = "1"
KEY_FIELDS = ("prompt", "canonical_solution", "test", "test_setup", "import")
MEASURE_ATTEMPTS = 3
MEASURE_TIMEOUT_S = 20.0


def row_key(problem: Mapping) -> str:
    h = hashlib.sha256(ENGINE_VERSION.encode())
    for f in KEY_FIELDS:
        h.update(b"\0" + str(problem.get(f, "") or "").encode())
    return h.hexdigest()[:20]


def cache_file(cache_dir: Path, language: str) -> Path:
    return Path(cache_dir) / "reference" / f"{language}.json"


def load(cache_dir: Path, language: str) -> dict:
    f = cache_file(cache_dir, language)
    try:
        data = json.loads(f.read_text())
        if isinstance(data, dict) and isinstance(data.get("entries"), dict):
            return data
    except (OSError, ValueError):
        pass
    return {"entries": {}}


def _save(cache_dir: Path, language: str, new_entries: dict) -> None:
    f = cache_file(cache_dir, language)
    f.parent.mkdir(parents=True, exist_ok=True)
    data = load(cache_dir, language)  # merge with what a concurrent process may have written
    data["entries"].update(new_entries)
    data["machine"] = {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()}
    tmp = f.with_name(f"{f.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, f)


def reference_runtimes(problems: Mapping[str, Mapping], language: str, config: contract.ExecConfig,
                       _tools=None, _helper=None) -> dict[str, float]:
    """task_id -> seconds for the given problems of one language, measuring what the cache lacks."""
    cache_dir = config.resolved_cache_dir()
    entries = load(cache_dir, language)["entries"]
    out: dict[str, float] = {}
    todo: dict[str, Mapping] = {}
    for tid, row in problems.items():
        e = entries.get(tid)
        if e and e.get("key") == row_key(row):
            if e.get("runtime_s") is not None:
                out[tid] = float(e["runtime_s"])
        else:
            todo[tid] = row
    if not todo:
        return out
    measured: dict[str, dict] = {}
    pending = dict(todo)
    for attempt in range(1, MEASURE_ATTEMPTS + 1):
        if not pending:
            break
        reqs = [contract.ExecRequest(language=language, task_id=t, program=program_for(row), sample_id=attempt)
                for t, row in pending.items()]
        timeout = min(MEASURE_TIMEOUT_S, config.timeout_cap_s)
        results = engine.run_with_timeouts(reqs, pending, config, [timeout] * len(reqs), tools=_tools, helper=_helper)
        for r in results:
            if r.passed:
                measured[r.task_id] = {"key": row_key(pending[r.task_id]), "runtime_s": r.duration_s,
                                       "attempts": attempt}
                out[r.task_id] = r.duration_s
                del pending[r.task_id]
    for t, row in pending.items():
        measured[t] = {"key": row_key(row), "runtime_s": None, "attempts": MEASURE_ATTEMPTS,
                       "note": "canonical solution never passed"}
    _save(cache_dir, language, measured)
    return out

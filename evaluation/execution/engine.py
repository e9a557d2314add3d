"""Scheduling: validate requests, give each a timeout, cut them into per-language chunks and run the chunks on
a thread pool (the work happens in sandboxed child processes, so threads are enough to use every core).

Nothing is kept between calls except what lives in the cache dir, so it can be called from a Spark task as
well as from the driver. ``api.execute`` adds the timeouts from reference.py's measured runtimes.
"""

from __future__ import annotations

import itertools
import math
import os
import secrets
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping, Optional, Sequence

from evaluation.data import language_of_task
from evaluation.execution import assemble, cgroup, sandbox
from evaluation.execution import contract
from evaluation.execution.runners import RUNNERS
from evaluation.execution.runners.base import Context, Sample
from evaluation.execution.toolchains import Toolchains

# Longest compiles first: the thread pool then ends with short Python/JS chunks filling the gaps.
LANGUAGE_ORDER = ("java", "go", "rust", "cpp", "js", "python")
# Samples per chunk for languages without batched compilation (only groups work dirs).
SMALL_CHUNK = 4
# Uids: slot s of a process gets uid_base + 1 + (pid % 1000) * 128 + s; uid_base itself is the builder.
_SLOTS_PER_PROCESS = 128
_slot_counter = itertools.count()
_slot_lock = threading.Lock()


def builder_uid(config: contract.ExecConfig) -> int:
    return config.uid_base


def _next_slot_uid(config: contract.ExecConfig) -> int:
    with _slot_lock:
        slot = next(_slot_counter) % _SLOTS_PER_PROCESS
    return config.uid_base + 1 + (os.getpid() % 1000) * _SLOTS_PER_PROCESS + slot


def validate(requests: Sequence[contract.ExecRequest], problems: Mapping[str, Mapping]) -> None:
    for i, r in enumerate(requests):
        where = f"request {i} ({getattr(r, 'task_id', '?')}, sample {getattr(r, 'sample_id', '?')})"
        if not isinstance(r, contract.ExecRequest):
            raise ValueError(f"{where}: not an ExecRequest but {type(r).__name__}")
        if r.language not in contract.LANGUAGES:
            raise ValueError(f"{where}: unknown language {r.language!r}; expected one of {contract.LANGUAGES}")
        if r.layout not in contract.LAYOUTS:
            raise ValueError(f"{where}: unknown layout {r.layout!r}; expected one of {contract.LAYOUTS}")
        if r.task_id not in problems:
            raise ValueError(f"{where}: task_id {r.task_id!r} is not in problems")
        if language_of_task(r.task_id) != r.language:
            raise ValueError(f"{where}: task_id {r.task_id!r} is not a {r.language} task")
        if not isinstance(r.program, str):
            raise ValueError(f"{where}: program must be a str, got {type(r.program).__name__}")


def timeout_for(task_id: str, config: contract.ExecConfig, runtimes: Mapping[str, float]) -> float:
    ref = runtimes.get(task_id)
    if ref is None:
        return config.default_timeout_s
    t = max(config.timeout_floor_s, config.timeout_multiplier * ref)
    return round(min(t, config.timeout_cap_s), 3)


def prepare_environment(config: contract.ExecConfig, languages) -> tuple[Toolchains, Path]:
    mode = sandbox.check_privileges(config.unsandboxed)
    if mode == sandbox.MODE_UNSANDBOXED:
        # On every run, not once per process: nobody should mistake these results for sandboxed ones.
        sandbox.log.warning(sandbox.UNSANDBOXED_WARNING)
        print(f"WARNING: {sandbox.UNSANDBOXED_WARNING}", file=sys.stderr, flush=True)
    cache = config.resolved_cache_dir()
    helper = sandbox.ensure_helper(cache)
    tools = Toolchains(cache)
    for lang in sorted(languages):
        tools.check(lang)
    return tools, helper


def sandbox_mode(config: contract.ExecConfig) -> str:
    return sandbox.check_privileges(config.unsandboxed)


def run_with_timeouts(requests: Sequence[contract.ExecRequest], problems: Mapping[str, Mapping],
                      config: contract.ExecConfig, timeouts: Sequence[float], *,
                      tools: Optional[Toolchains] = None, helper: Optional[Path] = None) -> list[contract.ExecResult]:
    """Execute with explicit per-request run timeouts (no reference measurement)."""
    if tools is None or helper is None:
        tools, helper = prepare_environment(config, {r.language for r in requests})
    mode = sandbox_mode(config)
    workers = config.resolved_workers()
    samples = [_sample(i, r, problems[r.task_id], timeouts[i]) for i, r in enumerate(requests)]
    chunks = make_chunks(samples, workers, config.batch_size)
    results: list[Optional[contract.ExecResult]] = [None] * len(samples)
    root = Path(tempfile.mkdtemp(prefix="octopack-exec-", dir=config.work_root))
    os.chmod(root, 0o755)
    local = threading.local()
    slots: list = []  # each worker thread's cgroup.SlotCgroup, removed at the end

    def job(chunk_no: int, lang: str, chunk: list[Sample]) -> None:
        if not hasattr(local, "uid"):
            local.uid = _next_slot_uid(config)
            local.cgroups = cgroup.SlotCgroup()
            slots.append(local.cgroups)
        chunk_dir = root / f"{lang}-{chunk_no}"
        chunk_dir.mkdir()
        os.chmod(chunk_dir, 0o755)
        ctx = Context(config=config, tools=tools, helper=helper, run_uid=local.uid,
                      builder_uid=builder_uid(config), chunk_dir=chunk_dir, mode=mode, cgroup_slot=local.cgroups)
        runner = RUNNERS[lang]()
        try:
            runner.prepare(chunk, ctx)
            for k, s in enumerate(chunk):
                results[s.index] = s.result if s.result is not None else runner.run(s, ctx, k)
        finally:
            shutil.rmtree(chunk_dir, ignore_errors=True)

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="octopack-exec") as pool:
            futures = [pool.submit(job, n, lang, chunk) for n, (lang, chunk) in enumerate(chunks)]
            for f in futures:
                f.result()
    finally:
        for slot in slots:
            slot.close()
        shutil.rmtree(root, ignore_errors=True)
    return results  # type: ignore[return-value]


def _sample(index: int, request: contract.ExecRequest, problem: Mapping, timeout_s: float) -> Sample:
    # A fresh token per sample and call: the completion marker cannot be known when the program is written.
    token = secrets.token_hex(16)
    source = assemble.assemble(request.language, request.program, problem, done_token=token)
    return Sample(index=index, request=request, problem=problem, source=source, timeout_s=timeout_s,
                  done_token=token if token in source else None)


def make_chunks(samples: list[Sample], workers: int, batch_size: int) -> list[tuple[str, list[Sample]]]:
    by_lang: dict[str, list[Sample]] = {}
    for s in samples:
        by_lang.setdefault(s.request.language, []).append(s)
    chunks = []
    for lang in LANGUAGE_ORDER:
        group = by_lang.get(lang, [])
        if not group:
            continue
        cap = max(1, batch_size if RUNNERS[lang].batch_compile else SMALL_CHUNK)
        # A multiple of `workers` chunks of (nearly) equal size, none above the cap: every worker gets the
        # same share (164 Java samples in 32s were 5 x 32 + 4: one worker had 96 samples, the other 68).
        n_chunks = workers * math.ceil(len(group) / (workers * cap))
        size = max(1, math.ceil(len(group) / n_chunks))
        chunks += [(lang, group[i:i + size]) for i in range(0, len(group), size)]
    return chunks

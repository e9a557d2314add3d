"""Public contract of the execution engine: what to run (ExecRequest), how (ExecConfig), what came out
(ExecResult), and ``execute``.

``execute`` is a plain function with no module-level state that survives between calls, so it can run
inside a Spark task (one call per partition) as well as on the driver. Programs are assembled per language
from ``problems`` (task_id -> HumanEvalPack row, see evaluation.data.problems_by_id), compiled in batches
where that helps, and each sample runs in its own sandbox (fresh directory, no network, own pid namespace,
unprivileged uid, resource limits); see docs/evaluation-execution.md.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

from evaluation.execution.contract import (
    LANGUAGES,
    LAYOUTS,
    STATUS_COMPILE_ERROR,
    STATUS_EXITED_EARLY,
    STATUS_FILE_SIZE_LIMIT,
    STATUS_MEMORY_LIMIT,
    STATUS_OUTPUT_LIMIT,
    STATUS_PASSED,
    STATUS_RUNTIME_ERROR,
    STATUS_TIMEOUT,
    STATUS_UNEXPECTED_OUTPUT,
    STATUS_WRONG_ANSWER,
    STATUSES,
    ExecConfig,
    ExecRequest,
    ExecResult,
    default_cache_dir,
)

# The contract lives in contract.py (a leaf every part of the engine may import); this module adds execute.
__all__ = [
    "LANGUAGES", "LAYOUTS", "STATUSES", "STATUS_PASSED", "STATUS_COMPILE_ERROR", "STATUS_WRONG_ANSWER",
    "STATUS_RUNTIME_ERROR", "STATUS_TIMEOUT", "STATUS_MEMORY_LIMIT", "STATUS_OUTPUT_LIMIT",
    "STATUS_FILE_SIZE_LIMIT", "STATUS_UNEXPECTED_OUTPUT", "STATUS_EXITED_EARLY", "default_cache_dir",
    "ExecRequest", "ExecResult", "ExecConfig", "execute",
]


def execute(
    requests: Sequence[ExecRequest],
    problems: Mapping[str, Mapping],
    config: Optional[ExecConfig] = None,
) -> list[ExecResult]:
    """Run every request and return one result per request, in request order.

    Raises ValueError for bad requests (unknown language/layout, task_id not in ``problems``, language not
    matching the task_id) and evaluation.execution.sandbox.SandboxError when the sandbox or a toolchain is
    not usable (run evaluation/setup_toolchains.sh)."""
    # Imported here: the engine (runners, toolchains, sandbox) is loaded only when something runs.
    from evaluation.execution import engine, reference

    requests = list(requests)
    config = config or ExecConfig()
    engine.validate(requests, problems)
    if not requests:
        return []
    tools, helper = engine.prepare_environment(config, {r.language for r in requests})
    runtimes: dict[str, float] = dict(config.reference_runtimes_s)
    if config.measure_reference:
        for lang in sorted({r.language for r in requests}):
            tasks = sorted({r.task_id for r in requests if r.language == lang and r.task_id not in runtimes})
            if tasks:
                runtimes.update(reference.reference_runtimes({t: problems[t] for t in tasks}, lang, config,
                                                             _tools=tools, _helper=helper))
    timeouts = [engine.timeout_for(r.task_id, config, runtimes) for r in requests]
    return engine.run_with_timeouts(requests, problems, config, timeouts, tools=tools, helper=helper)

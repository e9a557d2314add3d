"""Progress of `octopack eval`: generations done/total, then executions done/total with the running pass
rate, one updating line each on stderr (octopack_spark/progress.py: silent off a TTY or with --quiet).

Without a progress line nothing changes: the backend gets all requests of a stage in one call and the
executor all programs in one call. With one, both are handed over in groups so the line can move between
them; results are the same (seeds are derived per prompt, and every program of a problem is in the same
execution group, so each problem's reference runtime and timeout are measured once, as before).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Optional, Sequence

from octopack_spark.progress import Progress, current_reporter

# Updates per bar when the work allows it (more groups cost more executor start-ups).
TARGET_UPDATES = 25


def generation_bar(total: int) -> Progress:
    return current_reporter().progress("generations", total=total, unit="gen")


def generate_in_groups(generate: Callable, requests: Sequence, per_prompt: int, sampling,
                       bar: Optional[Progress], group_size: int) -> list:
    """backend.generate over `requests`, in groups of `group_size` prompts while a bar is drawn."""
    if bar is None or not bar.enabled:
        out = generate(requests, per_prompt, sampling)
        if bar is not None:
            bar.update(len(requests) * per_prompt)
        return out
    out = []
    for start in range(0, len(requests), group_size):
        group = requests[start:start + group_size]
        out += generate(group, per_prompt, sampling)
        bar.update(len(group) * per_prompt, refresh=True)
    return out


def problem_groups(requests: Sequence, min_size: int) -> list[tuple[int, int]]:
    """[start, stop) spans of consecutive requests, cut only between problems (language, task_id), each
    at least min_size requests (the last may be smaller)."""
    spans, start = [], 0
    for i in range(1, len(requests) + 1):
        at_boundary = i == len(requests) or \
            (requests[i].language, requests[i].task_id) != (requests[i - 1].language, requests[i - 1].task_id)
        if at_boundary and (i - start >= min_size or i == len(requests)):
            spans.append((start, i))
            start = i
    return spans


def execute_with_progress(execute: Callable, requests: Sequence, problems: Mapping, config) -> list:
    """execute(requests, problems, config) with an `eval executions` line: done/total and pass rate."""
    bar = current_reporter().progress("executions", total=len(requests), unit="run")
    if not bar.enabled:
        return execute(requests, problems, config)
    workers = config.resolved_workers() if hasattr(config, "resolved_workers") else 1
    min_size = max(math.ceil(len(requests) / TARGET_UPDATES), 4 * workers * getattr(config, "batch_size", 1))
    results: list = []
    passed = 0
    with bar:
        for start, stop in problem_groups(requests, min_size):
            got = execute(requests[start:stop], problems, config)
            results += got
            passed += sum(bool(r.passed) for r in got)
            bar.update(len(got), passed=passed, pass_rate=f"{passed / max(len(results), 1):.1%}", refresh=True)
    return results

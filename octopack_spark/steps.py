"""Named job steps and the one runner that times and logs them (in the spirit of datatrove's PipelineStep).

A job (ft, mine, training) is a list of `Step`s: a name, a function of the job's run state, and what the
function reads from and writes to that state (documentation, shown in docs/architecture.md). `run_steps`
calls them in order, times each one, logs it through the job's logger, tells the progress reporter
(octopack_spark.progress: the one passed, else the running command's, silent off a TTY) when each step
ends, and returns a `StepRecord` per step. A step function may return `StepRows` to say how many rows
went in and came out; anything else it returns is ignored.

Nothing here knows about Spark or the jobs: the only project module it imports is octopack_spark.progress.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol, Sequence


class StageReporter(Protocol):
    """What the runner calls on a progress reporter (octopack_spark.progress)."""

    def stage(self, k: int, n: int, name: str, rows_in: Optional[int] = None,
              rows_out: Optional[int] = None) -> None: ...


@dataclass(frozen=True)
class Step:
    name: str
    fn: Callable[[Any], Any]
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepRows:
    """Optional return value of a step function: the rows it was given and the rows it produced."""

    rows_in: Optional[int] = None
    rows_out: Optional[int] = None


@dataclass
class StepRecord:
    name: str
    seconds: float
    rows_in: Optional[int] = None
    rows_out: Optional[int] = None


@dataclass
class StepLog:
    """The records of the steps run so far, in order (a step may read its predecessors' timings)."""

    job: str
    records: list[StepRecord] = field(default_factory=list)

    def seconds(self) -> dict[str, float]:
        return {r.name: r.seconds for r in self.records}


def new_run_id() -> str:
    """A run's id: UTC start time, then 6 random hex digits (ids of one dataset sort by start time)."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{now}-{uuid.uuid4().hex[:6]}"


def run_steps(job: str, steps: Sequence[Step], state: Any, *, logger: Optional[logging.Logger] = None,
              reporter: Optional[StageReporter] = None, steplog: Optional[StepLog] = None) -> StepLog:
    """Run `steps` in order on `state`; returns (and fills, when given) the step log.

    An exception in a step propagates unchanged: the steps after it do not run, and the log keeps the
    ones that finished."""
    logger = logger or logging.getLogger(__name__)
    if reporter is None:
        from octopack_spark.progress import current_reporter

        reporter = current_reporter()  # the command's reporter, or a silent one
    steplog = steplog if steplog is not None else StepLog(job)
    n = len(steps)
    for k, step in enumerate(steps, 1):
        t0 = time.monotonic()
        result = step.fn(state)
        rows = result if isinstance(result, StepRows) else StepRows()
        record = StepRecord(step.name, time.monotonic() - t0, rows.rows_in, rows.rows_out)
        steplog.records.append(record)
        logger.info("%s step %d/%d %s: %.2f s", job, k, n, step.name, record.seconds)
        reporter.stage(k, n, step.name, rows_in=record.rows_in, rows_out=record.rows_out)
    return steplog


def describe(steps: Sequence[Step]) -> str:
    """The step list as Markdown lines (what docs/architecture.md shows; a test compares the two)."""
    lines = []
    for k, s in enumerate(steps, 1):
        io = []
        if s.reads:
            io.append("reads " + ", ".join(s.reads))
        if s.writes:
            io.append("writes " + ", ".join(s.writes))
        lines.append(f"{k}. `{s.name}`" + (f" ({'; '.join(io)})" if io else ""))
    return "\n".join(lines)

"""Live progress of `octopack mine` on the driver: repos done/total, commits, rows/s, failed repos, ETA.

Each task adds its work item's counts to Spark accumulators, which Spark merges on the driver as each
task ends (in local mode and on a cluster alike); a driver thread polls them while a batch's Spark jobs
run, and each committed batch sets the exact counts from its outcomes. Nothing here touches the rows:
without a progress line (no TTY, --quiet) no accumulator is created and tasks run as before.
"""

from __future__ import annotations

import threading
import time
from typing import Optional

from octopack_spark.progress import JobReporter, Progress

POLL_SECONDS = 0.25


def count_item(counters, kind: str, result: dict) -> None:
    """In a task: add one work item's outcome. A repository counts as done here only when its first
    task mined it whole (no slices); a sliced one counts when its batch is committed."""
    repos, failed, commits, rows = counters
    o = result["outcome"]
    commits.add(o["commits"])
    rows.add(o["rows"])
    if kind == "repo" and not result["split"]:
        repos.add(1)
        failed.add(1 if o["status"] == "failed" else 0)


def _rate(per_s: float) -> float:
    return round(per_s) if per_s >= 10 else round(per_s, 1)


class MineProgress:
    """The mine progress line; every method is a no-op when the reporter is silent. `summary` (a
    MineSummary) holds the committed counts, including repositories that failed validation."""

    def __init__(self, reporter: JobReporter, summary, todo: int):
        self.bar: Optional[Progress] = reporter.progress("repos", total=summary.repos + todo, unit="repo") \
            if reporter.enabled else None
        self.counters = None
        self._base = (0, 0, 0, 0)  # accumulator values at the last committed batch
        self._summary = summary
        self._t0 = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self, spark) -> None:
        """Create the accumulators and the polling thread (no Spark: nothing to mine, nothing to poll)."""
        if self.bar is None:
            return
        if spark is not None:
            sc = spark.sparkContext
            self.counters = tuple(sc.accumulator(0) for _ in range(4))
            self._thread = threading.Thread(target=self._poll, name="octopack-mine-progress", daemon=True)
            self._thread.start()
        self._draw(refresh=True)

    def batch_committed(self) -> None:
        """The summary now includes the batch: show its exact counts, restart the live deltas."""
        if self.bar is None:
            return
        with self._lock:
            self._base = self._values()
        self._draw(refresh=True)

    def _values(self) -> tuple:
        return tuple(c.value for c in self.counters) if self.counters else (0, 0, 0, 0)

    def _poll(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._draw()

    def _draw(self, refresh: bool = False) -> None:
        s = self._summary
        with self._lock:
            repos, failed, commits, rows = (v - b for v, b in zip(self._values(), self._base))
            done = s.repos + repos
            commits, rows = s.commits + commits, s.rows + rows
            elapsed = max(time.monotonic() - self._t0, 1e-6)
            self.bar.set(done, commits=commits, rows=rows, rows_per_s=_rate(rows / elapsed),
                         failed=s.repos_failed + failed, refresh=refresh)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.bar is not None:
            self._draw(refresh=True)
            self.bar.close()

    def __enter__(self) -> "MineProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

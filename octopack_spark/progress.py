"""Progress lines for long commands: one line on stderr that updates in place (tqdm).

Silent when stderr is not a terminal (CI, logs, pipes) or when the user passed `--quiet`: then every
call here is a cheap no-op and nothing extra is printed. Never writes to stdout, which stays for results.

    with JobReporter("mine", quiet=args.quiet) as rep:        # the CLI makes one per command
        with rep.progress("repos", total=len(repos), unit="repo") as bar:
            bar.update(1, rows=120, failed=0)

    current_reporter().stage(2, 5, "dedup", rows_in=1000, rows_out=940)  # from inside a job
"""

from __future__ import annotations

import sys
import threading
from typing import IO, Optional

__all__ = ["JobReporter", "Progress", "current_reporter", "progress_enabled"]


def progress_enabled(quiet: bool = False, stream: Optional[IO] = None) -> bool:
    """True when progress should be drawn: not quiet and the stream (default stderr) is a terminal."""
    if quiet:
        return False
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or a file-like without isatty
        return False


def _fmt(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


class Progress:
    """One updating line: done/total, rate, ETA and free-form fields (rows=..., failed=...)."""

    def __init__(self, desc: str, total: Optional[int] = None, unit: str = "it", *, quiet: bool = False,
                 stream: Optional[IO] = None, enabled: Optional[bool] = None, bar_format: Optional[str] = None):
        self.desc, self.total, self.unit = desc, total, unit
        self.n = 0
        self.fields: dict = {}
        self.enabled = progress_enabled(quiet, stream) if enabled is None else enabled
        self._bar = None
        if self.enabled:
            from tqdm import tqdm

            # miniters=1: every update may redraw (updates here are slow batches, not tight loops)
            self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr if stream is None else stream,
                             dynamic_ncols=True, mininterval=0.1, miniters=1, leave=True, bar_format=bar_format)

    def update(self, n: int = 1, *, refresh: bool = False, **fields) -> None:
        """Advance by n; fields (e.g. rows=1200, failed=1) are shown after the counts."""
        self.set(self.n + n, refresh=refresh, **fields)

    def set(self, done: Optional[int] = None, total: Optional[int] = None, *, refresh: bool = False,
            replace_fields: bool = False, **fields) -> None:
        """Set absolute counts (for callers that poll counters). refresh=True redraws now; otherwise
        redraws are at most every 0.1 s. A field named x_per_s is shown as x/s. replace_fields=True
        drops the fields not given instead of keeping their last values."""
        if done is not None:
            self.n = done
        if total is not None:
            self.total = total
        if replace_fields:
            self.fields.clear()
        self.fields.update(fields)
        if self._bar is None:
            return
        if total is not None:
            self._bar.total = total
        if fields or replace_fields:
            self._bar.set_postfix_str(", ".join(f"{k.replace('_per_s', '/s')}={_fmt(v)}"
                                                for k, v in self.fields.items()), refresh=False)
        self._bar.update(self.n - self._bar.n)
        if refresh:
            self._bar.refresh()

    def set_description(self, desc: str, refresh: bool = True) -> None:
        self.desc = desc
        if self._bar is not None:
            self._bar.set_description_str(desc, refresh=refresh)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class JobReporter:
    """The progress of one command: its stages (`stage(k, n, name, rows_in, rows_out)`) and the bars
    its loops open (`progress(...)`). While entered it is `current_reporter()` and log lines are
    written above the progress line instead of breaking it."""

    def __init__(self, job: str, *, quiet: bool = False, stream: Optional[IO] = None):
        self.job = job
        self.stream = stream
        self.enabled = progress_enabled(quiet, stream)
        self._stage_bar: Optional[Progress] = None
        self._previous: Optional[JobReporter] = None
        self._log_redirect = None

    def progress(self, desc: str, total: Optional[int] = None, unit: str = "it") -> Progress:
        """A new updating line for one loop of this job (silent when the reporter is)."""
        return Progress(f"{self.job} {desc}", total, unit, stream=self.stream, enabled=self.enabled)

    def stage(self, k: int, n: int, name: str, rows_in: Optional[int] = None,
              rows_out: Optional[int] = None) -> None:
        """Step k of n (1-based) named name has been reached: the line shows `[k/n] name` and the rows
        that went in and came out when given. Call it when a step ends (the step runner does), and
        also when it starts if the step is long."""
        if not self.enabled:
            return
        if self._stage_bar is None:
            # no rate: steps differ too much in length for "stages/s" to mean anything
            self._stage_bar = Progress(self.job, n, "stage", stream=self.stream, enabled=True,
                                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                                  "[{elapsed}{postfix}]")
        bar = self._stage_bar
        bar.set_description(f"{self.job} [{k}/{n}] {name}", refresh=False)
        rows = {key: v for key, v in (("rows_in", rows_in), ("rows_out", rows_out)) if v is not None}
        bar.set(k, total=n, refresh=True, replace_fields=True, **rows)

    def close(self) -> None:
        if self._stage_bar is not None:
            self._stage_bar.close()
            self._stage_bar = None

    def __enter__(self) -> "JobReporter":
        global _current
        with _lock:
            self._previous, _current = _current, self
        if self.enabled:
            from tqdm.contrib.logging import logging_redirect_tqdm

            self._log_redirect = logging_redirect_tqdm()
            self._log_redirect.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        global _current
        self.close()
        if self._log_redirect is not None:
            self._log_redirect.__exit__(*exc)
            self._log_redirect = None
        with _lock:
            _current = self._previous


# a process-wide slot, not a contextvar: jobs may report from worker threads of the driver
_lock = threading.Lock()
_current: Optional[JobReporter] = None
_SILENT = JobReporter("", quiet=True)


def current_reporter() -> JobReporter:
    """The reporter of the command running now, or a silent one (library and notebook use)."""
    return _current if _current is not None else _SILENT

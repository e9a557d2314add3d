"""Stopping a running query: Ctrl-C (SIGINT) and `--timeout SECONDS`.

Python runs a signal handler only when the main thread gets back to Python code, and a DuckDB query runs in
C++ with the GIL released, so a plain KeyboardInterrupt waits for the query to finish. Instead, the C-level
handler's wakeup byte (`signal.set_wakeup_fd`) wakes a watcher thread, which asks the engine to stop
(`duckdb` connection.interrupt(), Spark cancelAllJobs()); the query then returns with an error, Python's
own SIGINT handler raises KeyboardInterrupt, and `octopack` prints one line and exits 130. (DuckDB sometimes
notices the signal itself and reports RuntimeError("Query interrupted") instead; a handler installed for the
duration records the SIGINT first, so the outcome is the same.) The same watcher stops the query when the
timeout passes; that becomes one `error:` line (exit 2).
"""

from __future__ import annotations

import logging
import select
import signal
import socket
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from octopack_spark.sql.errors import QueryError

log = logging.getLogger(__name__)


RESTOP_S = 0.5


class QueryTimeout(QueryError):
    """The query ran longer than --timeout and was stopped."""


@contextmanager
def stoppable(stop: Callable[[], None], timeout: Optional[float] = None) -> Iterator[None]:
    """Run the body (a query and the writing of its result) so that SIGINT or `timeout` seconds call
    `stop()` from a watcher thread. Raises KeyboardInterrupt after SIGINT and QueryTimeout after the
    timeout, whatever error the stopped engine raised."""
    if timeout is not None and timeout <= 0:
        raise QueryError("--timeout must be a positive number of seconds")
    watch_signals = (threading.current_thread() is threading.main_thread()
                     and callable(signal.getsignal(signal.SIGINT)))
    if not watch_signals and timeout is None:
        yield
        return
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    done_r, done_w = socket.socketpair()
    state = {"sigint": False, "timeout": False}
    old_fd, previous = -1, None
    if watch_signals:
        previous = signal.getsignal(signal.SIGINT)

        def on_sigint(signum, frame):
            # Runs in the main thread, possibly from inside DuckDB (which checks Python's signals itself and
            # turns the KeyboardInterrupt into RuntimeError("Query interrupted")): note it before anything.
            state["sigint"] = True
            previous(signum, frame)
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, on_sigint)
        old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    deadline = time.monotonic() + timeout if timeout is not None else None

    def watch() -> None:
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([reader, done_r], [], [], wait)
            if done_r in ready:
                return
            if reader in ready:
                try:
                    data = reader.recv(64)
                except BlockingIOError:
                    data = b""
                if signal.SIGINT in data:
                    state["sigint"] = True
                    break
                continue
            if deadline is not None and time.monotonic() >= deadline:
                state["timeout"] = True
                break
        # Ask again until the body has ended: a stop that lands between two engine calls finds nothing
        # running, and the next call would not know it was meant to stop.
        while True:
            _call(stop)
            if select.select([done_r], [], [], RESTOP_S)[0]:
                return

    watcher = threading.Thread(target=watch, name="octopack-sql-watchdog", daemon=True)
    watcher.start()
    try:
        yield
    except BaseException:
        if state["sigint"]:
            raise KeyboardInterrupt from None
        if state["timeout"]:
            raise QueryTimeout(f"query stopped: it ran longer than --timeout {timeout:g} s") from None
        raise
    finally:
        done_w.send(b"x")
        watcher.join()
        if watch_signals:
            signal.set_wakeup_fd(old_fd)
            signal.signal(signal.SIGINT, previous)
        for s in (reader, writer, done_r, done_w):
            s.close()
    if state["timeout"]:
        # The engine finished just as the timeout passed: the result was complete and written.
        log.debug("query finished at its --timeout")


def _call(stop: Callable[[], None]) -> None:
    try:
        stop()
    except Exception as e:  # stopping is best effort; the query's own error follows
        log.debug("stopping the query failed: %s", e)

"""A long query is stopped by Ctrl-C (SIGINT) within 5 s with exit 130 and one line, and by --timeout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from octopack_spark.cli.main import main
from octopack_spark.sql.interrupt import QueryTimeout, stoppable
from octopack_spark.sql.run import run_query

# About 10^12 rows through a cross join: hours of work, so only a stop can end it.
LONG = ("SELECT count(*) AS n, sum(a.range * b.range) AS s FROM commits, range(1000000) a "
        "CROSS JOIN range(1000000) b")


def test_sigint_stops_a_running_duckdb_query_with_exit_130(quickstart, tmp_path):
    out = tmp_path / "r.csv"
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    p = subprocess.Popen([sys.executable, "-m", "octopack_spark.cli.main", "-v", "sql", LONG, "--data", quickstart,
                          "--format", "csv", "--output", str(out)],
                         stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        # The engine logs each view it creates right before the query runs (-v): wait for that line.
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = p.stderr.readline()
            assert line, f"process ended early: {''.join(seen)}"
            seen.append(line)
            if "duckdb view mine.commits" in line:
                break
        time.sleep(1.5)
        assert p.poll() is None, "the query should still be running"
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=30)
        elapsed = time.monotonic() - t0
        rest = p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == 130, rest
    assert elapsed < 5, f"stopping took {elapsed:.1f} s"
    assert rest.splitlines() == ["interrupted"], rest
    assert not out.exists() and [x for x in os.listdir(tmp_path) if x.startswith(".tmp")] == []


def test_timeout_stops_a_running_duckdb_query(quickstart, tmp_path, capsys):
    out = tmp_path / "r.csv"
    t0 = time.monotonic()
    rc = main(["sql", LONG, "--data", quickstart, "--timeout", "1.5", "--format", "csv", "--output", str(out)])
    elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert rc == 2
    assert err.splitlines() == ["error: query stopped: it ran longer than --timeout 1.5 s"]
    assert 1.5 <= elapsed < 6.5, elapsed
    assert os.listdir(tmp_path) == []


def test_timeout_leaves_a_quick_query_alone(quickstart, capsys):
    assert main(["sql", "SELECT count(*) AS n FROM commits", "--data", quickstart, "--timeout", "30",
                 "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ['"n"', "60"]
    assert main(["sql", "SELECT 1", "--data", quickstart, "--timeout", "0"]) == 2
    assert "--timeout must be a positive" in capsys.readouterr().err


def test_sigint_in_process_interrupts_through_the_watcher(quickstart, storage, tmp_path):
    """The same path in this process: SIGINT arrives while DuckDB holds the main thread in C++."""
    if threading.current_thread() is not threading.main_thread():
        pytest.fail("needs the main thread")
    # Python's own handler, as in `octopack sql` (a SparkContext started by other tests installs its own).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_query(LONG, [quickstart], storage=storage, fmt="csv", output=str(tmp_path / "r.csv"))
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - t0 < 7
    assert os.listdir(tmp_path) == []
    assert signal.set_wakeup_fd(-1) == -1  # the wakeup fd was restored


def test_stoppable_calls_stop_on_timeout_and_not_otherwise():
    calls = []
    with stoppable(lambda: calls.append("stop"), timeout=5):
        pass
    assert calls == []
    stop_seen = threading.Event()
    with pytest.raises(QueryTimeout, match="--timeout 0.2 s"):
        with stoppable(lambda: (calls.append("stop"), stop_seen.set()), timeout=0.2):
            assert stop_seen.wait(5)
            raise RuntimeError("the engine's own error after being stopped")
    assert calls and set(calls) == {"stop"}  # repeated every 0.5 s until the body has ended


def test_stop_is_repeated_until_the_body_ends():
    """A stop that lands while no engine call is running is asked again, so the next call stops too."""
    calls = []
    with pytest.raises(QueryTimeout):
        with stoppable(lambda: calls.append(time.monotonic()), timeout=0.1):
            time.sleep(1.4)
            raise RuntimeError("stopped")
    assert len(calls) >= 2


@pytest.mark.spark
def test_timeout_cancels_a_spark_query(spark, quickstart, storage, tmp_path):
    t0 = time.monotonic()
    with pytest.raises(QueryTimeout):
        run_query("SELECT sum(id % 7) AS s FROM range(0, 100000000000, 1, 2)", [quickstart], engine="spark",
                  storage=storage, spark=spark, fmt="csv", output=str(tmp_path / "r.csv"), timeout=3)
    assert time.monotonic() - t0 < 30
    assert os.listdir(tmp_path) == []
    # The shared session is still usable afterwards.
    assert spark.sql("SELECT 1 AS x").collect()[0].x == 1

"""octopack_spark.progress: drawn only on a terminal and without quiet; silent no-ops otherwise."""

from __future__ import annotations

import io

from octopack_spark.progress import JobReporter, Progress, current_reporter, progress_enabled


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return True


def test_enabled_only_on_a_terminal_without_quiet():
    assert progress_enabled(stream=FakeTerminal())
    assert not progress_enabled(quiet=True, stream=FakeTerminal())
    assert not progress_enabled(stream=io.StringIO())
    closed = FakeTerminal()
    closed.close()
    assert not progress_enabled(stream=closed)
    assert not progress_enabled(stream=object())  # no isatty at all


def test_progress_draws_counts_and_fields_in_place_on_a_terminal():
    tty = FakeTerminal()
    with Progress("mine repos", total=3, unit="repo", stream=tty) as bar:
        bar.update(1, rows=1200, rows_per_s=40, failed=0, refresh=True)
        bar.update(1, refresh=True)
    text = tty.getvalue()
    assert "\r" in text and "mine repos" in text
    assert "1/3" in text and "2/3" in text
    assert "rows=1,200" in text and "rows/s=40" in text and "failed=0" in text
    assert bar.n == 2 and bar.fields["rows"] == 1200


def test_progress_is_silent_off_a_terminal_and_when_quiet():
    pipe, tty = io.StringIO(), FakeTerminal()
    for stream, quiet in ((pipe, False), (tty, True)):
        with Progress("x", total=2, stream=stream, quiet=quiet) as bar:
            bar.update(2, rows=5, refresh=True)
            bar.set(done=1, total=4)
        assert not bar.enabled and bar.n == 1 and bar.total == 4  # counts are kept, nothing drawn
    assert pipe.getvalue() == "" and tty.getvalue() == ""


def test_stage_line_shows_step_and_rows():
    tty = FakeTerminal()
    with JobReporter("ft", stream=tty) as rep:
        rep.stage(1, 3, "scored", rows_in=1000)
        rep.stage(2, 3, "dedup", rows_in=1000, rows_out=940)
        rep.stage(3, 3, "write")
    text = tty.getvalue()
    assert "ft [1/3] scored" in text and "ft [2/3] dedup" in text
    assert "rows_in=1,000" in text and "rows_out=940" in text
    last = text.rstrip().rsplit("\r", 1)[-1]
    assert "ft [3/3] write" in last and "3/3" in last and "rows_" not in last  # no stale counts


def test_quiet_reporter_prints_nothing():
    tty = FakeTerminal()
    with JobReporter("ft", quiet=True, stream=tty) as rep:
        rep.stage(1, 2, "scored", rows_in=10, rows_out=9)
        with rep.progress("repos", total=2) as bar:
            bar.update(1)
    assert tty.getvalue() == ""


def test_current_reporter_is_the_entered_one_else_silent():
    assert not current_reporter().enabled
    with JobReporter("mine", stream=FakeTerminal()) as outer:
        assert current_reporter() is outer
        with JobReporter("ft", quiet=True) as inner:
            assert current_reporter() is inner
        assert current_reporter() is outer
    assert not current_reporter().enabled
    current_reporter().stage(1, 1, "anything")  # a job run from a notebook: a no-op

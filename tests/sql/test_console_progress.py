"""`octopack sql --engine spark`: Spark's console bar only when stderr is a terminal (never into logs)."""

from __future__ import annotations

import io
import sys

from octopack_spark.sql.run import _stderr_is_terminal


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_console_bar_only_on_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    assert _stderr_is_terminal()
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not _stderr_is_terminal()

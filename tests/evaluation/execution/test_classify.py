"""evaluation/execution/classify.py: outcome -> status (pure)."""

from __future__ import annotations

import signal

import pytest

from evaluation.execution import api
from evaluation.execution.classify import COMPILE_MARKER, classify_compile, classify_run
from evaluation.execution.sandbox import Outcome


def run(lang, rc, stdout="", stderr="", **kw):
    out = Outcome(returncode=rc, stdout=stdout, stderr=stderr, duration_s=0.1, **kw)
    return classify_run(lang, out, timeout_s=5, max_output_bytes=1000, detail_chars=500)[0]


@pytest.mark.parametrize("lang, rc, stdout, stderr, status", [
    ("python", 0, "", "", api.STATUS_PASSED),
    ("python", 1, "", "Traceback...\n  File x\nAssertionError\n", api.STATUS_WRONG_ANSWER),
    ("python", 1, "", "Traceback...\nZeroDivisionError: division by zero\n", api.STATUS_RUNTIME_ERROR),
    ("python", 1, "", "Traceback...\nMemoryError\n", api.STATUS_MEMORY_LIMIT),
    ("python", 3, "", f"{COMPILE_MARKER}\nSyntaxError: invalid syntax\n", api.STATUS_COMPILE_ERROR),
    ("python", 3, "", "SyntaxError but printed by the program itself\n", api.STATUS_RUNTIME_ERROR),
    ("js", 0, "", "Assertion failed\n", api.STATUS_WRONG_ANSWER),          # the console.assert trap
    ("js", 0, "debug\n", "", api.STATUS_UNEXPECTED_OUTPUT),                 # harness: any output fails
    ("js", 0, "", "", api.STATUS_PASSED),
    ("js", 134, "", "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
     api.STATUS_MEMORY_LIMIT),
    ("java", 1, "", 'Exception in thread "main" java.lang.AssertionError\n\tat Main.main', api.STATUS_WRONG_ANSWER),
    ("java", 1, "", 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space', api.STATUS_MEMORY_LIMIT),
    ("java", 1, "", 'Exception in thread "main" java.lang.ArithmeticException: / by zero', api.STATUS_RUNTIME_ERROR),
    ("go", 1, "--- FAIL: TestX (0.00s)\n    Error: Not equal\nFAIL\n", "", api.STATUS_WRONG_ANSWER),
    ("go", 2, "--- FAIL: TestX (0.00s)\npanic: runtime error: index out of range [3]\n", "", api.STATUS_RUNTIME_ERROR),
    ("go", 0, "PASS\n", "", api.STATUS_PASSED),
    ("cpp", 128 + signal.SIGABRT, "", "main: main.cpp:30: int main(): Assertion `f(1) == 2' failed.\n",
     api.STATUS_WRONG_ANSWER),
    ("cpp", 128 + signal.SIGSEGV, "", "", api.STATUS_RUNTIME_ERROR),
    ("cpp", 128 + signal.SIGABRT, "", "terminate called after throwing an instance of 'std::bad_alloc'",
     api.STATUS_MEMORY_LIMIT),
    ("rust", 101, "thread 'tests::t' panicked at main.rs:9:5:\nassertion `left == right` failed\n", "",
     api.STATUS_WRONG_ANSWER),
    ("rust", 101, "thread 'tests::t' panicked at main.rs:9:5:\nattempt to subtract with overflow\n", "",
     api.STATUS_RUNTIME_ERROR),
    ("rust", 128 + signal.SIGXCPU, "", "", api.STATUS_TIMEOUT),
    ("python", 128 + signal.SIGXFSZ, "", "", api.STATUS_FILE_SIZE_LIMIT),
    ("python", 1, "", "OSError: [Errno 27] File too large\n", api.STATUS_FILE_SIZE_LIMIT),
])
def test_run_statuses(lang, rc, stdout, stderr, status):
    assert run(lang, rc, stdout, stderr) == status


def test_limits_win_over_exit_codes():
    assert run("python", None, "x" * 2000, timed_out=True) == api.STATUS_TIMEOUT
    assert run("python", None, "x" * 2000, output_limited=True) == api.STATUS_OUTPUT_LIMIT
    out = Outcome(returncode=None, stdout="", stderr="", duration_s=5.0, timed_out=True)
    status, detail = classify_run("go", out, timeout_s=5, max_output_bytes=10, detail_chars=100)
    assert status == api.STATUS_TIMEOUT and "5.0 s" in detail


def test_js_output_rule_can_be_relaxed():
    out = Outcome(returncode=0, stdout="debug\n", stderr="", duration_s=0.1)
    assert classify_run("js", out, timeout_s=5, max_output_bytes=100, detail_chars=100,
                        js_output_is_failure=False)[0] == api.STATUS_PASSED


def test_compile_statuses_and_detail_is_capped():
    out = Outcome(returncode=1, stdout="", stderr="e" * 5000, duration_s=1.0)
    status, detail = classify_compile(out, timeout_s=60, detail_chars=300)
    assert status == api.STATUS_COMPILE_ERROR and len(detail) <= 303
    slow = Outcome(returncode=None, stdout="", stderr="", duration_s=60.0, timed_out=True)
    assert classify_compile(slow, timeout_s=60, detail_chars=300)[0] == api.STATUS_TIMEOUT


def test_every_status_is_documented():
    assert set(api.STATUSES) == {
        "passed", "compile_error", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit",
        "file_size_limit", "unexpected_output", "exited_early"}

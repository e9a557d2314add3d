"""Verdicts: map a finished (or killed) run to one of contract.STATUSES. Pure functions over Outcome.

Order of checks: limits the sandbox enforced (output, wall time, CPU, file size, memory), then the
language's own pass rule (exit code 0; JS also no "Assertion failed" and, like the harness, no output),
then wrong_answer when a test assertion failed, else runtime_error.
"""

from __future__ import annotations

import re
import signal

from evaluation.execution import contract
from evaluation.execution.sandbox import Outcome

COMPILE_MARKER = "OCTOPACK_COMPILE_ERROR"  # printed by the Python/JS wrappers on a syntax error (exit 3)
COMPILE_EXIT = 3

_MEMORY = re.compile(
    r"MemoryError|std::bad_alloc|java\.lang\.OutOfMemoryError|JavaScript heap out of memory|"
    r"Fatal process out of memory|Fatal JavaScript invalid size error|out of memory|"
    r"memory allocation of \d+ bytes failed|insufficient memory for the Java Runtime|"
    r"Cannot allocate memory|Could not reserve enough space",
    re.I,
)
_FILE_SIZE = re.compile(r"File too large|EFBIG")

_ASSERT = {
    "python": re.compile(r"^AssertionError\b", re.M),
    "js": re.compile(r"Assertion failed|AssertionError"),
    "java": re.compile(r"java\.lang\.AssertionError"),
    "go": re.compile(r"^\s*--- FAIL", re.M),
    "cpp": re.compile(r"Assertion [`'].*' failed"),
    "rust": re.compile(r"assertion failed|assertion `left [=!]= right` failed"),
}
_GO_PANIC = re.compile(r"^panic: ", re.M)


def tail(text: str, n: int) -> str:
    return text if len(text) <= n else "..." + text[-n:]


def classify_run(language: str, out: Outcome, *, timeout_s: float, max_output_bytes: int,
                 detail_chars: int, js_output_is_failure: bool = True) -> tuple[str, str]:
    """(status, detail) for a run step."""
    both = (out.stderr + ("\n" if out.stderr and out.stdout else "") + out.stdout).strip()
    detail = tail(both, detail_chars)
    if out.memory_exceeded:
        # The process tree together went past the limit (its cgroup's OOM killer fired, or the watchdog).
        return contract.STATUS_MEMORY_LIMIT, f"the sample's processes together exceeded the memory limit; {tail(both, 300)}"
    if out.output_limited:
        return contract.STATUS_OUTPUT_LIMIT, f"output exceeded {max_output_bytes} bytes; {tail(both, 300)}"
    if out.timed_out:
        return contract.STATUS_TIMEOUT, f"no result after {timeout_s:.1f} s (wall clock); {tail(both, 300)}"
    sig = out.signal
    if sig in (signal.SIGXCPU, signal.SIGKILL):
        return contract.STATUS_TIMEOUT, f"CPU time limit (signal {sig}); {tail(both, 300)}"
    if sig == signal.SIGXFSZ or _FILE_SIZE.search(both):
        return contract.STATUS_FILE_SIZE_LIMIT, f"file size limit; {tail(both, 300)}"
    if out.returncode == COMPILE_EXIT and out.stderr.startswith(COMPILE_MARKER) and language in ("python", "js"):
        return contract.STATUS_COMPILE_ERROR, tail(out.stderr[len(COMPILE_MARKER):].strip(), detail_chars)
    if out.returncode == 0:
        if language == "js":
            if _ASSERT["js"].search(out.stderr):
                return contract.STATUS_WRONG_ANSWER, detail
            if js_output_is_failure and both:
                return contract.STATUS_UNEXPECTED_OUTPUT, detail
        return contract.STATUS_PASSED, ""
    if _MEMORY.search(both):
        return contract.STATUS_MEMORY_LIMIT, detail
    if language == "go" and _GO_PANIC.search(both):
        return contract.STATUS_RUNTIME_ERROR, detail
    if _ASSERT[language].search(both):
        return contract.STATUS_WRONG_ANSWER, detail
    prefix = f"killed by signal {sig} ({signal.Signals(sig).name})\n" if sig else f"exit code {out.returncode}\n"
    return contract.STATUS_RUNTIME_ERROR, tail(prefix + both, detail_chars)


def classify_compile(out: Outcome, *, timeout_s: float, detail_chars: int) -> tuple[str, str]:
    """(status, detail) for a failed compile step of one sample."""
    text = (out.stderr + "\n" + out.stdout).strip()
    if out.timed_out:
        return contract.STATUS_TIMEOUT, f"compilation took longer than {timeout_s:.0f} s; {tail(text, 300)}"
    if out.output_limited:
        return contract.STATUS_COMPILE_ERROR, f"compiler output too long; {tail(text, detail_chars)}"
    return contract.STATUS_COMPILE_ERROR, tail(text, detail_chars)

"""`octopack eval` progress: generations and executions done/total with the running pass rate on a terminal;
the same results with and without the line; nothing drawn (and one call each) off a terminal."""

from __future__ import annotations

import io

import pytest

from evaluation.backends.base import Backend, GenerationResult
from evaluation.config import EvalConfig
from evaluation.data import load_language
from evaluation.execution.api import ExecConfig, ExecRequest, ExecResult
from evaluation.progress import execute_with_progress, problem_groups
from evaluation.runner import run_eval
from octopack_spark.progress import JobReporter


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FixedBackend(Backend):
    """The same completion for every prompt; counts its calls."""

    name = "fixed"

    def __init__(self):
        self.calls = 0

    def generate(self, requests, n, params):
        self.calls += 1
        return [GenerationResult(r.key, ["    return None\n"] * n) for r in requests]


def even_problems_pass(reqs, problems, config):
    """Problems with an even number pass, odd ones fail: a pass rate of 50 %."""
    return [ExecResult(task_id=r.task_id, sample_id=r.sample_id, language=r.language,
                       status="passed" if int(r.task_id.split("/")[1]) % 2 == 0 else "wrong_answer",
                       passed=int(r.task_id.split("/")[1]) % 2 == 0, duration_s=0.01, detail="")
            for r in reqs]


@pytest.fixture(scope="module")
def py_rows(humanevalpack_dir):
    return load_language("python", humanevalpack_dir)[:6]


def _requests(n_problems: int, per: int) -> list[ExecRequest]:
    return [ExecRequest(language="python", task_id=f"Python/{i}", program="", sample_id=j, layout="synthesize")
            for i in range(n_problems) for j in range(per)]


def test_problem_groups_cut_only_between_problems():
    reqs = _requests(5, 3)
    spans = problem_groups(reqs, 4)
    assert spans == [(0, 6), (6, 12), (12, 15)]
    assert problem_groups(reqs, 100) == [(0, 15)]
    assert problem_groups([], 4) == []


def _run(py_rows, tmp_path, stream, quiet=False):
    backend = FixedBackend()
    cfg = EvalConfig()
    cfg.generation.n = 2
    calls = []

    def counting_execute(reqs, problems, config):
        calls.append(len(reqs))
        return even_problems_pass(reqs, problems, config)

    cfg.exec.workers = 1
    cfg.exec.batch_size = 1
    with JobReporter("eval", quiet=quiet, stream=stream):
        scores, samples, _info = run_eval("synthesize", ["python"], {"python": py_rows}, backend, cfg, tmp_path,
                                          execute_fn=counting_execute)
    return scores, samples, backend.calls, calls


def test_eval_progress_on_a_terminal_same_results_as_without(py_rows, tmp_path):
    tty = FakeTerminal()
    scores, samples, gen_calls, exec_calls = _run(py_rows, tmp_path / "tty", tty)
    text = tty.getvalue()
    assert "eval generations" in text and "12/12" in text and "\r" in text
    assert "eval executions" in text and "12/12" in text and "pass_rate=50.0%" in text
    assert len(exec_calls) >= 2 and sum(exec_calls) == 12  # the line moved between groups

    pipe = io.StringIO()
    scores2, samples2, gen_calls2, exec_calls2 = _run(py_rows, tmp_path / "pipe", pipe)
    assert pipe.getvalue() == "" and exec_calls2 == [12] and gen_calls2 == 1
    assert [s.metrics for s in scores] == [s.metrics for s in scores2]
    assert [(s.task_id, s.sample_id, s.passed) for s in samples] == \
        [(s.task_id, s.sample_id, s.passed) for s in samples2]


def test_eval_quiet_draws_nothing(py_rows, tmp_path):
    tty = FakeTerminal()
    _scores, _samples, gen_calls, exec_calls = _run(py_rows, tmp_path, tty, quiet=True)
    assert tty.getvalue() == "" and exec_calls == [12] and gen_calls == 1


def test_execute_with_progress_without_reporter_is_one_call():
    calls = []

    def execute(reqs, problems, config):
        calls.append(len(reqs))
        return []

    execute_with_progress(execute, _requests(3, 2), {}, ExecConfig())
    assert calls == [6]

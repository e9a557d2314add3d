"""Scoring across Spark executors: chunk planning (pure) and a local[2] run against the serial result."""

import pytest

from evaluation.data import load_language
from evaluation.distributed import execute_on_spark, plan_chunks, run_chunk
from evaluation.execution.api import ExecConfig, ExecRequest
from tests.evaluation import fakes


def _reqs(langs_counts):
    out = []
    for lang, tid_prefix, n in langs_counts:
        for i in range(n):
            out.append(ExecRequest(language=lang, task_id=f"{tid_prefix}/{i}", program=f"p{i}", sample_id=i % 3))
    return out


def test_plan_chunks_groups_languages_and_keeps_positions():
    reqs = _reqs([("python", "Python", 5), ("go", "Go", 3)])
    reqs.insert(2, ExecRequest(language="go", task_id="Go/9", program="x"))
    chunks = plan_chunks(reqs, 2)
    assert [lang for lang, _ in chunks] == ["python", "python", "python", "go", "go"]
    assert all(len(items) <= 2 for _, items in chunks)
    positions = [pos for _, items in chunks for pos, _ in items]
    assert sorted(positions) == list(range(len(reqs)))
    assert chunks[3][1][0][0] == 2  # Go/9 came first among the Go requests
    assert plan_chunks(reqs, 100) == [("python", [(p, f) for _, items in chunks[:3] for p, f in items]),
                                      ("go", [(p, f) for _, items in chunks[3:] for p, f in items])]
    with pytest.raises(ValueError):
        plan_chunks(reqs, 0)


def test_run_chunk_round_trips_requests(humanevalpack_dir):
    rows = load_language("python", humanevalpack_dir)[:2]
    problems = {r["task_id"]: r for r in rows}
    reqs = [ExecRequest("python", r["task_id"], r["prompt"] + r["canonical_solution"], 4, "prompt") for r in rows]
    (chunk,) = plan_chunks(reqs, 10)
    out = run_chunk(chunk, problems, ExecConfig().model_dump_json(), fakes.fake_execute)
    assert [(p, d["task_id"], d["sample_id"], d["passed"]) for p, d in out] == [
        (0, "Python/0", 4, True), (1, "Python/1", 4, True)]


def canonical_and_buggy(humanevalpack_dir, n_python: int, n_js: int):
    """The first Python and JS problems, and two requests each: canonical (sample 0) and buggy (sample 1)."""
    rows = load_language("python", humanevalpack_dir)[:n_python] + load_language("js", humanevalpack_dir)[:n_js]
    problems = {r["task_id"]: r for r in rows}
    reqs = []
    for r in rows:
        lang = "python" if r["task_id"].startswith("Python") else "js"
        reqs.append(ExecRequest(lang, r["task_id"], r["prompt"] + r["canonical_solution"], 0))
        reqs.append(ExecRequest(lang, r["task_id"], r["prompt"] + r["buggy_solution"], 1))
    return problems, reqs


@pytest.mark.spark
def test_execute_on_spark_matches_serial(spark, humanevalpack_dir):
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(fakes)  # executors need not import the tests package
    problems, reqs = canonical_and_buggy(humanevalpack_dir, 20, 10)
    serial = fakes.fake_execute(reqs, problems, ExecConfig())
    dist = execute_on_spark(reqs, problems, ExecConfig(), chunk_size=7, spark=spark, execute_fn=fakes.fake_execute,
                            reference_on_driver=False)
    assert [(r.task_id, r.sample_id, r.passed, r.status) for r in dist] == \
        [(r.task_id, r.sample_id, r.passed, r.status) for r in serial]
    assert sum(r.passed for r in dist) == 30


@pytest.mark.spark
@pytest.mark.toolchain
def test_real_execution_on_spark_matches_local(spark, humanevalpack_dir):
    """The real sandboxed executor inside Spark tasks gives the same verdicts as a local call."""
    from evaluation.execution.api import execute

    problems, reqs = canonical_and_buggy(humanevalpack_dir, 12, 12)
    cfg = ExecConfig(workers=2)
    local = execute(reqs, problems, cfg)
    dist = execute_on_spark(reqs, problems, ExecConfig(), chunk_size=5, spark=spark)
    assert [(r.task_id, r.sample_id, r.passed) for r in dist] == [(r.task_id, r.sample_id, r.passed) for r in local]
    assert [r.passed for r in dist] == [True, False] * 24
    # timeouts came from the driver's reference runtimes: identical per task across executors
    assert [r.timeout_s for r in dist] == [r.timeout_s for r in local]

"""The step runner (octopack_spark/steps.py), and docs/architecture.md listing each job's steps as the code runs them."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import pytest

from octopack_spark.steps import Step, StepLog, StepRows, describe, run_steps

ROOT = Path(__file__).resolve().parents[1]


class Recorder:
    def __init__(self):
        self.calls = []

    def stage(self, k, n, name, rows_in=None, rows_out=None):
        self.calls.append((k, n, name, rows_in, rows_out))


def test_runs_steps_in_order_and_records_each(caplog):
    seen = []
    steps = [Step("a", lambda s: seen.append("a")),
             Step("b", lambda s: (seen.append("b"), StepRows(10, 7))[1])]
    rep = Recorder()
    with caplog.at_level(logging.INFO, logger="test.job"):
        out = run_steps("job", steps, None, logger=logging.getLogger("test.job"), reporter=rep)
    assert seen == ["a", "b"]
    assert [r.name for r in out.records] == ["a", "b"] and all(r.seconds >= 0 for r in out.records)
    assert (out.records[1].rows_in, out.records[1].rows_out) == (10, 7)
    assert list(out.seconds()) == ["a", "b"]
    assert rep.calls == [(1, 2, "a", None, None), (2, 2, "b", 10, 7)]
    assert "job step 2/2 b" in caplog.text


def test_a_failing_step_stops_the_run_and_keeps_what_finished():
    def boom(state):
        raise ValueError("boom")

    log = StepLog("job")
    with pytest.raises(ValueError, match="boom"):
        run_steps("job", [Step("ok", lambda s: None), Step("bad", boom), Step("never", lambda s: None)],
                  None, steplog=log, reporter=Recorder())
    assert [r.name for r in log.records] == ["ok"]


def test_a_step_sees_the_timings_of_the_steps_before_it():
    log = StepLog("job")
    seen = {}
    run_steps("job", [Step("first", lambda s: None), Step("second", lambda s: seen.update(log.seconds()))],
              None, steplog=log, reporter=Recorder())
    assert list(seen) == ["first"]


JOB_STEPS = {"mine": ("octopack_spark.mining.job", "MINE_STEPS"), "ft": ("octopack_spark.ft.job", "FT_STEPS"),
             "train": ("training.trainer", "TRAIN_STEPS")}


@pytest.mark.parametrize("job", ["mine", "ft", "train"])
def test_architecture_doc_lists_each_jobs_steps(job):
    module, name = JOB_STEPS[job]
    steps = getattr(importlib.import_module(module), name)
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert describe(steps) in doc, (
        f"docs/architecture.md does not list the {job} steps as the code runs them; paste:\n{describe(steps)}")

"""Which runs a folder holds, and the eval section read from a result file."""

from __future__ import annotations

import json

import pytest

from octopack_spark.errors import UserFacingError
from octopack_spark.report import default_output
from octopack_spark.report.collect import eval_section, find_runs, run_kind
from tests.report.test_browser import write_eval_result


def _manifest(folder, kind):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"format": "octopack-manifest", "kind": kind}))


def test_find_runs_in_a_run_or_one_level_down(tmp_path):
    _manifest(tmp_path / "qs" / "mine", "mine")
    _manifest(tmp_path / "qs" / "ft", "ft")
    result = write_eval_result(tmp_path / "qs" / "eval" / "run.json")
    (tmp_path / "qs" / "other").mkdir()
    assert find_runs(tmp_path / "qs") == [("eval", tmp_path / "qs" / "eval"), ("ft", tmp_path / "qs" / "ft"),
                                          ("mine", tmp_path / "qs" / "mine")]
    assert find_runs(tmp_path / "qs" / "ft") == [("ft", tmp_path / "qs" / "ft")]
    assert run_kind(result) == "eval" and run_kind(result.with_name("run.samples.jsonl")) is None
    with pytest.raises(UserFacingError, match="not an octopack run"):
        find_runs(tmp_path / "qs" / "other")


def test_eval_section_facts_and_figures(tmp_path):
    result = write_eval_result(tmp_path / "r.json")
    sec = eval_section(result)
    assert sec.kind == "eval" and ("model", "tiny") in sec.facts
    assert [f.key for f in sec.figures] == ["pass_at_k", "outcomes"]
    values = sec.figures[0].spec()["data"]["values"]
    assert {"task": "HumanEvalSynthesize", "language": "Go", "metric": "pass@10", "value": 45.0} in values


def test_default_output(tmp_path):
    assert default_output(tmp_path) == tmp_path / "report.html"
    (tmp_path / "res.json").write_text("{}")
    assert default_output(tmp_path / "res.json") == tmp_path / "res.report.html"

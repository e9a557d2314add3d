"""The scoring flow (generations -> requests -> verdicts -> pass@k) with a stand-in executor."""

import json

import pytest

from evaluation.data import load_language
from evaluation.execution.api import ExecConfig
from evaluation.scoring import Stage, load_generations, score_stages, stage_requests, validate_generations
from octopack_spark.errors import UserFacingError
from tests.evaluation.fakes import fake_execute


@pytest.fixture(scope="module")
def py_rows(humanevalpack_dir):
    return load_language("python", humanevalpack_dir)[:4]


def test_stage_requests_layout_and_ids(py_rows):
    st = Stage("fix-tests", "python", py_rows[:2], [["a", "b"], ["c"]])
    reqs = stage_requests(st)
    assert [(r.task_id, r.sample_id, r.layout, r.program) for r in reqs] == [
        ("Python/0", 0, "decl", "a"), ("Python/0", 1, "decl", "b"), ("Python/1", 0, "decl", "c")]
    assert st.name == "humanevalfixtests-python"
    assert stage_requests(Stage("synthesize", "python", py_rows[:1], [["x"]]))[0].layout == "prompt"


def test_score_stages_pass_at_k(py_rows):
    canon = [r["prompt"] + r["canonical_solution"] for r in py_rows]
    buggy = [r["prompt"] + r["buggy_solution"] for r in py_rows]
    # problem i gets i correct samples out of 4 (problem 3: one of them a compile error)
    progs = [[canon[i]] * i + [buggy[i]] * (4 - i) for i in range(4)]
    progs[0][0] = "SYNTAX"
    scores, samples = score_stages([Stage("synthesize", "python", py_rows, progs)], [1, 2, 10], ExecConfig(),
                                   execute_fn=fake_execute)
    (s,) = scores
    # pass@1 = mean(c/n) = (0 + .25 + .5 + .75)/4; pass@2 = mean(1 - C(n-c,2)/C(4,2))
    assert s.metrics["pass@1"] == pytest.approx(0.375)
    assert s.metrics["pass@2"] == pytest.approx((0 + (1 - 3 / 6) + (1 - 1 / 6) + 1) / 4)
    assert "pass@10" not in s.metrics  # undefined with 4 samples
    assert s.status_counts == {"passed": 6, "wrong_answer": 9, "compile_error": 1}
    assert s.per_problem_passed == {"Python/0": 0, "Python/1": 1, "Python/2": 2, "Python/3": 3}
    assert len(samples) == 16 and samples[0].status == "compile_error" and samples[0].index == 0
    assert s.to_json()["n_samples"] == 4 and s.to_json()["n_problems"] == 4


def test_several_stages_in_one_pass_keep_their_results(py_rows):
    calls = []

    def counting(reqs, problems, cfg):
        calls.append(len(reqs))
        return fake_execute(reqs, problems, cfg)

    canon = [[r["prompt"] + r["canonical_solution"]] for r in py_rows]
    buggy = [[r["declaration"] + r["buggy_solution"]] for r in py_rows]
    scores, _ = score_stages([Stage("synthesize", "python", py_rows, canon),
                              Stage("fix-tests", "python", py_rows, buggy)], [1], ExecConfig(),
                             execute_fn=counting)
    assert calls == [8]
    assert [s.metrics["pass@1"] for s in scores] == [1.0, 0.0]


def test_out_of_order_results_are_caught(py_rows):
    def reversed_exec(reqs, problems, cfg):
        return list(reversed(fake_execute(reqs, problems, cfg)))

    with pytest.raises(RuntimeError, match="out of order"):
        score_stages([Stage("synthesize", "python", py_rows[:2], [["a"], ["b"]])], [1], ExecConfig(),
                     execute_fn=reversed_exec)


def test_validate_generations_errors_name_the_problem():
    with pytest.raises(UserFacingError, match="has 1 entries but the dataset has 2"):
        validate_generations([["a"]], 2, "g.json")
    with pytest.raises(UserFacingError, match="problem 1: expected a list of strings, got str"):
        validate_generations([["a"], "b"], 2, "g.json")
    with pytest.raises(UserFacingError, match="problem 0, generation 1: expected a string, got int"):
        validate_generations([["a", 3], ["b"]], 2, "g.json")
    with pytest.raises(UserFacingError, match="problem 1: no generations"):
        validate_generations([["a"], []], 2, "g.json")
    with pytest.raises(UserFacingError, match="expected a JSON list"):
        validate_generations({"a": 1}, 2, "g.json")


def test_load_generations_forms(tmp_path):
    one = tmp_path / "py.json"
    one.write_text(json.dumps([["x"], ["y"]]))
    assert load_generations(str(one), ["python"], {"python": 2}) == {"python": [["x"], ["y"]]}
    both = tmp_path / "both.json"
    both.write_text(json.dumps({"python": [["x"]], "go": [["g"]]}))
    assert load_generations(str(both), ["python", "go"], {"python": 1, "go": 1})["go"] == [["g"]]
    with pytest.raises(UserFacingError, match="no generations for js"):
        load_generations(str(both), ["python", "js"], {"python": 1, "js": 1})
    (tmp_path / "gen_go.json").write_text(json.dumps([["g"]]))
    (tmp_path / "gen_python.json").write_text(json.dumps([["p"]]))
    got = load_generations(str(tmp_path / "gen_{language}.json"), ["python", "go"], {"python": 1, "go": 1})
    assert got == {"python": [["p"]], "go": [["g"]]}
    with pytest.raises(UserFacingError, match="holds one list of generations, but 2 languages"):
        load_generations(str(one), ["python", "go"], {"python": 2, "go": 2})
    bad = tmp_path / "bad.json"
    bad.write_text('[["a"],\n ["b"')
    with pytest.raises(UserFacingError, match="not valid JSON.*line 2"):
        load_generations(str(bad), ["python"], {"python": 2})
    with pytest.raises(UserFacingError, match="not found"):
        load_generations(str(tmp_path / "missing.json"), ["python"], {"python": 2})


def test_load_generations_accepts_harness_keys(tmp_path):
    f = tmp_path / "h.json"
    f.write_text(json.dumps({"humanevalfixtests-python": [["p"]], "humanevalfixtests-go": [["g"]]}))
    got = load_generations(str(f), ["python", "go"], {"python": 1, "go": 1}, task="fix-tests")
    assert got == {"python": [["p"]], "go": [["g"]]}
    with pytest.raises(UserFacingError, match="no generations for python"):
        load_generations(str(f), ["python"], {"python": 1}, task="synthesize")

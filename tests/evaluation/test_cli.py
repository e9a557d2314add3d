"""`octopack eval score|run` flow with a stand-in executor (the real-execution end-to-end tests are in
test_cli_e2e.py, marked toolchain)."""

import json

import pytest

import evaluation.scoring as scoring
from evaluation.data import load_language
from octopack_spark.cli.main import main
from tests.evaluation.fakes import fake_execute


@pytest.fixture
def fake_exec(monkeypatch):
    monkeypatch.setattr(scoring, "default_execute", fake_execute)


@pytest.fixture(scope="module")
def py_rows(humanevalpack_dir):
    return load_language("python", humanevalpack_dir)


def _write(path, obj):
    path.write_text(json.dumps(obj))
    return str(path)


def _run_replay(tmp_path, humanevalpack_dir, task: str, replay: dict, n: int, limit: int, k: str):
    """`octopack eval run --task <task>` on Python whose 'model' replays `replay` ({"<task>/python": [[completion,
    ...] per problem]}) from a generations file; (exit code, output folder)."""
    gfile = _write(tmp_path / "replay.json", replay)
    out = tmp_path / "run"
    rc = main(["eval", "run", "--task", task, "--language", "python", "--model", f"file:{gfile}", "--n", str(n),
               "--data", str(humanevalpack_dir), "--limit", str(limit), "--k", k, "--output", str(out)])
    return rc, out


def test_score_canonical_all_pass_buggy_all_fail(tmp_path, humanevalpack_dir, py_rows, fake_exec, capsys):
    canon = _write(tmp_path / "c.json", [[r["prompt"] + r["canonical_solution"]] * 2 for r in py_rows])
    rc = main(["eval", "score", "--language", "python", "--generations", canon, "--data", str(humanevalpack_dir),
               "--k", "1,2,10", "--output", str(tmp_path / "c_res.json")])
    assert rc == 0
    d = json.loads((tmp_path / "c_res.json").read_text())
    assert d["humanevalsynthesize-python"]["pass@1"] == 1.0
    assert "pass@10" not in d["humanevalsynthesize-python"]  # only 2 samples per problem
    assert d["config"]["scoring"]["ks"] == [1, 2, 10] and d["config"]["task"] == "synthesize"
    assert len(d["config"]["dataset_sha256"]["python"]) == 64
    assert "| HumanEvalSynthesize | 100.0 | 100.0 |" in capsys.readouterr().out
    buggy = _write(tmp_path / "b.json", [[r["declaration"] + r["buggy_solution"]] for r in py_rows])
    rc = main(["eval", "score", "--language", "python", "--task", "fix-tests", "--generations", buggy,
               "--data", str(humanevalpack_dir), "--output", str(tmp_path / "b_res.json"), "--no-chart"])
    assert rc == 0
    d = json.loads((tmp_path / "b_res.json").read_text())
    assert d["humanevalfixtests-python"]["pass@1"] == 0.0
    assert d["humanevalfixtests-python"]["status_counts"] == {"wrong_answer": 164}
    samples = (tmp_path / "b_res.samples.jsonl").read_text().splitlines()
    assert len(samples) == 164 and json.loads(samples[0])["detail"] == "layout=decl"


@pytest.mark.parametrize("content,message", [
    ("[[\"a\"]]", "has 1 entries but the dataset has 164 problems"),
    ("{\"python\": 3", "not valid JSON"),
    (json.dumps([["a"]] * 163 + [[7]]), "problem 163, generation 0: expected a string"),
    (json.dumps([["a"]] * 10 + ["a"] + [["a"]] * 153), "problem 10: expected a list of strings"),
])
def test_score_rejects_bad_generations(tmp_path, humanevalpack_dir, content, message, capsys):
    g = tmp_path / "g.json"
    g.write_text(content)
    rc = main(["eval", "score", "--language", "python", "--generations", str(g), "--data", str(humanevalpack_dir),
               "--output", str(tmp_path / "r.json")])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "r.json").exists()


def test_score_bad_arguments(tmp_path, humanevalpack_dir, capsys):
    assert main(["eval", "score", "--language", "cobol", "--generations", "x.json", "--output", "r.json",
                 "--data", str(humanevalpack_dir)]) == 2
    assert "unknown HumanEvalPack language 'cobol'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "score", "--generations", "x.json", "--output", "r.json", "--k", "0,1"])
    assert main(["eval", "score", "--language", "python", "--generations", "x.json", "--output", "r.json",
                 "--data", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_run_synthesize_with_canonical_replay(tmp_path, humanevalpack_dir, py_rows, fake_exec):
    """`eval run` through prompts -> generations-file backend -> post-processing -> scoring: a 'model' that
    answers with the canonical body scores 100%, and the saved generations re-score identically."""
    limit = 6
    comps = [["\n" + r["canonical_solution"] + "\n\ndef extra():\n    pass\n"] * 3 for r in py_rows[:limit]]
    rc, out = _run_replay(tmp_path, humanevalpack_dir, "synthesize", {"synthesize/python": comps},
                          n=3, limit=limit, k="1")
    assert rc == 0
    res = json.loads((out / "evaluation_results.json").read_text())
    assert res["humanevalsynthesize-python"]["pass@1"] == 1.0
    assert res["config"]["generator"]["backend"] == "generations-file"
    saved = json.loads((out / "generations_humanevalsynthesize-python.json").read_text())
    assert len(saved) == limit and saved[0][0].rstrip() == (py_rows[0]["prompt"] + py_rows[0]["canonical_solution"]).rstrip()
    raw = json.loads((out / "generations_raw_humanevalsynthesize-python.json").read_text())
    assert raw[0][0].endswith("def extra():\n    pass\n")


def test_run_explain_two_stages(tmp_path, humanevalpack_dir, py_rows, fake_exec):
    limit = 3
    desc = [["Returns True if two numbers are closer than the threshold. " * 10, "short"] for _ in range(limit)]
    code = [["\n" + r["canonical_solution"], "\n    return None\n"] for r in py_rows[:limit]]
    rc, out = _run_replay(tmp_path, humanevalpack_dir, "explain",
                          {"explain-describe/python": desc, "explain-synthesize/python": code},
                          n=2, limit=limit, k="1,2")
    assert rc == 0
    saved_desc = json.loads((out / "generations_humanevalexplaindescribe-python.json").read_text())
    assert [len(d) for d in saved_desc] == [2, 2, 2]
    assert all(len(d[0]) <= len(r["docstring"]) for d, r in zip(saved_desc, py_rows))
    res = json.loads((out / "evaluation_results.json").read_text())
    assert set(k for k in res if k != "config") == {"humanevalexplainsynthesize-python"}
    assert res["humanevalexplainsynthesize-python"]["pass@1"] == 0.5
    assert res["humanevalexplainsynthesize-python"]["pass@2"] == 1.0


def test_run_with_tiny_local_model(tmp_path, humanevalpack_dir, tiny_model_dir, fake_exec):
    out = tmp_path / "run"
    args = ["eval", "run", "--task", "fix", "--language", "python,js", "--model", str(tiny_model_dir), "--n", "2",
            "--max-new-tokens", "16", "--batch-size", "2", "--seed", "1", "--data", str(humanevalpack_dir),
            "--limit", "2", "--k", "1", "--output", str(out)]
    assert main(args) == 0
    res = json.loads((out / "evaluation_results.json").read_text())
    assert set(k for k in res if k != "config") == {"humanevalfixtests-python", "humanevalfixtests-js"}
    assert res["config"]["generator"]["backend"] == "transformers"
    first = (out / "generations_raw_humanevalfixtests-js.json").read_text()
    assert main(args[:-1] + [str(tmp_path / "again")]) == 0  # deterministic seeding: same generations
    assert (tmp_path / "again" / "generations_raw_humanevalfixtests-js.json").read_text() == first


def test_run_resume_reuses_unchanged_stages(tmp_path, humanevalpack_dir, py_rows, fake_exec):
    limit = 3
    good = tmp_path / "good.json"
    _write(good, {"synthesize/python": [["\n" + r["canonical_solution"]] * 2 for r in py_rows[:limit]]})
    out = tmp_path / "run"
    base = ["eval", "run", "--task", "synthesize", "--language", "python", "--n", "2", "--limit", str(limit),
            "--data", str(humanevalpack_dir), "--k", "1", "--output", str(out)]
    assert main(base + ["--model", f"file:{good}"]) == 0
    # Same prompts, settings and generator: the saved completions are reused; the file now holds wrong answers,
    # so a full score proves the backend was not asked again.
    wrong_answers = {"synthesize/python": [["\n    return None\n"] * 2 for _ in range(limit)]}
    _write(good, wrong_answers)
    wrong = tmp_path / "wrong.json"
    _write(wrong, wrong_answers)
    assert main(base + ["--model", f"file:{good}", "--resume"]) == 0
    res = json.loads((out / "evaluation_results.json").read_text())
    assert res["humanevalsynthesize-python"]["pass@1"] == 1.0
    assert res["config"]["generation"]["humanevalsynthesize-python"]["reused"] is True
    # ...but another generator (or other settings) changes the fingerprint, so generation runs again.
    assert main(base + ["--model", f"file:{wrong}", "--resume"]) == 0
    res = json.loads((out / "evaluation_results.json").read_text())
    assert res["humanevalsynthesize-python"]["pass@1"] == 0.0
    assert res["config"]["generation"]["humanevalsynthesize-python"]["reused"] is False
    assert main(base + ["--model", f"file:{wrong}", "--resume", "--temperature", "0.5"]) == 0
    res = json.loads((out / "evaluation_results.json").read_text())
    assert res["config"]["generation"]["humanevalsynthesize-python"]["reused"] is False


# ------------------------------------------------------------------------------------ output paths
def test_score_output_path_is_taken_as_given(tmp_path, humanevalpack_dir, py_rows, fake_exec):
    # `--output run.result.json` once wrote its results over run.json (Path.with_suffix("") -> "run.result",
    # then .with_suffix(".json") -> "run.json").
    gens = tmp_path / "run.json"
    _write(gens, [[r["prompt"] + r["canonical_solution"]] for r in py_rows])
    before = gens.read_text()
    rc = main(["eval", "score", "--language", "python", "--generations", str(gens), "--data",
               str(humanevalpack_dir), "--k", "1", "--no-chart", "--output", str(tmp_path / "run.result.json")])
    assert rc == 0
    assert gens.read_text() == before
    assert json.loads((tmp_path / "run.result.json").read_text())["humanevalsynthesize-python"]["pass@1"] == 1.0
    assert (tmp_path / "run.result.samples.jsonl").exists() and (tmp_path / "run.result.summary.md").exists()


@pytest.mark.parametrize("output", ["run.json", "./sub/../run.json", "link.json"])
def test_score_refuses_an_output_that_is_an_input(tmp_path, humanevalpack_dir, py_rows, fake_exec, capsys,
                                                   monkeypatch, output):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    gens = tmp_path / "run.json"
    _write(gens, [[r["prompt"] + r["canonical_solution"]] for r in py_rows])
    (tmp_path / "link.json").symlink_to(gens)
    before = gens.read_text()
    for extra in ([], ["--overwrite"]):
        rc = main(["eval", "score", "--language", "python", "--generations", "run.json", "--data",
                   str(humanevalpack_dir), "--k", "1", "--no-chart", "--output", output, *extra])
        assert rc == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "is the input" in err and err.count("\n") == 1, err
        assert gens.read_text() == before


def test_score_output_with_language_placeholder_inputs(tmp_path, humanevalpack_dir, capsys):
    # generations given as a {language} pattern: each expanded file is an input.
    _write(tmp_path / "g-python.json", [])
    rc = main(["eval", "score", "--language", "python", "--generations", str(tmp_path / "g-{language}.json"),
               "--data", str(humanevalpack_dir), "--output", str(tmp_path / "g-python.json")])
    assert rc == 2 and "is the input" in capsys.readouterr().err


def test_score_does_not_overwrite_results_without_overwrite(tmp_path, humanevalpack_dir, py_rows, fake_exec,
                                                             capsys):
    gens = _write(tmp_path / "g.json", [[r["prompt"] + r["canonical_solution"]] for r in py_rows])
    args = ["eval", "score", "--language", "python", "--generations", gens, "--data", str(humanevalpack_dir),
            "--k", "1", "--no-chart", "--output", str(tmp_path / "res.json")]
    assert main(args) == 0
    (tmp_path / "res.json").write_text("keep me")
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "already exist" in err and "--overwrite" in err and err.count("\n") == 1
    assert (tmp_path / "res.json").read_text() == "keep me"
    # Also when only a file beside it (the samples) exists.
    (tmp_path / "res.json").unlink()
    assert main(args) == 2 and "res.samples.jsonl" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0
    assert json.loads((tmp_path / "res.json").read_text())["humanevalsynthesize-python"]["pass@1"] == 1.0


def test_run_does_not_overwrite_results_without_overwrite_or_resume(tmp_path, humanevalpack_dir, py_rows,
                                                                    fake_exec, capsys):
    limit = 2
    good = _write(tmp_path / "good.json", {"synthesize/python": [["\n" + r["canonical_solution"]] for r in py_rows[:limit]]})
    out = tmp_path / "run"
    base = ["eval", "run", "--task", "synthesize", "--language", "python", "--n", "1", "--limit", str(limit),
            "--data", str(humanevalpack_dir), "--k", "1", "--no-chart", "--output", str(out), "--model", f"file:{good}"]
    assert main(base) == 0
    first = (out / "evaluation_results.json").read_text()
    capsys.readouterr()
    assert main(base) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "evaluation_results.json" in err and "--overwrite" in err
    assert (out / "evaluation_results.json").read_text() == first
    assert main(base + ["--overwrite"]) == 0
    # A model file that is the results file itself is refused even with --overwrite.
    res = str(out / "evaluation_results.json")
    assert main(base[:-1] + [f"file:{res}", "--overwrite"]) == 2
    assert "is the input" in capsys.readouterr().err

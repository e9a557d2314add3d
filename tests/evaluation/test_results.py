"""Result files: harness-layout JSON, per-sample JSONL, summary table and chart."""

import json

from evaluation.results import result_paths, summary_markdown, summary_table, write_results
from evaluation.scoring import SampleRecord, StageScore


def _score(task, lang, p1, counts):
    harness = {"synthesize": "humanevalsynthesize", "fix-tests": "humanevalfixtests"}[task]
    return StageScore(name=f"{harness}-{lang}", task=task, language=lang, metrics={"pass@1": p1},
                      n_problems=164, samples_per_problem=[20] * 164, status_counts=counts)


SCORES = [
    _score("synthesize", "python", 0.462, {"passed": 1515, "wrong_answer": 1765}),
    _score("synthesize", "go", 0.304, {"passed": 997, "compile_error": 2283}),
    _score("fix-tests", "python", 0.304, {"passed": 997, "timeout": 2283}),
]


def test_summary_table_rows_columns_and_average():
    t = summary_table(SCORES)
    lines = t.splitlines()
    assert lines[0] == "| task | Python | Go | Avg |"
    assert lines[2] == "| HumanEvalFix (tests) | 30.4 | - | 30.4 |"
    assert lines[3] == "| HumanEvalSynthesize | 46.2 | 30.4 | 38.3 |"
    md = summary_markdown(SCORES)
    assert "## pass@1 (%)" in md and "| humanevalsynthesize-go | 3280 | 2283 |" in md


def test_write_results_files(tmp_path):
    samples = [SampleRecord("humanevalsynthesize-python", "python", "Python/0", 0, 0, True, "passed", 0.1, ""),
               SampleRecord("humanevalsynthesize-python", "python", "Python/0", 0, 1, False, "timeout", 5.0, "t")]
    paths = write_results(tmp_path / "res.json", SCORES, samples, {"model": "m"})
    assert paths == result_paths(tmp_path / "res.json")
    d = json.loads(paths["json"].read_text())
    assert set(d) == {"humanevalsynthesize-python", "humanevalsynthesize-go", "humanevalfixtests-python", "config"}
    assert d["humanevalsynthesize-python"]["pass@1"] == 0.462
    assert d["humanevalsynthesize-python"]["n_samples"] == 20
    assert d["config"] == {"model": "m"}
    lines = [json.loads(x) for x in paths["samples"].read_text().splitlines()]
    assert lines[1]["status"] == "timeout" and lines[1]["passed"] is False and lines[1]["sample_id"] == 1
    png = paths["chart"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert "HumanEvalSynthesize" in paths["summary"].read_text()
    no_chart = write_results(tmp_path / "b", SCORES, samples, {}, chart=False)
    assert "chart" not in no_chart and not (tmp_path / "b.png").exists()

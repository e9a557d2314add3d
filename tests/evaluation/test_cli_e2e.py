"""`octopack eval score|run` end to end with the real sandboxed executor (needs evaluation/setup_toolchains.sh)."""

import json

import pytest

from evaluation.data import LANGUAGES, load_language
from evaluation.execution.api import STATUSES
from octopack_spark.cli.main import main

pytestmark = pytest.mark.toolchain


@pytest.fixture(scope="module")
def data(humanevalpack_dir):
    return {lang: load_language(lang, humanevalpack_dir) for lang in LANGUAGES}


def _score(tmp_path, name, gens, languages, humanevalpack_dir, task="synthesize", extra=()):
    g = tmp_path / f"{name}.json"
    g.write_text(json.dumps(gens))
    out = tmp_path / f"{name}_res.json"
    rc = main(["eval", "score", "--language", ",".join(languages), "--task", task, "--generations", str(g),
               "--data", str(humanevalpack_dir), "--k", "1", "--output", str(out), *extra])
    assert rc == 0
    res = json.loads(out.read_text())
    samples = [json.loads(x) for x in (tmp_path / f"{name}_res.samples.jsonl").read_text().splitlines()]
    return res, samples


@pytest.mark.slow
def test_score_canonical_all_pass_buggy_all_fail_python_js(tmp_path, humanevalpack_dir, data):
    langs = ["python", "js"]
    canon = {lang: [[r["prompt"] + r["canonical_solution"]] for r in data[lang]] for lang in langs}
    res, samples = _score(tmp_path, "canon", canon, langs, humanevalpack_dir)
    for lang in langs:
        assert res[f"humanevalsynthesize-{lang}"]["pass@1"] == 1.0, \
            [s for s in samples if s["language"] == lang and not s["passed"]][:3]
    assert len(samples) == 2 * 164
    buggy = {lang: [[r["prompt"] + r["buggy_solution"]] for r in data[lang]] for lang in langs}
    res, samples = _score(tmp_path, "buggy", buggy, langs, humanevalpack_dir)
    for lang in langs:
        st = res[f"humanevalsynthesize-{lang}"]
        assert st["pass@1"] == 0.0 and "passed" not in st["status_counts"]
        assert sum(st["status_counts"].values()) == 164
    assert {s["status"] for s in samples} <= set(STATUSES)
    # JS's console.assert only prints and exits 0 (154 buggy programs): they must show up as failed asserts.
    assert res["humanevalsynthesize-js"]["status_counts"].get("wrong_answer", 0) > 100


def test_score_fix_layout_every_language(tmp_path, humanevalpack_dir, data):
    """fix-tests programs are declaration + solution (Rust: fn main(){} first): first 6 problems per language."""
    k = 6
    langs = list(LANGUAGES)
    decl = {lang: ("fn main(){}\n" if lang == "rust" else "") for lang in langs}
    canon = {lang: [[decl[lang] + r["declaration"] + r["canonical_solution"]] for r in data[lang][:k]]
             for lang in langs}
    buggy = {lang: [[decl[lang] + r["declaration"] + r["buggy_solution"]] for r in data[lang][:k]]
             for lang in langs}
    res, samples = _score(tmp_path, "fc", canon, langs, humanevalpack_dir, "fix-tests", ["--limit", str(k)])
    assert {lang: res[f"humanevalfixtests-{lang}"]["pass@1"] for lang in langs} == {lang: 1.0 for lang in langs}, \
        [s for s in samples if not s["passed"]][:3]
    res, samples = _score(tmp_path, "fb", buggy, langs, humanevalpack_dir, "fix-tests", ["--limit", str(k)])
    assert {lang: res[f"humanevalfixtests-{lang}"]["pass@1"] for lang in langs} == {lang: 0.0 for lang in langs}
    assert len(samples) == 6 * k


def test_run_replaying_canonical_answers_scores_full_marks(tmp_path, humanevalpack_dir, data):
    """prompts -> file backend -> post-processing -> real execution, for a code task in three languages."""
    limit = 8
    langs = ["python", "go", "rust"]
    replay = {}
    for lang in langs:
        replay[f"synthesize/{lang}"] = [["\n" + r["canonical_solution"] + "\n\n// trailing chatter\n"]
                                        for r in data[lang][:limit]]
    g = tmp_path / "replay.json"
    g.write_text(json.dumps(replay))
    out = tmp_path / "run"
    rc = main(["eval", "run", "--task", "synthesize", "--language", ",".join(langs), "--model", f"file:{g}",
               "--n", "1", "--data", str(humanevalpack_dir), "--limit", str(limit), "--k", "1", "--output", str(out)])
    assert rc == 0
    res = json.loads((out / "evaluation_results.json").read_text())
    assert {lang: res[f"humanevalsynthesize-{lang}"]["pass@1"] for lang in langs} == {lang: 1.0 for lang in langs}


def test_run_tiny_local_model_end_to_end(tmp_path, humanevalpack_dir, tiny_model_dir):
    out = tmp_path / "run"
    rc = main(["eval", "run", "--task", "synthesize", "--language", "python,js", "--model", str(tiny_model_dir),
               "--n", "2", "--max-new-tokens", "24", "--data", str(humanevalpack_dir), "--limit", "3",
               "--k", "1", "--output", str(out)])
    assert rc == 0
    res = json.loads((out / "evaluation_results.json").read_text())
    for lang in ("python", "js"):
        st = res[f"humanevalsynthesize-{lang}"]
        assert 0.0 <= st["pass@1"] <= 1.0 and sum(st["status_counts"].values()) == 6
    samples = [json.loads(x) for x in (out / "evaluation_results.samples.jsonl").read_text().splitlines()]
    assert len(samples) == 12 and {s["status"] for s in samples} <= set(STATUSES)
    assert (out / "evaluation_results.png").stat().st_size > 0


@pytest.mark.spark
def test_score_with_spark_engine(tmp_path, humanevalpack_dir, data):
    k = 10
    gens = {"python": [[r["prompt"] + r["canonical_solution"], r["prompt"] + r["buggy_solution"]]
                       for r in data["python"][:k]]}
    res, samples = _score(tmp_path, "sp", gens, ["python"], humanevalpack_dir,
                          extra=["--limit", str(k), "--engine", "spark", "--spark-master", "local[2]",
                                 "--set", "scoring.chunk_size=4"])
    assert res["humanevalsynthesize-python"]["pass@1"] == 0.5
    assert res["config"]["scoring"]["engine"] == "spark"
    assert [s["passed"] for s in samples] == [True, False] * k

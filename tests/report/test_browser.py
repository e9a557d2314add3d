"""`octopack report` on a mine + ft run laid out as the quickstart's (out/quickstart/{mine,ft}) and on an
eval result: the HTML and one PNG per figure are written, and the page, opened in a real headless
Chromium with the network blocked, renders every figure with no console errors."""

from __future__ import annotations

import pytest

from octopack_spark.cli.main import main
from tests.report.browser import assert_all_rendered, open_report, require_chromium

MINE_FIGURES = ["languages", "commits_over_time", "top_repositories", "row_sizes"]
FT_FIGURES = ["languages", "funnel", "commits_over_time", "top_repositories", "row_sizes", "dedup_clusters"]
EVAL_FIGURES = ["pass_at_k", "outcomes"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write_eval_result(path):
    """A result as `octopack eval` writes it (evaluation.results.write_results), two tasks x two languages."""
    from evaluation.results import write_results
    from evaluation.scoring import SampleRecord, StageScore

    def score(task, harness, lang, p1, p10, counts):
        return StageScore(name=f"{harness}-{lang}", task=task, language=lang,
                          metrics={"pass@1": p1, "pass@10": p10}, n_problems=164,
                          samples_per_problem=[20] * 164, status_counts=counts)

    scores = [score("synthesize", "humanevalsynthesize", "python", 0.462, 0.61, {"passed": 1515, "wrong_answer": 1765}),
              score("synthesize", "humanevalsynthesize", "go", 0.304, 0.45, {"passed": 997, "compile_error": 2283}),
              score("fix-tests", "humanevalfixtests", "python", 0.304, 0.40, {"passed": 997, "timeout": 2283}),
              score("fix-tests", "humanevalfixtests", "go", 0.0, 0.0, {"compile_error": 3280})]
    samples = [SampleRecord("humanevalsynthesize-python", "python", "Python/0", 0, 0, True, "passed", 0.1, "")]
    return write_results(path, scores, samples, {"model": "tiny", "n": 20})["json"]


def assert_pngs(out_dir, stem, sections):
    for kind, keys in sections.items():
        for key in keys:
            png = (out_dir / f"{stem}.{kind}.{key}.png").read_bytes()
            assert png[:8] == PNG_MAGIC and len(png) > 2000, (kind, key)


def test_eval_result_report_renders_in_browser(tmp_path, capsys):
    chromium = require_chromium()
    result = write_eval_result(tmp_path / "eval" / "evaluation_results.json")
    assert main(["report", str(result.parent)]) == 0  # the folder `octopack eval run` writes
    html = tmp_path / "eval" / "report.html"
    assert f"report: {html} (2 figures)" in capsys.readouterr().out
    assert_pngs(html.parent, "report", {"eval": EVAL_FIGURES})
    assert_all_rendered(open_report(html, chromium), EVAL_FIGURES)
    # the result file itself, with --output elsewhere
    out = tmp_path / "pages" / "eval.html"
    assert main(["report", str(result), "--output", str(out)]) == 0
    assert_pngs(out.parent, "eval", {"eval": EVAL_FIGURES})


@pytest.mark.spark
@pytest.mark.slow
def test_mine_and_ft_run_report_renders_in_browser(spark, tmp_path, humanevalpack_dir):
    from octopack_spark.ft.job import run_ft
    from tests.ft.job_data import load_humaneval, planted, write_commits_dataset
    from tests.ft.test_job import ft_cfg

    chromium = require_chromium()
    run = tmp_path / "quickstart"  # as infra/quickstart.sh lays it out: mine/ and ft/
    rows, _ = planted(load_humaneval(humanevalpack_dir))
    write_commits_dataset(str(run / "mine"), rows)
    run_ft(ft_cfg(run / "mine", run / "ft", humanevalpack_dir), spark=spark)

    assert main(["report", str(run)]) == 0
    html = run / "report.html"
    assert_pngs(run, "report", {"mine": MINE_FIGURES, "ft": FT_FIGURES})
    page = html.read_text(encoding="utf-8")
    assert "http://" not in page.split("<script>")[0] and 'src="http' not in page  # nothing fetched
    assert_all_rendered(open_report(html, chromium), MINE_FIGURES + FT_FIGURES)
    # one run folder alone
    assert main(["report", str(run / "ft"), "--output", str(tmp_path / "ft.html"), "--no-png"]) == 0
    assert_all_rendered(open_report(tmp_path / "ft.html", chromium), FT_FIGURES)


class _BrokenChart:
    def to_dict(self):
        return {"mark": "no-such-mark", "data": {"values": [{"a": 1}]}}


def test_the_browser_check_sees_a_figure_that_fails(tmp_path):
    """The check is not vacuous: a spec Vega-Lite rejects shows as an error and a console error."""
    from octopack_spark.report import figures as fg
    from octopack_spark.report.collect import Section
    from octopack_spark.report.page import render_page

    chromium = require_chromium()
    good = fg.top_repos_chart([{"repo": "a/b", "rows": 2, "series": "mined"}])
    sec = Section("mine", "x", figures=[fg.Figure("good", "g", "", good), fg.Figure("broken", "b", "", _BrokenChart())])
    html = tmp_path / "r.html"
    html.write_text(render_page([sec], "t"), encoding="utf-8")
    result = open_report(html, chromium)
    by_key = {f["figure"]: f for f in result.figures.values()}
    assert by_key["good"]["rendered"] == "1" and by_key["good"]["marks"] >= 1
    assert by_key["broken"]["error"] and not by_key["broken"]["rendered"]
    assert any("broken" in e for e in result.console_errors)
    with pytest.raises(AssertionError):
        assert_all_rendered(result, ["good", "broken"])

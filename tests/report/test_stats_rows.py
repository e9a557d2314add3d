"""stats.json and eval results shaped into chart rows."""

from __future__ import annotations

from octopack_spark.humanevalpack import DISPLAY_NAME
from octopack_spark.report.stats_rows import eval_rows, funnel_rows, language_rows

STATS = {
    "rows_in": 100, "rows_out": 7,
    "funnel": [
        {"kind": "stage", "stage": "sql1", "name": "sql1", "rows_in": 100, "rows_out": 40, "rows_dropped": 60},
        {"kind": "rule", "stage": "sql1", "name": "message_merge", "rows_in": 100, "rows_out": 40, "rows_dropped": 60},
        {"kind": "stage", "stage": "filters2", "name": "filters2", "rows_in": 40, "rows_out": 7, "rows_dropped": 33},
        {"kind": "rule", "stage": "filters2", "name": "wip", "rows_in": 40, "rows_out": 7, "rows_dropped": 33},
    ],
    "languages_in": {"Python": {"rows": 80, "bytes": 1}, "Go": {"rows": 15, "bytes": 1}, "C": {"rows": 5, "bytes": 1}},
    "languages_out": {"Python": {"rows": 5, "bytes": 1}, "Go": {"rows": 2, "bytes": 1}},
}


def test_funnel_rows_start_with_the_input():
    stages, rules = funnel_rows(STATS)
    assert stages == [{"name": "input", "rows": 100}, {"name": "sql1", "rows": 40}, {"name": "filters2", "rows": 7}]
    assert rules == [{"name": "message_merge", "stage": "sql1", "dropped": 60},
                     {"name": "wip", "stage": "filters2", "dropped": 33}]


def test_language_rows_all_or_top_by_kept():
    rows = language_rows(STATS)
    assert {(r["lang"], r["series"]) for r in rows} == {("Python", "mined"), ("Go", "mined"), ("C", "mined"),
                                                        ("Python", "kept"), ("Go", "kept")}
    assert {r["lang"] for r in language_rows(STATS, top=1)} == {"Python"}


def test_eval_rows_labels_languages_in_paper_order_and_percent():
    result = {"humanevalsynthesize-go": {"pass@1": 0.25, "status_counts": {"passed": 1, "timeout": 3}},
              "humanevalfixtests-python": {"pass@1": 0.5, "pass@10": 0.75, "status_counts": {"passed": 2}},
              "config": {"model": "m"}}
    scores, outcomes = eval_rows(result, DISPLAY_NAME)
    assert [r["language"] for r in scores] == ["Python", "Python", "Go"]
    assert {"task": "HumanEvalFix (tests)", "language": "Python", "metric": "pass@10", "value": 75.0} in scores
    assert {"stage": "HumanEvalSynthesize / Go", "status": "timeout", "samples": 3} in outcomes

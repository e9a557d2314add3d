"""Ready-made reports: right answers on DuckDB, the same rows and types on Spark, parameters, user files."""

from __future__ import annotations

import collections

import pytest

from octopack_spark.sql.catalog import discover
from octopack_spark.sql.duckdb_engine import DuckDBEngine
from octopack_spark.sql.errors import ReportError
from octopack_spark.sql.reports import BUILTIN_REPORTS, get_report, load_reports, parse_params
from tests.sql.datasets import FT_DROPPED, FT_LANG_IN, FT_LANG_OUT, FT_TOTAL, commit_rows, error_rows, state_rows


@pytest.fixture(scope="module")
def duck(quickstart, storage):
    e = DuckDBEngine(discover([quickstart], storage), storage)
    yield e
    e.close()


def run(engine, name, **params):
    return engine.query(get_report(name).render({k: str(v) for k, v in params.items()})).read_all().to_pylist()


def _none_last(v):
    return (v is None, v or "")


def test_languages(duck):
    groups = collections.defaultdict(list)
    for r in commit_rows():
        groups[(r["lang"], r["license"])].append(r)
    exp = [{"lang": k[0], "license": k[1], "commits": len({r["commit"] for r in g}), "file_changes": len(g),
            "repos": len({r["repo"] for r in g}), "lines_added": sum(r["lines_added"] for r in g),
            "lines_removed": sum(r["lines_removed"] for r in g)} for k, g in groups.items()]
    exp.sort(key=lambda e: (-e["commits"], -e["file_changes"], _none_last(e["lang"]), _none_last(e["license"])))
    assert run(duck, "languages") == exp


def test_top_repos_with_limit(duck):
    got = run(duck, "top_repos", top=2)
    by_repo = collections.defaultdict(set)
    for r in commit_rows():
        by_repo[r["repo"]].add(r["commit"])
    best = sorted(by_repo, key=lambda k: (-len(by_repo[k]), k))[:2]
    assert [g["repo"] for g in got] == best and got[0]["repo"] == "acme/alpha"
    assert [g["commits"] for g in got] == [len(by_repo[b]) for b in best]
    assert len(run(duck, "top_repos")) == 4  # default top=20


def test_funnel_in_pipeline_order(duck):
    got = run(duck, "funnel")
    assert got[0]["kind"] == "total" and got[0]["rows_in"] == FT_TOTAL[0]
    kept = FT_TOTAL[0] - sum(r for r, _ in FT_DROPPED.values())
    assert got[0]["rows_out"] == kept and got[0]["pct_of_input"] == round(kept * 100 / FT_TOTAL[0], 2)
    stages = got[1:]
    assert [s["step"] for s in stages] == ["sql1", "filters1", "decontamination", "near_dedup"]
    for a, b in zip(stages, stages[1:]):  # a funnel: each stage starts with what the previous kept
        assert b["rows_in"] == a["rows_out"]
    assert stages[-1]["rows_out"] == kept
    assert stages[0]["pct_kept"] == 80.0


def test_drop_reasons(duck):
    got = run(duck, "drop_reasons")
    assert [(g["rule"], g["rows_dropped"]) for g in got] == sorted(
        ((k, v[0]) for k, v in FT_DROPPED.items()), key=lambda kv: -kv[1])
    assert got[0]["stage"] == "sql1" and got[0]["pct_of_rule_input"] == 20.0


def test_ft_languages(duck):
    got = run(duck, "ft_languages")
    assert [(g["lang"], g["rows_in"], g["rows_kept"]) for g in got] == [
        (k, FT_LANG_IN[k][0], FT_LANG_OUT[k][0]) for k in ("Python", "C#", "Cap'n Proto")]


def test_error_reasons(duck):
    got = run(duck, "error_reasons")
    exp = collections.Counter((e["stage"], e["reason"]) for e in error_rows())
    assert [(g["stage"], g["reason"], g["errors"]) for g in got] == sorted(
        ((k[0], k[1], n) for k, n in exp.items()), key=lambda x: (-x[2], x[0], x[1]))
    assert got[0]["example_repo"] == "bad/one"


def test_repo_status(duck):
    got = run(duck, "repo_status")
    exp = collections.Counter(s["status"] for s in state_rows())
    assert [(g["status"], g["repos"]) for g in got] == [("ok", exp["ok"]), ("partial", exp["partial"])]
    assert got[0]["commits"] == 10 * exp["ok"]


def test_every_builtin_report_is_tested_here():
    tested = {"languages", "top_repos", "funnel", "drop_reasons", "ft_languages", "error_reasons", "repo_status"}
    assert set(BUILTIN_REPORTS) == tested


def test_params_are_integers_only():
    r = get_report("top_repos")
    assert "LIMIT 7" in r.render({"top": "7"})
    with pytest.raises(ReportError, match="must be an integer"):
        r.render({"top": "1; DROP TABLE x"})
    with pytest.raises(ReportError, match="has no parameter 'limit'"):
        r.render({"limit": "3"})
    with pytest.raises(ReportError, match="NAME=VALUE"):
        parse_params(["top"])


def test_unknown_report():
    with pytest.raises(ReportError, match="unknown report 'nope' .*funnel"):
        get_report("nope")


def test_reports_file_adds_and_overrides(tmp_path, duck):
    f = tmp_path / "mine.yaml"
    f.write_text("""
licenses:
  description: rows per license
  tables: [commits]
  params: {min_rows: 1}
  sql: |
    SELECT license, count(*) AS n FROM commits GROUP BY license HAVING count(*) >= {min_rows}
    ORDER BY n DESC, license NULLS LAST
funnel:
  sql: SELECT count(*) AS n FROM stats
""")
    with pytest.raises(ReportError, match="redefines built-in report.*funnel"):
        load_reports(str(f))  # replacing a built-in report needs the explicit flag
    reports = load_reports(str(f), allow_shadow=True)
    assert reports["funnel"].sql.strip() == "SELECT count(*) AS n FROM stats"
    got = duck.query(reports["licenses"].render({"min_rows": "21"})).read_all().to_pylist()
    exp = collections.Counter(r["license"] for r in commit_rows())
    assert {g["license"]: g["n"] for g in got} == {k: v for k, v in exp.items() if v >= 21}


# Bad report files and their messages: tests/test_yaml_io.py (BAD_FILES, with every YAML reader's).


@pytest.mark.spark
def test_spark_gives_the_same_rows_and_types(spark, quickstart, storage, duck):
    from octopack_spark.sql.spark_engine import SparkEngine

    eng = SparkEngine(discover([quickstart], storage), spark, storage)
    try:
        for name, report in sorted(load_reports().items()):
            sql = report.render()
            a = duck.query(sql).read_all()
            b = eng.query(sql).read_all()
            assert b.schema.names == a.schema.names, name
            assert [f.type for f in b.schema] == [f.type for f in a.schema], name
            assert b.to_pylist() == a.to_pylist(), name
    finally:
        eng.close()

"""Spark SQL over the same manifest-listed files: names, rewriting of dataset.table, errors, results."""

from __future__ import annotations

import pytest

from octopack_spark.sql.catalog import discover
from octopack_spark.sql.duckdb_engine import DuckDBEngine
from octopack_spark.sql.errors import DatasetError, QueryError, TableNameError
from octopack_spark.sql.spark_engine import parse_references
from octopack_spark.storage.manifest import ManifestError
from tests.sql.datasets import build_mine, check_author_times_are_utc, damage_commits_and_state

pytestmark = pytest.mark.spark


@pytest.fixture
def engine(spark, quickstart, storage):
    from octopack_spark.sql.spark_engine import SparkEngine

    e = SparkEngine(discover([quickstart], storage), spark, storage)
    yield e
    e.close()


def rows(engine, sql):
    return engine.query(sql).read_all().to_pylist()


def test_parser_finds_tables_with_positions(spark):
    sql = ("WITH x AS (SELECT * FROM mine.errors) SELECT * FROM commits c JOIN `ft`.stats s ON true "
           "WHERE c.lang IN (SELECT lang FROM ft.commitpackft) AND EXISTS (SELECT 1 FROM x)")
    refs, ctes = parse_references(spark, sql)
    assert ctes == {"x"}
    found = {r.parts: sql[r.start:r.stop + 1] for r in refs}
    assert found == {("mine", "errors"): "mine.errors", ("commits",): "commits", ("ft", "stats"): "`ft`.stats",
                     ("ft", "commitpackft"): "ft.commitpackft", ("x",): "x"}


def test_same_answers_as_duckdb(engine, quickstart, storage):
    duck = DuckDBEngine(discover([quickstart], storage), storage)
    for q in [
        "SELECT * FROM commits ORDER BY row_id",
        "SELECT lang, count(*) AS n FROM mine.commits GROUP BY lang ORDER BY lang NULLS LAST",
        """SELECT c.repo, count(*) AS n FROM mine.commits c JOIN ft.commitpackft f ON c.row_id = f.row_id
           WHERE c.lang IN (SELECT lang FROM ft.scored WHERE keep) GROUP BY c.repo ORDER BY c.repo""",
        "WITH commits AS (SELECT 1 AS x) SELECT count(*) AS n FROM commits",
        "SELECT * FROM mine.state ORDER BY repo",
    ]:
        a, b = duck.query(q).read_all(), engine.query(q).read_all()
        assert b.schema.names == a.schema.names, q
        assert b.to_pylist() == a.to_pylist(), q


def test_timestamps_are_utc_instants(engine):
    check_author_times_are_utc(engine)


def test_backquoted_view_names_work_too(engine):
    assert rows(engine, "SELECT count(*) AS n FROM `mine.errors`") == [{"n": 5}]


def test_ambiguous_name(spark, tmp_path, storage):
    from octopack_spark.sql.spark_engine import SparkEngine

    build_mine(storage, str(tmp_path / "a"))
    build_mine(storage, str(tmp_path / "b"), n_commits=10)
    e = SparkEngine(discover([str(tmp_path)], storage), spark, storage)
    try:
        with pytest.raises(TableNameError, match="a.commits, b.commits"):
            e.query("SELECT count(*) FROM commits")
        assert rows(e, "SELECT (SELECT count(*) FROM a.commits) AS a, (SELECT count(*) FROM b.commits) AS b") == \
            [{"a": 60, "b": 10}]
    finally:
        e.close()


def test_errors_are_one_clear_message(engine):
    with pytest.raises(QueryError, match=r"PARSE_SYNTAX_ERROR") as e:
        engine.query("SELEC lang FROM commits")
    assert "\tat " not in str(e.value)
    with pytest.raises(QueryError, match=r"UNRESOLVED_COLUMN") as e:
        engine.query("SELECT nope FROM commits")
    assert "Project" not in str(e.value) and len(str(e.value).splitlines()) == 1
    with pytest.raises(QueryError, match=r"TABLE_OR_VIEW_NOT_FOUND[\s\S]*tables: .*mine\.commits"):
        engine.query("SELECT * FROM comits")


def test_version_and_missing_files(spark, mine_copy, storage):
    from octopack_spark.sql.spark_engine import SparkEngine

    damage_commits_and_state(mine_copy)
    e = SparkEngine(discover([str(mine_copy)], storage), spark, storage)
    try:
        assert rows(e, "SELECT count(*) AS n FROM errors") == [{"n": 5}]
        with pytest.raises(ManifestError, match="schema version 2.0"):
            e.query("SELECT count(*) FROM commits")
        with pytest.raises(DatasetError, match="missing: state/"):
            e.query("SELECT * FROM mine.state")
    finally:
        e.close()


def test_large_result_streams_in_batches(engine):
    res = engine.query("SELECT id FROM range(0, 50000, 1, 4)", batch_rows=5000)
    sizes = [b.num_rows for b in res]
    assert sum(sizes) == 50000 and max(sizes) <= 5000 and len(sizes) >= 10


def test_nested_values(engine):
    got = rows(engine, "SELECT array('a', 'b') AS xs, named_struct('k', 1, 't', 'x') AS st, map('m', 2) AS mp")
    assert got == [{"xs": ["a", "b"], "st": {"k": 1, "t": "x"}, "mp": [("m", 2)]}]


def test_run_query_leaves_a_running_session_running(spark, quickstart, storage, tmp_path):
    """`run_query(engine="spark")` from Python reuses the process's session and must not stop it (it
    did: a notebook's session, and the test suite's, died after one query)."""
    from octopack_spark.sql.run import run_query

    out = tmp_path / "n.csv"
    n = run_query("SELECT count(*) AS n FROM commits", [quickstart], engine="spark", fmt="csv", output=str(out),
                  storage=storage)
    assert n == 1 and out.read_text().strip().splitlines()[-1].isdigit()
    assert spark.range(3).count() == 3  # still usable

"""DuckDB over manifest-listed files: values, partitions, names, timestamps, errors, laziness."""

from __future__ import annotations

import collections
import datetime as dt
import re

import pyarrow as pa
import pytest

from octopack_spark.sql.catalog import discover
from octopack_spark.sql.duckdb_engine import DuckDBEngine
from octopack_spark.sql.errors import DatasetError, QueryError, TableNameError
from octopack_spark.storage.manifest import ManifestError, Manifest, TableEntry, write_manifest
from octopack_spark import schema as S
from tests.sql.datasets import (build_mine, check_author_times_are_utc, commit_rows, damage_commits_and_state,
                                write_table)


@pytest.fixture
def engine(quickstart, storage):
    e = DuckDBEngine(discover([quickstart], storage), storage)
    yield e
    e.close()


def rows(engine, sql):
    return engine.query(sql).read_all().to_pylist()


@pytest.mark.parametrize("force_arrow", [False, True], ids=["native", "pyarrow"])
def test_counts_per_language_match_the_data(quickstart, storage, force_arrow):
    e = DuckDBEngine(discover([quickstart], storage), storage, force_arrow=force_arrow)
    got = {r["lang"]: r["n"] for r in rows(e, "SELECT lang, count(*) AS n FROM commits GROUP BY lang")}
    assert got == dict(collections.Counter(r["lang"] for r in commit_rows()))
    assert None in got and "Cap'n Proto" in got and "C#" in got


def test_native_and_pyarrow_readers_agree_on_every_column(quickstart, storage):
    cat = discover([quickstart], storage)
    q = "SELECT * FROM commits ORDER BY row_id"
    a = DuckDBEngine(cat, storage).query(q).read_all()
    b = DuckDBEngine(cat, storage, force_arrow=True).query(q).read_all()
    assert a.schema.names == b.schema.names and a.schema.names[-1] == "lang"
    assert a.to_pylist() == b.to_pylist()
    src = sorted(commit_rows(), key=lambda r: r["row_id"])
    assert [r["subject"] for r in a.to_pylist()] == [r["subject"] for r in src]


def test_timestamps_come_back_as_utc_instants(engine):
    check_author_times_are_utc(engine)


def test_qualified_and_plain_names_and_joins(engine):
    plain = rows(engine, "SELECT count(*) AS n FROM commits")
    qual = rows(engine, "SELECT count(*) AS n FROM mine.commits")
    assert plain == qual == [{"n": 60}]
    joined = rows(engine, """
        SELECT c.lang, count(*) AS n FROM mine.commits c JOIN ft.commitpackft f ON c.row_id = f.row_id
        GROUP BY c.lang ORDER BY n DESC, c.lang NULLS LAST LIMIT 1""")
    assert joined[0]["n"] > 0
    # a CTE may shadow a table name
    assert rows(engine, "WITH commits AS (SELECT 1 AS x) SELECT count(*) AS n FROM commits") == [{"n": 1}]


def test_ambiguous_name_must_be_qualified(tmp_path, storage):
    build_mine(storage, str(tmp_path / "a"))
    build_mine(storage, str(tmp_path / "b"), n_commits=10)
    e = DuckDBEngine(discover([str(tmp_path)], storage), storage)
    with pytest.raises(TableNameError, match="qualify it as one of: a.commits, b.commits"):
        e.query("SELECT count(*) FROM commits")
    assert rows(e, "SELECT (SELECT count(*) FROM a.commits) AS a, (SELECT count(*) FROM b.commits) AS b") == \
        [{"a": 60, "b": 10}]
    # names that are unique stay usable
    assert rows(e, "SELECT count(*) AS n FROM a.errors") == [{"n": 5}]


def test_parent_folders_with_key_value_names_add_no_columns(tmp_path, storage):
    """DuckDB's own hive_partitioning would turn `run=3/` above the dataset into a column."""
    root = tmp_path / "run=3" / "date=2024-01-01" / "mine"
    build_mine(storage, str(root))
    e = DuckDBEngine(discover([str(root)], storage), storage)
    cols = e.query("SELECT * FROM commits LIMIT 1").schema.names
    assert "run" not in cols and "date" not in cols
    assert cols == [f.name for f in S.COMMITS_SCHEMA if f.name != "lang"] + ["lang"]


def test_partition_filter_skips_files(engine):
    engine.query("SELECT 1 FROM commits").close()  # creates the view
    plan = engine.con.sql("EXPLAIN ANALYZE SELECT count(*) FROM commits WHERE lang = 'C#'").fetchall()[0][1]
    m = re.search(r"Scanning Files: (\d+)/(\d+)", plan)
    assert m, plan
    assert int(m.group(1)) == 2 and int(m.group(2)) == 16  # 2 files per language, 8 languages


def test_only_named_tables_are_opened(mine_copy, storage):
    """A damaged or newer table does not stop queries on the others."""
    damage_commits_and_state(mine_copy)
    e = DuckDBEngine(discover([str(mine_copy)], storage), storage)
    assert rows(e, "SELECT count(*) AS n FROM errors") == [{"n": 5}]
    with pytest.raises(ManifestError, match="schema version 2.0"):
        e.query("SELECT count(*) FROM commits")
    with pytest.raises(DatasetError, match="missing: state/"):
        e.query("SELECT * FROM state")


def test_sql_errors_are_clear(engine):
    with pytest.raises(QueryError, match="syntax error"):
        engine.query("SELEC lang FROM commits")
    with pytest.raises(QueryError, match='"nope" not found'):
        engine.query("SELECT nope FROM commits")
    with pytest.raises(QueryError, match=r"comits does not exist[\s\S]*tables: .*mine\.commits"):
        engine.query("SELECT * FROM comits")


def test_listing_query_sees_all_tables(engine):
    names = {r["name"] for r in rows(engine, "SHOW ALL TABLES")}
    assert {"commits", "errors", "state", "scored", "commitpackft", "stats"} <= names


def test_empty_table_has_its_columns(tmp_path, storage):
    root = str(tmp_path / "mine")
    m = Manifest(kind="mine", tables={
        "commits": TableEntry("1.0", rows=0, files=[], partitioning=["lang"]),
        "errors": write_table(storage, root, "errors", [], S.ERRORS_SCHEMA),
    })
    write_manifest(storage, root, m)
    e = DuckDBEngine(discover([root], storage), storage)
    t = e.query("SELECT * FROM commits").read_all()
    assert t.num_rows == 0 and "lang" in t.schema.names and "subject" in t.schema.names
    assert e.query("SELECT * FROM errors").read_all().num_rows == 0


def test_results_stream_in_batches(engine):
    res = engine.query("SELECT * FROM range(100000) t(i), (SELECT 1 FROM commits LIMIT 1)", batch_rows=1000)
    sizes = [b.num_rows for b in res]
    assert sum(sizes) == 100000 and len(sizes) >= 50 and max(sizes) <= 1000 * 2


def test_early_close_stops_the_query(engine):
    res = engine.query("SELECT * FROM range(100000000) t(i)")
    first = next(iter(res))
    assert first.num_rows > 0
    res.close()  # must not run the rest of the 100M rows
    assert rows(engine, "SELECT count(*) AS n FROM errors") == [{"n": 5}]


def test_timestamps_written_by_spark_as_int96_are_utc(tmp_path, storage):
    """Spark's default INT96 timestamps read as naive in DuckDB; the view makes them UTC instants."""
    import pyarrow.parquet as pq

    root = tmp_path / "mine"
    (root / "errors").mkdir(parents=True)
    t = pa.table({"repo": ["r"], "repo_url": ["u"], "stage": ["clone"], "reason": ["x"], "message": ["m"],
                  "time": pa.array([dt.datetime(2024, 5, 6, 7, 8, 9)], pa.timestamp("ns")), "run_id": ["1"]})
    pq.write_table(t, root / "errors" / "p.parquet", use_deprecated_int96_timestamps=True)
    write_manifest(storage, str(root), Manifest(kind="mine", tables={
        "errors": TableEntry("1.0", rows=1, files=["errors/p.parquet"])}))
    got = DuckDBEngine(discover([str(root)], storage), storage).query("SELECT time FROM errors").read_all()
    assert got.column("time").to_pylist() == [dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)]

"""`octopack sql` runs read-only queries only: each attack from issue 12 is reproduced and must fail
without leaving a trace (no file written, no file read, nothing attached, no built-in report replaced)."""

from __future__ import annotations

import os

import pytest

from octopack_spark.cli.main import main
from octopack_spark.sql.catalog import discover
from octopack_spark.sql.duckdb_engine import DuckDBEngine
from octopack_spark.sql.errors import QueryError
from octopack_spark.sql.readonly import RefusedStatement, check_duckdb
from octopack_spark.sql.reports import ReportError, get_report, load_reports


@pytest.fixture(params=[False, True], ids=["native", "arrow"])
def duck(request, quickstart, storage):
    e = DuckDBEngine(discover([quickstart], storage), storage, force_arrow=request.param)
    yield e
    e.close()


def rows(engine, sql):
    return engine.query(sql).read_all().to_pylist()


# --------------------------------------------------------------------------------------------- DuckDB
@pytest.mark.parametrize("template", [
    "COPY (SELECT * FROM commits) TO '{out}'",
    "COPY commits TO '{out}' (FORMAT parquet)",
    "EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'",
    "EXPORT DATABASE '{out}'",
])
def test_copy_to_a_path_is_refused_and_writes_nothing(duck, tmp_path, template):
    out = tmp_path / "stolen.csv"
    with pytest.raises(RefusedStatement, match="read-only"):
        duck.query(template.format(out=out))
    assert not out.exists() and os.listdir(tmp_path) == []


def test_copy_into_the_dataset_folder_is_refused_too(duck, quickstart):
    """The dataset's own folder is readable; it must not become writable."""
    before = sorted(os.listdir(os.path.join(quickstart, "mine")))
    target = os.path.join(quickstart, "mine", "evil.csv")
    with pytest.raises(RefusedStatement):
        duck.query(f"COPY (SELECT 1) TO '{target}'")
    assert sorted(os.listdir(os.path.join(quickstart, "mine"))) == before


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT content FROM read_blob('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_json_auto('/etc/passwd')",
    "SELECT * FROM '/etc/ssl/openssl.cnf.csv'",
])
def test_reading_files_outside_the_datasets_is_refused(duck, sql):
    with pytest.raises(QueryError, match="disabled by configuration|Permission") as e:
        rows(duck, sql)
    assert "root:" not in str(e.value)


@pytest.mark.parametrize("reader", ["read_json_auto", "read_csv", "read_text", "read_ndjson_objects"])
def test_no_byte_of_an_outside_file_reaches_the_user(duck, tmp_path, reader):
    """Also not through an error message: DuckDB's readers quote offending lines, and table-name lookup once
    bound the statement on DuckDB's default connection, where external access is on."""
    secret = tmp_path / "secret.txt"
    secret.write_text('{"aws_secret_access_key": "TOPSECRET-1"}\nTOPSECRET-2,"x\n')
    with pytest.raises(QueryError, match="disabled by configuration") as e:
        rows(duck, f"SELECT * FROM {reader}('{secret}')")
    assert "TOPSECRET" not in str(e.value)


@pytest.mark.parametrize("force_arrow", [False, True])
def test_parquet_outside_the_manifest_is_refused(tmp_path, quickstart, storage, force_arrow):
    """Even a Parquet file inside the dataset's own table folder is out of reach unless the manifest lists it."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "run"
    shutil.copytree(quickstart, root)
    stray = root / "mine" / "commits" / "stray.parquet"
    outside = tmp_path / "t.parquet"
    for path in (stray, outside):
        pq.write_table(pa.table({"secret": ["x"]}), str(path))
    duck = DuckDBEngine(discover([str(root)], storage), storage, force_arrow=force_arrow)
    try:
        for sql in [f"SELECT * FROM read_parquet('{outside}')", f"SELECT * FROM read_parquet('{stray}')",
                    f"SELECT * FROM '{stray}'", f"SELECT * FROM read_parquet('{root}/mine/commits/*.parquet')"]:
            with pytest.raises(QueryError, match="disabled by configuration") as e:
                rows(duck, sql)
            assert "reads only the files the datasets' manifests list" in str(e.value)
        assert rows(duck, "SELECT count(*) AS n FROM commits") == [{"n": 60}]
    finally:
        duck.close()


@pytest.mark.parametrize("sql,kind", [
    ("ATTACH '{tmp}/other.db' AS other", "ATTACH"),
    ("INSTALL httpfs", "LOAD"),
    ("LOAD httpfs", "LOAD"),
    ("SET enable_external_access = true", "SET"),
    ("RESET lock_configuration", "SET"),
    ("PRAGMA show_tables", "PRAGMA"),
    ("CALL pragma_version()", "CALL"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
    ("CREATE OR REPLACE VIEW commits AS SELECT 1 AS x", "CREATE"),
    ("DROP VIEW commits", "DROP"),
    ("INSERT INTO commits SELECT * FROM commits", "INSERT"),
    ("CHECKPOINT", "CALL"),
])
def test_statements_that_change_anything_are_refused(duck, tmp_path, sql, kind):
    with pytest.raises(RefusedStatement, match=f"type {kind}"):
        duck.query(sql.format(tmp=tmp_path))
    assert os.listdir(tmp_path) == []
    assert rows(duck, "SELECT count(*) AS n FROM commits") == [{"n": 60}]  # views untouched


def test_the_connection_itself_is_locked(duck, tmp_path):
    """Second lock: even a statement that got past the parser check could not switch access back on."""
    import duckdb

    with pytest.raises(duckdb.Error, match="locked"):
        duck.con.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        duck.con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    assert not (tmp_path / "x.csv").exists()


def test_more_than_one_statement_is_refused(duck):
    with pytest.raises(RefusedStatement, match="2 statements"):
        duck.query("SELECT 1; COPY (SELECT 1) TO '/tmp/octopack-never.csv'")
    assert not os.path.exists("/tmp/octopack-never.csv")


@pytest.mark.parametrize("sql", [
    "SELECT lang, count(*) FROM commits GROUP BY lang",
    "WITH c AS (SELECT * FROM mine.commits) SELECT count(*) FROM c",
    "FROM commits SELECT count(*)",
    "VALUES (1), (2)",
    "EXPLAIN SELECT count(*) FROM commits",
    "EXPLAIN ANALYZE SELECT count(*) FROM commits",
    "DESCRIBE commits",
    "DESCRIBE SELECT * FROM ft.stats",
    "SHOW ALL TABLES",
    "SUMMARIZE SELECT lines_added FROM commits",
    "SELECT * FROM commits WHERE lang IN (SELECT lang FROM ft.commitpackft)",
    "SELECT 1; ",
    "/* comment; with COPY */ SELECT 'COPY x TO y' AS s",
])
def test_read_only_statements_still_run(duck, sql):
    assert duck.query(sql).read_all().num_rows >= 1


def test_explain_of_a_refused_statement_is_refused():
    for sql in ["EXPLAIN COPY (SELECT 1) TO 'x.csv'", "EXPLAIN (FORMAT json) COPY (SELECT 1) TO 'x.csv'",
                "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1",
                "EXPLAIN SET threads = 1"]:
        with pytest.raises(RefusedStatement):
            check_duckdb(sql)
    check_duckdb("EXPLAIN (FORMAT json) SELECT 1")


def test_cli_refuses_copy_with_one_error_line(quickstart, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert main(["sql", f"COPY (SELECT * FROM commits) TO '{out}'", "--data", quickstart]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: refused statement of type COPY") and len(err.splitlines()) == 1
    assert not out.exists()
    assert main(["sql", "SELECT * FROM read_text('/etc/passwd')", "--data", quickstart]) == 2
    captured = capsys.readouterr()
    assert "root:" not in captured.out + captured.err and "disabled by configuration" in captured.err


# --------------------------------------------------------------------------------------------- reports
SHADOW = """
funnel:
  description: looks like the real one
  tables: [stats]
  sql: SELECT 'not the funnel' AS kind
"""


def test_reports_file_cannot_shadow_a_builtin_without_the_flag(tmp_path, quickstart, capsys):
    f = tmp_path / "reports.yaml"
    f.write_text(SHADOW)
    with pytest.raises(ReportError, match="redefines built-in report.*funnel.*--allow-shadow-reports"):
        load_reports(str(f))
    with pytest.raises(ReportError, match="redefines"):
        get_report("funnel", str(f))
    assert main(["sql", "--report", "funnel", "--reports-file", str(f), "--data", quickstart]) == 2
    assert "redefines built-in report(s) funnel" in capsys.readouterr().err
    assert main(["tables", "--report", "funnel", "--reports-file", str(f), "--data", quickstart]) == 2
    assert main(["sql", "--list-reports", "--reports-file", str(f)]) == 2
    capsys.readouterr()
    # With the explicit flag the user's report replaces the built-in one.
    assert main(["sql", "--report", "funnel", "--reports-file", str(f), "--allow-shadow-reports",
                 "--data", quickstart, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ['"kind"', '"not the funnel"']


def test_a_reports_file_is_held_to_the_same_read_only_rule(tmp_path, quickstart, capsys):
    f = tmp_path / "reports.yaml"
    out = tmp_path / "leak.csv"
    f.write_text(f"leak:\n  sql: COPY (SELECT * FROM commits) TO '{out}'\n")
    assert main(["sql", "--report", "leak", "--reports-file", str(f), "--data", quickstart]) == 2
    assert "refused statement of type COPY" in capsys.readouterr().err
    assert not out.exists()


# ---------------------------------------------------------------------------------------------- Spark
@pytest.fixture
def spark_engine(spark, quickstart, storage):
    from octopack_spark.sql.spark_engine import SparkEngine

    e = SparkEngine(discover([quickstart], storage), spark, storage)
    yield e
    e.close()


@pytest.mark.spark
@pytest.mark.parametrize("template,match", [
    ("INSERT OVERWRITE DIRECTORY '{out}' USING parquet SELECT * FROM commits", "INSERT OVERWRITE DIRECTORY"),
    ("INSERT OVERWRITE LOCAL DIRECTORY '{out}' SELECT * FROM commits", "INSERT OVERWRITE DIRECTORY"),
    ("EXPLAIN INSERT OVERWRITE DIRECTORY '{out}' USING csv SELECT 1", "INSERT OVERWRITE DIRECTORY"),
    ("WITH x AS (SELECT 1) INSERT OVERWRITE DIRECTORY '{out}' USING csv SELECT * FROM x", "INSERT"),
    ("CREATE TABLE t USING parquet LOCATION '{out}' AS SELECT * FROM commits", "CreateTableAsSelect"),
    ("CACHE TABLE t AS SELECT * FROM commits", "CacheTableAsSelect"),
    ("CREATE TEMPORARY VIEW commits AS SELECT 1 AS x", "CreateViewCommand"),
    ("INSERT INTO commits SELECT * FROM commits", "INSERT"),
    ("SET spark.sql.runSQLOnFiles=true", "SET"),
    ("ADD JAR '{out}/x.jar'", "AddJarsCommand"),
    ("LOAD DATA LOCAL INPATH '/etc/passwd' INTO TABLE commits", "LoadData"),
    ("EXECUTE IMMEDIATE 'SELECT 1'", "EXECUTE IMMEDIATE"),
    ("DROP VIEW commits", "DropTableCommand|DropView|DropTable"),
])
def test_spark_refuses_writes_and_commands(spark_engine, tmp_path, template, match):
    out = tmp_path / "out"
    with pytest.raises(RefusedStatement, match=match):
        spark_engine.query(template.format(out=out))
    assert not out.exists()
    assert rows(spark_engine, "SELECT count(*) AS n FROM commits") == [{"n": 60}]


@pytest.mark.spark
@pytest.mark.parametrize("sql,match", [
    ("SELECT * FROM text.`/etc/passwd`", "not a table of the datasets"),
    ("SELECT * FROM commits c JOIN csv.`/etc/passwd` p ON true", "not a table of the datasets"),
    ("SELECT reflect('java.lang.System', 'getProperty', 'user.home')", "reflect"),
    ("SELECT lang FROM commits WHERE EXISTS (SELECT java_method('java.lang.System', 'exit', 1))", "java_method"),
])
def test_spark_refuses_file_relations_and_java_calls(spark_engine, sql, match):
    with pytest.raises(RefusedStatement, match=match) as e:
        rows(spark_engine, sql)
    assert "root:" not in str(e.value)


@pytest.mark.spark
def test_spark_read_only_statements_still_run(spark_engine):
    assert rows(spark_engine, "WITH c AS (SELECT * FROM mine.commits) SELECT count(*) AS n FROM c") == [{"n": 60}]
    assert spark_engine.query("EXPLAIN SELECT count(*) FROM commits").read_all().num_rows == 1
    assert spark_engine.query("SHOW TABLES").read_all().num_rows >= 6
    assert spark_engine.query("DESCRIBE QUERY SELECT lang FROM commits").read_all().num_rows == 1

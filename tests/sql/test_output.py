"""Result writers: table, CSV, JSON Lines, Parquet; streamed, and never half-written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from octopack_spark.sql.catalog import discover
from octopack_spark.sql.duckdb_engine import DuckDBEngine
from octopack_spark.sql.errors import QueryError
from octopack_spark.sql.output import render_table, write_result
from octopack_spark.sql.result import QueryResult

Q = """SELECT repo, lang, author_time, lines_added, subject || chr(10) || 'second line' AS two_lines,
          [lang, license] AS pair
       FROM commits ORDER BY row_id"""


@pytest.fixture
def engine(quickstart, storage):
    e = DuckDBEngine(discover([quickstart], storage), storage)
    yield e
    e.close()


def expected(engine):
    return engine.query(Q).read_all().to_pylist()


def test_csv(engine, tmp_path):
    out = tmp_path / "r.csv"
    n = write_result(engine.query(Q), "csv", str(out))
    exp = expected(engine)
    got = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert n == len(got) == len(exp) == 60
    assert [g["lang"] for g in got] == [("" if e["lang"] is None else e["lang"]) for e in exp]
    assert got[0]["two_lines"].endswith("\nsecond line")
    assert json.loads(got[0]["pair"]) == exp[0]["pair"]  # nested values as JSON text
    assert got[0]["author_time"].startswith(exp[0]["author_time"].strftime("%Y-%m-%d %H:%M:%S"))


def test_csv_header_only_for_empty_result(engine, tmp_path):
    out = tmp_path / "e.csv"
    assert write_result(engine.query("SELECT repo, lang FROM commits WHERE false"), "csv", str(out)) == 0
    assert out.read_text().strip() == '"repo","lang"'


def test_json_lines(engine, tmp_path):
    out = tmp_path / "r.jsonl"
    write_result(engine.query(Q), "json", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    exp = expected(engine)
    assert len(lines) == 60
    recs = [json.loads(x) for x in lines]
    assert [r["lang"] for r in recs] == [e["lang"] for e in exp]
    assert dt.datetime.fromisoformat(recs[0]["author_time"]) == exp[0]["author_time"]
    assert recs[0]["pair"] == exp[0]["pair"]


def test_parquet_streams_many_batches(engine, tmp_path):
    out = tmp_path / "big.parquet"
    res = engine.query("SELECT i, i % 7 AS m, 'x' || i AS s FROM range(300000) t(i)", batch_rows=10000)
    assert write_result(res, "parquet", str(out)) == 300000
    t = pq.read_table(out)
    assert t.num_rows == 300000 and sum(t.column("i").to_pylist()) == sum(range(300000))
    assert pq.ParquetFile(out).metadata.num_row_groups >= 1


def test_parquet_keeps_types(engine, tmp_path):
    out = tmp_path / "r.parquet"
    write_result(engine.query(Q), "parquet", str(out))
    t = pq.read_table(out)
    assert t.schema.field("author_time").type == pa.timestamp("us", tz="UTC")
    assert t.to_pylist() == expected(engine)


def test_parquet_needs_an_output_file(engine):
    with pytest.raises(QueryError, match="needs --output"):
        write_result(engine.query(Q), "parquet", None)


def test_failed_query_leaves_no_file(tmp_path):
    schema = pa.schema([("x", pa.int64())])

    def batches():
        yield pa.record_batch([pa.array([1, 2])], schema=schema)
        raise QueryError("boom in the middle")

    for fmt in ("csv", "json", "parquet"):
        out = tmp_path / f"r.{fmt}"
        with pytest.raises(QueryError, match="boom"):
            write_result(QueryResult(schema, batches()), fmt, str(out))
        assert not out.exists()
        assert [p for p in os.listdir(tmp_path) if p.startswith(".tmp")] == []


def test_output_folder_must_exist(engine, tmp_path):
    with pytest.raises(QueryError, match="does not exist"):
        write_result(engine.query(Q), "csv", str(tmp_path / "no" / "r.csv"))


def test_table_text(engine):
    text, n, more = render_table(engine.query(Q), max_rows=5, max_width=12)
    lines = text.splitlines()
    assert n == 5 and more
    assert lines[0].split() == ["repo", "lang", "author_time", "lines_added", "two_lines", "pair"]
    assert len(lines) == 2 + 5 + 1 and "first 5 rows shown" in lines[-1]
    assert "\\n" in lines[2] or "…" in lines[2]  # newlines never break the grid
    assert all(len(ln) <= 6 * 12 + 5 * 2 for ln in lines[:-1])  # 6 columns of at most 12 characters
    text, n, more = render_table(engine.query("SELECT NULL AS a, 1.5 AS b"))
    assert not more and "NULL" in text and text.splitlines()[-1] == "(1 row)"


def test_table_to_stdout(engine, capsys):
    assert write_result(engine.query("SELECT count(*) AS n FROM commits"), "table") == 1
    out = capsys.readouterr().out
    assert out.splitlines()[2].strip() == "60"


def test_csv_to_stdout(engine, capfdbinary):
    write_result(engine.query("SELECT 'C#' AS lang"), "csv")
    assert capfdbinary.readouterr().out.decode().splitlines() == ['"lang"', '"C#"']

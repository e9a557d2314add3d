"""Hive partition folder names as Spark writes them, read back exactly by DuckDB, pyarrow and Spark."""

from __future__ import annotations

import os

import pytest

from octopack_spark.sql.catalog import discover
from octopack_spark.sql.duckdb_engine import DuckDBEngine
from octopack_spark.sql.hive import (
    DEFAULT_PARTITION,
    escape_value,
    partition_dir,
    split_partitioned_path,
    unescape_value,
)
from octopack_spark.storage.manifest import Manifest, TableEntry, write_manifest

SPECIAL = ["C++", "C#", "Cap'n Proto", "Graphviz (DOT)", "Common Lisp", "F*", "50%", "a/b", "x=y", "Ren'Py",
           "Objective-C++", "Python"]


@pytest.mark.parametrize("value,escaped", [
    ("C#", "C%23"),
    ("Cap'n Proto", "Cap%27n Proto"),
    ("C++", "C++"),
    ("Graphviz (DOT)", "Graphviz (DOT)"),
    ("Common Lisp", "Common Lisp"),
    ("a/b", "a%2Fb"),
    (None, DEFAULT_PARTITION),
    ("", DEFAULT_PARTITION),
])
def test_escape_matches_spark_rules(value, escaped):
    assert escape_value(value) == escaped


@pytest.mark.parametrize("value", SPECIAL + [None])
def test_unescape_inverts_escape(value):
    assert unescape_value(escape_value(value)) == value


def test_unescape_keeps_a_lone_percent():
    assert unescape_value("100%") == "100%"
    assert unescape_value("%zz") == "%zz"


def test_split_partitioned_path():
    d, vals = split_partitioned_path("commits/lang=C%23/u1-part-0.parquet", ["lang"])
    assert d == "commits" and vals == {"lang": "C#"}
    d, vals = split_partitioned_path("t/a=1/b=__HIVE_DEFAULT_PARTITION__/f.parquet", ["a", "b"])
    assert d == "t" and vals == {"a": "1", "b": None}
    with pytest.raises(ValueError, match="expected a 'lang=...'"):
        split_partitioned_path("commits/Go/f.parquet", ["lang"])
    assert partition_dir({"lang": "C#"}) == "lang=C%23"


@pytest.mark.spark
def test_spark_written_partitions_read_back_exactly(spark, tmp_path, storage):
    """Spark itself writes the partitions (through the jobs' staging + publish path); every reader
    returns the original names, including null."""
    from octopack_spark.spark.io import stage_table
    from octopack_spark.storage.publish import publish

    root = str(tmp_path / "ds")
    values = SPECIAL + [None]
    df = spark.createDataFrame([(i, v, v) for i, v in enumerate(values)], "id int, orig string, lang string")
    staged = stage_table(df.coalesce(1), root, "u000", "commits", partition_by=["lang"])
    published = publish(storage, root, "u000", {"commits": (staged, "commits")})
    files = [p.path for p in published["commits"]]
    dirs = {f.split("/")[1] for f in files}
    # our escaping helper names exactly the folders Spark created
    assert dirs == {"lang=" + escape_value(v) for v in values}
    m = Manifest(kind="mine", tables={"commits": TableEntry("1.0", rows=len(values), files=files,
                                                            partitioning=["lang"])})
    write_manifest(storage, root, m)
    cat = discover([root], storage)
    expected = sorted(((i, v, v) for i, v in enumerate(values)))

    def rows(engine):
        t = engine.query("SELECT id, orig, lang FROM commits ORDER BY id").read_all()
        return sorted(zip(*[t.column(c).to_pylist() for c in ("id", "orig", "lang")]))

    assert rows(DuckDBEngine(cat, storage)) == expected
    assert rows(DuckDBEngine(cat, storage, force_arrow=True)) == expected
    from octopack_spark.sql.spark_engine import SparkEngine

    eng = SparkEngine(cat, spark, storage)
    try:
        assert rows(eng) == expected
        # a filter on an escaped name selects exactly that partition
        t = eng.query("SELECT count(*) AS n FROM commits WHERE lang = 'Cap''n Proto'").read_all()
        assert t.column("n").to_pylist() == [1]
    finally:
        eng.close()
    t = DuckDBEngine(cat, storage).query("SELECT count(*) AS n FROM commits WHERE lang = 'C#'").read_all()
    assert t.column("n").to_pylist() == [1]
    assert os.path.isdir(os.path.join(root, "commits", "lang=C%23"))

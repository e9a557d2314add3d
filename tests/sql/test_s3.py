"""Datasets on S3 (a real moto server on 127.0.0.1): read through pyarrow into DuckDB, listed, verified,
results written back, and clear errors for a missing file, a missing bucket or a dead endpoint."""

from __future__ import annotations

import collections
import csv
import io
import json
import os
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from octopack_spark.cli.main import main
from octopack_spark.config import StorageConfig
from octopack_spark.sql.catalog import discover
from octopack_spark.sql.duckdb_engine import DuckDBEngine
from octopack_spark.sql.errors import DatasetError
from octopack_spark.storage.fs import Storage, StorageError
from tests.conftest import free_port
from tests.sql.datasets import LANGS, build_quickstart, commit_rows

pytestmark = pytest.mark.s3


@pytest.fixture(scope="module")
def s3(s3_endpoint):
    storage = Storage.for_config(StorageConfig(endpoint_url=s3_endpoint))
    bucket = f"sql-tests-{os.getpid()}"
    storage.boto.create_bucket(Bucket=bucket)
    root = f"s3://{bucket}/runs/quickstart"
    build_quickstart(storage, root)
    return storage, bucket, root


@pytest.fixture
def aws_env(monkeypatch, s3_endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)


def test_duckdb_reads_s3_exactly(s3, quickstart):
    storage, _, root = s3
    cat = discover([root], storage)
    assert sorted(t.qualified for t in cat.tables) == [
        "ft.commitpackft", "ft.scored", "ft.stats", "mine.commits", "mine.errors", "mine.state"]
    e = DuckDBEngine(cat, storage)
    local = DuckDBEngine(discover([quickstart], Storage.for_config()), Storage.for_config())
    q = "SELECT * FROM commits ORDER BY row_id"
    assert e.query(q).read_all().to_pylist() == local.query(q).read_all().to_pylist()
    langs = {r["lang"] for r in e.query("SELECT DISTINCT lang FROM commits").read_all().to_pylist()}
    assert langs == set(LANGS)  # "C#", "Cap'n Proto", ... and null, exactly
    n = e.query("SELECT count(*) AS n FROM commits WHERE lang = 'Cap''n Proto'").read_all().to_pylist()
    assert n == [{"n": collections.Counter(r["lang"] for r in commit_rows())["Cap'n Proto"]}]


def test_counts_match_the_manifests(s3):
    storage, _, root = s3
    cat = discover([root], storage)
    e = DuckDBEngine(cat, storage)
    for ref in cat.tables:
        got = e.query(f"SELECT count(*) AS n FROM {ref.qualified}").read_all().to_pylist()[0]["n"]
        assert got == ref.entry.rows, ref.qualified


def test_cli_over_s3(s3, aws_env, capsys, tmp_path):
    _, bucket, root = s3
    assert main(["tables", "--data", root, "--verify"]) == 0
    out = capsys.readouterr().out
    assert "verified" in out and "FAILED" not in out
    assert main(["sql", "--report", "languages", "--data", root, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sum(int(r["file_changes"]) for r in rows) == 60
    # results can go to S3 too
    dest = f"s3://{bucket}/results/langs.parquet"
    assert main(["sql", "SELECT lang, count(*) AS n FROM commits GROUP BY lang", "--data", root,
                 "--format", "parquet", "--output", dest]) == 0
    fs, path = Storage.for_config().pyarrow_filesystem(dest)
    t = pq.read_table(path, filesystem=fs)
    assert sum(t.column("n").to_pylist()) == 60


def test_missing_file_on_s3(s3):
    storage, bucket, root = s3
    # a copy of the mine dataset with one commits file deleted
    src = discover([root + "/mine"], storage).lookup("commits")
    copy = f"s3://{bucket}/damaged/mine"
    for key in [f"{root}/mine/manifest.json"] + src.file_uris + discover([root + "/mine"], storage).lookup(
            "errors").file_uris:
        storage.write_bytes_atomic(key.replace(root + "/mine", copy), storage.read_bytes(key))
    victim = src.entry.files[0]
    storage.delete(f"{copy}/{victim}")
    e = DuckDBEngine(discover([copy], storage), storage)
    assert e.query("SELECT count(*) AS n FROM errors").read_all().to_pylist() == [{"n": 5}]
    with pytest.raises(DatasetError, match=f"missing: {victim}"):
        e.query("SELECT count(*) FROM commits")


def test_missing_bucket_and_prefix(s3, capsys, aws_env):
    storage, bucket, _ = s3
    with pytest.raises(StorageError, match="no-such-bucket"):
        discover(["s3://no-such-bucket/x"], storage)
    with pytest.raises(DatasetError, match="no such folder or prefix"):
        discover([f"s3://{bucket}/not/there"], storage)
    assert main(["tables", "--data", f"s3://{bucket}/results"]) == 2
    assert "no manifest.json" in capsys.readouterr().err


def test_unreachable_endpoint_is_a_clear_error():
    dead = f"http://127.0.0.1:{free_port()}"
    env = dict(os.environ, PYTHONPATH=os.getcwd(), AWS_ENDPOINT_URL=dead, AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing")
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "octopack_spark.cli.main", "sql", "SELECT 1", "--data",
                        "s3://bucket/run"], capture_output=True, text=True, env=env, timeout=300)
    took = time.monotonic() - t0
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr and p.stderr.startswith("error: ")
    assert dead in p.stderr and "s3://bucket/run" in p.stderr
    assert took < 120, took


@pytest.mark.spark
@pytest.mark.slow
def test_spark_engine_reads_s3(s3, s3_endpoint, tmp_path):
    """--engine spark over s3a:// (hadoop-aws from Maven Central on first use), in its own process."""
    _, _, root = s3
    out = tmp_path / "r.json"
    env = dict(os.environ, PYTHONPATH=os.getcwd(), AWS_ENDPOINT_URL=s3_endpoint)
    p = subprocess.run([sys.executable, "-m", "octopack_spark.cli.main", "sql",
                        "SELECT lang, count(*) AS n FROM mine.commits GROUP BY lang", "--data", root,
                        "--engine", "spark", "--master", "local[1]", "--format", "json", "--output", str(out)],
                       capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    got = {json.loads(x)["lang"]: json.loads(x)["n"] for x in out.read_text().splitlines()}
    assert got == dict(collections.Counter(r["lang"] for r in commit_rows()))


def test_locked_duckdb_still_reads_s3_and_refuses_the_attacks(s3, tmp_path):
    """The S3 path works with external access off: tables come in as pyarrow datasets registered before
    any user statement, so DuckDB itself needs no file or network access."""
    from octopack_spark.sql.errors import QueryError
    from octopack_spark.sql.readonly import RefusedStatement

    storage, _, root = s3
    e = DuckDBEngine(discover([root], storage), storage)
    try:
        assert e.query("SELECT count(*) AS n FROM commits").read_all().to_pylist() == [{"n": 60}]
        out = tmp_path / "stolen.csv"
        with pytest.raises(RefusedStatement):
            e.query(f"COPY (SELECT * FROM commits) TO '{out}'")
        assert not out.exists()
        with pytest.raises(QueryError, match="disabled by configuration"):
            e.query("SELECT * FROM read_text('/etc/passwd')")
        with pytest.raises(QueryError, match="disabled by configuration|not exist|not found|httpfs"):
            e.query(f"SELECT * FROM read_parquet('{root}/mine/commits/*.parquet')")
        assert e.query("SELECT count(*) AS n FROM mine.errors").read_all().to_pylist() == [{"n": 5}]
    finally:
        e.close()

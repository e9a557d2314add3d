"""Session defaults: sized from the machine, bounded batches, and the user's settings always win."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from octopack_spark.spark.session import DEFAULTS, GIB, local_driver_memory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_local_driver_memory_formula():
    assert local_driver_memory(24 * GIB) == "6144m"  # a quarter of the machine
    assert local_driver_memory(2 * GIB) == "1024m"  # never below 1 GiB
    assert local_driver_memory(512 * GIB) == "32768m"  # never above 32 GiB


def test_batches_are_bounded_for_rows_of_whole_files():
    assert int(DEFAULTS["spark.sql.parquet.columnarReaderBatchSize"]) <= 128
    assert int(DEFAULTS["spark.sql.execution.arrow.maxRecordsPerBatch"]) <= 512
    assert int(DEFAULTS["spark.sql.execution.arrow.maxBytesPerBatch"]) <= 64 * 1024**2


_PROBE = textwrap.dedent("""
    import json, sys
    from octopack_spark.config import SparkConfig
    from octopack_spark.spark.session import get_spark
    conf = json.loads(sys.argv[1])
    s = get_spark(SparkConfig(master="local[1]", conf=conf))
    keys = ["spark.sql.shuffle.partitions", "spark.sql.execution.arrow.maxRecordsPerBatch",
            "spark.sql.parquet.columnarReaderBatchSize", "spark.sql.files.maxPartitionBytes"]
    print("CONF=" + json.dumps({k: s.conf.get(k) for k in keys} |
                               {"driver": s.sparkContext.getConf().get("spark.driver.memory", None)}))
    s.stop()
""")


def _probe_output(res) -> dict:
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    line = next(x for x in res.stdout.splitlines() if x.startswith("CONF="))
    return json.loads(line[5:])


@pytest.mark.spark
def test_spark_submit_conf_wins_over_project_defaults(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(_PROBE)
    spark_submit = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": ROOT}
    res = subprocess.run(
        [spark_submit, "--master", "local[1]", "--conf", "spark.ui.enabled=false",
         "--conf", "spark.sql.shuffle.partitions=7", "--conf", "spark.sql.execution.arrow.maxRecordsPerBatch=7",
         "--conf", "spark.sql.parquet.columnarReaderBatchSize=7", str(script), json.dumps({})],
        capture_output=True, text=True, env=env, timeout=300)
    got = _probe_output(res)
    assert got["spark.sql.shuffle.partitions"] == "7"
    assert got["spark.sql.execution.arrow.maxRecordsPerBatch"] == "7"
    assert got["spark.sql.parquet.columnarReaderBatchSize"] == "7"
    # A key the submitter left alone gets the project's default.
    assert got["spark.sql.files.maxPartitionBytes"] in (DEFAULTS["spark.sql.files.maxPartitionBytes"], "64MB",
                                                        "67108864b")


@pytest.mark.spark
def test_config_file_wins_and_local_heap_is_sized(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(_PROBE)
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    res = subprocess.run([sys.executable, str(script), json.dumps({"spark.sql.parquet.columnarReaderBatchSize": "99"})],
                         capture_output=True, text=True, env=env, timeout=300)
    got = _probe_output(res)
    assert got["spark.sql.parquet.columnarReaderBatchSize"] == "99"
    assert got["spark.sql.execution.arrow.maxRecordsPerBatch"] == DEFAULTS["spark.sql.execution.arrow.maxRecordsPerBatch"]
    assert got["driver"] == local_driver_memory()


def test_shipped_library_zip_is_private_content_addressed_and_removed(tmp_path):
    code = textwrap.dedent("""
        import os, tempfile, zipfile
        planted = os.path.join(tempfile.gettempdir(), f"octopack_spark-{os.getpid()}.zip")
        open(planted, "wb").write(b"planted")
        from octopack_spark.spark.session import package_zip
        p = package_zip()
        assert p != planted and package_zip() == p
        assert os.stat(os.path.dirname(p)).st_mode & 0o777 == 0o700
        names = zipfile.ZipFile(p).namelist()
        assert "octopack_spark/mining/walk.py" in names and not any("__pycache__" in n for n in names)
        os.unlink(planted)
        print("ZIP=" + p)
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert res.returncode == 0, res.stderr[-2000:]
    path = next(x for x in res.stdout.splitlines() if x.startswith("ZIP="))[4:]
    assert not os.path.exists(os.path.dirname(path))  # removed when the process exited

"""Shared fixtures: Spark (local and standalone cluster), the local S3 server, HumanEvalPack data.

Services are reused when `infra/run-tests.sh` started them (OCTOPACK_TEST_SPARK_MASTER,
OCTOPACK_TEST_S3_ENDPOINT); otherwise a fixture starts its own on free ports and stops it afterwards,
so `pytest tests/...` works on its own too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def humanevalpack_path() -> Path:
    """HumanEvalPack for the tests: the copy bundled with the package (octopack_spark/data/humanevalpack,
    checked against its SHA256SUMS), so a checkout needs nothing beside it. OCTOPACK_HUMANEVALPACK_DIR (a
    folder of <lang>.jsonl) or OCTOPACK_SHARED_DIR (a folder holding data/humanevalpack) pick another copy."""
    env = os.environ.get("OCTOPACK_HUMANEVALPACK_DIR")
    if env:
        return Path(env)
    env = os.environ.get("OCTOPACK_SHARED_DIR")
    if env:
        return Path(env) / "data" / "humanevalpack"
    from octopack_spark.data import humanevalpack_dir as bundled

    return bundled()


@pytest.fixture(scope="session")
def humanevalpack_dir() -> Path:
    return humanevalpack_path()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _infra_service(script_name: str, what: str, env: dict, start_s: int, stop_s: int):
    """Start `infra/<script_name>`, yield the URL it prints last, and stop it afterwards (a generator for a
    fixture to `yield from`)."""
    script = str(ROOT / "infra" / script_name)
    out = subprocess.run(["bash", script, "start"], env=env, capture_output=True, text=True, timeout=start_s)
    if out.returncode != 0:
        raise RuntimeError(f"could not start {what}:\n{out.stdout}\n{out.stderr}")
    try:
        yield out.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True, timeout=stop_s)


@pytest.fixture(scope="session")
def spark():
    """A local[2] SparkSession shared by the whole test session (start-up costs ~10 s)."""
    from octopack_spark.config import SparkConfig
    from octopack_spark.spark.session import get_spark

    s = get_spark(SparkConfig(master="local[2]", app_name="octopack-tests",
                              conf={"spark.sql.shuffle.partitions": "4"}))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def spark_cluster_master(tmp_path_factory):
    """URL of a running Spark standalone master with one worker on 127.0.0.1."""
    url = os.environ.get("OCTOPACK_TEST_SPARK_MASTER")
    if url:
        yield url
        return
    d = tmp_path_factory.mktemp("cluster")
    env = dict(
        os.environ,
        OCTOPACK_CLUSTER_DIR=str(d),
        SPARK_MASTER_PORT=str(free_port()),
        SPARK_MASTER_WEBUI_PORT=str(free_port()),
        SPARK_WORKER_WEBUI_PORT=str(free_port()),
        SPARK_WORKER_CORES="2",
        SPARK_WORKER_MEMORY="3g",
        PYTHON=sys.executable,
    )
    yield from _infra_service("spark-cluster.sh", "the standalone cluster", env, start_s=180, stop_s=120)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """Endpoint URL of a real S3-compatible server (moto server mode) on 127.0.0.1."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    url = os.environ.get("OCTOPACK_TEST_S3_ENDPOINT")
    if url:
        yield url
        return
    d = tmp_path_factory.mktemp("s3")
    port = free_port()
    env = dict(os.environ, OCTOPACK_S3_PORT=str(port), OCTOPACK_S3_DIR=str(d), PYTHON=sys.executable)
    yield from _infra_service("s3-server.sh", "the S3 server", env, start_s=60, stop_s=60)

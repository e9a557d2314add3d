"""S3 goes away in the middle of a mining run: a clear failure, no manifest over partial data, and a
rerun against the healthy endpoint completes with exactly the uninterrupted rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pyarrow.dataset as ds
import pytest

from octopack_spark.storage.s3 import S3Settings, pyarrow_s3fs
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.gitrepo import RepoBuilder

pytestmark = [pytest.mark.s3, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _repos(root: Path, n: int) -> list[str]:
    out = []
    for i in range(n):
        b = RepoBuilder(str(root / f"s3r{i}"))
        for j in range(4):
            b.commit({f"mod{i}.py": f"VALUE = {j}\n", "notes.md": f"# note {i}.{j}\n"}, f"Set value {j} in {i}")
        out.append(str(root / f"s3r{i}"))
    return out


def _mine(repos, output, root, endpoint, *extra) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "octopack_spark.cli.main", "mine", "--output", output, "--allowed-root", str(root),
           "--master", "local[1]", "--set", "mine.batch_repos=1", "--set", "storage.max_attempts=2",
           "--set", "storage.connect_timeout_s=2", "--set", "storage.read_timeout_s=10", *extra]
    for r in repos:
        cmd += ["--repo", r]
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable,
               PYTHONPATH=str(ROOT))
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _done_units(s3, bucket: str, prefix: str) -> int:
    n = 0
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/_log/").get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        n += bool(json.loads(body).get("done"))
    return n


def _rows(manifest: dict, fs_root: str, filesystem=None) -> list[tuple]:
    files = [f"{fs_root}/{f}" for f in manifest["tables"]["commits"]["files"]]
    t = ds.dataset(files, format="parquet", filesystem=filesystem, partitioning="hive",
                   partition_base_dir=f"{fs_root}/commits").to_table()
    return sorted((r["row_id"], r["new_contents"], r["diff"]) for r in t.to_pylist())


def test_s3_outage_mid_run(tmp_path, s3_endpoint):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="faults")
    repos = _repos(tmp_path, 4)
    u = urlsplit(s3_endpoint)
    proxy = FaultProxy(u.hostname, u.port)
    proc = _mine(repos, "s3a://faults/run", tmp_path, proxy.url)
    deadline = time.time() + 900
    while time.time() < deadline and proc.poll() is None and _done_units(s3, "faults", "run") < 1:
        time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()[1][-3000:]
    proxy.cut()  # the endpoint dies while batches are still being written
    out, err = proc.communicate(timeout=900)
    assert proc.returncode != 0
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and ("failed" in errors[0] or "cannot" in errors[0]), err[-3000:]
    assert "Traceback" not in err  # one clear line, not a stack trace
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="faults", Prefix="run/").get("Contents", [])]
    assert "run/manifest.json" not in keys  # nothing claims the partial data
    assert any(k.startswith("run/commits/") for k in keys)  # the committed batch survived

    # The endpoint is healthy again: rerunning resumes and ends with exactly the uninterrupted rows.
    rerun = _mine(repos, "s3a://faults/run", tmp_path, s3_endpoint)
    out, err = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, err[-3000:]
    manifest = json.loads(s3.get_object(Bucket="faults", Key="run/manifest.json")["Body"].read())
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="faults", Prefix="run/").get("Contents", [])}
    for table in manifest["tables"].values():
        for f in table["files"]:
            assert f"run/{f}" in keys
    ref = _mine(repos, str(tmp_path / "reference"), tmp_path, s3_endpoint)
    out, err = ref.communicate(timeout=900)
    assert ref.returncode == 0, err[-3000:]
    ref_manifest = json.loads((tmp_path / "reference" / "manifest.json").read_text())
    fs = pyarrow_s3fs(S3Settings(endpoint_url=s3_endpoint, region="us-east-1", access_key_id="testing",
                                 secret_access_key="testing", session_token=None, profile=None, path_style=True))
    got = _rows(manifest, "faults/run", fs)
    assert got == _rows(ref_manifest, str(tmp_path / "reference"))
    assert manifest["counts"]["rows"] == ref_manifest["counts"]["rows"] == len(got)

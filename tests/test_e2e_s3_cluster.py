"""End to end on real services: mine -> ft into s3a:// on the local S3 server through the standalone
cluster, then `octopack sql` reads the result back from S3 and the counts match the manifests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from octopack_spark.samples import create_samples

pytestmark = [pytest.mark.s3, pytest.mark.cluster, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]


def _octopack(*args: str, env: dict, timeout: int = 1200) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "octopack_spark.cli.main", *args], env=env,
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"octopack {args[0]} failed:\n{res.stdout[-3000:]}\n{res.stderr[-6000:]}"
    return res


def _sql(query: str, env: dict) -> list[dict]:
    res = _octopack("sql", query, "--data", "s3://e2e/run", "--format", "json", env=env, timeout=300)
    return [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]


def test_mine_ft_on_cluster_into_s3_then_sql(tmp_path, s3_endpoint, spark_cluster_master, humanevalpack_dir):
    repos = create_samples(str(tmp_path / "samples"))
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="e2e")
    # Only the standard AWS environment: no storage flags anywhere.
    env = dict(os.environ, AWS_ENDPOINT_URL=s3_endpoint, AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1", SPARK_LOCAL_IP="127.0.0.1",
               PYSPARK_PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    mine_args = ["mine", "--output", "s3a://e2e/run/mine", "--master", spark_cluster_master,
                 "--allowed-root", str(tmp_path), "--config", str(ROOT / "infra" / "quickstart.yaml")]
    for r in repos:
        mine_args += ["--repo", r]
    out = _octopack(*mine_args, env=env)
    assert "repos ok 4" in out.stdout
    _octopack("ft", "--input", "s3a://e2e/run/mine", "--output", "s3a://e2e/run/ft", "--master",
              spark_cluster_master, "--config", str(ROOT / "infra" / "quickstart.yaml"),
              "--set", f"ft.decont.source={humanevalpack_dir}", env=env)

    mine_m = json.loads(s3.get_object(Bucket="e2e", Key="run/mine/manifest.json")["Body"].read())
    ft_m = json.loads(s3.get_object(Bucket="e2e", Key="run/ft/manifest.json")["Body"].read())
    assert mine_m["tables"]["commits"]["rows"] > 0 and ft_m["tables"]["commitpackft"]["rows"] > 0
    for table, m in (("commits", mine_m), ("errors", mine_m), ("state", mine_m), ("scored", ft_m),
                     ("commitpackft", ft_m)):
        rows = _sql(f"SELECT count(*) AS n FROM {table}", env)
        assert rows == [{"n": m["tables"][table]["rows"]}], table
    # Scored keeps every mined row; commitpackft holds exactly the kept ones.
    assert ft_m["tables"]["scored"]["rows"] == mine_m["tables"]["commits"]["rows"]
    kept = _sql("SELECT count(*) AS n FROM scored WHERE keep", env)
    assert kept == [{"n": ft_m["tables"]["commitpackft"]["rows"]}]
    res = _octopack("tables", "--data", "s3://e2e/run", "--verify", env=env, timeout=300)
    assert "commitpackft" in res.stdout

"""`octopack mine` run as a child process by the tests: its command line and environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mine_cmd(out: Path, allowed_root: Path, repos: list[str], *extra: str) -> list[str]:
    """`octopack mine` of the local `repos` (under `allowed_root`) into `out`, one repository per batch so
    the run commits batch after batch; `extra`: more flags."""
    cmd = [sys.executable, "-m", "octopack_spark.cli.main", "mine", "--output", str(out), "--allowed-root",
           str(allowed_root), "--master", "local[1]", "--set", "mine.batch_repos=1", *extra]
    for r in repos:
        cmd += ["--repo", r]
    return cmd


def child_env() -> dict:
    """The environment for a child that starts Spark: local IP, this Python, the checkout importable."""
    return dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable, PYTHONPATH=str(ROOT))

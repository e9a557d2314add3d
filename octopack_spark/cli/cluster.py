"""`octopack cluster start|stop|status`: a local Spark standalone cluster (master + worker on 127.0.0.1).

Wraps infra/spark-cluster.sh, which drives the pip wheel's sbin/spark-daemon.sh (the wheel has no
start-master.sh). Ports, cores and memory come from the same environment variables as the script.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def _script() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "infra" / "spark-cluster.sh"
        if cand.is_file():
            return cand
    raise FileNotFoundError("infra/spark-cluster.sh not found next to the package (run from a checkout)")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("--dir", help="state dir for logs/pids (default .octopack/cluster)")


def run(args: argparse.Namespace) -> int:
    env = dict(os.environ, PYTHON=sys.executable)
    if args.dir:
        env["OCTOPACK_CLUSTER_DIR"] = args.dir
    return subprocess.call(["bash", str(_script()), args.action], env=env)

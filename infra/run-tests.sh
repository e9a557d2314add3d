#!/usr/bin/env bash
# The whole test suite, with the services it needs: a Spark standalone cluster (master + worker) and an
# S3-compatible server (moto) on 127.0.0.1, both started here on free ports and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${OCTOPACK_VENV:-.venv}/bin/python"
work="$(mktemp -d -t octopack-tests-XXXXXX)"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

export PYTHON="$PY"
export OCTOPACK_CLUSTER_DIR="$work/cluster"
export SPARK_MASTER_PORT="$(free_port)" SPARK_MASTER_WEBUI_PORT="$(free_port)" SPARK_WORKER_WEBUI_PORT="$(free_port)"
export SPARK_WORKER_CORES="${SPARK_WORKER_CORES:-2}" SPARK_WORKER_MEMORY="${SPARK_WORKER_MEMORY:-4g}"
export OCTOPACK_S3_PORT="$(free_port)" OCTOPACK_S3_DIR="$work/s3"

cleanup() {
  bash infra/spark-cluster.sh stop >/dev/null 2>&1 || true
  bash infra/s3-server.sh stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "run-tests: starting Spark standalone cluster and S3 server"
OCTOPACK_TEST_SPARK_MASTER="$(bash infra/spark-cluster.sh start | tail -n1)"
OCTOPACK_TEST_S3_ENDPOINT="$(bash infra/s3-server.sh start | tail -n1)"
export OCTOPACK_TEST_SPARK_MASTER OCTOPACK_TEST_S3_ENDPOINT
echo "run-tests: cluster $OCTOPACK_TEST_SPARK_MASTER, s3 $OCTOPACK_TEST_S3_ENDPOINT"

export OCTOPACK_VERDICTS_OUT="$work/root-verdicts.jsonl"
"$PY" -m pytest -ra -p no:cacheprovider "${@:-tests}"
# The execution sandbox's adversarial set and canonical/buggy check again as an unprivileged user
# (rootless sandbox), its verdicts compared with the run above (issue 13).
if [ $# -eq 0 ] && [ "$(id -u)" = 0 ] && [ -s "$OCTOPACK_VERDICTS_OUT" ]; then
  bash tests/evaluation/execution/unprivileged_pass.sh "$OCTOPACK_VERDICTS_OUT"
fi

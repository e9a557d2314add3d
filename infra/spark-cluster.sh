#!/usr/bin/env bash
# Start/stop a Spark standalone cluster (1 master + 1 worker) on 127.0.0.1 from the pip pyspark wheel.
# The wheel ships sbin/spark-daemon.sh but no start-master.sh/start-worker.sh, so we call the daemon
# script directly. Used by the tests and by `octopack cluster`; also fine for a single-box deployment.
#
#   infra/spark-cluster.sh start|stop|status
#
# Environment (defaults): OCTOPACK_CLUSTER_DIR (.octopack/cluster), SPARK_MASTER_HOST (127.0.0.1),
# SPARK_MASTER_PORT (7077), SPARK_MASTER_WEBUI_PORT (8080), SPARK_WORKER_WEBUI_PORT (8081),
# SPARK_WORKER_CORES (2), SPARK_WORKER_MEMORY (4g), PYTHON (.venv/bin/python).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$here/.venv/bin/python}"
DIR="${OCTOPACK_CLUSTER_DIR:-$here/.octopack/cluster}"
HOST="${SPARK_MASTER_HOST:-127.0.0.1}"
PORT="${SPARK_MASTER_PORT:-7077}"
MUI="${SPARK_MASTER_WEBUI_PORT:-8080}"
WUI="${SPARK_WORKER_WEBUI_PORT:-8081}"
CORES="${SPARK_WORKER_CORES:-2}"
MEM="${SPARK_WORKER_MEMORY:-4g}"

export SPARK_HOME="${SPARK_HOME:-$("$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')}"
export SPARK_LOCAL_IP="$HOST"
export PYSPARK_PYTHON="${PYSPARK_PYTHON:-$PYTHON}"
export SPARK_LOG_DIR="$DIR/logs" SPARK_PID_DIR="$DIR/pids" SPARK_WORKER_DIR="$DIR/work"
export SPARK_IDENT_STRING="octopack-$PORT"
unset SPARK_NO_DAEMONIZE
export SPARK_MASTER_OPTS="${SPARK_MASTER_OPTS:-} -Dspark.master.rest.enabled=false"
mkdir -p "$SPARK_LOG_DIR" "$SPARK_PID_DIR" "$SPARK_WORKER_DIR"
daemon="$SPARK_HOME/sbin/spark-daemon.sh"
url="spark://$HOST:$PORT"

case "${1:-}" in
  start)
    bash "$daemon" start org.apache.spark.deploy.master.Master 1 \
      --host "$HOST" --port "$PORT" --webui-port "$MUI" >/dev/null
    bash "$daemon" start org.apache.spark.deploy.worker.Worker 1 \
      --host "$HOST" --webui-port "$WUI" --cores "$CORES" --memory "$MEM" "$url" >/dev/null
    for _ in $(seq 1 120); do
      if grep -qs 'Successfully registered with master' "$SPARK_LOG_DIR"/*Worker*.out; then
        echo "$url"; exit 0
      fi
      sleep 1
    done
    echo "spark-cluster: worker did not register within 120 s; logs in $SPARK_LOG_DIR" >&2
    tail -n 30 "$SPARK_LOG_DIR"/*.out >&2 || true
    exit 1 ;;
  stop)
    bash "$daemon" stop org.apache.spark.deploy.worker.Worker 1 >/dev/null || true
    bash "$daemon" stop org.apache.spark.deploy.master.Master 1 >/dev/null || true
    rm -f "$SPARK_LOG_DIR"/*.out.* 2>/dev/null || true
    echo "stopped $url" ;;
  status)
    ok=0
    for p in "$SPARK_PID_DIR"/*.pid; do
      [ -e "$p" ] || continue
      if kill -0 "$(cat "$p")" 2>/dev/null; then echo "running: $(basename "$p") pid $(cat "$p")"; ok=1; fi
    done
    [ "$ok" = 1 ] && echo "$url" || { echo "not running"; exit 1; } ;;
  *)
    echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Start/stop a local S3-compatible server (moto in server mode) on 127.0.0.1 for tests and demos.
#   infra/s3-server.sh start|stop
# Environment: OCTOPACK_S3_PORT (5055), OCTOPACK_S3_DIR (.octopack/s3), PYTHON (.venv/bin/python).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$here/.venv/bin/python}"
PORT="${OCTOPACK_S3_PORT:-5055}"
DIR="${OCTOPACK_S3_DIR:-$here/.octopack/s3}"
mkdir -p "$DIR"
pidfile="$DIR/moto-$PORT.pid"
case "${1:-}" in
  start)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "http://127.0.0.1:$PORT"; exit 0
    fi
    nohup "$(dirname "$PYTHON")/moto_server" -H 127.0.0.1 -p "$PORT" >"$DIR/moto-$PORT.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
      if "$PYTHON" - "$PORT" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=1)
PY
      then echo "http://127.0.0.1:$PORT"; exit 0; fi
      sleep 0.2
    done
    echo "s3-server: moto did not start; see $DIR/moto-$PORT.log" >&2; exit 1 ;;
  stop)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    echo "stopped s3 server on $PORT" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

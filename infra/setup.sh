#!/usr/bin/env bash
# Create/refresh the project virtualenv with every extra, pinned by requirements/constraints.txt.
# Idempotent: a stamp keyed by setup.cfg + constraints skips pip when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${OCTOPACK_VENV:-.venv}"
PY="${PYTHON:-python3}"

if ! command -v java >/dev/null 2>&1; then
  echo "setup: Java 17+ is required by Spark (apt-get install openjdk-17-jre-headless)" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.octopack-stamp"
want="$(cat setup.cfg requirements/constraints.txt | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "setup: installing dependencies into $VENV (first run: a few minutes)"
  "$VENV/bin/python" -m pip install -q --upgrade pip wheel setuptools
  "$VENV/bin/python" -m pip install -q -c requirements/constraints.txt -e '.[all]'
  echo "$want" > "$stamp"
else
  # Re-link the editable install when the checkout moved (fresh clone, CI); cheap and offline.
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e . >/dev/null
fi
"$VENV/bin/python" -c "import pyspark, pygit2, pyarrow; print('setup: ok (pyspark', pyspark.__version__, ', pygit2', pygit2.__version__, ')')"

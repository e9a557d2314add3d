#!/usr/bin/env bash
# Package octopack-spark for Spark executors on a cluster whose nodes do not have it installed.
#
#   infra/package.sh [DIST_DIR]      (default dist/)
#
# Produces:
#   dist/octopack_spark-<version>-py3-none-any.whl  the library (pip install on nodes / in an image)
#   dist/octopack-executor-env.tar.gz                a packed virtualenv with the executor-side
#        dependencies (pygit2, pyarrow, pandas, numpy, fasttext, rensa, datasketch, boto3 + the wheel),
#        for `spark-submit --archives dist/octopack-executor-env.tar.gz#env`
#        with spark.pyspark.python=./env/bin/python (see infra/examples/).
# The packed env must be built on the same OS/CPU architecture and Python minor version as the nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST="${1:-dist}"
PY="${PYTHON:-.venv/bin/python}"
mkdir -p "$DIST"
"$PY" -m pip wheel --no-deps -q -w "$DIST" .
whl="$(ls -t "$DIST"/octopack_spark-*.whl | head -n1)"
echo "wheel: $whl"

envdir="$(mktemp -d)/octopack-executor-env"
"$PY" -m venv --copies "$envdir"
"$envdir/bin/python" -m pip install -q --upgrade pip
"$envdir/bin/python" -m pip install -q -c requirements/constraints.txt "$whl[ft]" boto3 pandas
"$envdir/bin/python" -m pip install -q venv-pack==0.2.0
"$envdir/bin/venv-pack" -p "$envdir" -o "$DIST/octopack-executor-env.tar.gz" -f >/dev/null
rm -rf "$(dirname "$envdir")"
echo "executor env: $DIST/octopack-executor-env.tar.gz"

#!/usr/bin/env bash
# The README's first command (after `make setup`): create sample repositories, mine them together with
# this checkout on local Spark, build CommitPackFT from the result and list the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
OCT="${OCTOPACK_VENV:-.venv}/bin/octopack"
OUT="${OUT:-out/quickstart}"
SAMPLES=.octopack/samples
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

"$OCT" samples --output "$SAMPLES" >/dev/null
echo "== mining this checkout and $(ls "$SAMPLES" | wc -l) sample repositories into $OUT/mine"
"$OCT" mine --repo . $(printf -- '--repo %s ' "$SAMPLES"/*) --output "$OUT/mine" --full-refresh \
  --config infra/quickstart.yaml
# Decontamination uses the HumanEvalPack copy shipped with the package (ft.decont.source=bundled);
# HUMANEVALPACK_DIR=<folder of <lang>.jsonl> or a hub name picks another source.
HEP_ARGS=()
if [ -n "${HUMANEVALPACK_DIR:-}" ]; then HEP_ARGS=(--set "ft.decont.source=$HUMANEVALPACK_DIR"); fi
echo "== building CommitPackFT into $OUT/ft"
"$OCT" ft --input "$OUT/mine" --output "$OUT/ft" --config infra/quickstart.yaml "${HEP_ARGS[@]}"
echo "== tables"
"$OCT" tables --data "$OUT"
echo "== report"
"$OCT" report "$OUT"

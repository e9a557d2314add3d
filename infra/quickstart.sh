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
# Decontamination reads HumanEvalPack from the HF hub by default; use the local copy when there is one.
HEP_ARGS=()
for d in "${HUMANEVALPACK_DIR:-}" ../shared/data/humanevalpack; do
  if [ -n "$d" ] && [ -f "$d/python.jsonl" ]; then HEP_ARGS=(--set "ft.decont.source=$(cd "$d" && pwd)"); break; fi
done
echo "== building CommitPackFT into $OUT/ft"
"$OCT" ft --input "$OUT/mine" --output "$OUT/ft" --config infra/quickstart.yaml "${HEP_ARGS[@]}"
echo "== tables"
"$OCT" tables --data "$OUT"

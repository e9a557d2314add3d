#!/usr/bin/env bash
# Issue 15, must-show 1: the README's two commands, `make quickstart` then `make test` (the whole suite, once),
# in this checkout placed where nothing sits beside it (no reference-data folder next to the checkout) and
# with the model hub unreachable.
#
# How "nothing beside it" is made without copying the checkout: a private mount namespace (unshare -m, as
# root) in which an empty tmpfs covers the checkout's parent folder and the checkout alone is bound back at
# its own path. Inside, the reference-data folder beside the checkout does not exist, while every path the suite prints stays the same; the
# host's view is untouched and the mounts vanish with the namespace. Without root (or unshare), the
# commands run in place with a warning: the result then does not show self-containment.
set -euo pipefail
cd "$(dirname "$0")/.."
here="$PWD"
parent="$(dirname "$here")"

if [ "${OCTOPACK_SEALED:-}" != 1 ]; then
  # A parent that is / or a temp/home root cannot be covered: the suite's own temp files live there.
  case "$parent" in /|/tmp|/var/tmp|/dev/shm|"${TMPDIR:-/tmp}"|"$HOME") cover=no ;; *) cover=yes ;; esac
  if [ "$cover" = yes ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
    exec unshare -m --propagation private env OCTOPACK_SEALED=1 bash "$0" "$@"
  fi
  echo "self-contained: WARNING: cannot hide $parent's other entries (needs root, unshare, and a parent that" \
       "is not /, a temp or home root): running in place, the folders beside the checkout are NOT hidden" >&2
else
  keep="$(mktemp -d -t octopack-checkout-XXXXXX)"  # outside $parent (a temp root is never $parent)
  mount --bind "$here" "$keep"
  mount -t tmpfs -o size=1m,mode=0755 octopack-empty "$parent"
  mkdir "$here"
  mount --bind "$keep" "$here"
  cd "$here"
  for sibling in "$parent"/*; do
    [ "$sibling" = "$here" ] || { echo "self-contained: $sibling is still visible" >&2; exit 1; }
  done
  echo "self-contained: $parent holds only $(basename "$here") in this namespace (nothing beside the checkout)"
fi

# No model hub: offline flags, and an endpoint that cannot answer for anything that ignores them.
unset OCTOPACK_SHARED_DIR OCTOPACK_HUMANEVALPACK_DIR HUMANEVALPACK_DIR OCTOPACK_TEST_FT_DATASET
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1

t0=$(date +%s)
echo "self-contained: make quickstart"
HF_ENDPOINT="http://192.0.2.1:9" HF_HOME="$(mktemp -d -t octopack-hf-home-XXXXXX)" make quickstart
# ft decontaminated against the HumanEvalPack copy bundled in the package.
.venv/bin/python - <<'PY'
import json, pathlib
stats = json.loads(pathlib.Path("out/quickstart/ft/stats.json").read_text())
assert "decontaminated" not in stats["rules_disabled"], stats["rules_disabled"]
assert "decontaminated" in {s["name"] for s in stats["funnel"]}
print("self-contained: quickstart ok (decontamination ran on the bundled HumanEvalPack)")
PY
echo "self-contained: quickstart in $(( $(date +%s) - t0 )) s; make test"
make test
echo "self-contained: both README commands passed in $(( $(date +%s) - t0 )) s"

#!/usr/bin/env bash
# Issue 15, must-show 1: the README's commands in a fresh clone that has nothing beside it (no reference-data
# folder next to the checkout) and no model hub (HF_HUB_OFFLINE=1, HF_ENDPOINT at an unroutable address).
#
# What runs, in $TMPDIR/octopack-selfcontained-XXXXXX/octopack-spark (a `git clone` of this checkout's HEAD):
#   1. `make quickstart`, the README's first command, unchanged: infra/setup.sh, then infra/quickstart.sh
#      (samples -> mine this clone + 4 sample repos -> ft with decontamination -> tables), then a check that
#      ft ran its decontamination step (from the HumanEvalPack copy bundled in the package).
#   2. Of `make test` (the whole suite, ~40 min, which .ci/run runs once in the checkout itself), the tests that
#      used to read HumanEvalPack from beside the checkout: tests/test_bundled_data.py,
#      tests/evaluation/test_data.py, tests/evaluation/test_tasks.py, tests/evaluation/test_cli.py,
#      tests/ft/decont/test_index.py.
# The clone's .venv is its own (its code is the clone's, installed editable by setup.sh) but takes the
# installed dependencies from the checkout's .venv through a .pth line, so nothing is downloaded twice: when
# the checkout's .venv is up to date with setup.cfg + constraints, its stamp is carried over and setup.sh only
# re-links the editable install; otherwise setup.sh's pip step runs (it needs the package index, not the hub).
# Measured: 645 s on the shared 2-core machine with another Spark job running (quickstart most of it).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="$PWD"
VENV_SRC="${OCTOPACK_VENV:-.venv}"
[ -x "$VENV_SRC/bin/python" ] || { echo "self-contained: no $VENV_SRC (run make setup first)" >&2; exit 1; }
VENV_SRC="$(cd "$VENV_SRC" && pwd)"

base="$(mktemp -d -t octopack-selfcontained-XXXXXX)"
trap 'rm -rf "$base"' EXIT
copy="$base/octopack-spark"
git clone -q "$SRC" "$copy"
if [ -e "$base/shared" ] || [ -e "$copy/shared" ]; then echo "self-contained: $base/shared exists" >&2; exit 1; fi
t0=$(date +%s)

# The clone's own venv, with the checkout's installed packages on its path (no download).
"$VENV_SRC/bin/python" -m venv --without-pip "$copy/.venv"
site_src="$("$VENV_SRC/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
site_dst="$("$copy/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$site_src" > "$site_dst/_octopack_ci_deps.pth"
want="$(cd "$copy" && cat setup.cfg requirements/constraints.txt | sha256sum | cut -c1-16)"
if [ "$(cat "$VENV_SRC/.octopack-stamp" 2>/dev/null || true)" = "$want" ]; then
  echo "$want" > "$copy/.venv/.octopack-stamp"
fi

# No model hub, no data from outside the clone.
unset OCTOPACK_SHARED_DIR OCTOPACK_HUMANEVALPACK_DIR HUMANEVALPACK_DIR OCTOPACK_VENV OCTOPACK_TEST_FT_DATASET
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_ENDPOINT="http://192.0.2.1:9"
export HF_HOME="$base/hf-home"  # an empty hub cache: nothing downloaded earlier can stand in

cd "$copy"
echo "self-contained: make quickstart in $copy"
make quickstart
# The code that ran is the clone's, and ft decontaminated against the bundled copy.
.venv/bin/python - <<'PY'
import json, pathlib
import octopack_spark
here = pathlib.Path.cwd().resolve()
assert pathlib.Path(octopack_spark.__file__).resolve().is_relative_to(here), octopack_spark.__file__
stats = json.loads(pathlib.Path("out/quickstart/ft/stats.json").read_text())
assert "decontaminated" not in stats["rules_disabled"], stats["rules_disabled"]
steps = {s["name"] for s in stats["funnel"]}
assert "decontaminated" in steps, steps
print("self-contained: quickstart ok (code from", here, "; decontamination ran on the bundled HumanEvalPack)")
PY
echo "self-contained: tests that read HumanEvalPack, from the clone"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/test_bundled_data.py tests/evaluation/test_data.py \
  tests/evaluation/test_tasks.py tests/evaluation/test_cli.py tests/ft/decont/test_index.py
echo "self-contained: ok in $(( $(date +%s) - t0 )) s"

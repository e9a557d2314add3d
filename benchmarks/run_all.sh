#!/usr/bin/env bash
# Run every benchmark (`make bench`). Each prints the machine and ratios against a baseline measured
# side by side in the same run. Output also goes to out/bench/<name>.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${OCTOPACK_VENV:-.venv}/bin/python"
mkdir -p out/bench
status=0
run() {
  local name="$1"; shift
  echo "=================== $name: $*"
  if ! "$PY" "$@" 2>&1 | tee "out/bench/$name.txt"; then status=1; fi
}
run mine      benchmarks/mine_bench.py --spark
run ft_stage  benchmarks/ft_stage_bench.py
run minhash   benchmarks/minhash_bench.py
run eval_exec benchmarks/eval_exec_bench.py
run train     benchmarks/train_bench.py
exit $status

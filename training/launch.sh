#!/usr/bin/env bash
# Launch a training run the way DeepSpeed runs are usually launched. Examples:
#
#   # one node, N processes (GPUs, or CPU processes with DS_ACCELERATOR=cpu), deepspeed launcher
#   training/launch.sh deepspeed 2 --config training/configs/tiny-cpu.yaml --data out/ft --output out/tiny
#
#   # several nodes from a hostfile ("host slots=N" lines; ssh/pdsh access to every host, the same
#   # checkout and venv path on each, a shared filesystem for --output)
#   HOSTFILE=training/hostfile.example MASTER_ADDR=node1 \
#     training/launch.sh deepspeed 8 --config training/configs/llama-1b-gpu.yaml --data s3://b/ft --output /shared/run
#
#   # torchrun, run on every node with its own NODE_RANK
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=node1 training/launch.sh torchrun 8 --config ... --output /shared/run
#
# Arguments after the process count go to `python -m training` (the same flags as `octopack train`).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-$here/.venv/bin/python}"
launcher="${1:?usage: launch.sh deepspeed|torchrun NPROC [training flags]}"
procs="${2:?usage: launch.sh deepspeed|torchrun NPROC [training flags]}"
shift 2
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export TORCH_EXTENSIONS_DIR="${TORCH_EXTENSIONS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/octopack-spark/torch_extensions}"
export TOKENIZERS_PARALLELISM=false
MASTER_ADDR="${MASTER_ADDR:-127.0.0.1}"
MASTER_PORT="${MASTER_PORT:-29500}"
if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  export DS_ACCELERATOR=cpu
  # one thread pool per process, sized to its share of the cores
  cores="$(nproc)"
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(( cores / procs > 0 ? cores / procs : 1 ))}"
fi
case "$launcher" in
  deepspeed)
    ds="$(dirname "$PY")/deepspeed"
    args=(--num_accelerators "$procs" --master_addr "$MASTER_ADDR" --master_port "$MASTER_PORT")
    if [ -n "${HOSTFILE:-}" ]; then args=(--hostfile "$HOSTFILE" "${args[@]}"); fi
    exec "$ds" "${args[@]}" --module training "$@" ;;
  torchrun)
    exec "$PY" -m torch.distributed.run --nproc_per_node "$procs" --nnodes "${NNODES:-1}" \
      --node_rank "${NODE_RANK:-0}" --master_addr "$MASTER_ADDR" --master_port "$MASTER_PORT" \
      -m training "$@" ;;
  *) echo "launch.sh: launcher must be deepspeed or torchrun" >&2; exit 2 ;;
esac

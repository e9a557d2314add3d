"""Launch commands for multi-process runs: the `deepspeed` launcher (default) or torchrun.

`octopack train --nproc 2` writes the fully resolved config to `<output>/launch_config.yaml` and runs
e.g. `deepspeed --num_accelerators 2 --master_addr 127.0.0.1 --master_port P --module training
--config <output>/launch_config.yaml --launcher none`; each rank then trains in-process. Multi-node:
pass `--hostfile` (deepspeed: `host slots=N` lines, ssh/pdsh to each host) or run torchrun on every
node with `--nnodes/--node-rank/--master-addr` (training/launch.sh shows both).
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Optional


def _deepspeed_bin() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "deepspeed")
    return here if os.path.isfile(here) else (shutil.which("deepspeed") or "deepspeed")


def launcher_command(launcher: str, nproc: int, module_args: list[str], *, hostfile: Optional[str] = None,
                     nnodes: int = 1, node_rank: int = 0, master_addr: str = "127.0.0.1",
                     master_port: int = 29500) -> list[str]:
    if launcher == "deepspeed":
        cmd = [_deepspeed_bin()]
        if hostfile:
            cmd += ["--hostfile", hostfile]
            if nnodes > 1:
                cmd += ["--num_nodes", str(nnodes)]
        if nproc > 0:
            # on CPU the accelerator counts NUMA nodes (1 here), so the count must be explicit
            cmd += ["--num_accelerators", str(nproc)]
        cmd += ["--master_addr", master_addr, "--master_port", str(master_port), "--module", "training"]
        return cmd + module_args
    if launcher == "torchrun":
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(max(1, nproc)),
               "--nnodes", str(nnodes), "--node_rank", str(node_rank), "--master_addr", master_addr,
               "--master_port", str(master_port), "-m", "training"]
        return cmd + module_args
    raise ValueError(f"unknown launcher {launcher!r}")


def child_env(nproc: int, on_gpu: bool) -> dict[str, str]:
    """Environment for the ranks: one CPU thread pool per rank sized to its share of the cores."""
    from training.env import extensions_dir

    env = dict(os.environ)
    if not on_gpu:
        env.setdefault("DS_ACCELERATOR", "cpu")
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        env.setdefault("OMP_NUM_THREADS", str(max(1, cores // max(1, nproc))))
    env.setdefault("TORCH_EXTENSIONS_DIR", str(extensions_dir()))
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    # the launched module must import this checkout even when it is not installed
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    return env


def under_launcher() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ

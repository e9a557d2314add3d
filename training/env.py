"""Process environment for DeepSpeed on machines without a launcher, GPU or oneCCL.

Everything here must run before `import deepspeed`: DeepSpeed picks its accelerator and reads
TORCH_EXTENSIONS_DIR at import/first-build time.
"""

from __future__ import annotations

import os
from pathlib import Path


def extensions_dir() -> Path:
    """Where JIT-built DeepSpeed ops are cached: built once per machine, shared by every run."""
    env = os.environ.get("TORCH_EXTENSIONS_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "octopack-spark" / "torch_extensions"


def prepare_process_env(cpu: bool | None = None) -> dict[str, str]:
    """Set the variables DeepSpeed needs and return the ones this call set.

    - DS_ACCELERATOR=cpu when no CUDA device is visible: auto-detection works but warns, and an
      explicit value keeps runs comparable.
    - TORCH_EXTENSIONS_DIR: the `deepspeed_shm_comm` op is compiled on the first CPU run (70-100 s);
      a stable cache directory makes that a one-time cost (see `python -m training.prebuild_ops`).
    - RANK/LOCAL_RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT for a single process started without a
      launcher; without them DeepSpeed falls back to MPI discovery and fails on missing mpi4py.
    """
    set_now: dict[str, str] = {}

    def default(k: str, v: str) -> None:
        if k not in os.environ:
            os.environ[k] = v
            set_now[k] = v

    if cpu is None:
        cpu = not cuda_visible()
    if cpu:
        default("DS_ACCELERATOR", "cpu")
    d = extensions_dir()
    d.mkdir(parents=True, exist_ok=True)
    default("TORCH_EXTENSIONS_DIR", str(d))
    if "RANK" not in os.environ and "OMPI_COMM_WORLD_RANK" not in os.environ:
        default("RANK", "0")
        default("LOCAL_RANK", "0")
        default("WORLD_SIZE", "1")
        default("LOCAL_WORLD_SIZE", "1")
        default("MASTER_ADDR", "127.0.0.1")
        default("MASTER_PORT", str(free_port()))
    return set_now


def cuda_visible() -> bool:
    if os.environ.get("DS_ACCELERATOR"):
        return os.environ["DS_ACCELERATOR"] == "cuda"
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # torch missing or broken CUDA install: treat as CPU
        return False


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

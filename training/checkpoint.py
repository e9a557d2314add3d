"""Checkpoints that resume exactly: DeepSpeed state plus what DeepSpeed does not save per rank.

`<ckpt dir>/<tag>/` (tag = step00000012) holds DeepSpeed's files (module weights, ZeRO optimizer
partitions, LR scheduler, step counters) and one `trainer_state_rank<r>.json` per rank: the data
pipeline state (source positions, mixer weights, packer bins), the RNG states (torch CPU/CUDA,
Python, NumPy) and run facts (world size, step, config hash).

Commit protocol: every rank writes its JSON, DeepSpeed saves (and ends with a barrier), and only then
rank 0 replaces `<ckpt dir>/latest` atomically. A run killed at any moment therefore leaves `latest`
pointing at a complete checkpoint. (DeepSpeed's own `latest` is written by rank 0 before the other
ranks are known to have finished, and not atomically, so it is switched off.)
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import shutil
from dataclasses import dataclass
from typing import Optional

from octopack_spark.errors import UserFacingError

log = logging.getLogger(__name__)
TAG_RE = re.compile(r"^step(\d{8})$")


class ResumeError(UserFacingError):
    pass


def tag_for(step: int) -> str:
    return f"step{step:08d}"


def state_file(ckpt_dir: str, tag: str, rank: int) -> str:
    return os.path.join(ckpt_dir, tag, f"trainer_state_rank{rank:05d}.json")


# ---------------------------------------------------------------- RNG
def rng_state() -> dict:
    import numpy as np
    import torch

    st = {
        "python": _jsonable(random.getstate()),
        "numpy": _jsonable(np.random.get_state()),
        "torch": torch.get_rng_state().tolist(),
    }
    if torch.cuda.is_available():
        st["cuda"] = [s.tolist() for s in torch.cuda.get_rng_state_all()]
    return st


def set_rng_state(st: dict) -> None:
    import numpy as np
    import torch

    random.setstate(_tuples(st["python"]))
    n = st["numpy"]
    np.random.set_state((n[0], np.asarray(n[1], dtype=np.uint32), int(n[2]), int(n[3]), float(n[4])))
    torch.set_rng_state(torch.tensor(st["torch"], dtype=torch.uint8))
    if "cuda" in st and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in st["cuda"]])


def _jsonable(x):
    import numpy as np

    if isinstance(x, (tuple, list)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _tuples(x):
    return tuple(_tuples(v) for v in x) if isinstance(x, list) else x


# ---------------------------------------------------------------- save / find / load
def save(engine, ckpt_dir: str, step: int, rank: int, world: int, data_state: dict, extra: dict,
         keep_last: int) -> str:
    import torch.distributed as dist

    tag = tag_for(step)
    os.makedirs(os.path.join(ckpt_dir, tag), exist_ok=True)
    state = {"step": step, "rank": rank, "world_size": world, "data": data_state, "rng": rng_state(), **extra}
    path = state_file(ckpt_dir, tag, rank)
    _write_atomic(path, json.dumps(state))
    engine.save_checkpoint(ckpt_dir, tag=tag, save_latest=False)  # collective; ends with a barrier
    dist.barrier()
    if rank == 0:
        _write_atomic(os.path.join(ckpt_dir, "latest"), tag)
        _prune(ckpt_dir, keep_last)
    dist.barrier()
    return tag


def _write_atomic(path: str, text: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _prune(ckpt_dir: str, keep_last: int) -> None:
    tags = sorted(t for t in os.listdir(ckpt_dir) if TAG_RE.match(t))
    for t in tags[:-keep_last]:
        shutil.rmtree(os.path.join(ckpt_dir, t), ignore_errors=True)


@dataclass
class ResumePoint:
    ckpt_dir: str
    tag: str
    step: int


def find_resume(ckpt_dir: str, mode: str, world: int) -> Optional[ResumePoint]:
    """The checkpoint to resume from, or None for a fresh start (see CheckpointConfig.resume)."""
    if mode == "never":
        if os.path.isfile(os.path.join(ckpt_dir, "latest")):
            raise ResumeError(f"{ckpt_dir} already holds checkpoints and checkpoint.resume is 'never'; "
                              "use a new output directory or resume=auto")
        return None
    if mode == "auto":
        latest = os.path.join(ckpt_dir, "latest")
        if not os.path.isfile(latest):
            return None
        point = ResumePoint(ckpt_dir, open(latest).read().strip(), 0)
    else:  # an explicit checkpoint: a directory with `latest`, or a tag directory
        p = os.path.abspath(mode)
        if os.path.isfile(os.path.join(p, "latest")):
            point = ResumePoint(p, open(os.path.join(p, "latest")).read().strip(), 0)
        elif os.path.isdir(p) and TAG_RE.match(os.path.basename(p)):
            point = ResumePoint(os.path.dirname(p), os.path.basename(p), 0)
        else:
            raise ResumeError(f"checkpoint.resume={mode!r} is neither auto, never, a checkpoint dir nor a tag dir")
    m = TAG_RE.match(point.tag)
    if not m:
        raise ResumeError(f"{point.ckpt_dir}/latest names {point.tag!r}, not a checkpoint tag")
    point.step = int(m.group(1))
    for r in range(world):
        f = state_file(point.ckpt_dir, point.tag, r)
        if not os.path.isfile(f):
            found = sorted(x for x in os.listdir(os.path.join(point.ckpt_dir, point.tag)) if x.startswith("trainer_state"))
            raise ResumeError(
                f"checkpoint {point.tag} has no trainer state for rank {r} of {world} (found {len(found)} rank files): "
                "exact resume needs the same number of processes as the run that saved it")
    return point


def load(engine, point: ResumePoint, rank: int, world: int) -> dict:
    with open(state_file(point.ckpt_dir, point.tag, rank)) as f:
        state = json.load(f)
    if state["world_size"] != world:
        raise ResumeError(f"checkpoint {point.tag} was saved by {state['world_size']} processes, this run has {world}")
    path, _ = engine.load_checkpoint(point.ckpt_dir, tag=point.tag, load_optimizer_states=True,
                                     load_lr_scheduler_states=True)
    if path is None:
        raise ResumeError(f"DeepSpeed could not load checkpoint {point.ckpt_dir}/{point.tag}")
    return state

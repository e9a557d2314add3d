"""`octopack train`: instruction-tune a causal LM on CommitPackFT shards with DeepSpeed.

    octopack train --config training/configs/tiny-cpu.yaml --data out/ft --output out/tiny
    octopack train --config tiny-cpu --data s3://bucket/ft --output out/tiny --nproc 2
    octopack train --config FILE --dry-run          # resolved config, DeepSpeed config, data plan
    deepspeed --num_accelerators 2 --module training --config FILE      # launcher-native
    torchrun --nproc_per_node 2 -m training --config FILE

Flags override the config; `--set section.field=value` overrides anything.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
from typing import Optional, Sequence

log = logging.getLogger(__name__)


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="training YAML (a path, or the name of a shipped config)")
    p.add_argument("--data", help="CommitPackFT dataset root / directory / glob / file, local or s3://")
    p.add_argument("--output", help="run directory: export, checkpoints, logs")
    p.add_argument("--max-steps", type=int, help="optimizer steps")
    p.add_argument("--resume", help="auto (default), never, or a checkpoint dir / tag dir")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override any config field")
    p.add_argument("--nproc", type=int, default=1, help="processes per node (CPU processes or GPUs)")
    p.add_argument("--launcher", choices=["auto", "deepspeed", "torchrun", "none"], default="auto",
                   help="how to start --nproc > 1 processes; none = train in this process")
    p.add_argument("--hostfile", help="deepspeed hostfile for multi-node runs")
    p.add_argument("--nnodes", type=int, default=1)
    p.add_argument("--node-rank", type=int, default=0, help="torchrun: this node's rank")
    p.add_argument("--master-addr", default="127.0.0.1")
    p.add_argument("--master-port", type=int, default=None, help="default: a free port")
    p.add_argument("--dry-run", action="store_true", help="print the resolved plan and exit")
    # the deepspeed launcher appends --local_rank=N; the rank is read from LOCAL_RANK
    p.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)


def _load(args):
    from training.config import load_train_config

    overrides = {"data.path": args.data, "output": args.output, "train.max_steps": args.max_steps,
                 "checkpoint.resume": args.resume}
    secrets = json.loads(os.environ.get(SECRETS_ENV) or "{}")  # set by _spawn for its ranks only
    return load_train_config(args.config, overrides=overrides, sets=args.set, secrets=secrets)


# The secret values of a launch config (TrainConfig.secret_patch), handed from `octopack train --nproc N`
# to its ranks through the environment: launch_config.yaml holds the redacted config.
SECRETS_ENV = "OCTOPACK_TRAIN_SECRETS"


def run(args: argparse.Namespace) -> int:
    from training.launch import under_launcher

    cfg = _load(args)
    if args.dry_run:
        return _dry_run(cfg, max(1, args.nproc))
    launcher = args.launcher
    if launcher == "auto":
        launcher = "none" if under_launcher() or (args.nproc <= 1 and not args.hostfile) else "deepspeed"
    if launcher == "none":
        from training.trainer import run_training

        summary = run_training(cfg)
        if int(os.environ.get("RANK", "0")) == 0:
            print(json.dumps({k: summary[k] for k in ("steps", "final_loss", "tokens", "export_dir")}))
        return 0
    return _spawn(cfg, args, launcher)


def _spawn(cfg, args, launcher: str) -> int:
    import yaml

    from training.env import cuda_visible, free_port
    from training.launch import child_env, launcher_command

    if not cfg.output:
        from octopack_spark.errors import UserFacingError

        raise UserFacingError("no output directory: set `output:` in the config or pass --output")
    os.makedirs(cfg.output, exist_ok=True)
    # Secrets are never written to disk: the file holds the redacted config and the masked values go to
    # the ranks through the environment (SECRETS_ENV), laid back over the file when they load it.
    d = cfg.redacted_dict()
    patch = cfg.secret_patch()
    secrets = {SECRETS_ENV: json.dumps(patch)} if patch else {}
    d["output"] = os.path.abspath(cfg.output)
    path = os.path.join(cfg.output, "launch_config.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(d, f, sort_keys=False)
    on_gpu = cuda_visible()
    port = args.master_port or free_port()
    cmd = launcher_command(launcher, args.nproc, ["--config", path, "--launcher", "none"], hostfile=args.hostfile,
                           nnodes=args.nnodes, node_rank=args.node_rank, master_addr=args.master_addr,
                           master_port=port)
    env = child_env(args.nproc, on_gpu)
    env.update(secrets)
    log.info("launching: %s", " ".join(cmd))
    # Same process group as this command: a signal to the group (Ctrl-C, a scheduler's kill) reaches
    # the launcher and every rank, so no rank outlives `octopack train`.
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        try:  # the launcher got the same SIGINT and is stopping its ranks
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        raise


def _dry_run(cfg, world: int) -> int:
    from octopack_spark.storage.fs import Storage
    from training.config import dump_train_config
    from training.data.discover import plan_units, resolve_files
    from training.data.order import rank_units
    from training.data.pipeline import source_specs
    from training.ds_config import deepspeed_config

    print("# resolved training config")
    print(dump_train_config(cfg))
    print("# DeepSpeed config")
    print(json.dumps(deepspeed_config(cfg, world), indent=1))
    storage = Storage.for_config(cfg.storage)
    print("# data plan")
    for spec in source_specs(cfg):
        src = resolve_files(storage, spec.name, spec.path, spec.table)
        units = plan_units(storage, src, spec.languages, required=list(spec.template.columns))
        rows = sum(u.num_rows for u in units if u.num_rows >= 0)
        per_rank = [len(rank_units(units, 0, cfg.train.seed, cfg.data.shuffle, r, world)) for r in range(world)]
        print(f"source {spec.name}: {spec.path} ({src.how}) files={len(src.files)} units={len(units)} "
              f"rows>={rows} template={spec.template.name} weight={spec.weight} units_per_rank(epoch0)={per_rank}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """`python -m training`: the same flags as `octopack train`, for launchers."""
    from octopack_spark.errors import UserFacingError

    p = argparse.ArgumentParser(prog="python -m training", description=__doc__.splitlines()[0])
    p.add_argument("-v", "--verbose", action="store_true")
    register(p)
    args = p.parse_args(argv)
    rank = int(os.environ.get("RANK", "0"))
    logging.basicConfig(level=logging.DEBUG if args.verbose else (logging.INFO if rank == 0 else logging.WARNING),
                        format=f"%(asctime)s [rank {rank}] %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        return run(args)
    except UserFacingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

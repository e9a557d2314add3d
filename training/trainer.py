"""One training process (a rank): DeepSpeed engine, data pipeline, loop, checkpoints, log, export.

Started in-process for a single process, or once per rank by the `deepspeed` launcher / torchrun
(`python -m training ...`); see training/launch.py. A step is `grad_accum` micro-batches per rank.
The loss is the mean next-token cross-entropy over all target tokens of the global batch
(training/optim.py), logged identically on every rank.
"""

from __future__ import annotations

import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional

from octopack_spark.redact import redact_config, redact_url
from octopack_spark.steps import StageReporter, Step, run_steps
from training.config import TrainConfig, dump_train_config

log = logging.getLogger(__name__)


def _quiet_libraries(is_main: bool) -> None:
    import warnings

    # DeepSpeed's ZeRO calls a torch collective that torch marks deprecated, once per step
    warnings.filterwarnings("ignore", message=r".*all_gather_into_tensor.*deprecated", category=FutureWarning)
    for name in ("DeepSpeed", "deepspeed", "torch.distributed", "transformers"):
        logging.getLogger(name).setLevel(logging.WARNING if is_main else logging.ERROR)
    if not is_main:
        logging.getLogger("training").setLevel(logging.WARNING)


def _cpu_threads(local_world: int) -> None:
    import torch

    if "OMP_NUM_THREADS" in os.environ:
        torch.set_num_threads(max(1, int(os.environ["OMP_NUM_THREADS"])))
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(max(1, cores // max(1, local_world)))


@dataclass
class TrainRun:
    """The state one rank's training run builds up, step by step (see TRAIN_STEPS)."""

    cfg: TrainConfig
    out: str = ""
    ckpt_dir: str = ""
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    is_main: bool = True
    on_gpu: bool = False
    device: Any = None
    tokenizer: Any = None
    tok_src: Any = None
    model: Any = None
    counts: dict[str, int] = field(default_factory=dict)
    engine: Any = None
    optimizer: Any = None
    executor: Optional[ThreadPoolExecutor] = None
    pipeline: Any = None
    start_step: int = 0
    step: int = 0
    tokens_total: int = 0
    targets_total: int = 0
    elapsed0: float = 0.0
    last_loss: float = float("nan")
    flops_per_token: float = 0.0
    peak: float = 0.0
    peak_src: str = ""
    metrics_log: Any = None   # training.metrics.StepLog, on the main rank
    bar: Any = None
    summary: dict[str, Any] = field(default_factory=dict)

    def allreduce(self, vals: list[float], op=None) -> list[float]:
        import torch
        import torch.distributed as dist

        t = torch.tensor(vals, dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM if op is None else op)
        return t.tolist()


def _start_process(run: TrainRun) -> None:
    """Distributed init, this rank's device and threads, output folders, train_config.yaml."""
    from training.env import prepare_process_env

    prepare_process_env()  # before deepspeed is imported
    import deepspeed
    import torch
    import torch.distributed as dist
    from deepspeed.accelerator import get_accelerator

    cfg = run.cfg
    acc = get_accelerator()
    run.on_gpu = acc.device_name() == "cuda"
    deepspeed.init_distributed(verbose=False)
    run.rank, run.world = dist.get_rank(), dist.get_world_size()
    run.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(min(run.world, acc.device_count() or 1))))
    run.is_main = run.rank == 0
    _quiet_libraries(run.is_main)
    if run.on_gpu:
        acc.set_device(run.local_rank)
        run.device = torch.device("cuda", run.local_rank)
    else:
        _cpu_threads(local_world)
        run.device = torch.device("cpu")
    run.out = os.path.abspath(cfg.output)
    run.ckpt_dir = os.path.abspath(cfg.checkpoint.dir or os.path.join(run.out, "checkpoints"))
    if run.is_main:
        os.makedirs(run.ckpt_dir, exist_ok=True)
        with open(os.path.join(run.out, "train_config.yaml"), "w") as f:
            f.write(dump_train_config(cfg))
    dist.barrier()


def _build_engine(run: TrainRun) -> None:
    """Tokenizer, model, optimizer and scheduler wrapped in a DeepSpeed engine; the data pipeline."""
    import deepspeed
    import torch.distributed as dist

    from octopack_spark.storage.fs import Storage
    from training.data.pipeline import build_pipeline
    from training.ds_config import deepspeed_config
    from training.model import build_model, parameter_counts, resolve_tokenizer
    from training.optim import build_optimizer, build_scheduler

    cfg = run.cfg
    storage = Storage.for_config(cfg.storage)
    run.tokenizer, run.tok_src = resolve_tokenizer(cfg, storage, run.out, run.is_main, dist.barrier)
    run.model = build_model(cfg, run.tokenizer)
    run.counts = parameter_counts(run.model)
    optimizer = build_optimizer(run.model, cfg.optim)
    scheduler = build_scheduler(optimizer, cfg.optim, cfg.train.max_steps)
    ds_cfg = deepspeed_config(cfg, run.world, on_gpu=run.on_gpu)
    if run.is_main:
        with open(os.path.join(run.out, "deepspeed_config.json"), "w") as f:
            json.dump(redact_config(ds_cfg), f, indent=1)  # train.deepspeed may carry keys (e.g. a logger's)
    run.engine, run.optimizer, _, _ = deepspeed.initialize(model=run.model, optimizer=optimizer,
                                                           lr_scheduler=scheduler, config=ds_cfg,
                                                           dist_init_required=False)
    if isinstance(run.engine.config, dict):
        # DeepSpeed parsed the config above and keeps the dict only to store it in every checkpoint
        # (`ds_config` in *_model_states.pt / *_optim_states.pt): that copy is the redacted one.
        run.engine.config = redact_config(run.engine.config)
    if cfg.data.prefetch_units:
        run.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="unit-prefetch")
    run.pipeline = build_pipeline(cfg, run.tokenizer, storage, run.rank, run.world, run.executor)


def _resume(run: TrainRun) -> None:
    """Load the latest checkpoint (weights, optimizer, data position, RNG, counters), or seed a new run."""
    import numpy as np
    import torch

    from training import checkpoint as ckpt

    cfg = run.cfg
    point = ckpt.find_resume(run.ckpt_dir, cfg.checkpoint.resume, run.world)
    if point is None:
        # per-rank streams for dropout etc.; the weights were initialised identically before this
        torch.manual_seed(cfg.train.seed * 1000 + run.rank)
        np.random.seed((cfg.train.seed * 1000 + run.rank) % 2**32)
        return
    state = ckpt.load(run.engine, point, run.rank, run.world)
    run.pipeline.load_state(state["data"])
    ckpt.set_rng_state(state["rng"])
    run.start_step = run.step = point.step
    if run.engine.global_steps != run.start_step:
        raise ckpt.ResumeError(f"checkpoint {point.tag} holds engine step {run.engine.global_steps}, "
                               f"expected {run.start_step}")
    run.tokens_total, run.targets_total, run.elapsed0 = state["tokens"], state["target_tokens"], state["elapsed_s"]
    if run.is_main:
        log.info("resumed from %s/%s at step %d", point.ckpt_dir, point.tag, run.start_step)


def _open_metrics(run: TrainRun) -> None:
    """FLOPs per token and peak FLOP/s (for MFU), the step log and the progress bar."""
    import torch

    from training.metrics import StepLog, flops_per_token, model_shape, resolve_peak
    from training.model import base_model

    cfg = run.cfg
    n_layers, d_model = model_shape(base_model(run.engine.module).config)
    seq_len = cfg.tokenize.seq_len
    run.flops_per_token = flops_per_token(run.counts, n_layers, d_model, seq_len, cfg.lora.enabled)
    peak_name = torch.cuda.get_device_name(run.local_rank) if run.on_gpu else "cpu"
    run.peak, run.peak_src = resolve_peak(cfg.mfu.peak_flops, run.device.type, peak_name, cfg.train.precision,
                                          d_model)
    if not run.is_main:
        return
    run.metrics_log = StepLog(os.path.join(run.out, "logs"), cfg.log.csv, cfg.log.tensorboard, run.start_step)
    log.info("model %s: %.2fM params (%.2fM trainable), %.3g FLOPs/token; peak %.3g FLOP/s per device (%s); "
             "world %d, micro-batch %d x %d accumulation x %d tokens, ZeRO-%d %s",
             cfg.model.arch if not cfg.model.name_or_path else cfg.model.name_or_path,
             run.counts["total"] / 1e6, run.counts["trainable"] / 1e6, run.flops_per_token, run.peak,
             run.peak_src, run.world, cfg.train.micro_batch_size, cfg.train.grad_accum, seq_len,
             cfg.train.zero_stage, cfg.train.precision)
    if cfg.log.progress:
        from tqdm import tqdm

        run.bar = tqdm(total=cfg.train.max_steps, initial=run.start_step, desc="train", unit="step",
                       dynamic_ncols=True)


def _train(run: TrainRun) -> None:
    """The loop: one optimizer step per iteration, logged, checkpointed; stops at max_steps or max_epochs."""
    run.engine.train()
    t_run = time.perf_counter()
    for step in range(run.start_step, run.cfg.train.max_steps):
        row = _train_step(run, step, t_run)
        _log_step(run, row)
        if _checkpoint(run, row):
            break


def _train_step(run: TrainRun, step: int, t_run: float) -> dict[str, Any]:
    """`grad_accum` micro-batches; returns the step's log row."""
    import torch

    from training.data.pipeline import count_targets
    from training.optim import token_loss_sum

    cfg, engine, world = run.cfg, run.engine, run.world
    gas, mbs = cfg.train.grad_accum, cfg.train.micro_batch_size
    t0 = time.perf_counter()
    batches = [run.pipeline.next_batch(mbs) for _ in range(gas)]
    local_targets = sum(count_targets(b) for b in batches)
    local_real = sum(b["input_ids"].size - int(b["n_pad"].sum()) for b in batches)
    g_targets, g_real = run.allreduce([local_targets, local_real])
    scale = gas * world / max(g_targets, 1.0)
    lr_used = run.optimizer.param_groups[0]["lr"]
    loss_sum = torch.zeros((), dtype=torch.float64, device=run.device)
    for b in batches:
        ids = torch.from_numpy(b["input_ids"]).to(run.device)
        pos = torch.from_numpy(b["position_ids"]).to(run.device)
        labels = torch.from_numpy(b["labels"]).to(run.device)
        out_ = engine(input_ids=ids, position_ids=pos, use_cache=False)
        s, _ = token_loss_sum(out_.logits, labels)
        engine.backward(s * scale)
        engine.step()
        loss_sum += s.detach().double()
    (g_loss_sum,) = run.allreduce([float(loss_sum)])
    run.last_loss = g_loss_sum / max(g_targets, 1.0)
    step_time = time.perf_counter() - t0
    run.tokens_total += int(g_real)
    run.targets_total += int(g_targets)
    run.step = step + 1
    processed = world * gas * mbs * cfg.tokenize.seq_len
    mfu = run.flops_per_token * processed / step_time / (run.peak * world)
    grad_norm = engine.get_global_grad_norm()
    return {"step": run.step, "loss": run.last_loss, "lr": float(lr_used),
            "grad_norm": float(grad_norm) if grad_norm is not None else float("nan"),
            "tokens": run.tokens_total, "target_tokens": run.targets_total, "tokens_per_s": g_real / step_time,
            "mfu": mfu, "step_time_s": step_time, "epoch": run.pipeline.epoch,
            "elapsed_s": run.elapsed0 + time.perf_counter() - t_run}


def _log_step(run: TrainRun, row: dict[str, Any]) -> None:
    if not run.is_main:
        return
    cfg, done, mfu = run.cfg, row["step"], row["mfu"]
    if done % cfg.log.every_steps == 0 or done == cfg.train.max_steps:
        run.metrics_log.write(row)
        log.info("step %d/%d loss %.4f lr %.3g tok/s %.0f mfu %.2f%%", done, cfg.train.max_steps,
                 run.last_loss, row["lr"], row["tokens_per_s"], 100 * mfu)
    if run.bar is not None:
        run.bar.update(1)
        run.bar.set_postfix(loss=f"{run.last_loss:.4f}", tok_s=f"{row['tokens_per_s']:.0f}", mfu=f"{100 * mfu:.1f}%")


def _checkpoint(run: TrainRun, row: dict[str, Any]) -> bool:
    """Save a checkpoint when one is due; returns whether every rank finished max_epochs (stop)."""
    import torch.distributed as dist

    from training import checkpoint as ckpt

    cfg, done = run.cfg, row["step"]
    stop = False
    if cfg.train.max_epochs is not None:
        (min_epoch,) = run.allreduce([float(run.pipeline.epoch)], op=dist.ReduceOp.MIN)
        stop = min_epoch >= cfg.train.max_epochs
    if done % cfg.checkpoint.every_steps == 0 or done == cfg.train.max_steps or stop:
        ckpt.save(run.engine, run.ckpt_dir, done, run.rank, run.world, run.pipeline.state(),
                  {"tokens": run.tokens_total, "target_tokens": run.targets_total, "elapsed_s": row["elapsed_s"],
                   "config_hash": cfg.config_hash()},
                  cfg.checkpoint.keep_last)
    if stop and run.is_main:
        log.info("every rank finished %d epoch(s) of the primary source; stopping at step %d",
                 cfg.train.max_epochs, done)
    return stop


def _finish(run: TrainRun) -> None:
    """Gather every rank's data counters, build the summary, export the model, write train_summary.json."""
    import torch.distributed as dist

    from octopack_spark import code_version
    from training.export import export_model

    cfg = run.cfg
    if run.bar is not None:
        run.bar.close()
    if run.executor is not None:
        run.executor.shutdown(wait=False, cancel_futures=True)
    all_counters: list = [None] * run.world
    dist.all_gather_object(all_counters, run.pipeline.all_counters())
    run.summary = {
        "code_version": code_version(),
        "steps": run.step,
        "final_loss": run.last_loss,
        "tokens": run.tokens_total,
        "target_tokens": run.targets_total,
        "world_size": run.world,
        "params": run.counts,
        "flops_per_token": run.flops_per_token,
        "peak_flops_per_device": run.peak,
        "peak_flops_source": run.peak_src,
        "tokenizer": run.tok_src,
        "data": {"path": redact_url(cfg.data.path) if cfg.data.path else None, "template": cfg.data.template,
                 "extra_sources": [s.name for s in cfg.data.extra_sources]},
        "counters_per_rank": all_counters,
        "config_hash": cfg.config_hash(),
        "config": cfg.redacted_dict(),
    }
    export_dir = None
    if cfg.export.enabled:
        export_dir = export_model(cfg, run.engine, run.tokenizer, os.path.abspath(cfg.export.dir or run.out),
                                  run.is_main, run.summary)
    if run.is_main:
        with open(os.path.join(run.out, "train_summary.json"), "w") as f:
            json.dump(run.summary, f, indent=1, default=str)
        if run.metrics_log is not None:
            run.metrics_log.close()
    dist.barrier()
    run.summary["export_dir"] = export_dir
    dist.destroy_process_group()  # else the gloo teardown at interpreter exit takes seconds


TRAIN_STEPS = (
    Step("process", _start_process, reads=("cfg",),
         writes=("rank", "world", "device", "train_config.yaml")),
    Step("engine", _build_engine, reads=("cfg", "rank", "world"),
         writes=("tokenizer", "model", "engine", "pipeline", "deepspeed_config.json")),
    Step("resume", _resume, reads=("checkpoints/", "engine", "pipeline"),
         writes=("start_step", "token counters", "RNG state")),
    Step("metrics", _open_metrics, reads=("engine", "counts"), writes=("flops_per_token", "peak", "logs/")),
    Step("train", _train, reads=("engine", "pipeline"), writes=("logs/", "checkpoints/")),
    Step("finish", _finish, reads=("pipeline counters", "engine"),
         writes=("export/", "train_summary.json")),
)


def run_training(cfg: TrainConfig, reporter: Optional[StageReporter] = None) -> dict[str, Any]:
    """One rank's run: the steps of TRAIN_STEPS in order. Returns the summary (train_summary.json + export_dir)."""
    if not cfg.output:
        from octopack_spark.errors import UserFacingError

        raise UserFacingError("no output directory: set `output:` in the config or pass --output")
    run = TrainRun(cfg)
    run_steps("train", TRAIN_STEPS, run, logger=log, reporter=reporter)
    return run.summary

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
from typing import Any

from octopack_spark.redact import redact_config, redact_url
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


def run_training(cfg: TrainConfig) -> dict[str, Any]:
    if not cfg.output:
        from octopack_spark.errors import UserFacingError

        raise UserFacingError("no output directory: set `output:` in the config or pass --output")
    from training.env import prepare_process_env

    prepare_process_env()
    import deepspeed
    import numpy as np
    import torch
    import torch.distributed as dist
    from deepspeed.accelerator import get_accelerator

    from octopack_spark import code_version
    from octopack_spark.storage.fs import Storage
    from training import checkpoint as ckpt
    from training.data.pipeline import build_pipeline, count_targets
    from training.ds_config import deepspeed_config
    from training.export import export_model
    from training.metrics import StepLog, flops_per_token, model_shape, resolve_peak
    from training.model import base_model, build_model, parameter_counts, resolve_tokenizer
    from training.optim import build_optimizer, build_scheduler, token_loss_sum

    acc = get_accelerator()
    on_gpu = acc.device_name() == "cuda"
    deepspeed.init_distributed(verbose=False)
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(min(world, acc.device_count() or 1))))
    is_main = rank == 0
    _quiet_libraries(is_main)
    if on_gpu:
        acc.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        _cpu_threads(local_world)
        device = torch.device("cpu")
    out = os.path.abspath(cfg.output)
    ckpt_dir = os.path.abspath(cfg.checkpoint.dir or os.path.join(out, "checkpoints"))
    if is_main:
        os.makedirs(ckpt_dir, exist_ok=True)
        with open(os.path.join(out, "train_config.yaml"), "w") as f:
            f.write(dump_train_config(cfg))
    dist.barrier()

    storage = Storage.for_config(cfg.storage)
    tokenizer, tok_src = resolve_tokenizer(cfg, storage, out, is_main, dist.barrier)
    model = build_model(cfg, tokenizer)
    counts = parameter_counts(model)
    optimizer = build_optimizer(model, cfg.optim)
    scheduler = build_scheduler(optimizer, cfg.optim, cfg.train.max_steps)
    ds_cfg = deepspeed_config(cfg, world, on_gpu=on_gpu)
    if is_main:
        with open(os.path.join(out, "deepspeed_config.json"), "w") as f:
            json.dump(redact_config(ds_cfg), f, indent=1)  # train.deepspeed may carry keys (e.g. a logger's)
    engine, optimizer, _, scheduler = deepspeed.initialize(model=model, optimizer=optimizer, lr_scheduler=scheduler,
                                                           config=ds_cfg, dist_init_required=False)
    if isinstance(engine.config, dict):
        # DeepSpeed parsed the config above and keeps the dict only to store it in every checkpoint
        # (`ds_config` in *_model_states.pt / *_optim_states.pt): that copy is the redacted one.
        engine.config = redact_config(engine.config)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="unit-prefetch") if cfg.data.prefetch_units else None
    pipeline = build_pipeline(cfg, tokenizer, storage, rank, world, executor)

    point = ckpt.find_resume(ckpt_dir, cfg.checkpoint.resume, world)
    start_step = 0
    if point is not None:
        state = ckpt.load(engine, point, rank, world)
        pipeline.load_state(state["data"])
        ckpt.set_rng_state(state["rng"])
        start_step = point.step
        if engine.global_steps != start_step:
            raise ckpt.ResumeError(f"checkpoint {point.tag} holds engine step {engine.global_steps}, expected {start_step}")
        tokens_total, targets_total, elapsed0 = state["tokens"], state["target_tokens"], state["elapsed_s"]
        if is_main:
            log.info("resumed from %s/%s at step %d", point.ckpt_dir, point.tag, start_step)
    else:
        # per-rank streams for dropout etc.; the weights were initialised identically before this
        torch.manual_seed(cfg.train.seed * 1000 + rank)
        np.random.seed((cfg.train.seed * 1000 + rank) % 2**32)
        tokens_total = targets_total = 0
        elapsed0 = 0.0

    n_layers, d_model = model_shape(base_model(engine.module).config)
    L = cfg.tokenize.seq_len
    fpt = flops_per_token(counts, n_layers, d_model, L, cfg.lora.enabled)
    peak_name = torch.cuda.get_device_name(local_rank) if on_gpu else "cpu"
    peak, peak_src = resolve_peak(cfg.mfu.peak_flops, device.type, peak_name, cfg.train.precision, d_model)
    steplog = StepLog(os.path.join(out, "logs"), cfg.log.csv, cfg.log.tensorboard, start_step) if is_main else None
    if is_main:
        log.info("model %s: %.2fM params (%.2fM trainable), %.3g FLOPs/token; peak %.3g FLOP/s per device (%s); "
                 "world %d, micro-batch %d x %d accumulation x %d tokens, ZeRO-%d %s",
                 cfg.model.arch if not cfg.model.name_or_path else cfg.model.name_or_path,
                 counts["total"] / 1e6, counts["trainable"] / 1e6, fpt, peak, peak_src, world,
                 cfg.train.micro_batch_size, cfg.train.grad_accum, L, cfg.train.zero_stage, cfg.train.precision)
    bar = None
    if is_main and cfg.log.progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.train.max_steps, initial=start_step, desc="train", unit="step", dynamic_ncols=True)

    def allreduce(vals: list[float], op=dist.ReduceOp.SUM) -> list[float]:
        t = torch.tensor(vals, dtype=torch.float64, device=device)
        dist.all_reduce(t, op=op)
        return t.tolist()

    engine.train()
    gas, mbs = cfg.train.grad_accum, cfg.train.micro_batch_size
    last_loss = float("nan")
    step = start_step
    t_run = time.perf_counter()
    for step in range(start_step, cfg.train.max_steps):
        t0 = time.perf_counter()
        batches = [pipeline.next_batch(mbs) for _ in range(gas)]
        local_targets = sum(count_targets(b) for b in batches)
        local_real = sum(b["input_ids"].size - int(b["n_pad"].sum()) for b in batches)
        g_targets, g_real = allreduce([local_targets, local_real])
        scale = gas * world / max(g_targets, 1.0)
        lr_used = optimizer.param_groups[0]["lr"]
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        for b in batches:
            ids = torch.from_numpy(b["input_ids"]).to(device)
            pos = torch.from_numpy(b["position_ids"]).to(device)
            labels = torch.from_numpy(b["labels"]).to(device)
            out_ = engine(input_ids=ids, position_ids=pos, use_cache=False)
            s, _ = token_loss_sum(out_.logits, labels)
            engine.backward(s * scale)
            engine.step()
            loss_sum += s.detach().double()
        (g_loss_sum,) = allreduce([float(loss_sum)])
        last_loss = g_loss_sum / max(g_targets, 1.0)
        step_time = time.perf_counter() - t0
        tokens_total += int(g_real)
        targets_total += int(g_targets)
        done = step + 1
        processed = world * gas * mbs * L
        mfu = fpt * processed / step_time / (peak * world)
        grad_norm = engine.get_global_grad_norm()
        row = {"step": done, "loss": last_loss, "lr": float(lr_used),
               "grad_norm": float(grad_norm) if grad_norm is not None else float("nan"),
               "tokens": tokens_total, "target_tokens": targets_total, "tokens_per_s": g_real / step_time,
               "mfu": mfu, "step_time_s": step_time, "epoch": pipeline.epoch,
               "elapsed_s": elapsed0 + time.perf_counter() - t_run}
        if is_main:
            if done % cfg.log.every_steps == 0 or done == cfg.train.max_steps:
                steplog.write(row)
                log.info("step %d/%d loss %.4f lr %.3g tok/s %.0f mfu %.2f%%", done, cfg.train.max_steps,
                         last_loss, lr_used, row["tokens_per_s"], 100 * mfu)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{last_loss:.4f}", tok_s=f"{row['tokens_per_s']:.0f}", mfu=f"{100 * mfu:.1f}%")
        stop = False
        if cfg.train.max_epochs is not None:
            (min_epoch,) = allreduce([float(pipeline.epoch)], op=dist.ReduceOp.MIN)
            stop = min_epoch >= cfg.train.max_epochs
        if done % cfg.checkpoint.every_steps == 0 or done == cfg.train.max_steps or stop:
            ckpt.save(engine, ckpt_dir, done, rank, world, pipeline.state(),
                      {"tokens": tokens_total, "target_tokens": targets_total, "elapsed_s": row["elapsed_s"],
                       "config_hash": cfg.config_hash()},
                      cfg.checkpoint.keep_last)
        if stop:
            if is_main:
                log.info("every rank finished %d epoch(s) of the primary source; stopping at step %d",
                         cfg.train.max_epochs, done)
            step = done
            break
        step = done
    if bar is not None:
        bar.close()
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)

    counters = pipeline.all_counters()
    all_counters: list = [None] * world
    dist.all_gather_object(all_counters, counters)
    summary = {
        "code_version": code_version(),
        "steps": step,
        "final_loss": last_loss,
        "tokens": tokens_total,
        "target_tokens": targets_total,
        "world_size": world,
        "params": counts,
        "flops_per_token": fpt,
        "peak_flops_per_device": peak,
        "peak_flops_source": peak_src,
        "tokenizer": tok_src,
        "data": {"path": redact_url(cfg.data.path) if cfg.data.path else None, "template": cfg.data.template,
                 "extra_sources": [s.name for s in cfg.data.extra_sources]},
        "counters_per_rank": all_counters,
        "config_hash": cfg.config_hash(),
        "config": cfg.redacted_dict(),
    }
    export_dir = None
    if cfg.export.enabled:
        export_dir = export_model(cfg, engine, tokenizer, os.path.abspath(cfg.export.dir or out), is_main, summary)
    if is_main:
        with open(os.path.join(out, "train_summary.json"), "w") as f:
            json.dump(summary, f, indent=1, default=str)
        if steplog is not None:
            steplog.close()
    dist.barrier()
    summary["export_dir"] = export_dir
    dist.destroy_process_group()  # else the gloo teardown at interpreter exit takes seconds
    return summary

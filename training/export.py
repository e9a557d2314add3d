"""Export the trained model in Hugging Face `save_pretrained` format, with its tokenizer.

The full weights are collected on rank 0 (ZeRO-3 partitions are gathered with DeepSpeed's
consolidated state dict; under ZeRO 0-2 every rank already holds them), copied into a fresh CPU
model of the same architecture and saved as safetensors. With LoRA the adapter is saved under
`adapter/` and, unless export.merge_lora is false, merged into the base weights, so
`AutoModelForCausalLM.from_pretrained(out)` loads a plain model (what `octopack eval run --model`
expects).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Optional

from training.config import TrainConfig

log = logging.getLogger(__name__)

DTYPES = {"float32": "float32", "bfloat16": "bfloat16", "float16": "float16"}


def export_dtype(cfg: TrainConfig) -> str:
    if cfg.export.dtype != "auto":
        return cfg.export.dtype
    return {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}[cfg.train.precision]


def gather_state_dict(engine, zero_stage: int, is_main: bool) -> Optional[dict]:
    """Full state dict (CPU tensors) on rank 0, None elsewhere. Collective under ZeRO-3."""
    if zero_stage == 3:
        sd = engine._zero3_consolidated_16bit_state_dict()
        return {k: v.detach().cpu().clone() for k, v in sd.items()} if is_main else None
    if not is_main:
        return None
    return {k: v.detach().cpu().clone() for k, v in engine.module.state_dict().items()}


def export_model(cfg: TrainConfig, engine, tokenizer, out_dir: str, is_main: bool, summary: dict) -> Optional[str]:
    import torch

    sd = gather_state_dict(engine, cfg.train.zero_stage, is_main)
    if not is_main:
        return None
    from transformers import AutoModelForCausalLM

    from training.model import apply_lora, base_model

    os.makedirs(out_dir, exist_ok=True)
    hf_config = base_model(engine.module).config
    model = AutoModelForCausalLM.from_config(hf_config, dtype=torch.float32)
    if cfg.lora.enabled:
        model = apply_lora(model, cfg)
    missing, unexpected = model.load_state_dict({k: v.float() for k, v in sd.items()}, strict=False)
    missing = [k for k in missing if not _tied_alias(model, k)]
    if missing or unexpected:
        raise RuntimeError(f"export: state dict mismatch (missing {missing[:5]}, unexpected {unexpected[:5]})")
    if cfg.lora.enabled:
        model.save_pretrained(os.path.join(out_dir, "adapter"))
        if cfg.export.merge_lora:
            model = model.merge_and_unload()
        else:
            model = model.get_base_model()  # base weights unchanged; the adapter dir holds the training
    dtype = getattr(torch, export_dtype(cfg))
    model = model.to(dtype)
    model.config.use_cache = True  # generation wants the KV cache; training turned it off
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    if tokenizer.bos_token_id is not None:
        model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    with open(os.path.join(out_dir, "octopack_train.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    log.info("exported %s model (%s) to %s", hf_config.model_type, export_dtype(cfg), out_dir)
    return out_dir


def _tied_alias(model, key: str) -> bool:
    """lm_head.weight may be absent from a saved dict when tied to the input embeddings."""
    return key.endswith("lm_head.weight") and bool(getattr(model.config, "tie_word_embeddings", False))

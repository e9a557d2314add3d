"""Typed configuration of a training run (`octopack train --config FILE`).

One YAML file describes data, prompt templates, tokenization/packing, model, optimizer, DeepSpeed,
checkpoints, logging and export. CLI flags (`--data`, `--output`, `--max-steps`) and
`--set section.field=value` override single fields. Prompt templates are data, not code: the shipped
library is `training/configs/templates.yaml` and a config may add or replace entries under
`templates:`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from octopack_spark.config import StorageConfig, build_model, read_yaml_mapping
from octopack_spark.errors import UserFacingError
from octopack_spark.redact import MASK, redact_config
from octopack_spark.yaml_io import load_yaml_file

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
TEMPLATES_FILE = CONFIG_DIR / "templates.yaml"


class TrainConfigError(UserFacingError, ValueError):
    """A training config that cannot be used; the message names the field."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Template(_Section):
    """`prompt` and `answer` are Python format strings over the row's columns plus derived fields
    (`old_contents_numbered`, `new_contents_numbered`, `line_diff`; see training/templates.py).
    The prompt is context (masked from the loss by default); the answer is the target."""

    prompt: str
    answer: str
    description: str = ""


class SourceConfig(_Section):
    """One more instruction source mixed into the CommitPackFT stream (e.g. OASST).

    `path`: dataset root with manifest.json, directory, glob or file; Parquet or JSONL; local or s3://."""

    name: str
    path: str
    template: str
    weight: float = Field(default=1.0, gt=0)
    table: Optional[str] = None  # manifest table; None = the only table, or files found directly


class DataConfig(_Section):
    path: Optional[str] = None  # CommitPackFT root (manifest.json), directory, glob or file; local or s3://
    table: str = "commitpackft"
    template: str = "octocoder"
    weight: float = Field(default=1.0, gt=0)
    # Keep only these values of the `lang` column / partition (None = all).
    languages: Optional[list[str]] = None
    extra_sources: list[SourceConfig] = Field(default_factory=list)
    shuffle: bool = True
    # Row groups tokenized ahead in a background thread (order and results do not depend on it).
    prefetch_units: int = Field(default=1, ge=0)


class TokenizeConfig(_Section):
    seq_len: int = Field(default=2048, ge=8)
    # "answer": loss on the answer tokens only (prompt masked with -100); "all": whole sequence,
    # as in the paper's shipped finetune.sh.
    loss_on: Literal["answer", "all"] = "answer"
    add_eos: bool = True
    # Samples longer than seq_len: cut to seq_len (keeping the start) or drop (counted either way).
    overflow: Literal["truncate", "drop"] = "truncate"


class PackingConfig(_Section):
    # whole: samples are never split; first-fit into `open_bins` partial sequences, the rest padded.
    # split: the paper's ConstantLengthDataset (concatenate, cut every seq_len; pieces continue in the
    #        next sequence), no padding.
    # none:  one sample per sequence, padded (the baseline for the packing benchmark).
    mode: Literal["whole", "split", "none"] = "whole"
    open_bins: int = Field(default=8, ge=1)


class CacheConfig(_Section):
    enabled: bool = True
    # Where tokenized shards go; None = `<data root>/_tokenized` beside the data (local or S3).
    dir: Optional[str] = None


class TokenizerTrainConfig(_Section):
    vocab_size: int = Field(default=1024, ge=260)
    min_frequency: int = Field(default=2, ge=1)
    max_rows: int = Field(default=2000, ge=1)  # rows of the training data the BPE is learned from


class TokenizerConfig(_Section):
    path: Optional[str] = None  # HF tokenizer dir; None = model.name_or_path, else train one locally
    train: TokenizerTrainConfig = Field(default_factory=TokenizerTrainConfig)


class ModelConfig(_Section):
    name_or_path: Optional[str] = None  # pretrained HF dir; None = random init from `arch` + `config`
    arch: Literal["llama", "gpt2"] = "llama"
    config: dict[str, Any] = Field(default_factory=dict)  # HF config fields for random init / overrides
    attn_implementation: Optional[str] = "sdpa"  # sdpa, eager, flash_attention_2
    gradient_checkpointing: bool = False


class LoraConfig(_Section):
    enabled: bool = False
    r: int = Field(default=16, ge=1)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    # None = peft's default for the architecture (c_attn/c_proj for GPT-2/StarCoder, q/v for Llama).
    target_modules: Optional[list[str]] = None


class OptimConfig(_Section):
    lr: float = Field(default=5e-4, gt=0)
    weight_decay: float = Field(default=0.05, ge=0)
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-8
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    warmup_steps: int = Field(default=5, ge=0)
    min_lr_ratio: float = Field(default=0.0, ge=0, le=1)
    grad_clip: float = Field(default=1.0, ge=0)  # 0 = off


class TrainLoopConfig(_Section):
    micro_batch_size: int = Field(default=1, ge=1)
    grad_accum: int = Field(default=4, ge=1)
    max_steps: int = Field(default=30, ge=1)
    # Stop early when every rank has finished this many passes over its shards (None = max_steps only).
    max_epochs: Optional[int] = Field(default=None, ge=1)
    precision: Literal["fp32", "bf16", "fp16"] = "bf16"
    zero_stage: Literal[0, 1, 2, 3] = 2
    offload_optimizer: Literal["none", "cpu"] = "none"
    # Raw DeepSpeed config keys merged last (expert escape hatch).
    deepspeed: dict[str, Any] = Field(default_factory=dict)
    seed: int = 1234


class CheckpointConfig(_Section):
    dir: Optional[str] = None  # default: <output>/checkpoints
    every_steps: int = Field(default=100, ge=1)
    keep_last: int = Field(default=2, ge=1)
    # auto: continue from the latest complete checkpoint when there is one; never: start fresh
    # (refuses a non-empty checkpoint dir); a path/tag: that checkpoint.
    resume: str = "auto"


class LogConfig(_Section):
    every_steps: int = Field(default=1, ge=1)
    csv: bool = True
    tensorboard: bool = False
    progress: bool = True


class MfuConfig(_Section):
    # Peak FLOP/s of one device at the training precision. None: a table of known GPUs, and on CPU a
    # short matmul measurement at start-up (what one rank's cores reach).
    peak_flops: Optional[float] = Field(default=None, gt=0)


class ExportConfig(_Section):
    enabled: bool = True
    dir: Optional[str] = None  # default: <output> itself (config.json, model.safetensors, tokenizer)
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    merge_lora: bool = True


class TrainConfig(_Section):
    output: Optional[str] = None
    data: DataConfig = Field(default_factory=DataConfig)
    templates: dict[str, Template] = Field(default_factory=dict)
    tokenize: TokenizeConfig = Field(default_factory=TokenizeConfig)
    packing: PackingConfig = Field(default_factory=PackingConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    tokenizer: TokenizerConfig = Field(default_factory=TokenizerConfig)
    lora: LoraConfig = Field(default_factory=LoraConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    train: TrainLoopConfig = Field(default_factory=TrainLoopConfig)
    checkpoint: CheckpointConfig = Field(default_factory=CheckpointConfig)
    log: LogConfig = Field(default_factory=LogConfig)
    mfu: MfuConfig = Field(default_factory=MfuConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)

    @model_validator(mode="after")
    def _check(self) -> "TrainConfig":
        for name in [self.data.template] + [s.template for s in self.data.extra_sources]:
            if name not in self.templates:
                raise ValueError(f"template '{name}' is not defined (known: {', '.join(sorted(self.templates))})")
        names = [s.name for s in self.data.extra_sources]
        if "commitpackft" in names or len(set(names)) != len(names):
            raise ValueError("data.extra_sources names must be unique and not 'commitpackft'")
        if self.train.precision == "fp16" and self.train.zero_stage == 0 and self.lora.enabled:
            raise ValueError("fp16 without ZeRO and with LoRA is not supported; use bf16 or zero_stage >= 1")
        return self

    def template(self, name: str) -> Template:
        return self.templates[name]

    def redacted_dict(self) -> dict[str, Any]:
        """JSON-safe dict with secrets masked, for everything a run writes (train_config.yaml, the
        summary, the export's octopack_train.json, checkpoints) and `--dry-run`: secret-looking fields and
        keys anywhere (storage keys, `train.deepspeed` / `model.config` entries such as `api_key`), user
        info and secret query parameters in any URL (`data.path`, endpoints); see octopack_spark/redact.py.
        The access key id is masked too (it names the account)."""
        d = redact_config(json.loads(self.model_dump_json()))
        if d["storage"].get("access_key_id"):
            d["storage"]["access_key_id"] = MASK
        return d

    def secret_patch(self) -> dict[str, Any]:
        """The values `redacted_dict` masks, as a nested mapping of just those leaves (e.g.
        {"storage": {"secret_access_key": "..."}}): what `octopack train --nproc N` hands its ranks through
        the environment instead of writing it into launch_config.yaml."""
        return _diff(json.loads(self.model_dump_json()), self.redacted_dict())

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.redacted_dict(), sort_keys=True).encode()).hexdigest()[:16]


def _diff(real: Any, shown: Any) -> Any:
    """The parts of `real` that differ from `shown` (same shape), or None when they are equal."""
    if isinstance(real, dict) and isinstance(shown, dict):
        out = {}
        for k, v in real.items():
            d = _diff(v, shown.get(k))
            if d is not None:
                out[k] = d
        return out or None
    return None if real == shown else real


def merge_patch(base: dict[str, Any], patch: Optional[dict[str, Any]]) -> dict[str, Any]:
    """`base` with the nested mapping `patch` laid over it (a leaf of the patch replaces the value)."""
    out = dict(base)
    for k, v in (patch or {}).items():
        out[k] = merge_patch(out.get(k) or {}, v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def shipped_templates() -> dict[str, Any]:
    raw = load_yaml_file(TEMPLATES_FILE, "prompt templates", TrainConfigError) or {}
    return dict(raw.get("templates", {}))


def load_train_config(
    path: Optional[str | Path] = None,
    overrides: Optional[dict[str, Any]] = None,
    sets: Optional[list[str]] = None,
    secrets: Optional[dict[str, Any]] = None,
) -> TrainConfig:
    """Load YAML (a path or the name of a shipped config, `--config tiny-cpu`), lay it over the shipped
    templates, then apply `--set a.b=v` strings and `overrides` ({"data.path": ...}, None = not given).
    `secrets`: a nested mapping laid over the file (the values `secret_patch` took out of a launch config)."""
    raw = read_yaml_mapping(path, "training config", CONFIG_DIR, TrainConfigError) if path is not None else {}
    raw = merge_patch(raw, secrets)
    templates = shipped_templates()
    templates.update(raw.get("templates") or {})
    raw["templates"] = templates
    return build_model(TrainConfig, raw, overrides, sets, what="training configuration", source=path,
                       error=TrainConfigError)


def dump_train_config(cfg: TrainConfig) -> str:
    return yaml.safe_dump(cfg.redacted_dict(), sort_keys=False, allow_unicode=True)

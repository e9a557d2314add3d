"""Typed settings for `octopack eval run|score`: generation, scoring (local or Spark) and execution.

One YAML file (evaluation/configs/*.yaml) holds the sections; CLI flags override single fields and
`--set section.field=value` anything. The resolved config is written into the results JSON (`config`), so
a score can be traced to the exact settings that produced it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evaluation.backends.base import SamplingParams
from evaluation.execution.api import ExecConfig
from octopack_spark.config import ConfigError, SparkConfig

CONFIGS_DIR = Path(__file__).resolve().parent / "configs"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class GenerationConfig(_Section):
    template: str = "octocoder"  # built-in name (evaluation/templates) or a .yaml path
    n: int = Field(default=20, ge=1)
    sampling: SamplingParams = Field(default_factory=SamplingParams)
    # Only the first `limit` problems per language (smoke runs); None = all 164.
    limit: Optional[int] = Field(default=None, ge=1)
    # Local models.
    device: str = "auto"
    dtype: str = "auto"
    trust_remote_code: bool = False
    # OpenAI-compatible servers.
    model_name: Optional[str] = None
    http_concurrency: int = Field(default=8, ge=1)
    http_timeout_s: float = Field(default=600.0, gt=0)
    http_max_retries: int = Field(default=5, ge=0)


class ScoringConfig(_Section):
    ks: list[int] = Field(default_factory=lambda: [1, 10, 100])
    # "local": execute on this machine; "spark": partition samples over a Spark cluster's executors.
    engine: Literal["local", "spark"] = "local"
    # Samples per Spark task (one `execute` call); same-language chunks so batched compiles stay effective.
    chunk_size: int = Field(default=64, ge=1)
    # Measure canonical runtimes (per-task timeouts) once on the driver and ship them to executors.
    reference_on_driver: bool = True
    spark: SparkConfig = Field(default_factory=lambda: SparkConfig(app_name="octopack-eval"))


class EvalConfig(_Section):
    # HumanEvalPack: a local folder (<lang>.jsonl) or a hub name; None = $OCTOPACK_HUMANEVALPACK_DIR or the hub.
    data: Optional[str] = None
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    exec: ExecConfig = Field(default_factory=ExecConfig)


def _parse_scalar(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _set_path(d: dict, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    cur = d
    for part in parents:
        nxt = cur.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ConfigError(f"--set {dotted}: '{part}' is not a section")
        cur = nxt
    cur[last] = value


def load_eval_config(path: Optional[str] = None, overrides: Optional[dict[str, Any]] = None,
                     sets: Optional[list[str]] = None) -> EvalConfig:
    """YAML file (a path or a name in evaluation/configs), then `overrides` ({"generation.n": 5}), then --set."""
    raw: dict[str, Any] = {}
    if path:
        p = Path(path)
        if not p.is_file() and (CONFIGS_DIR / f"{path}.yaml").is_file():
            p = CONFIGS_DIR / f"{path}.yaml"
        if not p.is_file():
            raise ConfigError(f"eval config not found: {path} (built-in: "
                              f"{', '.join(sorted(x.stem for x in CONFIGS_DIR.glob('*.yaml')))})")
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"eval config {p} is not valid YAML: {e}") from e
        if not isinstance(raw, dict):
            raise ConfigError(f"eval config {p} must hold a mapping of sections")
    for item in sets or []:
        if "=" not in item:
            raise ConfigError(f"--set expects section.field=value, got {item!r}")
        k, v = item.split("=", 1)
        _set_path(raw, k.strip(), _parse_scalar(v))
    for k, v in (overrides or {}).items():
        if v is not None:
            _set_path(raw, k, v)
    try:
        return EvalConfig.model_validate(raw)
    except ValidationError as e:
        lines = [f"  {'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()]
        raise ConfigError(f"invalid eval configuration{f' in {path}' if path else ''}:\n" + "\n".join(lines)) from None

"""Typed settings for `octopack eval run|score`: generation, scoring (local or Spark) and execution.

One YAML file (evaluation/configs/*.yaml) holds the sections; CLI flags override single fields and
`--set section.field=value` anything. The resolved config is written into the results JSON (`config`), so
a score can be traced to the exact settings that produced it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from evaluation.backends.base import SamplingParams
from evaluation.execution.api import ExecConfig
from octopack_spark.config import SparkConfig, build_model, read_yaml_mapping

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
    # HumanEvalPack: "bundled", a local folder (<lang>.jsonl) or a hub name; None = $OCTOPACK_HUMANEVALPACK_DIR,
    # else the bundled copy (octopack_spark/data/humanevalpack).
    data: Optional[str] = None
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    exec: ExecConfig = Field(default_factory=ExecConfig)


def load_eval_config(path: Optional[str] = None, overrides: Optional[dict[str, Any]] = None,
                     sets: Optional[list[str]] = None) -> EvalConfig:
    """YAML file (a path or a name in evaluation/configs), then --set, then `overrides` ({"generation.n": 5})."""
    raw = read_yaml_mapping(path, "eval config", CONFIGS_DIR) if path else {}
    return build_model(EvalConfig, raw, overrides, sets, what="eval configuration", source=path)

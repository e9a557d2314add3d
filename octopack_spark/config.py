"""Typed configuration shared by the CLI and the spark-submit entry points.

One YAML file holds sections (`spark`, `storage`, `mine`, `ft`); CLI flags override single fields and
`--set section.field=value` overrides anything. The same object drives `octopack mine` and
`spark-submit jobs/mine_commits.py`, so a run is reproducible from the config stored in its manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal, Optional, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from octopack_spark.errors import UserFacingError
from octopack_spark.ft.config import FtConfig
from octopack_spark.redact import MASK, redact_config
from octopack_spark.yaml_io import load_yaml_file, parse_yaml_scalar


class ConfigError(UserFacingError, ValueError):
    """A config file or override that cannot be used; the message says which field and why."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StorageConfig(_Section):
    """Object-storage settings. Unset fields fall back to the standard AWS environment
    (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION /
    AWS_DEFAULT_REGION, AWS_PROFILE) and then to the AWS shared config/credentials files."""

    endpoint_url: Optional[str] = None
    region: Optional[str] = None
    access_key_id: Optional[str] = None
    secret_access_key: Optional[str] = Field(default=None, repr=False)
    session_token: Optional[str] = Field(default=None, repr=False)
    profile: Optional[str] = None
    # None = path-style when a custom endpoint is set (MinIO, moto, Ceph), virtual-host style on AWS.
    path_style: Optional[bool] = None
    # Retries for S3 calls made by boto3/pyarrow (Spark's s3a has its own fs.s3a.attempts.maximum).
    max_attempts: int = 5
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0


class SparkConfig(_Section):
    master: str = "local[*]"
    app_name: str = "octopack-spark"
    # Extra Spark properties, e.g. {"spark.executor.memory": "4g"}.
    conf: dict[str, str] = Field(default_factory=dict)
    # Extra Maven coordinates for spark.jars.packages (hadoop-aws is added automatically for s3a://).
    packages: list[str] = Field(default_factory=list)
    # Ship the octopack_spark package to executors with addPyFile when the master is not local.
    # Set False when executors already have it installed (packed venv via --archives, custom image).
    ship_library: bool = True
    log_level: str = "WARN"


class MineConfig(_Section):
    repos: list[str] = Field(default_factory=list)
    repos_file: Optional[str] = None
    output: Optional[str] = None
    since: Optional[dt.datetime] = None
    until: Optional[dt.datetime] = None
    max_commits: Optional[int] = Field(default=None, ge=1)
    # Files larger than this (bytes, either side) keep their row with contents null.
    max_file_bytes: int = Field(default=1_000_000, ge=1)
    # Commits changing more files keep one metadata-only row per file (no contents, no diff).
    max_files_per_commit: int = Field(default=100, ge=1)
    # Per-repository wall-clock budget; past it the walk stops and the repo is marked partial.
    repo_time_budget_s: float = Field(default=3600.0, gt=0)
    # Clones that transfer more than this many bytes are aborted.
    max_repo_bytes: int = Field(default=2 * 1024**3, ge=1)
    # Local paths (and file:// URLs) must lie under one of these roots; "." = working directory.
    allowed_roots: list[str] = Field(default_factory=lambda: ["."])
    allowed_schemes: list[str] = Field(default_factory=lambda: ["https", "ssh", "git", "file", "local"])
    # Salt for author_id; the default keeps ids stable across runs, set your own to make them unlinkable.
    author_salt: str = "octopack-spark-default-salt"
    include_diff: bool = True
    diff_context_lines: int = Field(default=3, ge=0)
    # Repositories per Spark job; each finished batch is committed, so a killed run resumes from it.
    batch_repos: int = Field(default=64, ge=1)
    # Executor-local scratch (default: SPARK_LOCAL_DIRS or the system temp dir).
    scratch_dir: Optional[str] = None
    # Cache of bare clones of URL sources (default: <scratch>/octopack-clone-cache); a rerun fetches
    # only new objects. Least recently used entries are evicted past the cap. Local paths are read in place.
    clone_cache_dir: Optional[str] = None
    clone_cache_max_bytes: int = Field(default=50 * 1024**3, ge=0)
    # A history longer than this is split into slices of this many commits, mined by separate tasks
    # (rows identical to one walk), so one big repository is not one straggler task.
    commits_per_task: int = Field(default=4000, ge=1)
    # mine exits non-zero when more than this share of the repositories failed entirely.
    max_failed_share: float = Field(default=0.1, ge=0.0, le=1.0)
    # Over-removal guard: `octopack mine` exits non-zero when every mined row was skipped (no contents).
    allow_all_skipped: bool = False
    # Rows per Arrow batch handed back to Spark (bounds executor memory with big files).
    arrow_batch_rows: int = Field(default=512, ge=1)
    arrow_batch_bytes: int = Field(default=32 * 1024**2, ge=1024)
    # Re-mine every repository from scratch instead of only commits new since the last run.
    full_refresh: bool = False
    # Opt-out (octopack_spark/governance/optout.py, docs/governance.md): lists (files or https URLs, one
    # `owner` or `owner/name` a line) and inline entries. An opted-out repository is never cloned or mined,
    # nor is any repository of its fork network (same root commit); its state row says `opted_out`.
    optout_lists: list[str] = Field(default_factory=list)
    optout_owners: list[str] = Field(default_factory=list)
    optout_repos: list[str] = Field(default_factory=list)
    # Also opt out the 44 GitHub logins that opted out of The Stack v1.2 (ft's `optout` rule list).
    optout_stack_logins: bool = True
    # Fork networks (mining/forks.py): repositories sharing a root commit are mined together, each shared
    # commit once, with `repos` listing every member that contains it.
    fork_networks: bool = True
    # commits 1.1 `secrets`: kind and span of each secret found in new_contents and message
    # (governance/secrets_fast.py; docs/governance.md). Off by default: it costs ~4 % of the walk's CPU
    # (measured), over the 3 % budget for mining; off leaves the column null.
    secrets_scan: bool = False

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, v: Optional[dt.datetime]) -> Optional[dt.datetime]:
        if v is not None and v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v


class PipelineConfig(_Section):
    spark: SparkConfig = Field(default_factory=SparkConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    mine: MineConfig = Field(default_factory=MineConfig)
    ft: FtConfig = Field(default_factory=FtConfig)

    def redacted_dict(self) -> dict[str, Any]:
        """JSON-safe dict with secrets masked, for manifests, logs and --print-config: every secret-looking
        field and `spark.conf` key (storage keys, `spark.hadoop.fs.s3a.secret.key`, ...), user info and
        secret query parameters in any URL (endpoint, repository URLs), and the author-id salt
        (`octopack_spark.redact.redact_config`)."""
        d = redact_config(json.loads(self.model_dump_json()))
        d["mine"]["author_salt"] = MASK
        return d

    def config_hash(self) -> str:
        blob = json.dumps(self.redacted_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# Mapping fields whose keys contain dots themselves (`--set spark.conf.spark.driver.memory=8g`).
_DOTTED_KEY_FIELDS = ("spark.conf.",)


def _set_path(d: dict, dotted: str, value: Any, error: type[Exception] = ConfigError) -> None:
    for prefix in _DOTTED_KEY_FIELDS:
        if dotted.startswith(prefix) and len(dotted) > len(prefix):
            cur = d
            for p in prefix.rstrip(".").split("."):
                cur = cur.setdefault(p, {})
                if not isinstance(cur, dict):
                    raise error(f"--set {dotted}: '{p}' is not a section")
            cur[dotted[len(prefix):]] = str(value).lower() if isinstance(value, bool) else str(value)
            return
    parts = dotted.split(".")
    cur = d
    for p in parts[:-1]:
        nxt = cur.setdefault(p, {})
        if not isinstance(nxt, dict):
            raise error(f"--set {dotted}: '{p}' is not a section")
        cur = nxt
    cur[parts[-1]] = value


M = TypeVar("M", bound=BaseModel)


def read_yaml_mapping(
    path: str | os.PathLike,
    what: str = "config",
    search_dir: Optional[Path] = None,
    error: type[Exception] = ConfigError,
    not_mapping: Optional[str] = None,
) -> dict[str, Any]:
    """A YAML file that must hold a mapping (config-like files; read by `yaml_io.load_yaml_file`). A bare name
    ("tiny-cpu") is looked up as `<search_dir>/<name>.yaml`, so shipped configs can be named without their
    path. `not_mapping`: what the error says when the file holds something else ("must map ... to ...")."""
    p = Path(path)
    if not p.is_file() and search_dir is not None:
        for cand in (search_dir / p.name, search_dir / f"{p.name}.yaml"):
            if cand.is_file():
                p = cand
                break
    if not p.is_file():
        shipped = ""
        if search_dir is not None and search_dir.is_dir():
            shipped = f" (shipped: {', '.join(sorted(x.stem for x in search_dir.glob('*.yaml')))})"
        raise error(f"{what} file not found: {path}{shipped}")
    raw = load_yaml_file(p, what, error) or {}
    if not isinstance(raw, dict):
        raise error(f"{what} file {p} {not_mapping or 'must hold a mapping of sections'}, got {type(raw).__name__}")
    return raw


def build_model(
    model: type[M],
    raw: dict[str, Any],
    overrides: Optional[dict[str, Any]] = None,
    sets: Optional[list[str]] = None,
    what: str = "configuration",
    source: Optional[str | os.PathLike] = None,
    error: type[Exception] = ConfigError,
) -> M:
    """Apply `--set a.b=v` strings (YAML scalars) then `overrides` ({"a.b": v}; None = not given) to
    `raw` and validate it as `model`, turning pydantic's errors into one readable message."""
    for item in sets or []:
        if "=" not in item:
            raise error(f"--set expects section.field=value, got {item!r}")
        k, v = item.split("=", 1)
        _set_path(raw, k.strip(), parse_yaml_scalar(v), error)
    for k, v in (overrides or {}).items():
        if v is not None:
            _set_path(raw, k, v, error)
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        lines = [f"  {'.'.join(str(x) for x in err['loc']) or '(top level)'}: {err['msg']}" for err in e.errors()]
        src = f" in {source}" if source else ""
        raise error(f"invalid {what}{src}:\n" + "\n".join(lines)) from None


def load_config(
    path: Optional[str | os.PathLike] = None,
    overrides: Optional[dict[str, Any]] = None,
    sets: Optional[list[str]] = None,
) -> PipelineConfig:
    """Load YAML (optional), apply `--set k=v` strings and `overrides` ({"mine.max_commits": 5})."""
    raw = read_yaml_mapping(path) if path else {}
    return build_model(PipelineConfig, raw, overrides, sets, source=path)


def dump_config(cfg: PipelineConfig, redact: bool = True) -> str:
    """The config as YAML, secrets masked (what `--print-config` prints). `redact=False` gives the complete
    config, secrets included, for code that writes it back for reuse: never print or store that."""
    data = cfg.redacted_dict() if redact else json.loads(cfg.model_dump_json())
    return yaml.safe_dump(data, sort_keys=False)


Engine = Literal["duckdb", "spark"]

"""The execution engine's shared definitions: languages and layouts, the statuses a result can carry, the
request/result records and the config. A leaf of evaluation.execution (it imports nothing of the package),
so the engine, the runners, the verdict rules and the reference-runtime cache can all use it without
importing each other; ``api.py`` re-exports everything here as the public contract.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from octopack_spark.humanevalpack import LANGUAGES

__all__ = [
    "LANGUAGES", "LAYOUTS", "STATUSES", "STATUS_PASSED", "STATUS_COMPILE_ERROR", "STATUS_WRONG_ANSWER",
    "STATUS_RUNTIME_ERROR", "STATUS_TIMEOUT", "STATUS_MEMORY_LIMIT", "STATUS_OUTPUT_LIMIT",
    "STATUS_FILE_SIZE_LIMIT", "STATUS_UNEXPECTED_OUTPUT", "STATUS_EXITED_EARLY", "default_cache_dir",
    "ExecRequest", "ExecResult", "ExecConfig",
]

LAYOUTS: tuple[str, ...] = ("prompt", "decl")

# Every status an ExecResult can carry. Only "passed" has passed=True.
STATUS_PASSED = "passed"
STATUS_COMPILE_ERROR = "compile_error"          # the program (or test) does not compile / parse
STATUS_WRONG_ANSWER = "wrong_answer"            # it ran and a test assertion failed
STATUS_RUNTIME_ERROR = "runtime_error"          # it crashed: exception, panic, signal, non-zero exit
STATUS_TIMEOUT = "timeout"                      # wall-clock or CPU limit (run or compile) reached
STATUS_MEMORY_LIMIT = "memory_limit"            # out of memory under the sandbox's memory limit
STATUS_OUTPUT_LIMIT = "output_limit"            # stdout+stderr went past ExecConfig.max_output_bytes
STATUS_FILE_SIZE_LIMIT = "file_size_limit"      # a file write went past ExecConfig.max_file_size_mb
STATUS_UNEXPECTED_OUTPUT = "unexpected_output"  # JS only: exit 0 but output printed (the harness's rule)
STATUS_EXITED_EARLY = "exited_early"            # exit 0, but the appended test code never reached its end
STATUSES: tuple[str, ...] = (
    STATUS_PASSED, STATUS_COMPILE_ERROR, STATUS_WRONG_ANSWER, STATUS_RUNTIME_ERROR, STATUS_TIMEOUT,
    STATUS_MEMORY_LIMIT, STATUS_OUTPUT_LIMIT, STATUS_FILE_SIZE_LIMIT, STATUS_UNEXPECTED_OUTPUT,
    STATUS_EXITED_EARLY,
)


def default_cache_dir() -> Path:
    """$OCTOPACK_EVAL_CACHE, else $XDG_CACHE_HOME/octopack-spark/eval, else ~/.cache/octopack-spark/eval."""
    env = os.environ.get("OCTOPACK_EVAL_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "octopack-spark" / "eval"


@dataclass(frozen=True)
class ExecRequest:
    language: str      # one of LANGUAGES
    task_id: str       # as in the dataset, e.g. "Python/0", "CPP/12"
    program: str       # prompt_base + completion, as bigcode-evaluation-harness saves post-processed
                       # generations (for canonical checks: prompt + canonical_solution)
    sample_id: int = 0
    layout: str = "prompt"   # "prompt" (prompt + solution) or "decl" (declaration + solution, HumanEvalFix)


@dataclass
class ExecResult:
    task_id: str
    sample_id: int
    language: str
    status: str        # one of STATUSES
    passed: bool
    duration_s: float  # wall time of the run step (compile time is not included)
    detail: str        # capped tail of compiler message / stderr / stdout, or the limit that was hit
    timeout_s: float = 0.0   # the run timeout this sample got (floor/multiplier of the reference runtime)
    compile_s: float = 0.0   # this sample's share of compile time (batched compiles are split evenly)

    def to_dict(self) -> dict:
        return asdict(self)


class ExecConfig(BaseModel):
    """How samples are executed. Every limit applies per sample (memory: per process and per process tree)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Parallel sandboxes on this machine; 0 = os.cpu_count() (each worker gets its own sandbox uid).
    workers: int = Field(default=0, ge=0, le=128)
    # Run timeout = clamp(max(floor, multiplier * reference runtime), floor, cap). The reference runtime is
    # the measured run time of the task's canonical solution on this machine (cached, see below).
    timeout_floor_s: float = Field(default=5.0, gt=0)
    timeout_multiplier: float = Field(default=10.0, ge=1)
    timeout_cap_s: float = Field(default=60.0, gt=0)
    # Used when reference runtimes are neither given nor measured (measure_reference=False).
    default_timeout_s: float = Field(default=10.0, gt=0)
    compile_timeout_s: float = Field(default=120.0, gt=0)
    # Measure each task's canonical runtime once per (dataset hash, language, layout) and cache it as JSON.
    measure_reference: bool = True
    # Pre-measured runtimes (task_id -> seconds), e.g. computed on the Spark driver and shipped to executors.
    reference_runtimes_s: dict[str, float] = Field(default_factory=dict)
    # Limits inside the sandbox.
    memory_limit_mb: int = Field(default=2048, ge=64)        # RLIMIT_DATA per process (+ JVM/V8 heap caps) and the
    # limit of the whole process tree of a run (a memory cgroup per run; watchdog where none can be made)
    max_processes: int = Field(default=256, ge=8)            # RLIMIT_NPROC (threads count) for the sandbox uid
    # Per sample (run step): a pids cgroup bounds its whole process tree to max_processes; a cpu cgroup
    # gives it at most max_cpus cores (CFS quota); None = no CPU limit beyond RLIMIT_CPU.
    max_cpus: Optional[float] = Field(default=1.0, gt=0)
    # Per sample (run step): block I/O its process tree may issue to each disk behind the host's file
    # systems (an io/blkio cgroup: v1 blkio.throttle.*, v2 io.max); None = not limited. Its writable places
    # are tmpfs, so in practice this bounds disk reads (page-cache misses, O_DIRECT) of the files it sees.
    max_io_read_mbps: Optional[float] = Field(default=200.0, gt=0)
    max_io_write_mbps: Optional[float] = Field(default=50.0, gt=0)
    max_io_iops: Optional[int] = Field(default=5000, ge=10)
    max_file_size_mb: int = Field(default=64, ge=1)          # RLIMIT_FSIZE
    # Size of the sample's writable layer over its work dir and of each private /tmp, /var/tmp, /dev/shm
    # (tmpfs): its disk quota.
    work_tmpfs_mb: int = Field(default=64, ge=8)
    max_open_files: int = Field(default=256, ge=16)          # RLIMIT_NOFILE
    max_output_bytes: int = Field(default=1_000_000, ge=1024)  # stdout+stderr; more = output_limit
    detail_chars: int = Field(default=2000, ge=100)          # tail kept in ExecResult.detail
    # Samples compiled together in one compiler invocation (Java, Go, C++ headers); 1 disables batching.
    batch_size: int = Field(default=32, ge=1)
    # JS: the harness counts any output as failure ("unexpected_output"); False = only exit code/asserts.
    js_output_is_failure: bool = True
    # Where toolchain caches (crates, Go modules, js-md5, C++ PCH) and reference runtimes live.
    cache_dir: Optional[str] = None
    # Parent directory for per-sample temp dirs (None = system temp).
    work_root: Optional[str] = None
    # First sandbox uid; slot i of process p uses uid_base + (p % 1000) * 64 + i (no passwd entry needed).
    uid_base: int = Field(default=200_000, ge=1000)
    # Run WITHOUT any sandbox (no namespaces, no sealed file system, no uid switch; rlimits only) where
    # neither root nor unprivileged user namespaces are available. Unsafe for untrusted code; a warning is
    # printed on every run. Also set by OCTOPACK_EXEC_UNSANDBOXED=1.
    unsandboxed: bool = False

    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    def resolved_workers(self) -> int:
        return self.workers or min(os.cpu_count() or 1, 128)

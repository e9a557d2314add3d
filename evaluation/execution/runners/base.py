"""What every language runner shares: the per-chunk context, samples, and the sandboxed compile/run steps.

A *chunk* is a list of samples of one language handled by one worker thread: the runner compiles them
(in one batch where the language allows it) in a build dir as the builder uid, then every sample that
compiled runs in its own fresh run dir as the worker's sandbox uid.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

from evaluation.execution import assemble, contract, sandbox
from evaluation.execution import classify
from evaluation.execution.classify import classify_compile, classify_run
from evaluation.execution.toolchains import Toolchains


@dataclass
class Sample:
    index: int                      # position in the request list
    request: contract.ExecRequest
    problem: Mapping
    source: str                     # assembled file contents
    timeout_s: float
    result: Optional[contract.ExecResult] = None   # set when the sample is decided before running (compile error)
    artifacts: list[tuple[Path, str]] = field(default_factory=list)  # (file in build dir, name in run dir)
    cmd: list[str] = field(default_factory=list)
    compile_s: float = 0.0
    # Set when the source carries the completion check: passing then also needs its marker on fd 3.
    done_token: Optional[str] = None


def _bps(mbps: Optional[float]) -> Optional[int]:
    return None if mbps is None else int(mbps * 1024 * 1024)


@dataclass
class Context:
    config: contract.ExecConfig
    tools: Toolchains
    helper: Path
    run_uid: int
    builder_uid: int
    chunk_dir: Path
    mode: str = ""   # sandbox.MODE_*; "" = root when root, else rootless
    cgroup_slot: Optional[object] = None  # the worker's cgroup.SlotCgroup (run cgroups reused run to run)

    def compile_limits(self) -> sandbox.Limits:
        c = self.config
        return sandbox.Limits(memory_mb=max(4096, c.memory_limit_mb), processes=4096,
                              file_size_mb=max(512, c.max_file_size_mb), open_files=4096, tmpfs_mb=512)

    def run_limits(self, timeout_s: float) -> sandbox.Limits:
        c = self.config
        return sandbox.Limits(memory_mb=c.memory_limit_mb, processes=c.max_processes,
                              file_size_mb=c.max_file_size_mb, open_files=c.max_open_files,
                              cpu_s=int(2 * timeout_s) + 2, tmpfs_mb=c.work_tmpfs_mb,  # backstop; wall time rules
                              tree_memory_mb=c.memory_limit_mb, tree_pids=c.max_processes, cpus=c.max_cpus,
                              io_read_bps=_bps(c.max_io_read_mbps), io_write_bps=_bps(c.max_io_write_mbps),
                              io_iops=c.max_io_iops)

    def new_dir(self, name: str, owner: int) -> Path:
        d = self.chunk_dir / name
        d.mkdir(parents=True)
        sandbox.chown(d, owner)
        os.chmod(d, 0o700)
        return d

    def compile(self, cmd: Sequence[str], workdir: Path, env: Mapping[str, str],
                ro: Sequence[str | Path] = (), rw: Sequence[str | Path] = ()) -> sandbox.Outcome:
        spec = sandbox.SandboxSpec(helper=self.helper, uid=self.builder_uid, workdir=workdir,
                                   limits=self.compile_limits(), ro_paths=[str(p) for p in ro],
                                   rw_paths=[str(p) for p in rw], env=env, mode=self.mode)
        return sandbox.run(spec, cmd, self.config.compile_timeout_s, max_output_bytes=4_000_000)


class Runner:
    """Subclasses set ``language`` and implement ``prepare`` (compile; fill cmd/artifacts or result) and
    ``run_env``/``run_ro`` for the run step."""

    language: str = ""
    batch_compile: bool = False

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        raise NotImplementedError

    def run_env(self, ctx: Context, workdir: Path) -> dict[str, str]:
        return ctx.tools.base_env(workdir)

    def run_ro(self, ctx: Context) -> list[str]:
        return []

    def extra_files(self, sample: Sample, ctx: Context) -> dict[str, str]:
        """name -> text written into the run dir (besides artifacts)."""
        return {}

    # -------------------------------------------------------------- helpers for subclasses
    def compile_failed(self, sample: Sample, ctx: Context, out: sandbox.Outcome, message: str | None = None) -> None:
        status, detail = classify_compile(out, timeout_s=ctx.config.compile_timeout_s,
                                          detail_chars=ctx.config.detail_chars)
        if message is not None and not out.timed_out:
            detail = message[-ctx.config.detail_chars:]
        sample.result = make_result(sample, status, detail, 0.0)

    def take_binary(self, sample: Sample, ctx: Context, out: sandbox.Outcome, build_dir) -> bool:
        """After a sample's own compile to `build_dir/main`: record the binary to run, or the compile failure."""
        sample.compile_s += out.duration_s
        if out.returncode != 0 or not (build_dir / "main").exists():
            self.compile_failed(sample, ctx, out)
            return False
        sample.artifacts = [(build_dir / "main", "main")]
        sample.cmd = ["./main"]
        return True

    # -------------------------------------------------------------- run step
    def run(self, sample: Sample, ctx: Context, run_no: int) -> contract.ExecResult:
        cfg = ctx.config
        workdir = ctx.new_dir(f"run-{run_no}", ctx.run_uid)
        for src, name in sample.artifacts:
            dst = workdir / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            # Artifacts stay owned by the builder uid (read/execute only for the sample): a batch's shared
            # binary is hard-linked into every run dir and must not be changeable by one of them.
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
        for name, text in self.extra_files(sample, ctx).items():
            (workdir / name).write_text(text)
            sandbox.chown(workdir / name, ctx.run_uid)
        spec = sandbox.SandboxSpec(helper=ctx.helper, uid=ctx.run_uid, workdir=workdir,
                                   limits=ctx.run_limits(sample.timeout_s), ro_paths=self.run_ro(ctx),
                                   env=self.run_env(ctx, workdir), completion_fd=sample.done_token is not None,
                                   work_overlay=True, mode=ctx.mode, cgroup_slot=ctx.cgroup_slot)
        out = sandbox.run(spec, sample.cmd, sample.timeout_s, cfg.max_output_bytes)
        status, detail = classify_run(self.language, out, timeout_s=sample.timeout_s,
                                      max_output_bytes=cfg.max_output_bytes, detail_chars=cfg.detail_chars,
                                      js_output_is_failure=cfg.js_output_is_failure)
        if status == contract.STATUS_PASSED and sample.done_token and not assemble.completed(out.completion,
                                                                                          sample.done_token):
            status = contract.STATUS_EXITED_EARLY
            detail = ("exit code 0, but the test code did not run to its end (no completion marker): the "
                      "program exited before or during the tests; " + classify.tail(
                          (out.stderr + "\n" + out.stdout).strip(), cfg.detail_chars - 200))
        status, detail = self.adjust(sample, out, status, detail)
        if out.pids_refused and not status == contract.STATUS_PASSED:
            detail = classify.tail(detail, cfg.detail_chars - 120) + (
                f"\n[sandbox: the sample's process limit ({cfg.max_processes} processes/threads for its whole "
                f"tree, pids cgroup) refused {out.pids_refused} forks]")
        detail = detail.replace(f"{workdir}/", "")  # "main.js:21", not the temp dir's full path
        shutil.rmtree(workdir, ignore_errors=True)
        return make_result(sample, status, detail, out.duration_s)

    def adjust(self, sample: Sample, out: sandbox.Outcome, status: str, detail: str) -> tuple[str, str]:
        """Language-specific second look at a verdict (default: none)."""
        return status, detail


def make_result(sample: Sample, status: str, detail: str, duration_s: float) -> contract.ExecResult:
    r = sample.request
    return contract.ExecResult(task_id=r.task_id, sample_id=r.sample_id, language=r.language, status=status,
                          passed=status == contract.STATUS_PASSED, duration_s=round(duration_s, 4), detail=detail,
                          timeout_s=sample.timeout_s, compile_s=round(sample.compile_s, 4))

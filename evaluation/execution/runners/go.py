"""Go: a chunk becomes one module (go.mod/go.sum from the prepared template, testify from the offline
module cache) with one package per sample (pN/main_test.go); one `go test -c -o bin/ ./p0 ./p1 ...` builds
all test binaries in parallel against the warm build cache (vet runs too, as under `go test`). Packages
that fail to build or vet get compile_error with their own messages; the others' binaries run one by one.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from evaluation.execution.runners.base import Context, Runner, Sample

_HEADER = re.compile(r"^# (?:humaneval/)?(p\d+)\b")
_FAILLINE = re.compile(r"^FAIL\s+humaneval/(p\d+)\s+\[(?:build|setup) failed\]")
_FILELINE = re.compile(r"^(?:\./)?(p\d+)/main_test\.go:")


def ensure_build_cache_owner(ctx: Context) -> None:
    """The build cache must be writable by the builder uid (it is shared by all compiles)."""
    cache = ctx.tools.go_build_cache
    if cache.stat().st_uid == ctx.builder_uid:
        return
    for root, dirs, files in os.walk(cache):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), ctx.builder_uid, ctx.builder_uid)
    os.chown(cache, ctx.builder_uid, ctx.builder_uid)


def messages_by_package(text: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        m = _HEADER.match(line) or _FAILLINE.match(line)
        if m:
            current = m.group(1)
            out.setdefault(current, []).append(line)
            continue
        m = _FILELINE.match(line)
        if m:
            current = m.group(1)
        if current:
            out.setdefault(current, []).append(line)
    return {k: "\n".join(v) for k, v in out.items()}


class GoRunner(Runner):
    language = "go"
    batch_compile = True

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        tools = ctx.tools
        ensure_build_cache_owner(ctx)
        build = ctx.new_dir("build", ctx.builder_uid)
        for name in ("go.mod", "go.sum"):
            shutil.copy(tools.go_template / name, build / name)
        pkgs = []
        for i, s in enumerate(samples):
            d = build / f"p{i}"
            d.mkdir()
            (d / "main_test.go").write_text(s.source)
            pkgs.append(f"./p{i}")
        (build / "bin").mkdir()
        for p in [*build.rglob("*")]:
            os.chown(p, ctx.builder_uid, ctx.builder_uid)
        cmd = [tools.go, "test", "-c", "-o", "bin/", "-ldflags=-s -w", *pkgs]
        res = ctx.compile(cmd, build, tools.go_env(build), ro=[tools.goroot, tools.go_modcache],
                          rw=[tools.go_build_cache])
        share = res.duration_s / max(1, len(samples))
        text = res.stderr + "\n" + res.stdout
        msgs = messages_by_package(text)
        for i, s in enumerate(samples):
            s.compile_s += share
            binary = build / "bin" / f"p{i}.test"
            if binary.exists() and not res.timed_out:
                s.artifacts = [(binary, "main.test")]
                s.cmd = ["./main.test"]
            else:
                self.compile_failed(s, ctx, res, message=msgs.get(f"p{i}") or text)

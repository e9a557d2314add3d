"""Java: one javac for a whole chunk, each sample in its own package (`package sN;` on line 1, so line
numbers do not move); each sample then runs in its own JVM (`java -ea`, Java/151 ends with `assert`), with
start-up flags that cut JVM start time (C1 only, serial GC, no perf data; class data sharing is on by default).

javac attributes errors to files; samples with errors get compile_error with their own messages and the
rest are compiled again without them (a clean batch is needed because javac writes no class files when
any file fails)."""

from __future__ import annotations

import re
from pathlib import Path

from evaluation.execution import sandbox
from evaluation.execution.assemble import JAVA_CHECK_CLASS, java_declares_package
from evaluation.execution.runners.base import Context, Runner, Sample

JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xshare:auto"]
_ERR_FILE = re.compile(r"^(?:\./)?(s\d+)/Main\.java:\d+: error:", re.M)


class JavaRunner(Runner):
    language = "java"
    batch_compile = True

    def _javac(self, ctx: Context, build: Path, files: list[str], out: str):
        cmd = [ctx.tools.javac, "-J-Xmx1g", *[f"-J{f}" for f in JVM_FLAGS], "-encoding", "UTF-8", "-nowarn",
               "-Xmaxerrs", "10000", "-d", out, *files]
        return ctx.compile(cmd, build, ctx.tools.base_env(build))

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        build = ctx.new_dir("build", ctx.builder_uid)
        pending: dict[str, Sample] = {}
        for i, s in enumerate(samples):
            pkg = f"s{i}"
            d = build / pkg
            d.mkdir()
            if java_declares_package(s.source):
                # Cannot be moved into our package: compile it alone, exactly as written.
                self._prepare_single(s, ctx, d)
                continue
            (d / "Main.java").write_text(f"package {pkg}; " + s.source)
            pending[pkg] = s
        for p in build.rglob("*"):
            _chown(p, ctx.builder_uid)
        attempt = 0
        while pending:
            attempt += 1
            out_dir = f"classes{attempt}"
            res = self._javac(ctx, build, [f"{p}/Main.java" for p in pending], out_dir)
            share = res.duration_s / len(pending)
            if res.returncode == 0:
                for pkg, s in pending.items():
                    s.compile_s += share
                    cls = build / out_dir / pkg
                    s.artifacts = [(f, f"{pkg}/{f.name}") for f in sorted(cls.glob("*.class"))]
                    s.cmd = [ctx.tools.java, "-ea", f"-Xmx{self._heap_mb(ctx)}m", *JVM_FLAGS,
                             "-cp", ".", _entry(s, f"{pkg}.Main")]
                return
            text = res.stderr + res.stdout
            bad = set(_ERR_FILE.findall(text)) & set(pending)
            if res.timed_out or not bad or attempt >= 4:
                # Could not attribute the failure: decide each remaining sample on its own.
                for pkg, s in list(pending.items()):
                    self._prepare_single(s, ctx, build / pkg, source=(build / pkg / "Main.java").read_text(),
                                         main_class=f"{pkg}.Main")
                return
            for pkg in bad:
                s = pending.pop(pkg)
                s.compile_s += share
                self.compile_failed(s, ctx, res, message=_messages_for(text, pkg))

    def _heap_mb(self, ctx: Context) -> int:
        return max(64, int(ctx.config.memory_limit_mb * 0.5))

    def _prepare_single(self, s: Sample, ctx: Context, d: Path, source: str | None = None,
                        main_class: str = "Main") -> None:
        single = d / "single"
        single.mkdir(exist_ok=True)
        (single / "Main.java").write_text(source if source is not None else s.source)
        for p in [single, *single.rglob("*")]:
            _chown(p, ctx.builder_uid)
        res = self._javac(ctx, single, ["Main.java"], "classes")
        s.compile_s += res.duration_s
        if res.returncode != 0:
            self.compile_failed(s, ctx, res)
            return
        cls = single / "classes"
        s.artifacts = [(f, str(f.relative_to(cls))) for f in sorted(cls.rglob("*.class"))]
        s.cmd = [ctx.tools.java, "-ea", f"-Xmx{self._heap_mb(ctx)}m", *JVM_FLAGS, "-cp", ".", _entry(s, main_class)]


def _entry(s: Sample, main_class: str) -> str:
    """The class to run: the completion check (which calls Main.main, then writes the marker) when present."""
    if not s.done_token:
        return main_class
    pkg, _, _ = main_class.rpartition(".")
    return f"{pkg}.{JAVA_CHECK_CLASS}" if pkg else JAVA_CHECK_CLASS


def _chown(p: Path, uid: int) -> None:
    sandbox.chown(p, uid)


def _messages_for(text: str, pkg: str) -> str:
    """The javac error blocks of one package's file."""
    keep, on = [], False
    for line in text.splitlines():
        m = re.match(r"^(?:\./)?(s\d+)/Main\.java:\d+: (?:error|warning):", line)
        if m:
            on = m.group(1) == pkg
        elif re.match(r"^\d+ errors?$|^\d+ warnings?$", line):
            on = False
        if on:
            keep.append(line)
    return "\n".join(keep)

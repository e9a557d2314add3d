"""Rust: `rustc --test` against rand 0.4.6 / regex 1 / md5 0.7.0 built once by the setup (debug profile,
like the harness's `cargo test`), so no sample recompiles a crate.

Batching: the samples of a chunk become modules of one crate (`mod s3 { <sample> }`), compiled and linked
once; each sample then runs the shared test binary in its own sandbox with the filter `s3::`, so only its
own tests run. Compile errors are attributed to samples through their line ranges ("--> main.rs:LINE"),
those samples leave the batch and the rest is compiled
again; the samples named in errors, and everything when errors cannot be attributed, are then compiled one
sample at a time, so a compile error and its message are always what the sample gets alone. A run where no
test ran counts as a failure (a sample cannot pass by configuring its tests away).
"""

from __future__ import annotations

import re
from pathlib import Path

from evaluation.execution import contract, sandbox
from evaluation.execution.assemble import rust_check_path
from evaluation.execution.runners.base import Context, Runner, Sample

_LOC = re.compile(r"--> main\.rs:(\d+):(\d+)")
_GUTTER = re.compile(r"^(\s*)(\d+)( \|)", re.M)  # source excerpts: "32 | fn f(..."
MAX_ROUNDS = 4


def rustc_cmd(rustc: str, externs: dict, source: str, output: str) -> list[str]:
    cmd = [rustc, "--edition", "2021", "--test", "--crate-name", "main", "-C", "debuginfo=0", "-A", "warnings",
           "-L", f"dependency={externs['deps_dir']}"]
    for name, path in sorted(externs["crates"].items()):
        cmd += ["--extern", f"{name}={path}"]
    return cmd + [source, "-o", output]


def wrap_modules(sources: dict[str, str]) -> tuple[str, dict[str, tuple[int, int]]]:
    """One crate with a module per sample; returns the text and name -> (first line, last line) of the
    sample's own text (1-based, in the crate file)."""
    parts, ranges, line = [], {}, 1
    for name, src in sources.items():
        if not src.endswith("\n"):
            src += "\n"
        n = src.count("\n")
        parts.append(f"mod {name} {{\n{src}}}\n")
        ranges[name] = (line + 1, line + n)
        line += n + 2
    return "".join(parts), ranges


def split_diagnostics(text: str, ranges: dict[str, tuple[int, int]]) -> tuple[dict[str, str], bool]:
    """Per-sample rustc messages (line numbers mapped back) and whether some error could not be attributed."""
    per: dict[str, list[str]] = {}
    unattributed = False
    for block in re.split(r"\n(?=error|warning)", text):
        if not block.startswith("error"):
            continue
        if block.startswith("error: aborting") or re.match(r"error: could not compile", block):
            continue
        m = _LOC.search(block)
        owner = None
        if m:
            ln = int(m.group(1))
            owner = next((n for n, (a, b) in ranges.items() if a <= ln <= b), None)
        if owner is None:
            unattributed = True
            continue
        first = ranges[owner][0]
        block = _LOC.sub(lambda mm: f"--> main.rs:{int(mm.group(1)) - first + 1}:{mm.group(2)}", block)
        block = _GUTTER.sub(lambda mm: f"{mm.group(1)}{int(mm.group(2)) - first + 1}{mm.group(3)}", block)
        per.setdefault(owner, []).append(block)
    return {k: "\n".join(v) for k, v in per.items()}, unattributed


def _filter(s: Sample, prefix: str) -> list[str]:
    """libtest arguments: only the completion check (it calls the dataset's tests) when the sample has it,
    else every test under ``prefix``."""
    path = rust_check_path(s.problem["test"]) if s.done_token else None
    if path:
        return ["--exact", prefix + path]
    return [prefix] if prefix else []


class RustRunner(Runner):
    language = "rust"
    batch_compile = True

    def _compile(self, ctx: Context, d: Path, text: str):
        tools = ctx.tools
        (d / "main.rs").write_text(text)
        sandbox.chown(d / "main.rs", ctx.builder_uid)
        return ctx.compile(rustc_cmd(tools.rustc, tools.rust_externs, "main.rs", "main"), d, tools.rust_env(d),
                           ro=[tools.rust_sysroot, tools.rust_externs["deps_dir"]])

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        pending = {f"s{i}": s for i, s in enumerate(samples)}
        singles: list[Sample] = []
        if len(pending) > 1:
            for rnd in range(1, MAX_ROUNDS + 1):
                d = ctx.new_dir(f"build-batch{rnd}", ctx.builder_uid)
                text, ranges = wrap_modules({n: s.source for n, s in pending.items()})
                res = self._compile(ctx, d, text)
                share = res.duration_s / len(pending)
                for s in pending.values():
                    s.compile_s += share
                if res.returncode == 0 and (d / "main").exists():
                    for name, s in pending.items():
                        s.artifacts = [(d / "main", "main")]
                        s.cmd = ["./main", *_filter(s, f"{name}::")]
                    pending = {}
                    break
                msgs, _unattributed = split_diagnostics(res.stderr, ranges)
                if res.timed_out or not msgs:
                    break
                # Samples named in the errors are compiled on their own: their verdict and messages are then
                # exactly what they would be alone (e.g. `crate::` paths mean something else inside a module).
                for name in msgs:
                    singles.append(pending.pop(name))
                if not pending:
                    break
        singles += list(pending.values())
        for i, s in enumerate(singles):
            d = ctx.new_dir(f"build-single{i}", ctx.builder_uid)
            res = self._compile(ctx, d, s.source)
            if self.take_binary(s, ctx, res, d):
                s.cmd = ["./main", *_filter(s, "")]

    def adjust(self, sample: Sample, out, status: str, detail: str) -> tuple[str, str]:
        if status == contract.STATUS_PASSED and not re.search(r"test result: ok\. [1-9]\d* passed", out.stdout):
            return contract.STATUS_WRONG_ANSWER, "no test ran: " + out.stdout[-500:]
        return status, detail

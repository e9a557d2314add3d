"""Go: `go test -c` against testify v1.8.0 from the offline module cache and a warm build cache; vet runs as
under `go test`.

Batching: the samples of a chunk are merged into ONE test package (gomerge/main.go suffixes every top-level
name of sample N with `_octoN`, in place, so line numbers stay) and built with one compile and one link;
sample N then runs the shared binary with `-test.run '_octoN$'`, so only its own tests run. Samples that
cannot share a binary safely (init/TestMain, package-level initialisers that call code, //go: directives,
cgo, parse errors) get a package of their own, built in the same `go test -c` invocation. When the merged
package fails to build or vet, the samples named in the errors move to packages of their own and the rest
is built again, so every compile error a sample gets is its own. A run in which no test ran is a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from evaluation.execution import contract, sandbox
from evaluation.execution.assemble import GO_CHECK_TEST
from evaluation.execution.runners.base import Context, Runner, Sample
from evaluation.execution.sandbox import SandboxError
from evaluation.execution.toolchains import Toolchains

MERGED = "m"
MAX_ROUNDS = 3
_HEADER = re.compile(r"^# (?:humaneval/)?(m|p\d+)\b")
_FAILLINE = re.compile(r"^FAIL\s+humaneval/(m|p\d+)\s+\[(?:build|setup) failed\]")
_FILELINE = re.compile(r"^(?:\./)?(?:(p\d+)/main_test\.go|m/(p\d+)_test\.go):")
_SUFFIX = re.compile(r"_octo\d+\b")
_build_lock = threading.Lock()


def _gomerge_source() -> bytes:
    from importlib import resources

    return resources.files("evaluation.execution").joinpath("gomerge/main.go").read_bytes()


def ensure_gomerge(tools: Toolchains) -> Path:
    """Build the gomerge tool into the cache (once per source version; stdlib only, no network)."""
    src = _gomerge_source()
    out = tools.cache_dir / "bin" / f"gomerge-{hashlib.sha256(src).hexdigest()[:16]}"
    if out.exists():
        return out
    with _build_lock:
        if out.exists():
            return out
        work = out.with_name(out.name + f".build{os.getpid()}")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            (work / "main.go").write_bytes(src)
            env = {"PATH": f"{Path(tools.go).parent}:/usr/bin:/bin", "HOME": str(work),
                   "GOCACHE": str(tools.cache_dir / "go" / "tool-build"), "GO111MODULE": "off", "GOFLAGS": "",
                   "GOTOOLCHAIN": "local", "GOTELEMETRY": "off", "CGO_ENABLED": "0", "GOROOT": tools.goroot or ""}
            r = subprocess.run([tools.go, "build", "-o", str(work / "gomerge"), "main.go"], cwd=work, env=env,
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise SandboxError(f"building gomerge failed:\n{r.stderr[-2000:]}")
            os.chmod(work / "gomerge", 0o755)
            os.replace(work / "gomerge", out)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return out


def ensure_build_cache_owner(ctx: Context) -> None:
    """The build cache must be writable by the builder uid (it is shared by all compiles)."""
    cache = ctx.tools.go_build_cache
    if sandbox.rootless() or cache.stat().st_uid == ctx.builder_uid:
        return  # (rootless: every sandbox uid is this user, who owns the cache)
    for root, dirs, files in os.walk(cache):
        for n in dirs + files:
            sandbox.chown(os.path.join(root, n), ctx.builder_uid, follow_symlinks=False)
    sandbox.chown(cache, ctx.builder_uid)


def parse_build_output(text: str) -> tuple[set[str], dict[str, str]]:
    """(packages that failed, sample name -> its error lines). Sample names are pN; the merged package is m."""
    failed: set[str] = set()
    per: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        m = _HEADER.match(line) or _FAILLINE.match(line)
        if m:
            failed.add(m.group(1))
            current = m.group(1) if m.group(1) != MERGED else None
            if current:
                per.setdefault(current, []).append(line)
            continue
        m = _FILELINE.match(line)
        if m:
            current = m.group(1) or m.group(2)
        if current:
            per.setdefault(current, []).append(line)
    return failed, {k: "\n".join(v) for k, v in per.items()}


def clean(text: str) -> str:
    """Messages as the sample wrote them: without the merge suffixes and with its own file name."""
    text = _SUFFIX.sub("", text)
    return re.sub(r"\bm/p\d+_test\.go|\bp\d+/main_test\.go", "main_test.go", text)


def _only_check(s: Sample, suffix: str) -> list[str]:
    """Run only the completion check (it runs the dataset's tests as subtests), when the sample has it."""
    return ["-test.run", f"^{GO_CHECK_TEST}{suffix}$"] if s.done_token else []


class GoRunner(Runner):
    language = "go"
    batch_compile = True

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        tools = ctx.tools
        ensure_build_cache_owner(ctx)
        build = ctx.new_dir("build", ctx.builder_uid)
        for name in ("go.mod", "go.sum"):
            shutil.copy(tools.go_template / name, build / name)
        for sub in ("src", MERGED, "bin"):
            (build / sub).mkdir()
        names = {f"p{i}": s for i, s in enumerate(samples)}
        for name, s in names.items():
            (build / "src" / f"{name}_test.go").write_text(s.source)
        for p in build.rglob("*"):
            sandbox.chown(p, ctx.builder_uid)
        merged = self._merge(ctx, build, names) if len(names) > 1 else set()
        singles = [n for n in names if n not in merged]
        built_singles: set[str] = set()
        for rnd in range(1, MAX_ROUNDS + 1):
            new_singles = [n for n in singles if n not in built_singles]
            for n in new_singles:
                d = build / n
                d.mkdir()
                shutil.copy(build / "src" / f"{n}_test.go", d / "main_test.go")
                sandbox.chown(d, ctx.builder_uid)
                sandbox.chown(d / "main_test.go", ctx.builder_uid)
            pkgs = ([f"./{MERGED}"] if merged else []) + [f"./{n}" for n in new_singles]
            if not pkgs:
                break
            res = ctx.compile([tools.go, "test", "-c", "-o", "bin/", "-ldflags=-s -w", "-gcflags=-e", *pkgs],
                              build, tools.go_env(build), ro=[tools.goroot, tools.go_modcache],
                              rw=[tools.go_build_cache])
            share = res.duration_s / max(1, len(merged) + len(new_singles))
            text = res.stderr + "\n" + res.stdout
            failed_pkgs, msgs = parse_build_output(text)
            for n in new_singles:
                s = names[n]
                s.compile_s += share
                binary = build / "bin" / f"{n}.test"
                if binary.exists() and not res.timed_out:
                    s.artifacts = [(binary, "main.test")]
                    s.cmd = ["./main.test", *_only_check(s, "")]
                else:
                    self.compile_failed(s, ctx, res, message=clean(msgs.get(n) or text))
                built_singles.add(n)
            if not merged:
                break
            binary = build / "bin" / f"{MERGED}.test"
            if binary.exists() and not res.timed_out:
                for n in merged:
                    s = names[n]
                    s.compile_s += share
                    s.artifacts = [(binary, "main.test")]
                    s.cmd = ["./main.test", *(_only_check(s, f"_octo{n[1:]}") or ["-test.run", f"_octo{n[1:]}$"])]
                break
            # The merged package failed: whoever the errors name gets a package of its own; if nobody is
            # named (or in the last round), everyone does.
            blamed = {n for n in msgs if n in merged}
            if not blamed or res.timed_out or rnd == MAX_ROUNDS - 1:
                blamed = set(merged)
            for n in blamed:
                names[n].compile_s += share
            merged -= blamed
            singles += sorted(blamed, key=lambda n: int(n[1:]))
            (build / MERGED).mkdir(exist_ok=True)
            for n in blamed:
                (build / MERGED / f"{n}_test.go").unlink(missing_ok=True)

    def _merge(self, ctx: Context, build: Path, names: dict[str, Sample]) -> set[str]:
        """Run gomerge (sandboxed, as the builder); returns the sample names whose rewritten file is in m/."""
        tool = ensure_gomerge(ctx.tools)
        args = [f"src/{n}_test.go:_octo{n[1:]}" for n in names]
        res = ctx.compile([str(tool), "-out", MERGED, *args], build, ctx.tools.base_env(build), ro=[tool.parent])
        merged = set()
        if res.returncode != 0:
            return merged
        for line in res.stdout.splitlines():
            try:
                rep = json.loads(line)
            except ValueError:
                continue
            name = Path(rep.get("file", "")).name.removesuffix("_test.go")
            if rep.get("mergeable") and name in names and (build / MERGED / f"{name}_test.go").exists():
                merged.add(name)
        return merged

    def adjust(self, sample: Sample, out, status: str, detail: str) -> tuple[str, str]:
        if status == contract.STATUS_PASSED and "no tests to run" in out.stdout + out.stderr:
            return contract.STATUS_WRONG_ANSWER, "no test ran: " + clean(out.stdout[-500:])
        return status, clean(detail)

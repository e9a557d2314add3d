"""Where the language toolchains and their prepared caches live, and the environment each one runs with.

evaluation/setup_toolchains.sh fills the cache dir (default ~/.cache/octopack-spark/eval, or
$OCTOPACK_EVAL_CACHE / ExecConfig.cache_dir):

    bin/octobox-<hash>             sandbox helper (built from octobox.c)
    js/node_modules/js-md5         npm js-md5@0.7.3 (JavaScript/162)
    go/template/{go.mod,go.sum}    module "humaneval" requiring testify v1.8.0 (as the harness's setup)
    go/modcache                    GOMODCACHE with testify and its dependencies (no network at run time)
    go/build                       GOCACHE, warm (stdlib + testify compiled), owned by the builder uid
    rust/deps                      cargo project building rand 0.4.6, regex 1, md5 0.7.0 once (debug)
    rust/externs.json              {"rand": ".../librand-*.rlib", ...} + the -L dependency dir
    cpp/pch/<key>.h(.gch)          precompiled headers of programs' leading #include blocks (built on demand)
    reference/                     measured canonical runtimes (see reference.py)
    stamps/                        setup stamps

Nothing here starts a process at import time; lookups are cached per (cache dir) inside a Toolchains object.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from evaluation.execution.sandbox import SandboxError

BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SETUP_HINT = "run `bash evaluation/setup_toolchains.sh` (or `make setup-eval`)"

GO_TESTIFY_VERSION = "v1.8.0"
RUST_CRATES = {"rand": "=0.4.6", "regex": "1", "md5": "=0.7.0"}
JS_MD5_VERSION = "0.7.3"

CPP_STD = "c++17"


def _which(name: str, extra: tuple[str, ...] = ()) -> Optional[str]:
    for d in extra:
        p = Path(d) / name
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return shutil.which(name)


def _cache_path(*parts: str) -> property:
    """A path under the cache dir (the layout in the module docstring)."""
    return property(lambda self: self.cache_dir.joinpath(*parts))


def _tool(name: str, *extra_dirs: str) -> functools.cached_property:
    """The executable `name` (in extra_dirs first, then on PATH), or None; looked up once per Toolchains."""
    return functools.cached_property(lambda self: _which(name, extra_dirs))


@dataclass
class Toolchains:
    cache_dir: Path

    # ---------- paths ----------
    js_modules = _cache_path("js", "node_modules")
    go_template = _cache_path("go", "template")
    go_modcache = _cache_path("go", "modcache")
    go_build_cache = _cache_path("go", "build")
    rust_deps = _cache_path("rust", "deps")
    rust_externs_file = _cache_path("rust", "externs.json")
    cpp_pch_dir = _cache_path("cpp", "pch")
    reference_dir = _cache_path("reference")

    # ---------- executables ----------
    @functools.cached_property
    def python(self) -> str:
        return sys.executable

    node = _tool("node")
    java = _tool("java")
    javac = _tool("javac")
    go = _tool("go", "/usr/local/go/bin")
    gxx = _tool("g++")

    @functools.cached_property
    def rust_sysroot(self) -> Optional[str]:
        # The rustup proxy needs $HOME/.rustup; the sandbox calls the toolchain's rustc directly.
        rustc = _which("rustc", (str(Path.home() / ".cargo" / "bin"),))
        if not rustc:
            return None
        r = subprocess.run([rustc, "--print", "sysroot"], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None

    @property
    def rustc(self) -> Optional[str]:
        return str(Path(self.rust_sysroot) / "bin" / "rustc") if self.rust_sysroot else None

    @functools.cached_property
    def rust_externs(self) -> dict:
        if not self.rust_externs_file.is_file():
            raise SandboxError(f"Rust crates are not built ({self.rust_externs_file} missing); {SETUP_HINT}")
        return json.loads(self.rust_externs_file.read_text())

    @functools.cached_property
    def goroot(self) -> Optional[str]:
        if not self.go:
            return None
        return str(Path(os.path.realpath(self.go)).parent.parent)

    # ---------- readiness ----------
    def check(self, language: str) -> None:
        """Raise SandboxError naming what is missing for ``language``."""
        missing = []
        if language == "python":
            pass
        elif language == "js":
            if not self.node:
                missing.append("node")
            if not (self.js_modules / "js-md5").is_dir():
                missing.append(f"js-md5 in {self.js_modules}")
        elif language == "java":
            if not (self.java and self.javac):
                missing.append("java/javac (JDK >= 16)")
        elif language == "go":
            if not self.go:
                missing.append("go")
            for p in (self.go_template / "go.sum", self.go_modcache, self.go_build_cache):
                if not p.exists():
                    missing.append(str(p))
        elif language == "cpp":
            if not self.gxx:
                missing.append("g++")
            if not Path("/usr/include/boost/any.hpp").exists():
                missing.append("boost headers (libboost-dev)")
            if not Path("/usr/include/openssl/md5.h").exists():
                missing.append("openssl headers (libssl-dev)")
        elif language == "rust":
            if not self.rustc:
                missing.append("rustc")
            if not self.rust_externs_file.is_file():
                missing.append(str(self.rust_externs_file))
        else:
            raise ValueError(f"unknown language {language!r}")
        if missing:
            raise SandboxError(f"{language} toolchain not ready, missing: {', '.join(missing)}; {SETUP_HINT}")

    # ---------- environments ----------
    def base_env(self, workdir: Path) -> dict[str, str]:
        # Nothing from the host environment leaks in (no credentials, no proxies).
        return {"PATH": BASE_PATH, "HOME": str(workdir), "TMPDIR": "/tmp", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

    def go_env(self, workdir: Path) -> dict[str, str]:
        env = self.base_env(workdir)
        env.update({
            "PATH": f"{Path(self.go).parent}:{BASE_PATH}",
            "GOROOT": self.goroot or "",
            "GOPATH": str(self.cache_dir / "go" / "gopath"),
            "GOMODCACHE": str(self.go_modcache),
            "GOCACHE": str(self.go_build_cache),
            "GOFLAGS": "-mod=mod",
            "GOPROXY": "off",
            "GOSUMDB": "off",
            "GOTOOLCHAIN": "local",
            "GOTELEMETRY": "off",
            "GOENV": "off",
            "CGO_ENABLED": "0",
        })
        return env

    def rust_env(self, workdir: Path) -> dict[str, str]:
        env = self.base_env(workdir)
        env["PATH"] = f"{Path(self.rustc).parent}:{BASE_PATH}"
        return env

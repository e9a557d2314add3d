"""C++: `g++ -std=c++17 main.cpp -o main -lcrypto` (-lcrypto for CPP/162's <openssl/md5.h>; CPP/22 includes
<boost/any.hpp> itself), one compile per sample, the program exactly as written (no include prefix).

Speed: the program's leading `#include <...>` / `using namespace std;` block is precompiled once per distinct
block (cache dir cpp/pch/<key>.h.gch, built in the sandbox, moved into the cache by the engine) and given
with -include, the source keeping that block as blank lines: the same translation unit, line numbers
unchanged, without re-parsing <string>/<vector>/... for every sample of a task."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import threading

from evaluation.execution import sandbox
from evaluation.execution.assemble import cpp_split_preamble
from evaluation.execution.runners.base import Context, Runner, Sample
from evaluation.execution.toolchains import CPP_STD

_pch_locks: dict[str, threading.Lock] = {}
_pch_locks_guard = threading.Lock()


def cpp_compile_cmd(gxx: str, source: str, output: str, include: str | None = None) -> list[str]:
    pre = ["-include", include] if include else []
    return [gxx, f"-std={CPP_STD}", *pre, source, "-o", output, "-lcrypto", *_linker()]


@functools.lru_cache(maxsize=1)
def _linker() -> tuple[str, ...]:
    """gold where installed: the same dynamic executable, linked in about half of ld.bfd's time (ld.bfd
    takes ~100-250 ms per sample with libstdc++ and libcrypto on this machine, a third of a compile)."""
    return ("-fuse-ld=gold",) if shutil.which("ld.gold") else ()


def pch_key(lines: list[str]) -> str:
    return hashlib.sha256((CPP_STD + "\n" + "\n".join(lines)).encode()).hexdigest()[:20]


class CppRunner(Runner):
    language = "cpp"

    def _pch(self, ctx: Context, lines: list[str]) -> str | None:
        """Path of the header to -include (its .gch next to it), building the PCH if needed; None if that fails."""
        cache = ctx.tools.cpp_pch_dir
        key = pch_key(lines)
        header = cache / f"{key}.h"
        gch = cache / f"{key}.h.gch"
        if gch.exists():
            return str(header)
        with _pch_locks_guard:
            lock = _pch_locks.setdefault(key, threading.Lock())
        with lock:
            if gch.exists():
                return str(header)
            d = ctx.new_dir(f"pch-{key}", ctx.builder_uid)
            text = "\n".join(lines) + "\n"
            (d / "pre.h").write_text(text)
            sandbox.chown(d / "pre.h", ctx.builder_uid)
            res = ctx.compile([ctx.tools.gxx, f"-std={CPP_STD}", "-x", "c++-header", "pre.h", "-o", "pre.h.gch"],
                              d, ctx.tools.base_env(d))
            if res.returncode != 0 or not (d / "pre.h.gch").exists():
                return None  # e.g. a header that does not exist: compile the sample as written instead
            cache.mkdir(parents=True, exist_ok=True)
            tmp = f".tmp{os.getpid()}-{threading.get_ident()}"
            header.with_name(header.name + tmp).write_text(text)
            os.replace(header.with_name(header.name + tmp), header)
            os.replace(d / "pre.h.gch", gch.with_name(gch.name + tmp))
            sandbox.chown(gch.with_name(gch.name + tmp), 0)
            os.chmod(gch.with_name(gch.name + tmp), 0o644)
            os.replace(gch.with_name(gch.name + tmp), gch)
            return str(header)

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        tools = ctx.tools
        for i, s in enumerate(samples):
            d = ctx.new_dir(f"build{i}", ctx.builder_uid)
            lines, rest = cpp_split_preamble(s.source)
            include = self._pch(ctx, lines) if lines else None
            (d / "main.cpp").write_text(rest if include else s.source)
            sandbox.chown(d / "main.cpp", ctx.builder_uid)
            res = ctx.compile(cpp_compile_cmd(tools.gxx, "main.cpp", "main", include), d, tools.base_env(d),
                              ro=[tools.cpp_pch_dir] if include else [])
            self.take_binary(s, ctx, res, d)

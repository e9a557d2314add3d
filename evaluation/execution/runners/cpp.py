"""C++: g++ -std=c++17 with the harness's include prefix as a precompiled header (-include), -lcrypto
for CPP/162's <openssl/md5.h>; boost/any.hpp (CPP/22) is in the prefix. One compile per sample."""

from __future__ import annotations

import os

from evaluation.execution.runners.base import Context, Runner, Sample
from evaluation.execution.toolchains import CPP_STD


def cpp_compile_cmd(gxx: str, prefix_header: str, source: str, output: str) -> list[str]:
    return [gxx, f"-std={CPP_STD}", "-include", prefix_header, source, "-o", output, "-lcrypto"]


class CppRunner(Runner):
    language = "cpp"

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        tools = ctx.tools
        header = str(tools.cpp_pch_dir / "octopack_prefix.h")
        for i, s in enumerate(samples):
            d = ctx.new_dir(f"build{i}", ctx.builder_uid)
            (d / "main.cpp").write_text(s.source)
            os.chown(d / "main.cpp", ctx.builder_uid, ctx.builder_uid)
            res = ctx.compile(cpp_compile_cmd(tools.gxx, header, "main.cpp", "main"), d, tools.base_env(d),
                              ro=[tools.cpp_pch_dir])
            s.compile_s += res.duration_s
            if res.returncode != 0 or not (d / "main").exists():
                self.compile_failed(s, ctx, res)
                continue
            s.artifacts = [(d / "main", "main")]
            s.cmd = ["./main"]

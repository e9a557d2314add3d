"""Python: `python -I runner.py main.py`; the runner compiles first so a syntax error is a compile_error."""

from __future__ import annotations

import sys
from pathlib import Path

from evaluation.execution.classify import COMPILE_EXIT, COMPILE_MARKER
from evaluation.execution.runners.base import Context, Runner, Sample

RUNNER = f'''import sys, traceback
path = sys.argv[1]
with open(path, encoding="utf-8") as fh:
    src = fh.read()
try:
    code = compile(src, path, "exec")
except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
    sys.stderr.write("{COMPILE_MARKER}\\n" + traceback.format_exc(limit=0))
    sys.exit({COMPILE_EXIT})
del src
sys.argv = sys.argv[1:]
exec(code, {{"__name__": "__main__", "__file__": path, "__builtins__": __builtins__}})
'''


class PythonRunner(Runner):
    language = "python"

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        py = ctx.tools.python
        for s in samples:
            s.cmd = [py, "-I", "runner.py", "main.py"]

    def extra_files(self, sample: Sample, ctx: Context) -> dict[str, str]:
        return {"main.py": sample.source, "runner.py": RUNNER}

    def run_ro(self, ctx: Context) -> list[str]:
        return sorted({sys.prefix, sys.base_prefix, str(Path(ctx.tools.python).resolve().parent)})

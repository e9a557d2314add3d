"""Python: `python -I -S runner.py main.py`; the runner compiles first so a syntax error is a compile_error.

`-S`: the interpreter does not run `site` at start-up. What `site` would give a program is set up by the
runner instead — the venv's prefix, its site-packages on sys.path (numpy) and the `exit`/`quit`/`help`/
`copyright` builtins — but the `.pth` start-up hooks of the engine's venv are not executed: an editable
install's import finder (pathlib, importlib.util, urllib.parse, ...) and setuptools' distutils shim cost
~27 ms of a ~37 ms interpreter start here, per sample, and point at the checkout, which the sandbox hides
anyway."""

from __future__ import annotations

import site
import sys
from pathlib import Path

from evaluation.execution.classify import COMPILE_EXIT, COMPILE_MARKER
from evaluation.execution.runners.base import Context, Runner, Sample

RUNNER = '''import sys, traceback
if sys.flags.no_site:
    # What site.main() gives a program (prefix, site-packages, builtins), without the .pth hooks.
    sys.prefix, sys.exec_prefix = {prefix!r}, {exec_prefix!r}
    sys.path.extend(p for p in {site_dirs!r} if p not in sys.path)
    import site
    site.setquit()
    site.setcopyright()
    site.sethelper()
path = sys.argv[1]
with open(path, encoding="utf-8") as fh:
    src = fh.read()
try:
    code = compile(src, path, "exec")
except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
    sys.stderr.write("{marker}\\n" + traceback.format_exc(limit=0))
    sys.exit({exit_code})
del src
sys.argv = sys.argv[1:]
exec(code, {{"__name__": "__main__", "__file__": path, "__builtins__": __builtins__}})
'''.format(prefix=sys.prefix, exec_prefix=sys.exec_prefix, marker=COMPILE_MARKER, exit_code=COMPILE_EXIT,
           site_dirs=[p for p in site.getsitepackages() if Path(p).is_dir()])


class PythonRunner(Runner):
    language = "python"

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        py = ctx.tools.python
        for s in samples:
            s.cmd = [py, "-I", "-S", "runner.py", "main.py"]

    def extra_files(self, sample: Sample, ctx: Context) -> dict[str, str]:
        return {"main.py": sample.source, "runner.py": RUNNER}

    def run_ro(self, ctx: Context) -> list[str]:
        return sorted({sys.prefix, sys.base_prefix, str(Path(ctx.tools.python).resolve().parent)})

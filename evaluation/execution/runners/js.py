"""JavaScript: `node runner.js main.js`. The runner parses first (syntax error -> compile_error), then
requires the file. `console.assert` only prints "Assertion failed" and exits 0: classify.py catches it."""

from __future__ import annotations

from evaluation.execution.classify import COMPILE_EXIT, COMPILE_MARKER
from evaluation.execution.runners.base import Context, Runner, Sample

RUNNER = f'''const fs = require("fs"), path = require("path"), vm = require("vm"), Module = require("module");
const file = path.resolve(process.argv[2]);
try {{
  new vm.Script(Module.wrap(fs.readFileSync(file, "utf8")), {{ filename: file }});
}} catch (e) {{
  if (e instanceof SyntaxError) {{
    // The location, the source line and the message; not the runner's own stack frames.
    const text = String(e.stack || e).split("\\n").filter((l) => !l.startsWith("    at ")).join("\\n");
    process.stderr.write("{COMPILE_MARKER}\\n" + text + "\\n");
    process.exit({COMPILE_EXIT});
  }}
  throw e;
}}
process.argv.splice(1, 1);
require(file);
'''


class JsRunner(Runner):
    language = "js"

    def prepare(self, samples: list[Sample], ctx: Context) -> None:
        heap = max(64, int(ctx.config.memory_limit_mb * 0.75))
        for s in samples:
            s.cmd = [ctx.tools.node, f"--max-old-space-size={heap}", "runner.js", "main.js"]

    def extra_files(self, sample: Sample, ctx: Context) -> dict[str, str]:
        return {"main.js": sample.source, "runner.js": RUNNER}

    def run_env(self, ctx: Context, workdir):
        env = ctx.tools.base_env(workdir)
        env["NODE_PATH"] = str(ctx.tools.js_modules)
        return env

    def run_ro(self, ctx: Context) -> list[str]:
        return [str(ctx.tools.js_modules)]

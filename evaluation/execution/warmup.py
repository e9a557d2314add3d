"""`python -m evaluation.execution.warmup [--measure-reference DATA_DIR]`: the Python half of
evaluation/setup_toolchains.sh. Builds the sandbox helper, warms the Go build
cache (as the builder uid, through the sandbox), runs a tiny pass + fail program in every language through
the real engine (so a broken setup fails here, not in the middle of an evaluation), and optionally measures
the reference runtimes of all canonical solutions.
"""

from __future__ import annotations

import argparse
import sys
import time

from evaluation.execution import api, engine, sandbox
from evaluation.execution.assemble import GO_AUTO_IMPORTS
from evaluation.execution.toolchains import Toolchains

_GO_SETUP = 'package main\n\nimport (\n    "testing"\n    "github.com/stretchr/testify/assert"\n)\n'
_GO_WARM = "".join(f"var _ = {p.rsplit('/', 1)[-1]}.{fn}\n" for p, fn in zip(
    GO_AUTO_IMPORTS,
    ["Abs", "ToUpper", "Sprint", "Itoa", "Now", "Equal", "MustCompile", "Ints", "Intn", "Sum", "IsUpper",
     "RuneLen"],
))

# One tiny problem per language that touches the extra libraries (js-md5, testify, boost, openssl, crates).
SELF_CHECK: dict[str, dict] = {
    "python": {
        "task_id": "Python/0", "prompt": "def f(x):\n", "declaration": "def f(x):\n",
        "canonical_solution": "    return x + 1\n", "buggy_solution": "    return x\n", "entry_point": "f",
        "test": "def check(f):\n    assert f(1) == 2\n\ncheck(f)\n",
    },
    "js": {
        "task_id": "JavaScript/0", "prompt": "const f = (x) => {\n", "declaration": "const f = (x) => {\n",
        "canonical_solution": "  return x + 1;\n}\n", "buggy_solution": "  return x;\n}\n", "entry_point": "f",
        "test": "const md5 = require('js-md5');\nconst testF = () => {\n  console.assert(f(1) === 2);\n"
                "  console.assert(md5('') === 'd41d8cd98f00b204e9800998ecf8427e');\n}\ntestF()\n",
    },
    "java": {
        "task_id": "Java/0", "prompt": "import java.util.*;\n\nclass Solution {\n    public int f(int x) {\n",
        "declaration": "import java.util.*;\n\nclass Solution {\n    public int f(int x) {\n",
        "canonical_solution": "        return x + 1;\n    }\n}\n", "buggy_solution": "        return x;\n    }\n}\n",
        "entry_point": "f",
        "test": "public class Main {\n    public static void main(String[] args) {\n"
                "        if (new Solution().f(1) != 2) throw new AssertionError();\n"
                "        Object o = 1;\n        if (!(o instanceof Integer p) || p != 1) throw new AssertionError();\n"
                "    }\n}\n",
    },
    "go": {
        "task_id": "Go/0", "prompt": 'import (\n    "strings"\n)\n\nfunc F(x int) int {\n',
        "declaration": "\nfunc F(x int) int {\n", "import": 'import (\n    "strings"\n)\n',
        "test_setup": _GO_SETUP,
        "canonical_solution": '    return x + 1 + len(strings.TrimSpace(" "))\n}\n' + _GO_WARM,
        "buggy_solution": "    return x\n}\n" + _GO_WARM, "entry_point": "F",
        "test": "func TestF(t *testing.T) {\n    assert := assert.New(t)\n    assert.Equal(2, F(1))\n}\n",
    },
    "cpp": {
        "task_id": "CPP/0",
        "prompt": "#include<vector>\n#include<boost/any.hpp>\n#include<openssl/md5.h>\nusing namespace std;\nint f(int x){\n",
        "declaration": "#include<vector>\n#include<boost/any.hpp>\n#include<openssl/md5.h>\nusing namespace std;\nint f(int x){\n",
        "canonical_solution": "    boost::any a = x;\n    unsigned char d[16];\n"
                              "    MD5((const unsigned char*)\"\", 0, d);\n    return boost::any_cast<int>(a) + 1;\n}\n",
        "buggy_solution": "    return x;\n}\n", "entry_point": "f",
        "test": "#undef NDEBUG\n#include<assert.h>\nint main(){\n    assert (f(1) == 2);\n}\n",
    },
    "rust": {
        "task_id": "Rust/0",
        "prompt": "fn main(){}\n\nuse rand::Rng;\nuse regex::Regex;\nuse md5;\n\nfn f(x: i32) -> i32 {\n",
        "declaration": "\nuse rand::Rng;\nuse regex::Regex;\nuse md5;\n\nfn f(x: i32) -> i32 {\n",
        "canonical_solution": "    x + 1\n}\n", "buggy_solution": "    x\n}\n", "entry_point": "f",
        "test": "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn test_f() {\n"
                "        let mut rng = rand::thread_rng();\n        let k = rng.gen_range(0, 4);\n"
                "        assert!(k < 4);\n        assert!(Regex::new(\"a+\").unwrap().is_match(\"aa\"));\n"
                "        assert_eq!(format!(\"{:x}\", md5::compute(b\"\")), \"d41d8cd98f00b204e9800998ecf8427e\");\n"
                "        assert_eq!(f(1), 2);\n    }\n}\n",
    },
}


def self_check(config: api.ExecConfig) -> None:
    from evaluation.execution.assemble import program_for

    problems = {p["task_id"]: p for p in SELF_CHECK.values()}
    reqs, expect = [], []
    for lang, p in SELF_CHECK.items():
        for field, ok in (("canonical_solution", True), ("buggy_solution", False)):
            reqs.append(api.ExecRequest(language=lang, task_id=p["task_id"], program=program_for(p, field)))
            expect.append(ok)
    t0 = time.monotonic()
    results = engine.run_with_timeouts(reqs, problems, config, [30.0] * len(reqs))
    bad = [(r, e) for r, e in zip(results, expect) if r.passed != e]
    for r, e in bad:
        print(f"self-check FAILED {r.language}: expected {'pass' if e else 'fail'}, got {r.status}\n{r.detail}",
              file=sys.stderr)
    if bad:
        raise SystemExit(1)
    print(f"self-check: {len(results)} programs, all verdicts as expected ({time.monotonic() - t0:.1f} s)",
          file=sys.stderr)


def measure(config: api.ExecConfig, data_dir: str) -> None:
    from evaluation.data import LANGUAGES, load_language, problems_by_id
    from evaluation.execution.reference import reference_runtimes

    for lang in LANGUAGES:
        t0 = time.monotonic()
        rt = reference_runtimes(problems_by_id(load_language(lang, data_dir)), lang, config)
        slowest = max(rt.items(), key=lambda kv: kv[1]) if rt else ("-", 0.0)
        print(f"reference runtimes {lang}: {len(rt)}/164 measured, slowest {slowest[0]} {slowest[1]:.2f} s "
              f"({time.monotonic() - t0:.1f} s)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--measure-reference", metavar="DATA_DIR", help="HumanEvalPack folder to measure")
    args = ap.parse_args(argv)
    # The first Go compile fills the build cache with the standard library and testify (a minute or more).
    config = api.ExecConfig(compile_timeout_s=900)
    sandbox.check_privileges()
    tools = Toolchains(config.resolved_cache_dir())
    sandbox.ensure_helper(tools.cache_dir)
    from evaluation.execution.runners.go import ensure_gomerge

    ensure_gomerge(tools)
    self_check(config)
    if args.measure_reference:
        measure(config, args.measure_reference)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

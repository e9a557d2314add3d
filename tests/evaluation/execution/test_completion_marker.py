"""A sample passes only when the harness-appended test code ran to its end: exiting with status 0 before or
during the tests (sys.exit(0), os._exit(0), process.exit(0), System.exit(0), os.Exit(0), exit(0) in a C++
static initialiser, std::process::exit(0)) is `exited_early`, in single and batched/merged builds, while
the canonical solutions of the same tasks in the same chunk still pass."""

from __future__ import annotations

import pytest

from evaluation.execution import api, assemble, engine

pytestmark = pytest.mark.toolchain

# workers=1: every sample of a language lands in one chunk, so Java/Go/Rust build them as one batch.
CFG = api.ExecConfig(measure_reference=False, workers=1)
TASK = {"python": "Python/0", "js": "JavaScript/0", "java": "Java/0", "go": "Go/0", "cpp": "CPP/0", "rust": "Rust/0"}


def run(probs, language, programs):
    tid = TASK[language]
    reqs = [api.ExecRequest(language, tid, p, sample_id=i) for i, p in enumerate(programs)]
    return engine.run_with_timeouts(reqs, probs, CFG, [20.0] * len(reqs))


def canonical(probs, language):
    return assemble.program_for(probs[TASK[language]])


def early(probs, language, statement, solution="canonical_solution"):
    """The task's prompt, then `statement` as the first statement of the function body, then the solution."""
    p = probs[TASK[language]]
    return p["prompt"] + statement + "\n" + p[solution]


def check(res, n_early):
    """Samples alternate canonical / early exit (canonical first and last)."""
    got = [(r.status, r.detail[:200]) for r in res]
    assert len(res) == 2 * n_early + 1
    for i, r in enumerate(res):
        if i % 2 == 0:
            assert r.status == api.STATUS_PASSED and r.passed, got
        else:
            assert r.status == api.STATUS_EXITED_EARLY and not r.passed, got
            assert "no completion marker" in r.detail, got


def interleave(probs, language, bad):
    out = [canonical(probs, language)]
    for b in bad:
        out += [b, canonical(probs, language)]
    return out


def test_python_exits_before_the_tests(probs):
    bad = [early(probs, "python", "    import os; os._exit(0)"),
           early(probs, "python", "    raise SystemExit(0)"),
           early(probs, "python", "    import sys; sys.exit(0)"),
           # exit at import time, before the test code is even defined
           "import sys\nsys.exit(0)\n" + canonical(probs, "python"),
           # a forged marker with a guessed token, on stdout and on the completion channel
           early(probs, "python", "    import os; print('OCTOPACK_DONE 0'); os.write(3, b'OCTOPACK_DONE 0\\n'); "
                                  "os._exit(0)")]
    check(run(probs, "python", interleave(probs, "python", bad)), len(bad))


def test_python_exit_in_a_buggy_solution_is_not_a_pass(probs):
    [r] = run(probs, "python", [early(probs, "python", "    import os; os._exit(0)", "buggy_solution")])
    assert r.status == api.STATUS_EXITED_EARLY and not r.passed


def test_js_process_exit_before_the_tests(probs):
    bad = [early(probs, "js", "  process.exit(0)"),
           "process.exit(0)\n" + canonical(probs, "js"),
           early(probs, "js", "  process.reallyExit(0)")]
    check(run(probs, "js", interleave(probs, "js", bad)), len(bad))


def test_java_system_exit_in_a_batch(probs):
    bad = [early(probs, "java", "        System.exit(0);"),
           early(probs, "java", "        Runtime.getRuntime().halt(0);"),
           # a static initialiser of the solution class: runs when the test creates the first Solution
           canonical(probs, "java").replace("class Solution {", "class Solution {\n    static { System.exit(0); }", 1)]
    assert "static { System.exit(0); }" in bad[2]
    check(run(probs, "java", interleave(probs, "java", bad)), len(bad))


def test_go_os_exit_in_a_merged_build_and_in_test_main(probs):
    bad = ['import "os"\n' + early(probs, "go", "    os.Exit(0)"),
           # TestMain makes the sample unmergeable (own package); it exits 0 without running any test
           'import "os"\n' + canonical(probs, "go") + "\nfunc TestMain(m *testing.M) { os.Exit(0) }\n",
           # a package-level initialiser that exits (own package too)
           'import "os"\n' + canonical(probs, "go") + "\nvar octoEarly = func() int { os.Exit(0); return 0 }()\n"]
    check(run(probs, "go", interleave(probs, "go", bad)), len(bad))


def test_cpp_exit_in_a_static_initialiser_and_in_the_function(probs):
    bad = [canonical(probs, "cpp") + "\n#include <cstdlib>\nstatic int octo_early = (std::exit(0), 0);\n",
           "#include <cstdlib>\n" + early(probs, "cpp", "    std::exit(0);"),
           "#include <cstdlib>\n" + early(probs, "cpp", "    std::quick_exit(0);"),
           "#include <unistd.h>\n" + early(probs, "cpp", "    _exit(0);")]
    check(run(probs, "cpp", interleave(probs, "cpp", bad)), len(bad))


def test_rust_process_exit_in_a_batched_crate(probs):
    bad = [early(probs, "rust", "    std::process::exit(0);"),
           early(probs, "rust", "    unsafe { libc_exit(0) }\n    extern \"C\" { #[link_name = \"_exit\"] fn libc_exit(c: i32) -> !; }")]
    check(run(probs, "rust", interleave(probs, "rust", bad)), len(bad))


def test_the_marker_differs_per_run(probs):
    p = probs["Python/0"]
    s1 = engine._sample(0, api.ExecRequest("python", "Python/0", canonical(probs, "python")), p, 5.0)
    s2 = engine._sample(0, api.ExecRequest("python", "Python/0", canonical(probs, "python")), p, 5.0)
    assert s1.done_token and s2.done_token and s1.done_token != s2.done_token
    assert len(s1.done_token) == 32 and s1.done_token in s1.source and s1.done_token not in s2.source

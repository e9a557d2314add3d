"""Go and Rust chunks are built as one package/crate: samples must not see or disturb each other, and what
cannot be merged safely is built on its own with the same verdict it would get alone."""

from __future__ import annotations

import pytest

from evaluation.execution import api, engine

pytestmark = pytest.mark.toolchain

CFG = api.ExecConfig(measure_reference=False, workers=1)
GO_SETUP = 'package main\n\nimport (\n    "testing"\n    "github.com/stretchr/testify/assert"\n)\n'
GO_TEST = "func TestF(t *testing.T) {\n    assert.Equal(t, 3, F(1))\n}\n"


def go_problem(test=GO_TEST):
    return {"task_id": "Go/0", "prompt": "", "declaration": "", "canonical_solution": "", "buggy_solution": "",
            "entry_point": "F", "test_setup": GO_SETUP, "import": "", "test": test}


def run_go(programs, test=GO_TEST):
    probs = {"Go/0": go_problem(test)}
    reqs = [api.ExecRequest("go", "Go/0", p, sample_id=i) for i, p in enumerate(programs)]
    return engine.run_with_timeouts(reqs, probs, CFG, [10.0] * len(reqs))


def test_go_same_names_in_every_sample_and_one_wrong():
    # All samples of one task define the same names; each must see only its own F and helper.
    progs = [f"func helper() int {{ return {k} }}\nfunc F(x int) int {{ return x + helper() }}\n" for k in (2, 2, 5, 2)]
    res = run_go(progs)
    assert [r.passed for r in res] == [True, True, False, True]
    assert res[2].status == api.STATUS_WRONG_ANSWER and "_octo" not in res[2].detail


def test_go_unmergeable_samples_get_their_own_package_and_the_same_verdicts():
    progs = [
        "func F(x int) int { return x + 2 }\n",
        # init() would run inside every other sample's test binary: built alone.
        "var base int\nfunc init() { base = 2 }\nfunc F(x int) int { return x + base }\n",
        # A package-level initialiser that calls code: built alone.
        "var base = two()\nfunc two() int { return 2 }\nfunc F(x int) int { return x + base }\n",
        # TestMain would take over the merged binary: built alone (and its tests still run).
        "func TestMain(m *testing.M) { m.Run() }\nfunc F(x int) int { return x + 2 }\n",
        "func F(x int) int { return x }\n",
    ]
    res = run_go(progs)
    assert [r.passed for r in res] == [True, True, True, True, False], [(r.status, r.detail) for r in res]


def test_go_build_error_caused_by_merging_falls_back_to_a_single_build():
    # `Name` is both a top-level func and a struct field key: the merge renames the key too, the merged
    # build fails on this sample, which is then built on its own and passes.
    progs = [
        "func F(x int) int { return x + 2 }\n",
        "type P struct{ Name int }\nfunc Name() int { return 2 }\nfunc F(x int) int { p := P{Name: Name()}; return x + p.Name }\n",
        "func F(x int) int { return x + 2 }\n",
    ]
    res = run_go(progs)
    assert [r.passed for r in res] == [True, True, True], [(r.status, r.detail) for r in res]


def test_go_compile_errors_are_the_samples_own():
    progs = ["func F(x int) int { return x + 2 }\n", "func F(x int) int { return y }\n",
             "func F(x int) int { return x + 2 }\n"]
    res = run_go(progs)
    assert [r.status for r in res] == [api.STATUS_PASSED, api.STATUS_COMPILE_ERROR, api.STATUS_PASSED]
    assert "undefined: y" in res[1].detail and "_octo" not in res[1].detail


def test_go_sample_without_tests_does_not_pass():
    res = run_go(["func F(x int) int { return x + 2 }\n"] * 2,
                 test="func testF(t *testing.T) {\n    assert.Equal(t, 3, F(1))\n}\n")
    assert all(r.status in (api.STATUS_WRONG_ANSWER, api.STATUS_COMPILE_ERROR) for r in res), res
    assert not any(r.passed for r in res)


RUST_TEST = "#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn t() { assert_eq!(f(1), 3); }\n}\n"


def run_rust(programs):
    probs = {"Rust/0": {"task_id": "Rust/0", "prompt": "", "declaration": "use rand::Rng;\n",
                        "canonical_solution": "", "buggy_solution": "", "entry_point": "f", "test": RUST_TEST}}
    reqs = [api.ExecRequest("rust", "Rust/0", p, sample_id=i) for i, p in enumerate(programs)]
    return engine.run_with_timeouts(reqs, probs, CFG, [10.0] * len(reqs))


def test_rust_modules_keep_samples_apart_and_errors_their_own():
    progs = [
        "fn main(){}\nfn helper() -> i32 { 2 }\nfn f(x: i32) -> i32 { x + helper() }\n",
        "fn main(){}\nfn helper() -> i32 { 5 }\nfn f(x: i32) -> i32 { x + helper() }\n",
        "fn main(){}\nfn f(x: i32) -> i32 { x + undefined_helper() }\n",
        "fn main(){}\nfn f(x: i32) -> i32 { x + 2 }\n",
    ]
    res = run_rust(progs)
    assert [r.status for r in res] == [api.STATUS_PASSED, api.STATUS_WRONG_ANSWER, api.STATUS_COMPILE_ERROR,
                                       api.STATUS_PASSED], [(r.status, r.detail) for r in res]
    # Line numbers are the sample's own (its file starts with the added `use rand::Rng;`).
    assert "undefined_helper" in res[2].detail and "--> main.rs:3:" in res[2].detail
    assert "\n3 | fn f(x: i32)" in res[2].detail


def test_rust_sample_that_removes_its_tests_does_not_pass():
    # An inner attribute that compiles the sample's module (and so its tests) away under `--test`.
    progs = ["#![cfg(not(test))]\nfn main(){}\nfn f(x: i32) -> i32 { x }\n", "fn main(){}\nfn f(x: i32) -> i32 { x + 2 }\n"]
    res = run_rust(progs)
    assert not res[0].passed and res[1].passed, [(r.status, r.detail) for r in res]


def test_rust_sample_that_only_compiles_alone_gets_its_own_build():
    # Inside the batch crate `crate::` is the crate root, not the sample: the batch build fails on this
    # sample, which is then compiled alone, where it is correct.
    progs = ["fn main(){}\nfn f(x: i32) -> i32 { x + 2 }\n",
             "fn main(){}\nfn two() -> i32 { 2 }\nfn f(x: i32) -> i32 { x + crate::two() }\n",
             "fn main(){}\nfn f(x: i32) -> i32 { x + 2 }\n"]
    res = run_rust(progs)
    assert [r.passed for r in res] == [True, True, True], [(r.status, r.detail) for r in res]

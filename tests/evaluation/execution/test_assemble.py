"""evaluation/execution/assemble.py: per-language program assembly (pure, no toolchains)."""

from __future__ import annotations

import pytest

from evaluation.data import load_language, problems_by_id
from evaluation.execution import assemble


@pytest.fixture(scope="module")
def go(humanevalpack_dir):
    return problems_by_id(load_language("go", humanevalpack_dir))


@pytest.fixture(scope="module")
def rust(humanevalpack_dir):
    return problems_by_id(load_language("rust", humanevalpack_dir))


def _import_block(src: str) -> set[str]:
    """Packages of the import block that follows test_setup's."""
    blocks = assemble._go_imports_of(src)
    return {p for _, p in blocks} - {"testing", "github.com/stretchr/testify/assert"}


def test_go_adds_imports_the_dataset_field_lacks(go):
    # Go/17 uses strings and Go/20 math and sort, while their `import` field is empty.
    assert go["Go/17"]["import"] == "" and go["Go/20"]["import"] == ""
    assert _import_block(assemble.go_source(assemble.program_for(go["Go/17"]), go["Go/17"])) == {"strings"}
    assert _import_block(assemble.go_source(assemble.program_for(go["Go/20"]), go["Go/20"])) == {"math", "sort"}


def test_go_import_comes_from_the_test_too_and_unused_ones_are_dropped(go):
    p = go["Go/32"]
    src = assemble.go_source(assemble.program_for(p), p)
    # Go/32's own test_setup already imports math and math/rand (used by its test): nothing is added twice.
    assert '"math/rand"' in p["test_setup"] and src.count('"math"') == 1 and src.count('"math/rand"') == 1
    assert src.startswith(p["test_setup"].rstrip("\n"))
    # The import field's block is gone from the body: exactly one "package" and the body keeps Poly.
    assert src.count("package main") == 1 and "func Poly(" in src
    # A solution that no longer uses the field's import must not import it (Go rejects unused imports).
    setup = 'package main\n\nimport (\n    "testing"\n)\n'
    prob = dict(p, test="func TestF(t *testing.T) {}\n", test_setup=setup)
    prog = prob["prompt"].replace("math.Pow(x,float64(i))", "1.0") + "return 0.0\n}\n"
    assert "math." in prob["prompt"] and _import_block(assemble.go_source(prog, prob)) == set()


def test_go_ignores_comments_when_deciding_imports():
    prob = {"task_id": "Go/0", "test_setup": "package main\n\nimport (\n    \"testing\"\n)\n", "import": "",
            "test": "func TestF(t *testing.T) {}\n"}
    prog = "// returns a list of strings. see fmt.Println\n/* sort.Ints */\nfunc F() int {\n    return 1\n}\n"
    assert _import_block(assemble.go_source(prog, prob)) == set()
    prog2 = "import \"os\"\nimport m \"math\"\nfunc F() float64 {\n    return m.Sqrt(4) + float64(len(strings.Fields(\"a\")))\n}\n"
    src = assemble.go_source(prog2, prob)
    assert 'm "math"' in src and '"strings"' in src and '"os"' not in src


def test_rust_adds_missing_use_lines_and_cuts_a_second_main(rust):
    p = rust["Rust/0"]
    gen = "fn main(){}\nfn has_close_elements(numbers:Vec<f32>, threshold: f32) -> bool{\n    false\n}\n" \
          "fn main() { println!(\"x\"); }\nfn junk() {}\n"
    src = assemble.rust_source(gen, p)
    assert src.count("fn main") == 1 and "junk" not in src
    for line in ("use rand::Rng;", "use regex::Regex;", "use md5;"):
        assert line in src.splitlines()
    assert src.rstrip().endswith(p["test"].rstrip())
    # Nothing is added when the program already has the lines (the prompt layout).
    full = assemble.program_for(p)
    assert assemble.rust_source(full, p) == full + "\n" + p["test"] + "\n"


def test_program_for_layouts(rust):
    p = rust["Rust/3"]
    assert assemble.program_for(p, "buggy_solution") == p["prompt"] + p["buggy_solution"]
    assert assemble.program_for(p, layout="decl") == "fn main(){}\n" + p["declaration"] + p["canonical_solution"]


def test_python_prefix_and_numpy_only_when_used():
    prob = {"test": "def check(f):\n    assert f() == 1\ncheck(f)\n"}
    src = assemble.python_source("def f():\n    return 1\n", prob)
    assert src.startswith(assemble.PY_PREFIX) and "numpy" not in src
    assert "import numpy as np" in assemble.python_source("def f():\n    return int(np.sum([1]))\n", prob)


def test_java_package_detection():
    assert assemble.java_declares_package("package foo.bar;\nclass Solution {}")
    assert not assemble.java_declares_package("import java.util.*;\n// package x;\nclass Solution {}")


def test_cpp_preamble_split_keeps_the_translation_unit_and_line_numbers(humanevalpack_dir):
    rows = problems_by_id(load_language("cpp", humanevalpack_dir))
    src = assemble.cpp_source(assemble.program_for(rows["CPP/23"]), rows["CPP/23"])
    lines, rest = assemble.cpp_split_preamble(src)
    # CPP/23 starts with its docstring comment, then the includes.
    assert lines == ["#include<stdio.h>", "#include<string>", "using namespace std;"]
    assert rest.count("\n") == src.count("\n")
    assert rest.splitlines()[len(src.splitlines()) - 5:] == src.splitlines()[len(src.splitlines()) - 5:]
    assert "#include<string>" not in rest and "int strlen(string str){" in rest
    assert rest.split("\n").index("int strlen(string str){") == src.split("\n").index("int strlen(string str){")
    # Nothing is precompiled when the program does not start with plain includes.
    assert assemble.cpp_split_preamble("#define X 1\n#include<vector>\nint main(){}\n") == \
        ([], "#define X 1\n#include<vector>\nint main(){}\n")
    assert assemble.cpp_split_preamble('#include "local.h"\nint main(){}\n')[0] == []
    assert assemble.cpp_split_preamble("/* a */ int x;\n#include<vector>\n")[0] == []


def test_cpp_has_no_include_prefix(humanevalpack_dir):
    # The harness's prefix (with <cstring>) would let buggy CPP/23 pass: strlen("x") resolves to C's strlen.
    rows = problems_by_id(load_language("cpp", humanevalpack_dir))
    p = rows["CPP/23"]
    assert assemble.cpp_source("X", p) == "X\n" + p["test"] + "\n"

"""Turn (program, dataset row) into the source file that is compiled/run, per language. Pure functions.

``program`` is what bigcode-evaluation-harness stores as a post-processed generation: the prompt base
(``prompt`` for the "prompt" layout, ``declaration`` for the HumanEvalFix "decl" layout; Rust's decl base is
``fn main(){}\\n`` + declaration) followed by the completion. The test is appended here, with the fixes the
original execution code applies (Go imports, Rust ``use`` lines and a second ``fn main``).
"""

from __future__ import annotations

import re
from typing import Mapping

# The harness prepends these to every Python program (numpy only when the program refers to it: importing it
# costs ~0.1 s per sample, and the dataset's own code never needs it).
PY_PREFIX = (
    "import math, re, sys, copy, datetime, itertools, collections, heapq, statistics, functools, hashlib, string\n"
    "from typing import *\n"
    "from collections import *\n"
)
PY_NUMPY_PREFIX = "import numpy\nimport numpy as np\n"

# Go packages that may be added when the code uses them (harness list of 10 plus unicode, unicode/utf8).
GO_AUTO_IMPORTS = (
    "math", "strings", "fmt", "strconv", "time", "bytes", "regexp", "sort", "math/rand", "crypto/md5",
    "unicode", "unicode/utf8",
)


def program_for(problem: Mapping, solution_field: str = "canonical_solution", layout: str = "prompt") -> str:
    """The program the harness would score for a dataset solution (canonical or buggy)."""
    lang_is_rust = problem["task_id"].startswith("Rust/")
    base = problem["prompt"] if layout == "prompt" else problem["declaration"]
    if layout == "decl" and lang_is_rust:
        base = "fn main(){}\n" + base
    return base + problem[solution_field]


# ---------------------------------------------------------------- python / js / java / cpp
def python_source(program: str, problem: Mapping) -> str:
    prefix = PY_PREFIX
    if re.search(r"\bnp\.|\bnumpy\b", program):
        prefix += PY_NUMPY_PREFIX
    return prefix + program + "\n" + problem["test"] + "\n"


def js_source(program: str, problem: Mapping) -> str:
    return program + "\n" + problem["test"] + "\n"


def java_source(program: str, problem: Mapping) -> str:
    return program + "\n" + problem["test"] + "\n"


def java_declares_package(source: str) -> bool:
    return re.search(r"^\s*package\s+[\w.]+\s*;", source, re.M) is not None


def cpp_source(program: str, problem: Mapping) -> str:
    # No include prefix: the harness's (which has <cstring> and friends) makes ::strlen visible, and then
    # buggy CPP/23 (`int strlen(string)` off by one) passes because strlen("x") picks the C function.
    return program + "\n" + problem["test"] + "\n"


_CPP_SAFE_LINE = re.compile(r"#include\s*<[A-Za-z0-9_./+-]+>|using\s+namespace\s+std\s*;")


def cpp_split_preamble(source: str) -> tuple[list[str], str]:
    """The leading block of `#include <...>` / `using namespace std;` lines (comments and blank lines may sit
    between them), and the source with that block blanked out, line for line. Compiling
    `-include <header of those lines>` + rest is the same translation unit as the source, and the header
    can be precompiled once for every program that starts the same way (all samples of a task)."""
    lines = source.split("\n")
    kept: list[str] = []
    n = 0
    in_comment = False
    for line in lines:
        s = line.strip()
        if in_comment:
            in_comment = "*/" not in s
        elif s.startswith("/*"):
            in_comment = "*/" not in s[2:]
            if not in_comment and not s.endswith("*/"):
                break  # code after a one-line comment
        elif s == "" or s.startswith("//"):
            pass
        elif _CPP_SAFE_LINE.fullmatch(s):
            kept.append(s)
        else:
            break
        n += 1
    if not kept or in_comment:
        return [], source
    return kept, "\n" * n + "\n".join(lines[n:])


# ---------------------------------------------------------------- go
_GO_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_GO_IMPORT_BLOCK = re.compile(r"^[ \t]*import[ \t]*\((.*?)\)[ \t]*;?[ \t]*$\n?", re.S | re.M)
_GO_IMPORT_LINE = re.compile(r"^[ \t]*import[ \t]+((?:[\w.]+[ \t]+)?\"[^\"]+\")[ \t]*;?[ \t]*$\n?", re.M)
_GO_SPEC = re.compile(r"(?:([\w.]+)[ \t]+)?\"([^\"]+)\"")
_GO_PACKAGE = re.compile(r"^[ \t]*package[ \t]+\w+[ \t]*;?[ \t]*$\n?", re.M)


def go_strip_comments(code: str) -> str:
    return _GO_COMMENT.sub("", code)


def _go_imports_of(text: str) -> list[tuple[str | None, str]]:
    specs = []
    for m in _GO_IMPORT_BLOCK.finditer(text):
        specs += [(a, p) for a, p in _GO_SPEC.findall(go_strip_comments(m.group(1)))]
    for m in _GO_IMPORT_LINE.finditer(text):
        specs += [(a, p) for a, p in _GO_SPEC.findall(m.group(1))]
    return [(a or None, p) for a, p in specs]


def go_source(program: str, problem: Mapping) -> str:
    """test_setup (package main + testing/testify imports) + one import block with the packages the code
    really uses + program without its package/import declarations + test.

    Go rejects unused imports and the dataset's `import` field is incomplete (Go/17 uses strings, Go/20 math
    and sort with an empty field), so imports are derived from use: a package is imported when
    `name.` appears in the code outside comments. Candidates: the program's own imports, the `import` field
    and GO_AUTO_IMPORTS."""
    setup = problem.get("test_setup") or "package main\n\nimport (\n    \"testing\"\n    \"github.com/stretchr/testify/assert\"\n)\n"
    test = problem["test"]
    declared = _go_imports_of(program) + _go_imports_of(problem.get("import") or "")
    body = _GO_IMPORT_BLOCK.sub("", program)
    body = _GO_IMPORT_LINE.sub("", body)
    body = _GO_PACKAGE.sub("", body)
    have = {p for _, p in _go_imports_of(setup)}
    code = go_strip_comments(body + "\n" + test)
    wanted: list[tuple[str | None, str]] = []
    seen: set[str] = set()
    for alias, path in declared + [(None, p) for p in GO_AUTO_IMPORTS]:
        if path in have or path in seen:
            continue
        name = alias or path.rsplit("/", 1)[-1]
        if name == "_" or re.search(rf"(?<![\w.]){re.escape(name)}\.", code):
            wanted.append((alias, path))
            seen.add(path)
    block = ""
    if wanted:
        block = "import (\n" + "".join(f"    {a + ' ' if a else ''}\"{p}\"\n" for a, p in wanted) + ")\n"
    return setup.rstrip("\n") + "\n\n" + block + "\n" + body + "\n" + test + "\n"


# ---------------------------------------------------------------- rust
_RUST_MAIN = re.compile(r"\bfn\s+main\s*\(")


def rust_source(program: str, problem: Mapping) -> str:
    """program (+ missing `use` lines of the declaration) + test; a second `fn main` and what follows is cut,
    as the harness does (models often re-emit the prompt's `fn main(){}`)."""
    mains = list(_RUST_MAIN.finditer(program))
    if len(mains) >= 2:
        program = program[: mains[1].start()]
    present = {l.strip() for l in program.splitlines()}
    missing = [l.strip() for l in problem["declaration"].splitlines()
               if l.strip().startswith("use ") and l.strip() not in present]
    prefix = "".join(l + "\n" for l in missing)
    return prefix + program + "\n" + problem["test"] + "\n"


SOURCE_BUILDERS = {
    "python": python_source,
    "js": js_source,
    "java": java_source,
    "go": go_source,
    "cpp": cpp_source,
    "rust": rust_source,
}


def assemble(language: str, program: str, problem: Mapping) -> str:
    return SOURCE_BUILDERS[language](program, problem)

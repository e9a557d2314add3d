"""Turn (program, dataset row) into the source file that is compiled/run, per language. Pure functions.

``program`` is what bigcode-evaluation-harness stores as a post-processed generation: the prompt base
(``prompt`` for the "prompt" layout, ``declaration`` for the HumanEvalFix "decl" layout; Rust's decl base is
``fn main(){}\\n`` + declaration) followed by the completion. The test is appended here, with the fixes the
original execution code applies (Go imports, Rust ``use`` lines and a second ``fn main``).
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

# ---------------------------------------------------------------- completion check
# A sample passes only if the harness's own code, appended after the test, ran to the end and wrote
# "OCTOPACK_DONE <token>" to fd 3 (a pipe only the engine reads). The token is fresh per run (the engine
# draws it with secrets.token_hex), so a program written before the run cannot know it; exiting with 0
# before the tests finish (sys.exit(0), os._exit, process.exit(0), System.exit(0), os.Exit(0),
# std::process::exit(0), exit(0) in a static initialiser) leaves no marker. Limits: code in the same
# process can read its own source/binary (where the token is baked in) and write to fd 3; the check stops
# early exits, not a program that reverse-engineers this harness. See docs/evaluation-execution.md.
COMPLETION_PREFIX = "OCTOPACK_DONE"
GO_CHECK_TEST = "TestZzzOctopackDone"
JAVA_CHECK_CLASS = "OctopackCompletionCheck"
RUST_CHECK_TEST = "octopack_completion_check"


def completion_line(token: str) -> str:
    return f"{COMPLETION_PREFIX} {token}"


def completed(channel: str, token: str) -> bool:
    """Did the run write this run's marker to the completion channel?"""
    want = completion_line(token)
    return any(line.strip() == want for line in channel.splitlines())

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
def python_source(program: str, problem: Mapping, done_token: Optional[str] = None) -> str:
    prefix = PY_PREFIX
    if re.search(r"\bnp\.|\bnumpy\b", program):
        prefix += PY_NUMPY_PREFIX
    src = prefix + program + "\n" + problem["test"] + "\n"
    if done_token:
        src += f'__import__("os").write(3, b"{completion_line(done_token)}\\n")\n'
    return src


def js_source(program: str, problem: Mapping, done_token: Optional[str] = None) -> str:
    src = program + "\n" + problem["test"] + "\n"
    if done_token:
        src += f'require("fs").writeSync(3, "{completion_line(done_token)}\\n");\n'
    return src


_JAVA_MAIN_CLASS = re.compile(r"\bpublic\s+class\s+Main\b")


def java_source(program: str, problem: Mapping, done_token: Optional[str] = None) -> str:
    src = program + "\n" + problem["test"] + "\n"
    if done_token and _JAVA_MAIN_CLASS.search(problem["test"]):
        # Run through this class: the marker is written only when the test's Main.main returned normally.
        src += (f"class {JAVA_CHECK_CLASS} {{\n"
                "    public static void main(String[] args) throws Throwable {\n"
                "        Main.main(args);\n"
                # Java cannot write to an fd number: it reopens /proc/self/fd/3, which must be the engine's pipe.
                # Anything else there (a run outside octobox: the JVM's own lib/modules is often fd 3) is left
                # alone, never truncated, and the run simply has no marker.
                "        java.nio.file.Path fd3 = java.nio.file.Paths.get(\"/proc/self/fd/3\");\n"
                "        if (java.nio.file.Files.readSymbolicLink(fd3).toString().startsWith(\"pipe:\")) {\n"
                "            try (java.io.FileOutputStream o = new java.io.FileOutputStream(\"/proc/self/fd/3\", true)) {\n"
                f"                o.write(\"{completion_line(done_token)}\\n\".getBytes());\n"
                "            }\n"
                "        }\n"
                "    }\n"
                "}\n")
    return src


def java_declares_package(source: str) -> bool:
    return re.search(r"^\s*package\s+[\w.]+\s*;", source, re.M) is not None


_CPP_MAIN = re.compile(r"\bint\s+main\s*\(\s*\)\s*\{")


def cpp_source(program: str, problem: Mapping, done_token: Optional[str] = None) -> str:
    # No include prefix: the harness's (which has <cstring> and friends) makes ::strlen visible, and then
    # buggy CPP/23 (`int strlen(string)` off by one) passes because strlen("x") picks the C function.
    test = problem["test"]
    if not (done_token and _CPP_MAIN.search(test)):
        return program + "\n" + test + "\n"
    # A local object in the test's main whose destructor writes the marker: it runs when main returns,
    # never on exit()/quick_exit()/abort() (no unwinding), nor when exit happens before main (static
    # initialisers). Declared on main's own line, defined at the end: line numbers do not move.
    test = _CPP_MAIN.sub(lambda m: "struct octopack_done_guard { ~octopack_done_guard(); }; " + m.group(0)
                         + " octopack_done_guard octopack_done_guard_;", test, count=1)
    return (program + "\n" + test + "\n#include <unistd.h>\n"
            "octopack_done_guard::~octopack_done_guard() {\n"
            f"    static const char m[] = \"{completion_line(done_token)}\\n\";\n"
            "    if (write(3, m, sizeof m - 1) < 0) {}\n"
            "}\n")


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


_GO_TEST_FUNC = re.compile(r"^func\s+(Test(?![a-z])\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M)


def go_check_tests(test: str) -> list[str]:
    return _GO_TEST_FUNC.findall(go_strip_comments(test))


def go_source(program: str, problem: Mapping, done_token: Optional[str] = None) -> str:
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
    check = ""
    names = go_check_tests(test) if done_token else []
    if names:
        # The runner runs only this test; it runs the dataset's tests as subtests and writes the marker
        # when all of them passed and returned (os.Exit(0) inside them never gets here).
        wanted.append(("octopack_os", "os"))
        check = (f"\nfunc {GO_CHECK_TEST}(t *testing.T) {{\n    ok := true\n"
                 + "".join(f"    ok = t.Run(\"{n}\", {n}) && ok\n" for n in names)
                 + f"    if ok {{\n        octopack_os.NewFile(3, \"done\").Write([]byte(\"{completion_line(done_token)}\\n\"))\n"
                 "    }\n}\n")
    block = ""
    if wanted:
        block = "import (\n" + "".join(f"    {a + ' ' if a else ''}\"{p}\"\n" for a, p in wanted) + ")\n"
    return setup.rstrip("\n") + "\n\n" + block + "\n" + body + "\n" + test + "\n" + check


# ---------------------------------------------------------------- rust
_RUST_MAIN = re.compile(r"\bfn\s+main\s*\(")


_RUST_TEST_FN = re.compile(r"#\[test\](?:\s|//[^\n]*)*fn\s+(\w+)\s*\(\s*\)")
_RUST_TEST_MOD = re.compile(r"\bmod\s+(\w+)\s*\{")


def rust_check_path(test: str) -> Optional[str]:
    """Path of the completion-check test inside the sample (e.g. "tests::octopack_completion_check"), or None
    when the test has no `mod NAME { ... #[test] fn ... }` shape to put it in."""
    mods = _RUST_TEST_MOD.findall(test)
    if len(mods) != 1 or not _RUST_TEST_FN.search(test) or not test.rstrip().endswith("}"):
        return None
    return f"{mods[0]}::{RUST_CHECK_TEST}"


def rust_source(program: str, problem: Mapping, done_token: Optional[str] = None) -> str:
    """program (+ missing `use` lines of the declaration) + test; a second `fn main` and what follows is cut,
    as the harness does (models often re-emit the prompt's `fn main(){}`)."""
    mains = list(_RUST_MAIN.finditer(program))
    if len(mains) >= 2:
        program = program[: mains[1].start()]
    present = {l.strip() for l in program.splitlines()}
    missing = [l.strip() for l in problem["declaration"].splitlines()
               if l.strip().startswith("use ") and l.strip() not in present]
    prefix = "".join(l + "\n" for l in missing)
    test = problem["test"]
    if done_token and rust_check_path(test):
        # One more test in the test module: it calls the dataset's tests and then writes the marker; the
        # runner runs only it (so it is also the only test, with nothing running in parallel).
        end = test.rstrip().rfind("}")
        calls = "".join(f"        {n}();\n" for n in _RUST_TEST_FN.findall(test))
        test = (test[:end] + f"\n    #[test]\n    fn {RUST_CHECK_TEST}() {{\n{calls}"
                "        use std::io::Write;\n        use std::os::unix::io::FromRawFd;\n"
                "        let mut f = unsafe { std::fs::File::from_raw_fd(3) };\n"
                f"        let _ = f.write_all(b\"{completion_line(done_token)}\\n\");\n    }}\n" + test[end:])
    return prefix + program + "\n" + test + "\n"


SOURCE_BUILDERS = {
    "python": python_source,
    "js": js_source,
    "java": java_source,
    "go": go_source,
    "cpp": cpp_source,
    "rust": rust_source,
}


def assemble(language: str, program: str, problem: Mapping, done_token: Optional[str] = None) -> str:
    """The source to compile/run; with ``done_token``, plus the completion check (when the test has the
    shape it needs: every HumanEvalPack test does)."""
    return SOURCE_BUILDERS[language](program, problem, done_token)

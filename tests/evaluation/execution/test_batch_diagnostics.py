"""Attributing batched compiler output to samples (Rust modules, Go packages, Java packages); pure."""

from __future__ import annotations

from evaluation.execution.runners.go import clean, parse_build_output
from evaluation.execution.runners.java import _messages_for
from evaluation.execution.runners.rust import split_diagnostics, wrap_modules


def test_rust_wrap_modules_line_ranges():
    text, ranges = wrap_modules({"s0": "fn a() {}\nfn b() {}\n", "s1": "fn c() {}"})
    lines = text.splitlines()
    assert lines[0] == "mod s0 {" and lines[ranges["s0"][0] - 1] == "fn a() {}"
    assert lines[ranges["s0"][1] - 1] == "fn b() {}"
    assert lines[ranges["s1"][0] - 1] == "fn c() {}" and ranges["s1"][0] == ranges["s1"][1]
    assert text.count("{") == text.count("}")


def test_rust_split_diagnostics_maps_lines_back():
    _, ranges = wrap_modules({"s0": "a\nb\nc\n", "s1": "d\ne\n"})
    err = ("error[E0425]: cannot find value `x` in this scope\n --> main.rs:8:5\n  |\n8 |     x\n  |     ^\n\n"
           "error: aborting due to 1 previous error\n")
    msgs, unattributed = split_diagnostics(err, ranges)
    assert list(msgs) == ["s1"] and not unattributed
    assert "--> main.rs:2:5" in msgs["s1"]  # line 8 of the crate is line 2 of sample s1
    assert "\n2 |     x" in msgs["s1"]
    msgs, unattributed = split_diagnostics("error: linking with `cc` failed\n", ranges)
    assert msgs == {} and unattributed


def test_go_build_output_is_split_per_sample():
    out = ("# humaneval/p2\n# [humaneval/p2]\np2/main_test.go:3:62: fmt.Sprintf format %d has arg\n"
           "# humaneval/m [humaneval/m.test]\nm/p3_test.go:3:47: undefined: x_octo3\nm/p5_test.go:9:1: missing return\n"
           "FAIL\thumaneval/p2 [build failed]\nFAIL\thumaneval/m [build failed]\n")
    failed, msgs = parse_build_output(out)
    assert failed == {"p2", "m"}
    assert set(msgs) == {"p2", "p3", "p5"}
    assert "Sprintf" in msgs["p2"] and "undefined: x_octo3" in msgs["p3"] and "Sprintf" not in msgs["p3"]
    assert "missing return" in msgs["p5"] and "undefined" not in msgs["p5"]
    assert clean(msgs["p3"]) == "main_test.go:3:47: undefined: x"


def test_java_messages_for_one_package():
    out = ("s1/Main.java:3: error: ';' expected\n    int x = 1\n             ^\n"
           "s4/Main.java:9: error: cannot find symbol\n  symbol: foo\n2 errors\n")
    assert _messages_for(out, "s1").startswith("s1/Main.java:3") and "foo" not in _messages_for(out, "s1")
    assert "cannot find symbol" in _messages_for(out, "s4") and "2 errors" not in _messages_for(out, "s4")

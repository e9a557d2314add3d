"""Small sample repositories for the quickstart and demos, written with pygit2 (deterministic).

Three projects in different languages and licenses, plus a fork of one of them (the same commits in a
second repository, as forks are on GitHub), so the default pipeline run exercises language detection,
license detection, the CommitPackFT filters (good and bad commit subjects) and exact dedup across forks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pygit2

_MIT = """MIT License

Copyright (c) 2024 octopack-spark samples

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
"""
_APACHE = """                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/
"""
_BSD3 = """BSD 3-Clause License

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:
3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.
"""


@dataclass
class _Step:
    message: str
    files: dict  # path -> contents (None deletes)


def _py_steps() -> list[_Step]:
    parse = '''"""Small text utilities."""


def slugify(text):
    """Lower-case `text` and join its words with dashes."""
    return "-".join(text.lower().split())
'''
    v2 = parse + '''

def truncate(text, width):
    """Cut `text` to at most `width` characters."""
    if len(text) <= width:
        return text
    return text[:width]
'''
    v3 = v2.replace('''    return text[:width]''', '''    return text[: max(width - 1, 0)] + "\u2026"''')
    v4 = v3 + '''

def count_words(text):
    """Number of whitespace-separated words in `text`."""
    return len(text.split())
'''
    v5 = v4.replace('    return "-".join(text.lower().split())',
                    '    words = [w.strip(".,;:!?") for w in text.lower().split()]\n'
                    '    return "-".join(w for w in words if w)')
    v6 = v5.replace("def count_words(text):", "def count_words(text, unique=False):").replace(
        "    return len(text.split())",
        "    words = text.split()\n    return len(set(words)) if unique else len(words)")
    tests = '''from textutils import count_words, slugify, truncate


def test_slugify():
    assert slugify("Hello World") == "hello-world"


def test_truncate():
    assert truncate("abcdef", 10) == "abcdef"
'''
    tests2 = tests + '''

def test_count_words():
    assert count_words("a b a") == 3
    assert count_words("a b a", unique=True) == 2
'''
    return [
        _Step("Initial commit", {"textutils.py": parse, "README.md": "# textutils\n\nTiny helpers.\n", "LICENSE": _MIT}),
        _Step("Add a function to truncate long strings", {"textutils.py": v2}),
        _Step("Add tests for the text helpers", {"test_textutils.py": tests}),
        _Step("Fix truncation so the result keeps its width", {"textutils.py": v3}),
        _Step("Add word counting helper with docstring", {"textutils.py": v4}),
        _Step("update", {"README.md": "# textutils\n\nTiny text helpers for scripts.\n"}),
        _Step("Strip punctuation before building the slug", {"textutils.py": v5}),
        _Step("Support counting unique words in the text", {"textutils.py": v6}),
        _Step("Add a test for unique word counting", {"test_textutils.py": tests2}),
        _Step("Bump version to 0.2.0", {"setup.cfg": "[metadata]\nname = textutils\nversion = 0.2.0\n"}),
    ]


def _js_steps() -> list[_Step]:
    base = '''// Formatting helpers for the dashboard.
function formatBytes(n) {
  if (n < 1024) return n + " B";
  return (n / 1024).toFixed(1) + " KiB";
}

module.exports = { formatBytes };
'''
    v2 = base.replace('''  return (n / 1024).toFixed(1) + " KiB";''', '''  const units = ["KiB", "MiB", "GiB", "TiB"];
  let i = -1;
  do {
    n /= 1024;
    i++;
  } while (n >= 1024 && i < units.length - 1);
  return n.toFixed(1) + " " + units[i];''')
    v3 = v2.replace("module.exports = { formatBytes };", '''function formatDuration(ms) {
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? m + "m " + (s % 60) + "s" : s + "s";
}

module.exports = { formatBytes, formatDuration };''')
    v4 = v3.replace("function formatBytes(n) {", "function formatBytes(n) {\n  if (n < 0) throw new RangeError(\"negative size\");")
    v5 = v4.replace('  return m > 0 ? m + "m " + (s % 60) + "s" : s + "s";',
                    '  const h = Math.floor(m / 60);\n  if (h > 0) return h + "h " + (m % 60) + "m";\n'
                    '  return m > 0 ? m + "m " + (s % 60) + "s" : s + "s";')
    html = "<!doctype html>\n<html>\n<head><title>Dashboard</title></head>\n<body>\n<div id=\"app\"></div>\n</body>\n</html>\n"
    html2 = html.replace("<div id=\"app\"></div>", "<div id=\"app\"></div>\n<script src=\"format.js\"></script>")
    return [
        _Step("Initial commit", {"format.js": base, "index.html": html, "LICENSE": _APACHE}),
        _Step("Support larger units when formatting byte counts", {"format.js": v2}),
        _Step("Add a helper that formats durations in minutes", {"format.js": v3}),
        _Step("Include the formatting script in the page", {"index.html": html2}),
        _Step("Reject negative sizes with a clear error", {"format.js": v4}),
        _Step("WIP hours", {"format.js": v5}),
        _Step("Handle durations longer than one hour correctly", {"format.js": v5 + "\n"}),
    ]


def _go_steps() -> list[_Step]:
    base = '''package stack

// Stack is a LIFO of ints.
type Stack struct {
	items []int
}

// Push adds v on top.
func (s *Stack) Push(v int) {
	s.items = append(s.items, v)
}
'''
    v2 = base + '''
// Pop removes and returns the top item.
func (s *Stack) Pop() int {
	v := s.items[len(s.items)-1]
	s.items = s.items[:len(s.items)-1]
	return v
}
'''
    v3 = v2.replace('''func (s *Stack) Pop() int {
	v := s.items[len(s.items)-1]''', '''func (s *Stack) Pop() (int, bool) {
	if len(s.items) == 0 {
		return 0, false
	}
	v := s.items[len(s.items)-1]''').replace("\treturn v\n}", "\treturn v, true\n}")
    v4 = v3 + '''
// Len is the number of items.
func (s *Stack) Len() int {
	return len(s.items)
}
'''
    rs = '''/// Sum of the squares of `xs`.
pub fn sum_squares(xs: &[i64]) -> i64 {
    xs.iter().map(|x| x * x).sum()
}
'''
    rs2 = rs + '''
/// Mean of `xs`, or None when it is empty.
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    Some(xs.iter().sum::<f64>() / xs.len() as f64)
}
'''
    return [
        _Step("Initial commit", {"stack.go": base, "LICENSE": _BSD3, "go.mod": "module example.com/stack\n\ngo 1.21\n"}),
        _Step("Add a pop method to remove the top item", {"stack.go": v2}),
        _Step("Return a flag from pop instead of panicking on empty input", {"stack.go": v3}),
        _Step("Add math helpers written in rust", {"mathx.rs": rs}),
        _Step("Add a length method for callers that inspect size", {"stack.go": v4}),
        _Step("Add a mean function that handles empty slices", {"mathx.rs": rs2}),
    ]


SAMPLES = {
    "sample-textutils": _py_steps,
    "sample-dashboard": _js_steps,
    "sample-stack": _go_steps,
}


def _write_history(path: str, steps: list[_Step], start: int, author: tuple[str, str]) -> pygit2.Repository:
    repo = pygit2.init_repository(path, bare=False, initial_head="main")
    files: dict[str, bytes] = {}
    parents: list = []
    t = start
    for step in steps:
        t += 3600
        for p, c in step.files.items():
            if c is None:
                files.pop(p, None)
            else:
                files[p] = c.encode()
        tb = repo.TreeBuilder()
        # Flat layout: the sample projects keep their files at the root.
        for name in sorted(files):
            tb.insert(name, repo.create_blob(files[name]), pygit2.enums.FileMode.BLOB)
        sig = pygit2.Signature(author[0], author[1], t, 0)
        oid = repo.create_commit("HEAD", sig, sig, step.message, tb.write(), parents)
        parents = [oid]
    # Keep the work tree in sync so the repository looks normal to git users.
    repo.checkout_head(strategy=pygit2.enums.CheckoutStrategy.FORCE)
    return repo


def create_samples(output_dir: str) -> list[str]:
    """Create (or recreate) the sample repositories under `output_dir`; return their paths."""
    import shutil

    os.makedirs(output_dir, exist_ok=True)
    paths = []
    for i, (name, steps_fn) in enumerate(SAMPLES.items()):
        path = os.path.join(output_dir, name)
        shutil.rmtree(path, ignore_errors=True)
        _write_history(path, steps_fn(), 1_700_000_000 + i * 10_000_000, (f"Dev {i}", f"dev{i}@example.com"))
        paths.append(path)
    # A fork of the first sample: the same history plus one commit of its own.
    fork = os.path.join(output_dir, "sample-textutils-fork")
    shutil.rmtree(fork, ignore_errors=True)
    steps = _py_steps()
    steps.append(_Step("Add a helper that reverses every word order", {
        "textutils.py": _py_steps()[7].files["textutils.py"] + '''

def reverse_words(text):
    """`text` with its words in reverse order."""
    return " ".join(reversed(text.split()))
'''}))
    _write_history(fork, steps, 1_700_000_000, ("Dev 0", "dev0@example.com"))
    paths.append(fork)
    return paths

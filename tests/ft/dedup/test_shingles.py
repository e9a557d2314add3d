import subprocess
import sys

import numpy as np
import pytest

from octopack_spark.ft.dedup.shingles import (changed_text, document_text, shingle_hashes, shingle_strings,
                                              token_hashes, tokens)


def test_tokens_split_identifiers_numbers_and_punctuation():
    assert tokens("def f(x_1):\n    return x_1+42") == [
        b"def", b"f", b"(", b"x_1", b")", b":", b"return", b"x_1", b"+", b"42"]
    assert tokens("ABC def", lowercase=True) == [b"abc", b"def"]


def test_shingles_depend_on_order_and_content():
    a = shingle_hashes(token_hashes("a b c d e f"), 3)
    b = shingle_hashes(token_hashes("a b c d e f"), 3)
    c = shingle_hashes(token_hashes("a c b d e f"), 3)
    assert len(a) == 4 and np.array_equal(a, b)
    assert len(set(a.tolist()) & set(c.tolist())) == 1  # only "d e f" survives the swap
    # fewer tokens than n: one shingle of everything, not none
    assert len(shingle_hashes(token_hashes("a b"), 5)) == 1
    assert len(shingle_hashes(token_hashes(""), 5)) == 0
    assert shingle_strings("a b c d", 3) == [b"a b c", b"b c d"]


def test_shingle_hashes_identical_across_processes_with_different_hash_seeds():
    code = ("from octopack_spark.ft.dedup.shingles import *;"
            "print(shingle_hashes(token_hashes('import os\\nprint(os.getcwd())  # Ünïcode'), 3).tolist())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout for seed in ("1", "2")}
    assert len(outs) == 1
    here = shingle_hashes(token_hashes("import os\nprint(os.getcwd())  # Ünïcode"), 3).tolist()
    assert outs.pop().strip() == str(here)


BASE = "".join(f"line {i} = value_{i}\n" for i in range(40))


def _insert(text, at, line):
    lines = text.splitlines(keepends=True)
    lines.insert(at, line)
    return "".join(lines)


def test_changed_text_is_position_independent_and_keeps_markers():
    new = _insert(BASE, 20, "added = 1\n")
    doc = changed_text(BASE, new, None, 1)
    assert doc.splitlines() == [" line 19 = value_19", "+added = 1", " line 20 = value_20"]
    # the same change in a file with 5 more lines on top: same document (no line numbers in it)
    pre = "".join(f"header {i}\n" for i in range(5))
    assert changed_text(pre + BASE, pre + new, None, 1) == doc


def test_changed_text_uses_the_diff_column_without_headers():
    diff = ("diff --git a/x.py b/x.py\nindex 1..2 100644\n--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@ def f\n"
            " keep\n-old\n+new\n\\ No newline at end of file\n")
    assert changed_text("ignored", "ignored too", diff, 3) == " keep\n-old\n+new"


def test_document_modes():
    old, new = BASE, _insert(BASE, 3, "x = 1\n")
    assert document_text("sample", "Fix", old, new) == "Fix\n" + old + "\n" + new
    assert document_text("new_contents", "Fix", old, new) == new
    assert document_text("change", "Fix", old, new, context_lines=0) == "Fix\n+x = 1"
    assert document_text("change", None, None, "a\n", context_lines=0) == "\n+a"  # added file
    with pytest.raises(ValueError, match="unknown document mode"):
        document_text("whole", "s", old, new)

"""Prompt building from CommitPackFT rows, checked against hand-written expected strings."""

import pytest

from training.config import Template, load_train_config
from training.templates import CompiledTemplate, line_diff, number_lines, template_fields

ROW = {
    "subject": "Fix typo in greeting message",
    "old_contents": "def greet():\n    print('helo')\n",
    "new_contents": "def greet():\n    print('hello')\n",
    "new_file": "app/greet.py",
}


def compiled(name: str) -> CompiledTemplate:
    cfg = load_train_config(None)
    return CompiledTemplate.compile(name, cfg.template(name))


def test_octocoder_format_matches_the_paper():
    prompt, answer = compiled("octocoder").render(ROW)
    assert prompt == ("Question: Fix typo in greeting message\n"
                      "def greet():\n    print('helo')\n"
                      "\n\nAnswer:\n")
    assert answer == "def greet():\n    print('hello')\n"


def test_template_with_file_name_and_braces_in_data():
    row = dict(ROW, old_contents="x = {'a': 1}\n", new_contents="x = {'a': 2}\n")
    prompt, answer = compiled("octocoder_with_filename").render(row)
    assert prompt == "Question: Fix typo in greeting message\napp/greet.py\nx = {'a': 1}\n\n\nAnswer:\n"
    assert answer == "x = {'a': 2}\n"  # braces in the data are not re-interpreted


def test_number_lines_and_line_diff_hand_checked():
    assert number_lines("a\nb") == "  1 a\n  2 b"
    old, new = "a\nb\nc", "a\nB\nc"
    assert line_diff(old, new) == "-  2 b\n+  2 B"
    # an inserted line shifts every later number: the paper's format records that as changes
    assert line_diff("x\ny", "x\nnew\ny") == "-  2 y\n+  2 new\n+  3 y"


def test_line_diff_template():
    prompt, answer = compiled("octocoder_line_diff").render(ROW)
    assert prompt == ("Question: Fix typo in greeting message\n"
                      "  1 def greet():\n  2     print('helo')\n  3 \n\nAnswer:\n")
    assert answer == "-  2     print('helo')\n+  2     print('hello')"
    assert set(compiled("octocoder_line_diff").columns) == {"subject", "old_contents", "new_contents"}


def test_bad_rows_give_reasons_not_exceptions():
    t = compiled("octocoder")
    assert t.render({k: v for k, v in ROW.items() if k != "subject"}) == "missing:subject"
    assert t.render(dict(ROW, old_contents=None)) == "null:old_contents"
    assert t.render(dict(ROW, new_contents="")) == "empty_answer"


def test_template_fields_and_positional_fields_rejected():
    assert template_fields("Q: {subject}\n{old_contents}{subject}") == ["subject", "old_contents"]
    with pytest.raises(ValueError, match="positional"):
        CompiledTemplate.compile("bad", Template(prompt="{}", answer="{new_contents}"))

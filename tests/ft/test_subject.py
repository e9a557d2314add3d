import pytest

from octopack_spark.ft.subject import clean_subject, remove_ci_skip


@pytest.mark.parametrize("raw,clean", [
    ("[benchmark] Fix billing project", "Fix billing project"),
    ("demo/python/cmd.py: Fix struct.unpack format", "Fix struct.unpack format"),
    ("[core] api: Add retries [skip ci]", "Add retries"),
    ("Add retries [WIP]", "Add retries"),
    ("  Add   retries  ", "Add retries"),
    ("Add retries: now", "Add retries: now"),  # only a leading prefix ends with ':'
    ("fix: [x] Add retries", "[x] Add retries"),  # tag removal happens before prefix removal
    ("", ""),
    ("[only]", ""),
])
def test_clean_subject(raw, clean):
    assert clean_subject(raw) == clean


def test_remove_ci_skip():
    assert remove_ci_skip("Add retries [ci skip]") == "Add retries"
    assert remove_ci_skip("Add [ci skip] retries") == "Add  retries"

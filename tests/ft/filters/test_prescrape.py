"""Pre-scrape rules, including the dot-less extension lookup bug case."""

import pytest

from octopack_spark.ft.filters.pipeline import evaluate
from tests.ft.rows import fcfg, good_row


def reasons(**over):
    return evaluate(good_row(**over), fcfg())


@pytest.mark.parametrize("path,lang", [("src/a.py", "Python"), ("lib/x.rs.in", "Rust"), ("Dockerfile", "Dockerfile"),
                                       ("build/Makefile", "Makefile"), ("a/B.C", "C++")])
def test_known_extension_keep(path, lang):
    r = reasons(old_file=path, new_file=path, lang=lang, subject="Add retry loop around fetch calls")
    assert "unknown_extension" not in r


@pytest.mark.parametrize("path", ["notes.unknownext", "LICENSE", "a/b/noext", "py"])
def test_known_extension_drop(path):
    assert "unknown_extension" in reasons(old_file=path, new_file=path, lang=None)


def test_dotless_lookup_bug_fixed():
    # The original looked up "py" (no dot) in a table keyed by ".py": nothing ever matched.
    from octopack_spark.mining.languages import detect_language

    assert detect_language("pkg/mod.py") == "Python"
    assert "unknown_extension" not in reasons(old_file="pkg/mod.py", new_file="pkg/mod.py")


def test_update_filename_message():
    assert "update_filename_message" in reasons(message="Update src/client.py\n")
    assert "update_filename_message" in reasons(message="Update src/client.py")
    assert "update_filename_message" not in reasons(message="Update src/client.py to retry on 503")
    assert "update_filename_message" not in reasons(message="Update other.py")


@pytest.mark.parametrize("msg", ["please\n", "please", "lalala", "initial commit\n"])
def test_trivial_message_drop(msg):
    assert "trivial_message" in reasons(message=msg)


@pytest.mark.parametrize("msg", ["Please retry failed uploads", "Lalala song lyrics parser"])
def test_trivial_message_keep(msg):
    assert "trivial_message" not in reasons(message=msg)

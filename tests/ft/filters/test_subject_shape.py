"""filters1 steps 4-10, including the extension-whitelist dot bug and the empty-stem case."""

import pytest

from octopack_spark.ft.filters.pipeline import evaluate
from tests.ft.rows import fcfg, good_row


def reasons(**over):
    return evaluate(good_row(**over), fcfg())


def test_subject_hash():
    assert "subject_hash" in reasons(subject="Fix crash on empty input (#123)")
    assert "subject_hash" in reasons(subject="Add C# bindings for the fetch API")
    assert "subject_hash" not in reasons()


def test_extension_dot():
    r = reasons(old_file="Dockerfile", new_file="Dockerfile", lang="Dockerfile")
    assert r == ["extension_dot"]
    assert reasons(old_file="Dockerfile", new_file="Dockerfile", lang="Dockerfile") == ["extension_dot"]
    cfg = fcfg(require_extension_dot=False)
    assert evaluate(good_row(old_file="Dockerfile", new_file="Dockerfile", lang="Dockerfile"), cfg) == []


@pytest.mark.parametrize("path,lang", [("a/b.py", "Python"), ("x.java", "Java"), ("s/run.sh", "Shell"),
                                       ("k.h", "C"), ("k.c", "C"), ("main.go", "Go"), ("m.rs", "Rust"),
                                       ("w.cpp", "C++"), ("p.html", "HTML"), ("c.xml", "XML"), ("t.rb", "Ruby")])
def test_extension_whitelist_keep(path, lang):
    # Bug case: the original compared "py" with ".py" and dropped every row of these ten languages.
    assert "extension_whitelist" not in reasons(old_file=path, new_file=path, lang=lang)


@pytest.mark.parametrize("path,lang", [("a/b.pyw", "Python"), ("w.cc", "C++"), ("w.hpp", "C++"), ("x.mjs", "JavaScript"),
                                       ("r.rs.in", "Rust"), ("p.htm", "HTML")])
def test_extension_whitelist_drop(path, lang):
    assert "extension_whitelist" in reasons(old_file=path, new_file=path, lang=lang)


def test_extension_whitelist_configurable_and_validated():
    from pydantic import ValidationError

    cfg = fcfg(extension_whitelist={"Python": [".py", ".pyw"]})
    assert evaluate(good_row(old_file="net.pyw", new_file="net.pyw"), cfg) == []
    with pytest.raises(ValidationError, match="must start with a dot"):
        fcfg(extension_whitelist={"Python": ["py"]})


def test_filename_in_subject():
    assert "filename_in_subject" in reasons(old_file="README.md", new_file="README.md", lang="Markdown",
                                            subject="Update README with install steps")
    assert "filename_in_subject" in reasons(subject="Make client retry on errors now")
    # case-sensitive like the paper: "Client" is not "client"
    assert "filename_in_subject" not in reasons(subject="Make Client retry on errors now")
    # short stems match inside words, as in the paper ("a" is in "around")
    assert "filename_in_subject" in reasons(old_file="a.py", new_file="a.py")
    # stem is everything before the last extension: "app.test" for app.test.js
    assert "filename_in_subject" not in reasons(old_file="app.test.js", new_file="app.test.js", lang="JavaScript",
                                                subject="Add test for the login app page")
    # a dot file has an empty stem, which must not match every subject
    assert "filename_in_subject" not in reasons(old_file=".bashrc", new_file=".bashrc", lang="Shell")


@pytest.mark.parametrize("subject", ["Fix it", "Add x y z", "Add tests", "a" * 1000, "Tiny fix for it"])
def test_subject_length_drop(subject):
    assert "subject_length" in reasons(subject=subject)


def test_subject_length_bounds():
    # 10 < chars and 4 < words: exactly 5 words and 11 chars pass
    assert "subject_length" not in reasons(subject="Add a b c d")
    assert "subject_length" in reasons(subject="Add a b c")  # 4 words: not > 4


def test_subject_length_clean_after_prefix_removal():
    r = reasons(subject="[server] component: Add retry to fetch")
    assert "subject_length" not in r
    assert "subject_length_clean" in r  # cleaned: "Add retry to fetch" has 4 words


def test_subject_uppercase():
    assert "subject_uppercase" in reasons(subject="add retry loop around fetch calls")
    assert "subject_uppercase" not in reasons(subject="api: Add retry loop around fetch calls")
    assert "subject_uppercase" in reasons(subject="[core] add retry loop around fetch calls")

"""CommitPack SQL steps 1, 4 and 5: each rule with rows it must keep and rows it must drop."""

import pytest

from octopack_spark.ft.filters.base import like_to_regex
from octopack_spark.ft.filters.pipeline import evaluate
from tests.ft.rows import fcfg, good_row


def only(row, **cfg):
    return evaluate(row, fcfg(**cfg))


@pytest.mark.parametrize("lic", ["mit", "apache-2.0", "bsd-3-clause", "agpl-3.0", "lgpl-2.1", "mit,isc"])
def test_license_keep(lic):
    assert only(good_row(license=lic)) == []


@pytest.mark.parametrize("lic", ["gpl-3.0", "unknown", None, "", "mit,gpl-2.0", "lgpl-3.0"])
def test_license_drop(lic):
    assert only(good_row(license=lic)) == ["license_not_allowed"]


def test_license_allowlist_configurable():
    assert only(good_row(license="gpl-3.0"), licenses=["gpl-3.0"]) == []
    assert only(good_row(license="mit"), licenses=["apache-2.0"]) == ["license_not_allowed"]


@pytest.mark.parametrize("langs", [["Python"], ["Markdown", "Perl6"], ["Perl"], ["Matlab"], ["MATLAB"], ["C++"], ["R"]])
def test_repo_language_keep(langs):
    assert only(good_row(repo_langs=langs)) == []


@pytest.mark.parametrize("langs", [["Markdown"], ["YAML", "JSON"], [], ["python"], ["Rusty"], ["CoffeeScript"]])
def test_repo_language_drop(langs):
    # Case-sensitive like BigQuery's LIKE; "Rusty" must not match "Rust" (whole-value match).
    assert only(good_row(repo_langs=langs)) == ["repo_language"]


def test_repo_language_without_context_uses_row_language():
    assert only(good_row(repo_langs=None, lang="Python")) == []
    assert only(good_row(repo_langs=None, lang="Markdown", new_file="a.md", old_file="a.md"))[0] == "repo_language"


def test_like_patterns():
    assert like_to_regex("Perl%").match("Perl6")
    assert like_to_regex("Perl%").match("Perl")
    assert not like_to_regex("C").match("C#")
    assert like_to_regex("C#").match("C#")
    assert like_to_regex("C++").match("C++")


def test_message_length():
    assert only(good_row(message="Fix a\n")) == ["message_length"]  # 5 chars: not > 5
    assert only(good_row(message="Fix ab\n", subject="Fix ab"))[0] != "message_length"  # 6 chars
    assert only(good_row(message="x" * 9999))  == []
    assert only(good_row(message="x" * 10000)) == ["message_length"]


@pytest.mark.parametrize("msg", ["Initial commit\n", "update README.md", "WIP", "Can't you see I'm updating the time?",
                                 "update _config.yaml\n", "No message", "Updates"])
def test_message_blocklist_drop(msg):
    assert "message_blocklist" in only(good_row(message=msg))


def test_message_blocklist_keep_longer_message():
    assert "message_blocklist" not in only(good_row(message="Initial commit of the parser module"))


@pytest.mark.parametrize("msg", ["Merge branch 'dev'", "merge pull request #12 from a/b", "Merged fixes\n"])
def test_message_merge_drop(msg):
    assert "message_merge" in only(good_row(message=msg))


def test_message_merge_keep():
    assert "message_merge" not in only(good_row(message="Add merge sort to utils"))


@pytest.mark.parametrize("old,new", [(None, "a.py"), ("a.py", None), ("a.py", "b.py")])
def test_inplace_modification_drop(old, new):
    assert "not_inplace_modification" in only(good_row(old_file=old, new_file=new))


def test_single_file_commit():
    assert only(good_row(inplace_files=1, commit_files=3)) == []  # one in-place edit + adds/deletes: kept
    assert only(good_row(inplace_files=2)) == ["not_single_file_commit"]
    assert only(good_row(inplace_files=0)) == ["not_single_file_commit"]
    assert only(good_row(inplace_files=None, commit_files=1)) == []
    assert only(good_row(inplace_files=None, commit_files=2)) == ["not_single_file_commit"]

"""filters1 step 12, including the `plug` double-space bug case."""

import pytest

from octopack_spark.ft.filters.message_rules import verb_prefixes
from octopack_spark.ft.filters.pipeline import evaluate
from octopack_spark.ft.filters.words import VERBS_EN
from tests.ft.rows import fcfg, good_row


def reasons(subject, **cfg):
    return evaluate(good_row(subject=subject), fcfg(**cfg))


def test_verb_list_is_the_papers():
    assert len(VERBS_EN) == 257 and len(set(VERBS_EN)) == 257
    assert all(v == v.strip() for v in VERBS_EN)


@pytest.mark.parametrize("subject", ["Fix retry loop around fetch calls", "Speed up retry loop around fetch",
                                     "Deal with retry loop around fetch", "Brush up retry loop around fetch",
                                     "Rollback retry loop around fetch calls"])
def test_verb_start_keep(subject):
    assert "verb_start" not in reasons(subject)


def test_plug_bug_fixed():
    # The original stored 'plug ' and appended a space: "plug  " never matched.
    assert reasons("Plug memory leak in fetch loop") == []
    assert reasons("Unplug retry loop around fetch calls") == []


@pytest.mark.parametrize("subject", ["Fixed retry loop around fetch calls", "Retry loop around fetch calls",
                                     "Fixes retry loop around fetch calls", "Pluggable retry loop for fetch",
                                     "Adding retry loop around fetch calls", "Speedup of the retry loop in fetch"])
def test_verb_start_drop(subject):
    assert "verb_start" in reasons(subject)


def test_extra_verbs():
    assert "verb_start" not in reasons("Retry loop around fetch calls", extra_verbs=["Retry"])
    assert len(verb_prefixes(("retry",))) == 258


def test_bad_subject():
    # unreachable through the length rules with the defaults; reachable once they are relaxed
    r = reasons("update readme.md", min_subject_words=0, min_subject_chars=0, min_final_words=0)
    assert "bad_subject" in r


@pytest.mark.parametrize("subject", ["Merge branch 'main' into feature/retry", "Fix retry. Signed-off-by: A <a@b>",
                                     "Add auto commit hook to the fetch loop", "Update contributing guide for fetch",
                                     "Add <?xml header to fetch output"])
def test_bad_subject_part(subject):
    assert "bad_subject_part" in reasons(subject)


def test_version_subject():
    relaxed = dict(min_subject_words=0, min_subject_chars=0, min_final_words=0)
    assert "version_subject" in reasons("v1.2.3", **relaxed)
    assert "version_subject" in reasons("1.2.3-beta retry loop around fetch")
    # The paper's lookahead (?=$|\S) needs the end or a non-space after the version, so a version
    # followed by a space does not match; kept as published (not one of the listed bugs).
    assert "version_subject" not in reasons("v1.2.3 retry loop around fetch")
    assert "version_subject" not in reasons("Fix retry loop in fetch for 1.2.3 release")


def test_hex_subject():
    r = reasons("0239-2a41", min_subject_words=0, min_subject_chars=0, min_final_words=0)
    assert "hex_subject" in r
    r = reasons("deadbeef", min_subject_words=0, min_subject_chars=0, min_final_words=0)
    assert "hex_subject" in r
    r = reasons("debug", min_subject_words=0, min_subject_chars=0, min_final_words=0)
    assert "hex_subject" not in r

"""filters2, including the `wip` substring bug and the unseeded Bump draw."""

import pytest

from octopack_spark.ft.filters.pipeline import evaluate
from octopack_spark.ft.row import FtRow, bump_draw
from tests.ft.rows import fcfg, good_fields, good_row


def reasons(subject, **over):
    return evaluate(good_row(subject=subject, **over), fcfg())


def test_ci_skip_removed_before_later_rules():
    row = good_row(subject="Add retry loop around fetch calls [ci skip]")
    assert row.subject_final == "Add retry loop around fetch calls"
    assert evaluate(row, fcfg()) == []


def _bump_rows(n):
    return [FtRow.from_mapping(good_fields(row_id=f"{i:032x}", subject="Bump requests to 2.31 in fetch")) for i in range(n)]


def test_bump_sample_deterministic_and_about_ninety_percent():
    rows = _bump_rows(2000)
    dropped = [("bump_sample" in evaluate(r, fcfg())) for r in rows]
    again = [("bump_sample" in evaluate(r, fcfg())) for r in _bump_rows(2000)]
    assert dropped == again  # the paper's random.random() was unseeded: not reproducible
    assert 0.87 < sum(dropped) / len(dropped) < 0.93
    # the salt picks another, equally reproducible sample
    other = [("bump_sample" in evaluate(r, fcfg(bump_salt="x"))) for r in rows]
    assert other != dropped


def test_bump_sample_edges():
    assert all("bump_sample" in evaluate(r, fcfg(bump_drop_fraction=1.0)) for r in _bump_rows(50))
    assert not any("bump_sample" in evaluate(r, fcfg(bump_drop_fraction=0.0)) for r in _bump_rows(50))
    # case-sensitive prefixes, as the paper
    assert not any("bump_sample" in evaluate(FtRow.from_mapping(good_fields(row_id=f"{i}", subject="bump requests to 2.31 in fetch")),
                                             fcfg(bump_drop_fraction=1.0)) for i in range(20))
    for s in ["Set version to 2.0 for fetch", "Update version of fetch to 2.0"]:
        assert "bump_sample" in evaluate(good_row(subject=s), fcfg(bump_drop_fraction=1.0))
    assert 0.0 <= bump_draw("x", "s") < 1.0 and bump_draw("x", "s") == bump_draw("x", "s")


# (rule, subject, whether the rule drops it): one subject-line rule of filters2 on one subject each.
SUBJECT_CASES = [
    ("cherry_pick", "Add retry loop (cherry picked from commit abc)", True),
    ("cherry_pick", "Add cherry picker retry loop to fetch", False),
    ("sha_in_subject", "Revert commit f514fe31f0c6efd4a18cfdfe8871aab65138afa3 in fetch", True),
    ("sha_in_subject", "Revert commit f514fe31 in the fetch loop", False),
    ("first_person", "Fix the bug i found in fetch", True),
    ("first_person", "Add retry i've wanted in fetch", True),
    ("first_person", "Add what I'm using in fetch", True),
    ("first_person", "Add iterator to the fetch loop", False),
    ("thanks", "Fix retry loop, thanks to Bob for the report", True),
    ("thanks", "Fix retry loop, thanks to Bob and Alice", False),
    ("code_review", "Address Code Review comments in fetch", True),
    ("joke_message", "Fix that bug where things didn't work but now they should", True),
    ("joke_message", "Put the thingie in the thingie", True),
    ("issue_ref", "Fix retry loop for issue 159 in fetch", True),
    ("issue_ref", "Fix Bug 182 in the fetch loop", True),
    ("issue_ref", "Add feature12 flag to the fetch loop", True),
    ("issue_ref", "Fix issue42 in the fetch loop", True),
    ("issue_ref", "Fix the issue with retries in fetch", False),
    ("review_tool_ref", "Add retry loop CDPCP-123 around fetch", True),
    ("review_tool_ref", "Add retry loop, see //codereview/123 now", True),
    ("wip", "Add WIP retry loop around fetch", True),
    ("wip", "Add retry loop around fetch (wip)", True),
    ("wip", "Add retry loop around fetch - Work in progress", True),
    ("wip", "Add wip retry loop around fetch", True),
    # The original matched "wip" anywhere, so "Wipe"/"swipe" subjects were dropped.
    ("wip", "Wipe cache before retry loop in fetch", False),
    ("wip", "Fix swipe gesture handling in viewer", False),
    ("wip", "Add wipeout option to the fetch loop", False),
    ("url", "Add retry loop from https://example.com/x", True),
    ("url", "Add retry loop from HTTP://example.com/x", True),
    ("leetcode", "Add Two Sum solution | LeetCode daily", True),
]


@pytest.mark.parametrize("rule,subject,dropped", SUBJECT_CASES)
def test_subject_rule(rule, subject, dropped):
    assert (rule in reasons(subject)) == dropped


def test_few_words():
    # [ci skip] removal can shorten a subject below 4 words after the filters1 length rule passed
    row = good_row(subject="Add retry to fetch [ci skip] now")
    assert "few_words" not in evaluate(row, fcfg())
    row = good_row(subject="Add retry to [ci skip] [x]")
    assert row.subject_final == "Add retry to"
    assert "few_words" in evaluate(row, fcfg())

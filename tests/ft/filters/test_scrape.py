import pytest

from octopack_spark.ft.filters.pipeline import evaluate
from tests.ft.rows import fcfg, good_row


@pytest.mark.parametrize("over", [dict(skip_reason="binary", old_contents=None, new_contents=None),
                                  dict(skip_reason="too_large"), dict(old_contents=None), dict(new_contents=None)])
def test_contents_missing_drop(over):
    r = evaluate(good_row(**over), fcfg())
    assert r[0] == "contents_missing"


def test_contents_present_keep_even_if_old_empty():
    # An empty old file is a real state (file was empty), not a missing one.
    assert "contents_missing" not in evaluate(good_row(old_contents=""), fcfg())

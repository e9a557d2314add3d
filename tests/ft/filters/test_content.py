from octopack_spark.ft.filters.pipeline import evaluate
from tests.ft.rows import fcfg, good_row


def test_old_too_long():
    assert evaluate(good_row(old_contents="x" * 49_999), fcfg()) == []
    assert evaluate(good_row(old_contents="x" * 50_000), fcfg()) == ["old_too_long"]
    assert evaluate(good_row(old_contents="x" * 50_000), fcfg(max_old_chars=60_000)) == []


def test_new_empty():
    assert evaluate(good_row(new_contents=""), fcfg()) == ["new_empty"]
    assert evaluate(good_row(new_contents="\n"), fcfg()) == []


def test_unchanged():
    assert evaluate(good_row(new_contents="same\n", old_contents="same\n"), fcfg()) == ["unchanged"]
    assert evaluate(good_row(new_contents="same\n", old_contents="same"), fcfg()) == []

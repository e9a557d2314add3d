from octopack_spark.ft.filters.pipeline import evaluate
from tests.ft.rows import fcfg, good_row


def test_token_window():
    assert evaluate(good_row(n_tokens=50), fcfg()) == []
    assert evaluate(good_row(n_tokens=768), fcfg()) == []
    assert evaluate(good_row(n_tokens=49), fcfg()) == ["token_length"]
    assert evaluate(good_row(n_tokens=769), fcfg()) == ["token_length"]
    assert evaluate(good_row(n_tokens=None), fcfg()) == ["token_length"]  # not counted: too long
    assert evaluate(good_row(n_tokens=1500), fcfg(max_tokens=2048)) == []

from octopack_spark.ft.filters.pipeline import evaluate
from tests.ft.rows import fcfg, good_row


def test_nl_language_default_english():
    assert evaluate(good_row(nl_lang="de", nl_score=0.99), fcfg()) == ["nl_language"]
    assert evaluate(good_row(nl_lang=None, nl_score=None), fcfg()) == ["nl_language"]
    assert evaluate(good_row(nl_lang="en", nl_score=0.2), fcfg()) == []


def test_nl_language_configurable():
    assert evaluate(good_row(nl_lang="de", nl_score=0.99), fcfg(nl_languages=["en", "de"])) == []
    assert evaluate(good_row(nl_lang="de", nl_score=0.99), fcfg(nl_languages=[])) == []
    assert evaluate(good_row(nl_lang="en", nl_score=0.2), fcfg(nl_min_score=0.5)) == ["nl_language"]
    row = good_row(nl_lang="en", message_nl_lang="fr", message_nl_score=0.9)
    assert evaluate(row, fcfg(nl_text="message")) == ["nl_language"]

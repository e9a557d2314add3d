from octopack_spark.ft.filters.pipeline import evaluate
from tests.ft.rows import fcfg, good_row


def test_optout_single_repo_dropped_case_insensitive():
    assert evaluate(good_row(repo="sitmo/lib", repos="sitmo/lib"), fcfg()) == ["optout"]
    assert evaluate(good_row(repo="drtimothyaldendavis/x", repos="drtimothyaldendavis/x"), fcfg()) == ["optout"]


def test_optout_kept_when_another_repo_has_it():
    assert evaluate(good_row(repo="sitmo/lib", repos="fork/lib,sitmo/lib"), fcfg()) == []
    # the same repo listed twice is still a single repository
    assert evaluate(good_row(repo="sitmo/lib", repos="sitmo/lib,sitmo/lib"), fcfg()) == ["optout"]


def test_optout_list_configurable():
    assert evaluate(good_row(), fcfg(optout_owners=["Octo"])) == ["optout"]
    assert evaluate(good_row(repo="sitmo/lib", repos="sitmo/lib"), fcfg(optout_owners=[])) == []

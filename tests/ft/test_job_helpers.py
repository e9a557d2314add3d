"""Pure helpers of ft.job (no Spark)."""

from octopack_spark.ft.job import rejudge_optout


def test_rejudge_optout_after_repos_merge():
    owners = ["sitmo"]
    # merged with a fork: the opt-out no longer applies, other reasons stay
    assert rejudge_optout(["optout", "wip"], "sitmo/x", "other/x,sitmo/x", owners) == ["wip"]
    # still the only repository: optout is (re)inserted in pipeline order
    assert rejudge_optout(["contents_missing", "wip"], "sitmo/x", "sitmo/x", owners) == \
        ["contents_missing", "optout", "wip"]
    assert rejudge_optout([], "octo/x", "octo/x", owners) == []
    assert rejudge_optout(None, "sitmo/x", "", owners) == ["optout"]  # repos missing: the row's own repo

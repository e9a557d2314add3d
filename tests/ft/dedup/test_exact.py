import datetime as dt

import pytest

from octopack_spark.ft.dedup.config import ExactDedupConfig
from octopack_spark.ft.dedup.exact import exact_dedup_commits, exact_dedup_contents, merge_repos
from tests.ft.dedup.commit_rows import T0, make_row, sha, to_table


def test_merge_repos():
    assert merge_repos(["b/x,a/y", " a/y ", None, "", "c/z"]) == "a/y,b/x,c/z"


def _rows():
    old, new = "x = 1\n", "x = 2\n"
    c = sha("c1")
    up = make_row("up/proj", c, "a.py", old, new, "Fix x", stars=50, repos="up/proj,mirror/proj")
    fork = make_row("fork/proj", c, "a.py", old, new, "Fix x", stars=500)  # same commit in a fork
    gpl = make_row("gpl/proj", c, "a.py", old, new, "Fix x", license="gpl-3.0", stars=9)  # other license
    other_file = make_row("up/proj", c, "b.py", old, new, "Fix x", stars=50)  # other path: own group
    early = make_row("early/proj", c, "a.py", old, new, "Fix x", stars=500, when=T0 - dt.timedelta(days=1))
    nolic1 = make_row("n1/p", sha("c2"), "a.py", "a\n", "b\n", "Fix a", license=None, stars=1)
    nolic2 = make_row("n2/p", sha("c2"), "a.py", "a\n", "b\n", "Fix a", license=None, stars=2)
    return [up, fork, gpl, other_file, early, nolic1, nolic2]


@pytest.mark.spark
def test_exact_commit_dedup(spark):
    rows = _rows()
    up, fork, gpl, other_file, early, nolic1, nolic2 = [r["row_id"] for r in rows]
    df = spark.createDataFrame(to_table(rows))
    out, stats = exact_dedup_commits(df, ExactDedupConfig())
    assert out.columns == df.columns + ["exact_commit_dup_of"]
    got = {r.row_id: (r.exact_commit_dup_of, r.repos) for r in out.collect()}
    assert len(got) == len(rows) == out.count()
    # group (c1, a.py, mit): up, fork, early -> 500 stars tie between fork and early; early is earlier
    assert got[early] == (None, "early/proj,fork/proj,mirror/proj,up/proj")
    assert got[up] == (early, "up/proj,mirror/proj") and got[fork] == (early, "fork/proj")
    assert got[gpl] == (None, "gpl/proj") and got[other_file] == (None, "up/proj")
    assert got[nolic2] == (None, "n1/p,n2/p") and got[nolic1] == (nolic2, "n1/p")  # null license groups
    assert stats["duplicates"] == 3 and stats["duplicate_groups"] == 2 and stats["rows_in"] == 7
    assert stats["rows_in_groups"] == 5 and stats["params"]["key"][-1] == "file"


@pytest.mark.spark
def test_exact_content_dedup(spark):
    rows = _rows()
    rows.append(make_row("s1/p", sha("s1"), "big.bin", None, None, "Add blob"))
    rows.append(make_row("s2/p", sha("s2"), "big.bin", None, None, "Add blob"))
    rows.append(make_row("e1/p", sha("e1"), "e.py", "", "y\n", "Add y"))  # "" is not null
    rows.append(make_row("e2/p", sha("e2"), "e.py", None, "y\n", "Add y"))
    ids = [r["row_id"] for r in rows]
    df = spark.createDataFrame(to_table(rows))
    out, stats = exact_dedup_contents(df, ExactDedupConfig())
    assert out.columns == df.columns + ["exact_content_dup_of"]
    got = {r.row_id: r.exact_content_dup_of for r in out.collect()}
    up, fork, gpl, other_file, early, nolic1, nolic2 = ids[:7]
    # x=1 -> x=2 rows (5 of them): survivor = permissive, most stars, earliest = early
    assert got[early] is None and all(got[i] == early for i in (up, fork, gpl, other_file))
    assert got[nolic1] == nolic2 and got[nolic2] is None  # 2 stars beat 1 when no license is permissive
    assert got[ids[7]] is None and got[ids[8]] is None  # contentless rows never group
    assert got[ids[9]] is None and got[ids[10]] is None
    assert stats["duplicates"] == 5 and stats["duplicate_groups"] == 2

    out2, stats2 = exact_dedup_contents(df, ExactDedupConfig(skip_contentless=False))
    got2 = {r.row_id: r.exact_content_dup_of for r in out2.collect()}
    assert {got2[ids[7]], got2[ids[8]]} == {None, min(ids[7], ids[8])}
    assert stats2["duplicates"] == 6


@pytest.mark.spark
def test_exact_needs_unique_row_ids(spark):
    rows = _rows()
    rows.append(dict(rows[1]))
    with pytest.raises(ValueError, match="unique row_id"):
        exact_dedup_contents(spark.createDataFrame(to_table(rows)), ExactDedupConfig())

import pytest

from octopack_spark.ft.dedup.config import MinHashConfig
from octopack_spark.ft.dedup.minhash import near_dedup
from tests.ft.dedup.commit_rows import make_row, planted_dataset, sha, to_table

pytestmark = pytest.mark.spark


def clusters_of(out):
    got = {}
    rows = out.select("row_id", "near_dup_cluster", "near_dup_of").collect()
    for r in rows:
        if r.near_dup_cluster is not None:
            got.setdefault(r.near_dup_cluster, set()).add(r.row_id)
            assert r.near_dup_of == (None if r.row_id == r.near_dup_cluster else r.near_dup_cluster)
        else:
            assert r.near_dup_of is None
    return got, len(rows)


def test_planted_forks_and_edited_copies_found_with_one_deterministic_survivor(spark):
    rows, expected = planted_dataset()
    df = spark.createDataFrame(to_table(rows))
    out, stats = near_dedup(df, MinHashConfig())
    assert out.columns == df.columns + ["near_dup_cluster", "near_dup_of"]
    got, n = clusters_of(out)
    assert n == len(rows)
    # exactly the planted clusters, keyed by the expected survivor: GPL forks with more stars lose to the
    # permissive upstream; a permissive fork with more stars wins; successive commits are not merged
    assert got == expected
    assert stats["clusters"] == len(expected)
    assert stats["duplicates"] == sum(len(m) - 1 for m in expected.values())
    assert stats["rows_in"] == len(rows) and stats["documents_hashed"] == len(rows)
    p = stats["params"]
    assert (p["ngram_size"], p["num_perm"], p["bands"], p["rows"], p["threshold"]) == (5, 256, 28, 9, 0.7)
    assert p["document"] == "change" and p["backend"] == "rensa"
    assert set(stats["seconds"]) >= {"signatures", "banding_components", "total"}

    # Same survivors whatever the partitioning and the input order.
    shuffled = spark.createDataFrame(to_table(rows[::-1])).repartition(7)
    got2, _ = clusters_of(near_dedup(shuffled, MinHashConfig())[0])
    assert got2 == expected


def test_sample_mode_also_merges_successive_commits_to_one_file(spark):
    # Why `change` is the default: with whole-file documents, two different commits to the same file are
    # "near-duplicates" (their files are 98% the same), so real history collapses into one row.
    rows, expected = planted_dataset()
    out, stats = near_dedup(spark.createDataFrame(to_table(rows)), MinHashConfig(document="sample"))
    got, _ = clusters_of(out)
    successive = [{r["row_id"] for r in rows if r["repo"] == f"upstream{i}/{r['repo'].split('/')[1]}"}
                  for i in range(3, 24, 4)]
    for pair in successive:
        assert len(pair) == 2 and any(pair <= m for m in got.values())
    for members in expected.values():
        assert any(members <= m for m in got.values())
    assert stats["params"]["document"] == "sample"


def test_backends_short_documents_and_no_verification(spark):
    rows, expected = planted_dataset(n_base=8)
    rows.append(make_row("tiny/a", sha("t1"), "t.py", "x = 1\n", "x = 2\n", "Fix x"))
    rows.append(make_row("tiny/b", sha("t2"), "t.py", "x = 1\n", "x = 2\n", "Fix x"))
    df = spark.createDataFrame(to_table(rows))
    # batch_rows=3: every Arrow batch is hashed in several slices
    for cfg in (MinHashConfig(backend="numpy", batch_rows=3), MinHashConfig(verify_candidates=False, num_perm=128)):
        out, stats = near_dedup(df, cfg)
        got, n = clusters_of(out)
        assert n == len(rows)
        assert got == expected  # the two tiny rows are below min_tokens: never clustered
        assert stats["too_short"] == 2
    assert stats["candidate_edges"] == stats["verified_edges"]


def test_missing_row_id_duplicate_ids_and_narrow_frames(spark):
    rows, expected = planted_dataset(n_base=4)
    df = spark.createDataFrame(to_table(rows))
    with pytest.raises(ValueError, match="row_id"):
        near_dedup(df.drop("row_id"), MinHashConfig())
    with pytest.raises(ValueError, match="unique row_id"):
        near_dedup(df.unionByName(df.limit(1)), MinHashConfig())
    # a narrowed frame (no survivor columns): works, and adds nothing but the two annotations
    narrow = df.select("row_id", "subject", "old_contents", "new_contents")
    out, _ = near_dedup(narrow, MinHashConfig())
    assert out.columns == narrow.columns + ["near_dup_cluster", "near_dup_of"]
    assert out.where("near_dup_of is not null").count() == sum(len(m) - 1 for m in expected.values())


def test_identical_survivors_with_4_and_64_partitions(spark):
    rows, expected = planted_dataset()
    results = []
    for n in (4, 64):
        df = spark.createDataFrame(to_table(rows)).repartition(n)
        assert df.rdd.getNumPartitions() == n
        got, count = clusters_of(near_dedup(df, MinHashConfig())[0])
        assert count == len(rows)
        results.append(got)
    assert results[0] == results[1] == expected

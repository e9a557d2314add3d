"""ft's verdict column: the native Spark expression picks the same reason as the pure `first_reason`."""
import itertools

from octopack_spark.ft.filters.pipeline import first_reason, reason_order
from octopack_spark.ft.job import final_reason_column

DEDUP = (("exact_commit_dup", "exact_commit_dup_of"), ("exact_content_dup", "exact_content_dup_of"),
         ("decontaminated", "decont_hit"), ("near_dup", "near_dup_of"))


def _cases():
    order = reason_order()
    row_reasons = [None, [], [order[0]], [order[5], order[1]], ["not_a_rule"], ["not_b", "not_a"],
                   [order[-1], "not_a_rule", order[3]]]
    for reasons, flags in itertools.product(row_reasons, itertools.product([None, "x"], repeat=4)):
        yield reasons, flags


def test_native_verdict_matches_first_reason(spark):
    active = {"exact_commit_dup", "decontaminated", "near_dup"}  # exact_content_dup switched off
    rows = [(i, reasons, *flags) for i, (reasons, flags) in enumerate(_cases())]
    cols = "id int, drop_reasons array<string>, " + ", ".join(f"{c} string" for _, c in DEDUP)
    df = spark.createDataFrame(rows, cols).withColumn("drop_reason", final_reason_column(active))
    got = {r["id"]: r["drop_reason"] for r in df.collect()}
    for i, reasons, *flags in rows:
        found = list(reasons or []) + [name for (name, _), v in zip(DEDUP, flags) if v is not None and name in active]
        assert got[i] == first_reason(found), (reasons, flags)
    assert len(got) == len(rows) and any(v is None for v in got.values()) and len(set(got.values())) > 4

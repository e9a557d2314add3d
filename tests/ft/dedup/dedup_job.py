"""Run exact dedup, near-dedup and decontamination on a Parquet file of commit rows with a given Spark
master and write every row's annotations as JSON (used by test_local_vs_cluster.py in a subprocess:
one JVM hosts one SparkContext, so each master gets its own process).

    python tests/ft/dedup/dedup_job.py --master spark://127.0.0.1:7077 --input rows.parquet \
        --humanevalpack DIR --output out.json
"""

from __future__ import annotations

import argparse
import json


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--master", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--humanevalpack", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--partitions", type=int, default=4)
    a = ap.parse_args(argv)

    from octopack_spark.config import SparkConfig
    from octopack_spark.ft.decont.config import DecontConfig
    from octopack_spark.ft.decont.humanevalpack import decontaminate
    from octopack_spark.ft.dedup.config import ExactDedupConfig, MinHashConfig
    from octopack_spark.ft.dedup.exact import exact_dedup_commits, exact_dedup_contents
    from octopack_spark.ft.dedup.minhash import near_dedup
    from octopack_spark.spark.session import get_spark

    spark = get_spark(SparkConfig(master=a.master, app_name="ft-dedup-compare",
                                  conf={"spark.sql.shuffle.partitions": str(a.partitions),
                                        "spark.executor.memory": "1g"}))
    try:
        df = spark.read.parquet(a.input).repartition(a.partitions)
        df, s1 = exact_dedup_commits(df, ExactDedupConfig())
        df, s2 = exact_dedup_contents(df, ExactDedupConfig())
        df, s3 = near_dedup(df, MinHashConfig())
        df, s4 = decontaminate(df, DecontConfig(source=a.humanevalpack))
        cols = ["row_id", "repos", "exact_commit_dup_of", "exact_content_dup_of", "near_dup_cluster",
                "near_dup_of", "decont_hit"]
        rows = sorted((r.asDict() for r in df.select(*cols).collect()), key=lambda r: r["row_id"])
        out = {"master": spark.sparkContext.master, "rows": rows,
               "stats": {s["stage"]: {k: v for k, v in s.items() if k != "seconds"} for s in (s1, s2, s3, s4)}}
        with open(a.output, "w") as fh:
            json.dump(out, fh, indent=1, sort_keys=True, default=str)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

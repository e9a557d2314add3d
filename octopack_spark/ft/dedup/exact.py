"""Exact dedup of commit rows: by commit key (the paper's SQL step 2) and by file contents.

Both work on a narrow projection (row_id, a SHA-256 group key, the survivor columns, repos): contents
never travel through the shuffle, and the annotation table holds only rows of groups with duplicates,
so joining it back is usually a broadcast join. Keys are SHA-256 of the JSON of the key fields (JSON
keeps null and "" apart and cannot be confused by separators inside values).
"""

from __future__ import annotations

import time

from octopack_spark.ft.dedup.config import ExactDedupConfig

COMMIT_KEY = ("commit", "subject", "message", "license", "file")


def merge_repos(values) -> str:
    """Sorted, comma-joined union of comma-separated repo lists (pure twin of the Spark expression)."""
    names = set()
    for v in values:
        for name in (v or "").split(","):
            name = name.strip()
            if name:
                names.add(name)
    return ",".join(sorted(names))


def _group_survivors(df, key_col, cfg: ExactDedupConfig):
    """Rows of groups with >= 2 rows: (row_id, _key, _survivor)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from octopack_spark.ft.dedup.survivor import survivor_order

    ordered = Window.partitionBy("_key").orderBy(*survivor_order(cfg.survivor))
    whole = Window.partitionBy("_key")
    cols = [F.col("row_id"), F.col("_key"), F.first("row_id").over(ordered).alias("_survivor"),
            F.count("*").over(whole).alias("_n")]
    return (df.withColumn("_key", key_col).where(F.col("_key").isNotNull()).select(*cols)
            .where(F.col("_n") > 1).drop("_n"))


def _check_unique(annot, what: str):
    from pyspark.sql import functions as F

    r = annot.agg(F.count("*").alias("n"), F.countDistinct("row_id").alias("ids")).first()
    if r["n"] != r["ids"]:
        raise ValueError(f"{what} needs unique row_id values ({r['n']} rows in duplicate groups, {r['ids']} ids)")


def exact_dedup_commits(df, cfg: ExactDedupConfig):
    """Group rows by (commit, subject, message, license, file path = new_file, else old_file). The
    survivor's `repos` becomes the sorted, comma-joined union of the group's repos (the paper's
    STRING_AGG); other rows get `exact_commit_dup_of` = survivor row_id and keep their own `repos`.
    Returns (DataFrame with all input columns, same row count; stats dict)."""
    from pyspark.sql import functions as F

    from octopack_spark.ft.dedup.survivor import with_survivor_columns

    t0 = time.perf_counter()
    missing = [c for c in ("commit", "subject", "message", "repos", "new_file", "old_file") if c not in df.columns]
    if missing:
        raise ValueError(f"exact_dedup_commits: input lacks column(s) {missing}")
    rows_in = df.count()
    # Rows of one group share their commit id and file; a (commit, file) pair seen once (nearly every row,
    # unless forks or mirrors are mined) cannot be a duplicate: only the rest go through the key and windows.
    file_col = F.coalesce(F.col("new_file"), F.col("old_file"))
    pairs = (df.select(F.col("commit").alias("_commit"), file_col.alias("_file")).groupBy("_commit", "_file")
             .count().where(F.col("count") > 1).drop("count"))
    maybe = df.join(pairs, (F.col("commit") == F.col("_commit")) & file_col.eqNullSafe(F.col("_file")), "left_semi")
    base = with_survivor_columns(maybe)
    fields = [F.col(c) for c in ("commit", "subject", "message", "license")] + [file_col.alias("file")]
    key = F.sha2(F.to_json(F.struct(*fields)), 256)

    keyed = base.withColumn("_key", key)
    # One aggregate per group (not a window list per row: a commit shared by 10k forks stays linear).
    names = F.explode(F.split(F.coalesce(F.col("repos"), F.lit("")), ","))
    repos = (keyed.select("_key", names.alias("name")).select("_key", F.trim("name").alias("name"))
             .where(F.col("name") != "")
             .groupBy("_key").agg(F.array_join(F.array_sort(F.collect_set("name")), ",").alias("_repos")))
    annot = (_group_survivors(base, key, cfg).join(repos, "_key", "left")
             .select("row_id",
                     F.when(F.col("row_id") != F.col("_survivor"), F.col("_survivor")).alias("exact_commit_dup_of"),
                     F.when(F.col("row_id") == F.col("_survivor"), F.col("_repos")).alias("_merged_repos"),
                     "_survivor")
             .localCheckpoint(eager=True))
    _check_unique(annot, "exact_dedup_commits")
    agg = annot.agg(F.count("*").alias("in_groups"), F.count("exact_commit_dup_of").alias("dups"),
                    F.countDistinct("_survivor").alias("groups")).first()
    out = (df.join(annot.drop("_survivor"), "row_id", "left")
           .withColumn("repos", F.coalesce(F.col("_merged_repos"), F.col("repos")))
           .select(*df.columns, "exact_commit_dup_of"))
    return out, _group_stats("exact_dedup_commits", rows_in, agg, t0, {
        "key": list(COMMIT_KEY), "file": "coalesce(new_file, old_file)",
        "permissive_licenses": list(cfg.survivor.permissive_licenses)})


def _group_stats(stage: str, rows_in: int, agg, t0: float, params: dict) -> dict:
    """The stats record of one exact-dedup step (its keys and order are stats.json's `steps.<stage>`)."""
    return {
        "stage": stage,
        "rows_in": int(rows_in),
        "duplicate_groups": int(agg["groups"] or 0),
        "rows_in_groups": int(agg["in_groups"] or 0),
        "duplicates": int(agg["dups"] or 0),
        "params": params,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def exact_dedup_contents(df, cfg: ExactDedupConfig):
    """Adds `exact_content_dup_of` (survivor row_id, or null) for rows with identical
    (old_contents, new_contents). Returns (DataFrame, stats dict)."""
    from pyspark.sql import functions as F

    from octopack_spark.ft.dedup.survivor import with_survivor_columns

    t0 = time.perf_counter()
    base = with_survivor_columns(df)
    key = F.sha2(F.to_json(F.struct(F.col("old_contents").alias("o"), F.col("new_contents").alias("n"))), 256)
    if cfg.skip_contentless:
        key = F.when(F.col("old_contents").isNotNull() | F.col("new_contents").isNotNull(), key)
    annot = (_group_survivors(base, key, cfg)
             .select("row_id",
                     F.when(F.col("row_id") != F.col("_survivor"), F.col("_survivor")).alias("exact_content_dup_of"),
                     F.col("_survivor"))
             .localCheckpoint(eager=True))
    _check_unique(annot, "exact_dedup_contents")
    agg = annot.agg(F.count("*").alias("in_groups"), F.count("exact_content_dup_of").alias("dups"),
                    F.countDistinct("_survivor").alias("groups")).first()
    rows_in = df.count()
    out = df.join(annot.drop("_survivor"), "row_id", "left").select(*df.columns, "exact_content_dup_of")
    stats = _group_stats("exact_dedup_contents", rows_in, agg, t0, {
        "key": ["old_contents", "new_contents"], "skip_contentless": cfg.skip_contentless,
        "permissive_licenses": list(cfg.survivor.permissive_licenses)})
    return out, stats

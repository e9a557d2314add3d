"""MinHash LSH near-dedup on Spark: signatures in executors, banding and connected components as
DataFrame jobs, a deterministic survivor per cluster."""

from __future__ import annotations

from octopack_spark.ft.dedup.config import MinHashConfig


def near_dedup(df, cfg: MinHashConfig):
    """Adds `near_dup_cluster` (the cluster's survivor row_id; null outside clusters) and `near_dup_of`
    (survivor row_id for removed rows; null for survivors and singletons). Returns (DataFrame, stats)."""
    raise NotImplementedError("near_dedup: in progress (ft-dedup)")

"""The deterministic survivor rule shared by every dedup stage.

Order (best first): permissive license, more stars (unknown counts as below 0), earliest committer_time
(unknown last), smallest row_id. row_id is unique, so this is a total order: the kept row does not depend
on partitioning, task timing or the engine (local mode, a cluster), unlike "first row seen" or
monotonically_increasing_id (text-dedup #28/#71/#88).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from octopack_spark.ft.dedup.config import SurvivorConfig

SURVIVOR_COLUMNS = ("license", "stars", "committer_time", "row_id")

_FAR_FUTURE = dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)


def survivor_key(row: Mapping[str, Any], cfg: SurvivorConfig) -> tuple:
    """Sort key of a row (smaller = better); the pure-Python statement of the rule."""
    lic = (row.get("license") or "").lower()
    stars = row.get("stars")
    t = row.get("committer_time")
    if isinstance(t, dt.datetime) and t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return (
        0 if lic in set(cfg.permissive_licenses) else 1,
        -(stars if stars is not None else -1),
        t if t is not None else _FAR_FUTURE,
        row["row_id"],
    )


def with_survivor_columns(df):
    """`df` with any missing survivor column added as null (ft-core may pass a narrowed frame)."""
    from pyspark.sql import functions as F

    if "row_id" not in df.columns:
        raise ValueError("dedup needs a `row_id` column (stable id of each commit row)")
    types = {"license": "string", "stars": "bigint", "committer_time": "timestamp"}
    for c, t in types.items():
        if c not in df.columns:
            df = df.withColumn(c, F.lit(None).cast(t))
    return df


def survivor_order(cfg: SurvivorConfig):
    """Spark sort expressions of the rule (use in a Window's orderBy)."""
    from pyspark.sql import functions as F

    permissive = [x.lower() for x in cfg.permissive_licenses]
    return [
        F.when(F.lower(F.col("license")).isin(permissive), F.lit(0)).otherwise(F.lit(1)).asc(),
        F.coalesce(F.col("stars"), F.lit(-1)).cast("bigint").desc(),
        F.col("committer_time").asc_nulls_last(),
        F.col("row_id").asc(),
    ]

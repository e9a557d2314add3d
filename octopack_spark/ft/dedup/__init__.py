"""Exact dedup and MinHash LSH near-dedup of commit rows (see docs/dedup.md)."""

from octopack_spark.ft.dedup.config import ExactDedupConfig, MinHashConfig, SurvivorConfig

__all__ = ["ExactDedupConfig", "MinHashConfig", "SurvivorConfig"]

"""Decontamination against HumanEvalPack (see docs/dedup.md)."""

from octopack_spark.ft.decont.config import DecontConfig

__all__ = ["DecontConfig"]

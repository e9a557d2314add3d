"""Decontamination of commit rows against HumanEvalPack (6 languages): exact substring and n-gram."""

from __future__ import annotations

from octopack_spark.ft.decont.config import DecontConfig


def decontaminate(df, cfg: DecontConfig):
    """Adds `decont_hit`: null, or the first hit such as "exact:Python/12:canonical_solution" or
    "ngram13:JavaScript/3:test". Returns (DataFrame with all input columns, same row count; stats)."""
    raise NotImplementedError("decontaminate: in progress (ft-dedup)")

"""Configs of the dedup stages: exact dedup and MinHash LSH near-dedup.

FtConfig embeds them as fields `exact` and `minhash`; every field is recorded in the stage stats so a
published dataset says how it was deduplicated.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from octopack_spark.licenses import PERMISSIVE_LICENSES


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SurvivorConfig(_Cfg):
    """Which row of a duplicate group is kept: permissive license first, then more stars (unknown
    stars count as fewer than 0), then the earliest committer_time, then the smallest row_id. The
    rule is a total order, so every engine (local, cluster, any partitioning) keeps the same row."""

    permissive_licenses: list[str] = Field(default_factory=lambda: list(PERMISSIVE_LICENSES))


class ExactDedupConfig(_Cfg):
    survivor: SurvivorConfig = Field(default_factory=SurvivorConfig)
    # Rows whose old and new contents are both null (skipped binaries, too-large files) carry no
    # text to compare; they never count as content duplicates of each other.
    skip_contentless: bool = True


DocumentMode = Literal["change", "sample", "new_contents"]
Backend = Literal["numpy", "rensa", "datasketch"]


class MinHashConfig(_Cfg):
    # What a row's document is (see docs/dedup.md):
    #   change: subject + the changed lines with `context_lines` of context (default). Successive
    #           commits to one file share most of their contents but not their change, so they are
    #           not merged into one cluster; forks and edited copies of the same change are.
    #   sample: subject + old_contents + new_contents, the training sample as the model sees it.
    #   new_contents: the file after the commit only (The Stack-style file dedup).
    document: DocumentMode = "change"
    context_lines: int = Field(default=3, ge=0, le=50)
    # Word n-grams over code tokens (identifiers, numbers, single punctuation characters).
    ngram_size: int = Field(default=5, ge=1, le=64)
    lowercase: bool = False
    num_perm: int = Field(default=256, ge=8, le=1024)
    # LSH banding. Leave both unset to choose them from `threshold` (minimum weighted false-positive +
    # false-negative area, as text-dedup does); set both to force a layout.
    bands: Optional[int] = Field(default=None, ge=1)
    rows: Optional[int] = Field(default=None, ge=1)
    threshold: float = Field(default=0.7, gt=0.0, lt=1.0)
    # Weights of false positives / false negatives when choosing bands x rows. Recall is favoured
    # because verify_candidates removes the false positives afterwards (defaults give 28 x 9).
    fp_weight: float = Field(default=0.3, ge=0.0)
    fn_weight: float = Field(default=0.7, ge=0.0)
    # Drop candidate edges whose signature-estimated Jaccard is below `threshold` (removes the false
    # positives of banding at little cost: the signatures are already computed).
    verify_candidates: bool = True
    seed: int = Field(default=42, ge=0)
    # rensa: our tokens + 64-bit shingle hashes, rensa's R-MinHash over them in Rust (fastest measured,
    #        see benchmarks/minhash_bench.py); numpy: classical MinHash, vectorised, no extra library;
    # datasketch: the library's MinHash over shingle strings (slow; a baseline).
    # Signatures are not interchangeable between backends: a run uses one throughout.
    backend: Backend = "rensa"
    # Documents with fewer tokens than this are not near-deduplicated (too little text to judge).
    min_tokens: int = Field(default=20, ge=1)
    # Connected components: large-star / small-star rounds before giving up with an error.
    max_iterations: int = Field(default=40, ge=1)
    # Rows of text hashed per Arrow batch inside the executors.
    batch_rows: int = Field(default=512, ge=1)
    survivor: SurvivorConfig = Field(default_factory=SurvivorConfig)

    @model_validator(mode="after")
    def _check_bands(self) -> "MinHashConfig":
        if (self.bands is None) != (self.rows is None):
            raise ValueError("minhash.bands and minhash.rows must be set together (or both left unset)")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"minhash.bands x minhash.rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}"
            )
        if self.fp_weight + self.fn_weight <= 0:
            raise ValueError("minhash.fp_weight + minhash.fn_weight must be > 0")
        return self

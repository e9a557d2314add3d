"""Config of HumanEvalPack decontamination (FtConfig field `decont`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from octopack_spark.humanevalpack import LANGUAGES

HEP_FIELDS = ("prompt", "canonical_solution", "buggy_solution", "test", "declaration", "example_test")

Field_ = Literal["prompt", "canonical_solution", "buggy_solution", "test", "declaration", "example_test"]


class DecontConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # "bundled" (the copy shipped in octopack_spark/data/humanevalpack, MIT, checked against its SHA256SUMS),
    # a directory holding {python,js,java,go,cpp,rust}.jsonl, or an HF dataset name
    # ("bigcode/humanevalpack", one config per language, split "test").
    source: str = "bundled"
    languages: list[str] = Field(default_factory=lambda: list(LANGUAGES))
    fields: list[Field_] = Field(default_factory=lambda: ["prompt", "canonical_solution", "buggy_solution", "test"])
    # Row columns searched.
    columns: list[str] = Field(default_factory=lambda: ["old_contents", "new_contents"])
    # Exact substring match after whitespace normalisation (runs of whitespace -> one space, trimmed).
    # Benchmark strings shorter than this are not matched exactly: `}` or `return len(string)` are
    # everywhere in real code.
    exact: bool = True
    exact_min_chars: int = Field(default=60, ge=1)
    # n-gram overlap on word tokens (identifiers/numbers): a row hits a benchmark string when it holds
    # at least `ngram_min_overlap` of that string's distinctive n-grams, and at least
    # `ngram_min_hits` of them. n-grams found in `common_ngram_tasks` or more HumanEval problems
    # (boilerplate such as Java's `public static void main` or C++ include blocks) are not distinctive.
    ngram: bool = True
    ngram_size: int = Field(default=13, ge=3, le=64)
    # Measured (docs/dedup.md): on 8,000 real source files (CPython stdlib, Go stdlib, libstdc++ headers,
    # node_modules JS) no file holds more than 0.15 of any benchmark string's distinctive 13-grams, so
    # 0.3 keeps a 2x margin while catching copies with a renamed function or a few lines dropped.
    ngram_min_overlap: float = Field(default=0.3, gt=0.0, le=1.0)
    ngram_min_hits: int = Field(default=3, ge=1)
    common_ngram_tasks: int = Field(default=3, ge=2)

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if x not in LANGUAGES]
        if bad or not v:
            raise ValueError(f"decont.languages must be a non-empty subset of {list(LANGUAGES)}; got {v}")
        return v

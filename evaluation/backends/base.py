"""The generation interface every backend implements (like evalplus' DecoderBase, two methods small).

A backend gets prompts and returns, per prompt, n raw completions: the text the model produced after the
prompt. Post-processing (stop sequences, brace counting) happens afterwards in one place, so every backend is
scored the same way; backends may use `stop_words` / `code` only to stop early and save tokens.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field


class SamplingParams(BaseModel):
    """How to sample. Defaults are the paper's (spec §4): T 0.2, top-p 0.95, n 20, batch 5, max length 2048."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(default=0.2, ge=0)  # 0 = greedy
    top_p: float = Field(default=0.95, gt=0, le=1)
    # Prompt + generation tokens (local models; the harness's --max_length_generation).
    max_length: int = Field(default=2048, ge=1)
    # Cap on generated tokens; None = up to max_length (local) or http_default_max_tokens (HTTP).
    max_new_tokens: Optional[int] = Field(default=None, ge=1)
    http_default_max_tokens: int = Field(default=1024, ge=1)
    # Samples generated together per prompt (local models); also the seeding unit.
    batch_size: int = Field(default=5, ge=1)
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass(frozen=True)
class GenerationRequest:
    key: str  # stable id, e.g. "synthesize/python/Python/0" (seed source)
    prompt: str
    language: str
    index: int = 0  # problem position in the dataset
    offset: int = 0  # first sample number (explain-synthesize: which description)
    stop_words: tuple[str, ...] = ()
    code: bool = True  # the answer is code (stop when the function closes) or text
    group: str = ""  # "<task>/<language>" (generations-file lookup)


@dataclass
class GenerationResult:
    key: str
    completions: list[str]
    # Why completions are missing or empty (prompt too long, server error); None when fine.
    error: Optional[str] = None
    meta: dict = field(default_factory=dict)


def derive_seed(seed: int, key: str, chunk: int = 0) -> int:
    """Seed for one (prompt, batch) pair: independent of batching across prompts and of run order."""
    h = hashlib.sha256(f"{seed}\x00{key}\x00{chunk}".encode()).digest()
    return int.from_bytes(h[:4], "big") & 0x7FFFFFFF


class Backend(ABC):
    name: str = "backend"

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest], n: int,
                 params: SamplingParams) -> list[GenerationResult]:
        """n raw completions per request, in request order."""

    def describe(self) -> dict:
        """What produced the generations (stored in the results' config)."""
        return {"backend": self.name}

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

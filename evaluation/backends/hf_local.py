"""A local Hugging Face model directory (config.json + weights + tokenizer), e.g. `octopack train --output`.

Sampling is seeded per (prompt key, batch) with `derive_seed`, so the same model, settings and hardware give the
same completions whatever order or subset of problems is run. Generation stops early for a sequence once the
post-processing rule says its function is complete (or a stop sequence appeared), as the harness does.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Optional, Sequence

from evaluation.backends.base import Backend, GenerationRequest, GenerationResult, SamplingParams, derive_seed
from evaluation.postprocess import is_finished
from octopack_spark.errors import UserFacingError

log = logging.getLogger(__name__)


def _context_window(config) -> Optional[int]:
    for attr in ("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length"):
        v = getattr(config, attr, None)
        if isinstance(v, int) and v > 0:
            return v
    return None


class HFLocalBackend(Backend):
    name = "transformers"

    def __init__(self, path: str | Path, device: str = "auto", dtype: str = "auto",
                 trust_remote_code: bool = False):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.path = Path(path)
        if not (self.path / "config.json").is_file():
            raise UserFacingError(f"{self.path} is not a Hugging Face model directory (no config.json)")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        if dtype == "auto":
            # bf16 as in the paper on GPUs; fp32 on CPU where bf16 matmuls are slow and less exact.
            torch_dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        else:
            try:
                torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
            except KeyError:
                raise UserFacingError(f"dtype must be auto, float32, bfloat16 or float16, got {dtype!r}") from None
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path, trust_remote_code=trust_remote_code)
        except Exception as e:
            raise UserFacingError(f"cannot load a tokenizer from {self.path}: {e}") from None
        try:
            self.model = AutoModelForCausalLM.from_pretrained(
                self.path, dtype=torch_dtype, trust_remote_code=trust_remote_code)
        except Exception as e:
            raise UserFacingError(f"cannot load a causal LM from {self.path}: {e}") from None
        self.model.to(device).eval()
        eos = self.tokenizer.eos_token_id
        if eos is None:
            eos = self.model.config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        self.pad_id = self.tokenizer.pad_token_id
        if self.pad_id is None:
            self.pad_id = next(iter(self.eos_ids), 0)
        self.window = _context_window(self.model.config)

    def describe(self) -> dict:
        return {"backend": self.name, "path": str(self.path), "device": self.device,
                "dtype": str(self.model.dtype).replace("torch.", ""), "context_window": self.window}

    def _decode(self, ids: list[int]) -> str:
        # Everything after EOS/padding is not part of the answer.
        for i, t in enumerate(ids):
            if t in self.eos_ids or t == self.pad_id:
                ids = ids[:i]
                break
        return self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def _stopping(self, prompt_len: int, req: GenerationRequest):
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        backend = self

        class _Finished(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                done = [is_finished(backend._decode(row[prompt_len:].tolist()), req.language, req.stop_words,
                                    code=req.code) for row in input_ids]
                return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

        return StoppingCriteriaList([_Finished()])

    def _generate_one(self, req: GenerationRequest, n: int, params: SamplingParams) -> GenerationResult:
        import torch

        enc = self.tokenizer(req.prompt, return_tensors="pt")
        input_ids = enc["input_ids"].to(self.device)
        attn = enc["attention_mask"].to(self.device)
        prompt_len = input_ids.shape[1]
        limit = params.max_length if self.window is None else min(params.max_length, self.window)
        budget = limit - prompt_len
        if params.max_new_tokens is not None:
            budget = min(budget, params.max_new_tokens)
        if budget <= 0:
            return GenerationResult(req.key, [""] * n,
                                    error=f"prompt is {prompt_len} tokens, no room to generate within {limit}")
        completions: list[str] = []
        # Greedy decoding gives the same answer every time: generate once, repeat it n times.
        chunks = [1] if params.greedy else \
            [min(params.batch_size, n - c * params.batch_size) for c in range(math.ceil(n / params.batch_size))]
        for chunk, size in enumerate(chunks):
            torch.manual_seed(derive_seed(params.seed, req.key, chunk))
            kwargs = dict(do_sample=not params.greedy, max_new_tokens=budget, num_return_sequences=size,
                          pad_token_id=self.pad_id, stopping_criteria=self._stopping(prompt_len, req))
            if not params.greedy:
                kwargs.update(temperature=params.temperature, top_p=params.top_p)
            with torch.no_grad():
                out = self.model.generate(input_ids=input_ids, attention_mask=attn, **kwargs)
            completions += [self._decode(row[prompt_len:].tolist()) for row in out]
        if params.greedy:
            completions = completions * n
        return GenerationResult(req.key, completions, meta={"prompt_tokens": prompt_len})

    def generate(self, requests: Sequence[GenerationRequest], n: int,
                 params: SamplingParams) -> list[GenerationResult]:
        out = []
        for i, r in enumerate(requests):
            out.append(self._generate_one(r, n, params))
            if (i + 1) % 10 == 0:
                log.info("generated %d/%d prompts", i + 1, len(requests))
        return out

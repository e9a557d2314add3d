"""Generation backends behind one interface (base.Backend): a local HF model directory, an OpenAI-compatible
HTTP server, or a file of saved completions. `load_backend` picks one from the --model argument."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from evaluation.backends.base import Backend, GenerationRequest, GenerationResult, SamplingParams, derive_seed
from octopack_spark.errors import UserFacingError

__all__ = ["Backend", "GenerationRequest", "GenerationResult", "SamplingParams", "derive_seed", "load_backend"]


def load_backend(model: str, *, model_name: Optional[str] = None, device: str = "auto", dtype: str = "auto",
                 trust_remote_code: bool = False, http_concurrency: int = 8, http_timeout_s: float = 600.0,
                 http_max_retries: int = 5) -> Backend:
    """--model value -> backend:
    http(s)://host[:port][/v1]  OpenAI-compatible server (vLLM, TGI);
    file:PATH or PATH.json      saved completions;
    a directory                 local Hugging Face model (config.json + weights + tokenizer)."""
    if model.startswith(("http://", "https://")):
        from evaluation.backends.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(model, model=model_name, concurrency=http_concurrency,
                                   timeout_s=http_timeout_s, max_retries=http_max_retries)
    if model.startswith("file:") or model.endswith(".json"):
        from evaluation.backends.generations_file import GenerationsFileBackend

        return GenerationsFileBackend(model[len("file:"):] if model.startswith("file:") else model)
    p = Path(model)
    if p.is_dir():
        from evaluation.backends.hf_local import HFLocalBackend

        return HFLocalBackend(p, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
    raise UserFacingError(
        f"--model {model!r} is neither an http(s) URL, a generations .json file, nor an existing model directory "
        "(hub names are not fetched: HF_HUB_OFFLINE; download the model first)")

"""An OpenAI-compatible completions server (vLLM `vllm serve`, TGI, llama.cpp server): POST /v1/completions.

One HTTP request per prompt asks for all n samples (`n`), with a per-prompt `seed` derived from the prompt key
(vLLM honours it, so reruns reproduce). Requests run on a small thread pool; 429/5xx/connection errors are
retried with exponential backoff, other 4xx fail at once with the server's message. Only the standard library
is used, so executors and CI need nothing extra.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

from evaluation.backends.base import Backend, GenerationRequest, GenerationResult, SamplingParams, derive_seed
from octopack_spark.errors import UserFacingError

log = logging.getLogger(__name__)

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class EndpointError(UserFacingError):
    """The server refused or kept failing a request."""


def api_base(url: str) -> str:
    """'http://h:8000' or 'http://h:8000/v1' or '.../v1/completions' -> 'http://h:8000/v1'."""
    u = url.rstrip("/")
    if u.endswith("/completions"):
        u = u[: -len("/completions")]
    if not u.endswith("/v1"):
        u += "/v1"
    return u


class OpenAICompatBackend(Backend):
    name = "openai-compatible"

    def __init__(self, url: str, model: Optional[str] = None, api_key: Optional[str] = None,
                 timeout_s: float = 600.0, max_retries: int = 5, backoff_s: float = 1.0, concurrency: int = 8,
                 max_stop_sequences: int = 4):
        self.base = api_base(url)
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.concurrency = max(1, concurrency)
        # The OpenAI API accepts at most 4 stop sequences; vLLM/TGI more. Post-processing cuts the rest.
        self.max_stop_sequences = max_stop_sequences
        self.model = model or self._first_model()

    def _request(self, method: str, path: str, body: Optional[dict] = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = self.base + path
        last = ""
        for attempt in range(self.max_retries + 1):
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                    return json.loads(resp.read().decode("utf-8"))
            except urllib.error.HTTPError as e:
                text = e.read().decode("utf-8", "replace")[:500]
                if e.code not in RETRY_STATUS:
                    raise EndpointError(f"{method} {url} failed with HTTP {e.code}: {text}") from None
                last = f"HTTP {e.code}: {text}"
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
                last = f"{type(e).__name__}: {getattr(e, 'reason', e)}"
            except json.JSONDecodeError as e:
                raise EndpointError(f"{method} {url} returned a body that is not JSON: {e}") from None
            if attempt < self.max_retries:
                delay = self.backoff_s * (2 ** attempt)
                log.warning("%s %s: %s; retry %d/%d in %.1fs", method, url, last, attempt + 1,
                            self.max_retries, delay)
                time.sleep(delay)
        raise EndpointError(f"{method} {url} still failing after {self.max_retries} retries: {last}")

    def _first_model(self) -> str:
        listing = self._request("GET", "/models")
        models = [m.get("id") for m in listing.get("data", []) if isinstance(m, dict) and m.get("id")]
        if not models:
            raise EndpointError(f"{self.base}/models lists no model; pass the model name explicitly")
        return models[0]

    def _body(self, req: GenerationRequest, n: int, params: SamplingParams, chunk: int) -> dict:
        body = {
            "model": self.model,
            "prompt": req.prompt,
            "n": n,
            "max_tokens": params.max_new_tokens or params.http_default_max_tokens,
            "temperature": params.temperature,
            "top_p": 1.0 if params.greedy else params.top_p,
            "seed": derive_seed(params.seed, req.key, chunk),
        }
        if req.stop_words and self.max_stop_sequences > 0:
            stops = list(req.stop_words)
            if len(stops) > self.max_stop_sequences:  # keep the first ones and EOS (always last)
                stops = stops[: self.max_stop_sequences - 1] + stops[-1:]
            body["stop"] = stops
        return body

    def _choices(self, body: dict) -> list[dict]:
        choices = self._request("POST", "/completions", body).get("choices")
        if not isinstance(choices, list):
            return []
        return sorted((c for c in choices if isinstance(c, dict)), key=lambda c: c.get("index", 0))

    def _one(self, req: GenerationRequest, n: int, params: SamplingParams) -> GenerationResult:
        choices = self._choices(self._body(req, n, params, 0))[:n]
        # Servers without `n` support (TGI) answer once: ask for the rest one at a time, each with its own seed.
        i = len(choices)
        while choices and i < n:
            more = self._choices(self._body(req, 1, params, i))
            if not more:
                break
            choices.append(more[0])
            i += 1
        if len(choices) < n:
            return GenerationResult(req.key, [""] * n,
                                    error=f"server returned {len(choices)} choices, asked for {n}")
        texts = [c.get("text") if isinstance(c.get("text"), str) else "" for c in choices]
        return GenerationResult(req.key, texts, meta={"finish_reasons": [c.get("finish_reason") for c in choices]})

    def generate(self, requests: Sequence[GenerationRequest], n: int,
                 params: SamplingParams) -> list[GenerationResult]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(lambda r: self._one(r, n, params), requests))

    def describe(self) -> dict:
        return {"backend": self.name, "url": self.base, "model": self.model}

"""Token counting for the token-length rule: any Hugging Face tokenizer by name or local path.

The paper counted StarCoder tokens of `old + "<|endoftext|>" + new`. There is no hub access at run
time in many setups, so loading resolves names from the local HF cache only when the hub is offline,
and a failure stops the job with a message naming the remedies, unless the user chose the documented
fallback `ft.tokens.fallback: chars` (ceil(chars / chars_per_token) + 1 for the separator; an estimate,
recorded as such in stats.json and the data card).
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from octopack_spark.errors import UserFacingError


class TokenizerUnavailable(UserFacingError):
    pass


@dataclass(frozen=True)
class TokenCounter:
    method: str  # "hf:<name or path>" or "chars/<chars_per_token>"
    tokenizer: Any = None  # a `tokenizers.Tokenizer` or a transformers tokenizer; None for "chars"
    chars_per_token: float = 0.0

    def count(self, texts: Sequence[str], batch_size: int = 256) -> list[int]:
        if self.tokenizer is None:
            return [math.ceil(len(t) / self.chars_per_token) for t in texts]
        out: list[int] = []
        for s in range(0, len(texts), batch_size):
            chunk = list(texts[s:s + batch_size])
            if hasattr(self.tokenizer, "encode_batch"):  # tokenizers.Tokenizer (fast path, no Python loop)
                out += [len(e.ids) for e in self.tokenizer.encode_batch(chunk, add_special_tokens=True)]
            else:
                out += [len(ids) for ids in self.tokenizer(chunk, add_special_tokens=True)["input_ids"]]
        return out

    def count_pairs(self, old: Sequence[str], new: Sequence[str], separator: str, batch_size: int = 256) -> list[int]:
        """Tokens of old + separator + new (the separator counts as one token in the chars estimate)."""
        if self.tokenizer is None:
            return [math.ceil((len(o) + len(n)) / self.chars_per_token) + 1 for o, n in zip(old, new)]
        return self.count([o + separator + n for o, n in zip(old, new)], batch_size)


def _from_tokenizer_json(path: str):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(path)


def _hint(name: str) -> str:
    return (
        f"cannot load tokenizer {name!r}. Give a local tokenizer instead (--tokenizer DIR saved with "
        "save_pretrained, or a tokenizer.json file; for the paper's setting copy bigcode/starcoder's "
        "tokenizer files onto this machine), or accept an approximate count with --token-fallback chars "
        "(ft.tokens.fallback: chars, ceil(chars / ft.tokens.chars_per_token))"
    )


@functools.lru_cache(maxsize=4)
def _load(name: str, fallback: str, chars_per_token: float, allow_download: bool) -> TokenCounter:
    path = os.path.expanduser(name)
    errors: list[str] = []
    try:
        if os.path.isfile(path):
            return TokenCounter(f"hf:{name}", _from_tokenizer_json(path))
        if name.startswith(("/", "./", "../", "~")) and not os.path.exists(path):
            raise FileNotFoundError(f"no such file or directory: {path}")
        if os.path.isdir(path) and os.path.isfile(os.path.join(path, "tokenizer.json")):
            # save_pretrained writes added/special tokens into tokenizer.json, so the file is enough.
            return TokenCounter(f"hf:{name}", _from_tokenizer_json(os.path.join(path, "tokenizer.json")))
        return TokenCounter(f"hf:{name}", _auto_tokenizer(path if os.path.isdir(path) else name, allow_download))
    except Exception as e:  # any loading failure (missing files, offline hub, bad JSON) ends here
        errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}")
    if fallback == "chars":
        return TokenCounter(f"chars/{chars_per_token:g}", None, chars_per_token)
    raise TokenizerUnavailable(_hint(name) + f" [{'; '.join(errors)}]")


def _hub_reachable(timeout: float = 3.0) -> bool:
    """One quick TCP connect, so an unreachable hub costs seconds, not huggingface_hub's retry loop."""
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((u.hostname or "huggingface.co", u.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def _cached(name: str, filename: str):
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(name, filename)
    except Exception:
        return None
    return hit if isinstance(hit, str) and os.path.isfile(hit) else None


def _auto_tokenizer(name: str, allow_download: bool):
    """The local HF cache first (no network; a cached tokenizer.json needs no transformers import),
    then the hub only when allowed, not offline and reachable."""
    if os.path.isdir(name):
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(name, local_files_only=True)
    elif _cached(name, "tokenizer.json"):
        return _from_tokenizer_json(_cached(name, "tokenizer.json"))
    elif _cached(name, "tokenizer_config.json"):
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(name, local_files_only=True)
    else:
        offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
        if offline:
            raise FileNotFoundError(f"{name} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set")
        if not allow_download:
            raise FileNotFoundError(f"{name} is not in the local Hugging Face cache (downloads are off here)")
        if not _hub_reachable():
            raise ConnectionError(f"{name} is not in the local Hugging Face cache and the hub is unreachable")
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(name)
    backend = getattr(tok, "backend_tokenizer", None)
    return backend if backend is not None else tok


def load_token_counter(tokenizer: str, fallback: str = "none", chars_per_token: float = 3.5,
                       allow_download: bool = True) -> TokenCounter:
    """The counter for `ft.tokens`; cached per process. The driver resolves it once (and may download
    from the hub when it is reachable); executors then use `counter_for_method` with its result."""
    return _load(tokenizer, fallback, float(chars_per_token), allow_download)


def counter_for_method(method: str, tokenizer: str, chars_per_token: float) -> TokenCounter:
    """Rebuild the counter the driver resolved ("hf:<name>" or "chars/<n>") without network access:
    executors must not each retry the hub, nor silently pick another method than the driver."""
    if method.startswith("chars/"):
        return TokenCounter(method, None, float(chars_per_token))
    return _load(tokenizer, "none", float(chars_per_token), False)


def count_sample_tokens(counter: TokenCounter, old: Sequence[Optional[str]], new: Sequence[Optional[str]],
                        separator: str, max_chars: int, batch_size: int = 256) -> list[Optional[int]]:
    """n_tokens per row; None where a side is missing or old+new is longer than max_chars."""
    todo = [i for i, (o, n) in enumerate(zip(old, new))
            if o is not None and n is not None and len(o) + len(n) <= max_chars]
    out: list[Optional[int]] = [None] * len(old)
    counts = counter.count_pairs([old[i] for i in todo], [new[i] for i in todo], separator, batch_size)
    for i, c in zip(todo, counts):
        out[i] = c
    return out


def count_tokens_from_lengths(counter: TokenCounter, old_chars: Sequence[Optional[int]],
                              new_chars: Sequence[Optional[int]], max_chars: int) -> list[Optional[int]]:
    """count_sample_tokens for the chars estimate, from the two lengths (the same numbers: the
    estimate reads nothing else of the texts)."""
    if counter.tokenizer is not None:
        raise ValueError("a tokenizer counts texts, not lengths")
    return [None if o is None or n is None or o + n > max_chars else math.ceil((o + n) / counter.chars_per_token) + 1
            for o, n in zip(old_chars, new_chars)]

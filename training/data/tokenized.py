"""Tokenize a unit's rows once and cache the result beside the data.

A tokenized unit keeps one entry per source row, in file order: the token ids of prompt + answer,
how many of them belong to the prompt, and a skip reason for rows that could not be formatted. The
cache key covers everything the tokens depend on (tokenizer vocabulary and rules, template text,
language filter, cache format); sequence length, loss masking and packing are applied later, so
changing them reuses the cache.

Layout: `<cache root>/<key>/<sha1(relative path)[:16]>-rg<k>.parquet` plus `<key>/info.json`. The
default root is `<data root>/_tokenized` (names starting with `_` are ignored by every reader of the
dataset). Writes are atomic (temp+rename locally, one PUT on S3); when the location is read-only the
run continues uncached and logs it once.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pyarrow as pa

from octopack_spark.storage.fs import Storage, StorageError, join
from training.data.discover import Unit
from training.templates import CompiledTemplate

log = logging.getLogger(__name__)
CACHE_FORMAT = 1


@dataclass
class TokenizedUnit:
    ids: list[np.ndarray]  # int32 per row; empty for skipped rows
    n_prompt: np.ndarray  # int32 per row
    skip: list[Optional[str]]  # None = usable

    def __len__(self) -> int:
        return len(self.ids)


def tokenizer_fingerprint(tokenizer) -> str:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise TypeError("a fast (Rust) tokenizer is required; load it with use_fast=True")
    return hashlib.sha256(backend.to_str().encode()).hexdigest()[:16]


def cache_key(tokenizer, template: CompiledTemplate, languages: Optional[list[str]]) -> str:
    blob = json.dumps({
        "format": CACHE_FORMAT,
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "prompt": template.prompt,
        "answer": template.answer,
        "languages": sorted(languages) if languages else None,
    }, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def encode_table(table: pa.Table, template: CompiledTemplate, tokenizer,
                 languages: Optional[list[str]] = None) -> TokenizedUnit:
    rows = table.to_pylist()
    keep = set(languages) if languages else None
    prompts: list[str] = []
    answers: list[str] = []
    where: list[int] = []
    skip: list[Optional[str]] = [None] * len(rows)
    for i, row in enumerate(rows):
        if keep is not None and row.get("lang") is not None and row["lang"] not in keep:
            skip[i] = "lang_filtered"
            continue
        r = template.render(row)
        if isinstance(r, str):
            skip[i] = r
            continue
        prompts.append(r[0])
        answers.append(r[1])
        where.append(i)
    backend = tokenizer.backend_tokenizer
    # Prompt and answer are encoded separately so the loss-mask boundary is exact (joint BPE could
    # merge across it).
    enc_p = backend.encode_batch(prompts, add_special_tokens=False) if prompts else []
    enc_a = backend.encode_batch(answers, add_special_tokens=False) if answers else []
    empty = np.zeros(0, np.int32)
    ids = [empty] * len(rows)
    n_prompt = np.zeros(len(rows), np.int32)
    for i, ep, ea in zip(where, enc_p, enc_a):
        ids[i] = np.asarray(ep.ids + ea.ids, dtype=np.int32)
        n_prompt[i] = len(ep.ids)
    return TokenizedUnit(ids, n_prompt, skip)


def _to_table(tu: TokenizedUnit) -> pa.Table:
    lengths = np.fromiter((len(x) for x in tu.ids), dtype=np.int32, count=len(tu.ids))
    offsets = np.zeros(len(tu.ids) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    values = np.concatenate(tu.ids) if tu.ids else np.zeros(0, np.int32)
    return pa.table({
        "ids": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values.astype(np.int32))),
        "n_prompt": pa.array(tu.n_prompt, pa.int32()),
        "skip": pa.array(tu.skip, pa.string()),
    })


def _from_table(t: pa.Table) -> TokenizedUnit:
    col = t.column("ids").combine_chunks()
    offsets = col.offsets.to_numpy()
    values = col.values.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    ids = [values[offsets[i]:offsets[i + 1]] for i in range(len(col))]
    return TokenizedUnit(ids, t.column("n_prompt").to_numpy().astype(np.int32), t.column("skip").to_pylist())


class TokenCache:
    """Tokenized units of one source under `root/key/`."""

    def __init__(self, storage: Storage, root: str, key: str, info: dict):
        self.storage = storage
        self.dir = join(root, key)
        self.info = info
        self.writable = True
        self.hits = 0
        self.misses = 0
        self._info_written = False

    def uri(self, unit: Unit) -> str:
        h = hashlib.sha1(f"{unit.file.rel}|{unit.file.size}".encode()).hexdigest()[:16]
        return join(self.dir, f"{h}-rg{unit.row_group}.parquet")

    def get(self, unit: Unit) -> Optional[TokenizedUnit]:
        import pyarrow.parquet as pq

        try:
            data = self.storage.read_bytes(self.uri(unit))
        except (FileNotFoundError, OSError, StorageError):  # absent or unreachable entry: a miss
            self.misses += 1
            return None
        try:
            tu = _from_table(pq.read_table(io.BytesIO(data)))
        except Exception as e:  # a corrupt entry is rebuilt, not trusted
            log.warning("tokenized cache entry %s unreadable (%s); re-tokenizing", self.uri(unit), e)
            self.misses += 1
            return None
        self.hits += 1
        return tu

    def put(self, unit: Unit, tu: TokenizedUnit) -> None:
        import pyarrow.parquet as pq

        if not self.writable:
            return
        buf = io.BytesIO()
        pq.write_table(_to_table(tu), buf, compression="zstd")
        try:
            if not self._info_written:
                self.storage.write_text_atomic(join(self.dir, "info.json"), json.dumps(self.info, indent=1))
                self._info_written = True
            self.storage.write_bytes_atomic(self.uri(unit), buf.getvalue())
        except Exception as e:  # read-only data location: keep training, uncached
            self.writable = False
            log.warning("tokenized cache %s is not writable (%s); continuing without caching "
                        "(set cache.dir to a writable location)", self.dir, e)

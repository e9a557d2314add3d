"""A rank's training data: sources -> rows -> (prompt, answer) -> tokens -> samples -> packed sequences.

    SourceStream  reads this rank's units of one source epoch after epoch (training/data/order.py),
                  tokenized through the cache, yielding (token ids, prompt length) per usable row;
    Mixer         interleaves sources by weight with smooth weighted round-robin (deterministic,
                  exact ratios over any window, no random state);
    DataPipeline  masks, truncates and packs samples and hands out micro-batches.

Nothing is ever loaded whole: a stream holds one tokenized unit (a Parquet row group) plus the
prefetched next one. The pipeline's `state()` after a batch is small (positions, mixer weights,
packer bins) and restoring it reproduces the following batches exactly; it is what checkpoints save
per rank. No prefetch happens past the last handed-out sequence except unit loading, which is a
pure function of the unit, so the state never depends on timing.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Optional

import numpy as np

from octopack_spark.redact import redact_url
from octopack_spark.storage.fs import Storage, join
from training.config import TrainConfig
from training.data.discover import DataSourceError, Unit, plan_units, resolve_files
from training.data.order import Assignment, rank_units, row_order
from training.data.packing import IGNORE, PackedSequence, make_packer, make_sample
from training.data.reader import read_unit
from training.data.tokenized import TokenCache, TokenizedUnit, cache_key, encode_table, tokenizer_fingerprint
from training.templates import CompiledTemplate

log = logging.getLogger(__name__)


@dataclass
class SourceSpec:
    name: str
    path: str
    table: Optional[str]
    template: CompiledTemplate
    weight: float
    languages: Optional[list[str]] = None


def source_specs(cfg: TrainConfig) -> list[SourceSpec]:
    d = cfg.data
    specs = [SourceSpec("commitpackft", d.path or "", d.table,
                        CompiledTemplate.compile(d.template, cfg.template(d.template)), d.weight, d.languages)]
    for s in d.extra_sources:
        specs.append(SourceSpec(s.name, s.path, s.table, CompiledTemplate.compile(s.template, cfg.template(s.template)),
                                s.weight))
    return specs


class SourceStream:
    """This rank's endless walk over one source's rows (epoch after epoch)."""

    def __init__(self, spec: SourceSpec, units: list[Unit], storage: Storage, tokenizer,
                 cache: Optional[TokenCache], *, seed: int, shuffle: bool, rank: int, world: int,
                 executor: Optional[ThreadPoolExecutor] = None, prefetch: int = 1):
        if not units:
            raise DataSourceError(f"source '{spec.name}' has no data rows (after the language filter)")
        self.spec = spec
        self.units = units
        self.storage = storage
        self.tokenizer = tokenizer
        self.cache = cache
        self.seed, self.shuffle, self.rank, self.world = seed, shuffle, rank, world
        self.executor = executor
        self.prefetch = prefetch if executor is not None else 0
        # position: next row to read is self.row of the self.pos-th assignment of epoch self.epoch
        self.epoch = 0
        self.pos = 0
        self.row = 0
        self.used_this_epoch = 0
        self.counters: Counter = Counter()
        self._assign_epoch = -1
        self._assign: list[Assignment] = []
        self._cur_key: Optional[tuple[int, int]] = None
        self._cur: Optional[tuple[TokenizedUnit, np.ndarray]] = None
        self._cur_unit: Optional[str] = None
        self._futures: dict[str, Future] = {}

    # ------------------------------------------------------------------ loading
    def assignments(self, epoch: int) -> list[Assignment]:
        if epoch != self._assign_epoch:
            self._assign = rank_units(self.units, epoch, self.seed, self.shuffle, self.rank, self.world)
            self._assign_epoch = epoch
        return self._assign

    def load(self, unit: Unit) -> TokenizedUnit:
        """Tokenized rows of a unit (cache, else read + tokenize + store). Pure function of the unit."""
        if self.cache is not None:
            tu = self.cache.get(unit)
            if tu is not None:
                return tu
        columns = list(self.spec.template.columns)
        if self.spec.languages and "lang" not in columns:
            columns.append("lang")
        table = read_unit(self.storage, unit, columns)
        missing = [c for c in self.spec.template.columns if c not in table.column_names]
        if missing:
            raise DataSourceError(f"source '{self.spec.name}': {unit.file.uri} has no column(s) "
                                  f"{', '.join(missing)} needed by template '{self.spec.template.name}'")
        tu = encode_table(table, self.spec.template, self.tokenizer, self.spec.languages)
        if self.cache is not None:
            self.cache.put(unit, tu)
        return tu

    def _get(self, unit: Unit) -> TokenizedUnit:
        fut = self._futures.pop(unit.key, None)
        return fut.result() if fut is not None else self.load(unit)

    def _schedule_prefetch(self, current: str) -> None:
        if not self.prefetch:
            return
        e, p = self.epoch, self.pos
        for _ in range(self.prefetch):
            p += 1
            if p >= len(rank_units(self.units, e, self.seed, self.shuffle, self.rank, self.world)):
                e, p = e + 1, 0
            u = rank_units(self.units, e, self.seed, self.shuffle, self.rank, self.world)[p].unit
            if u.key != current and u.key not in self._futures:
                self._futures[u.key] = self.executor.submit(self.load, u)

    def _current(self) -> tuple[TokenizedUnit, np.ndarray]:
        key = (self.epoch, self.pos)
        if self._cur_key != key:
            a = self.assignments(self.epoch)[self.pos]
            if self._cur is not None and self._cur_unit == a.unit.key:
                tu = self._cur[0]  # same unit again (next epoch of a one-unit source)
            else:
                tu = self._get(a.unit)
            order = row_order(len(tu), a.unit.key, self.epoch, self.seed, self.shuffle, a.offset, a.stride)
            self._cur, self._cur_key, self._cur_unit = (tu, order), key, a.unit.key
            self._schedule_prefetch(a.unit.key)
        return self._cur

    # ------------------------------------------------------------------ iteration
    def next_example(self) -> tuple[np.ndarray, int]:
        while True:
            if self.pos >= len(self.assignments(self.epoch)):
                if self.used_this_epoch == 0:
                    raise DataSourceError(
                        f"source '{self.spec.name}': rank {self.rank} read a whole epoch without one usable row "
                        f"(skips: {dict(self.counters)})")
                self.epoch, self.pos, self.row, self.used_this_epoch = self.epoch + 1, 0, 0, 0
                continue
            tu, order = self._current()
            if self.row >= len(order):
                self.pos, self.row = self.pos + 1, 0
                continue
            r = int(order[self.row])
            self.row += 1
            self.counters["rows"] += 1
            reason = tu.skip[r]
            if reason is not None:
                self.counters[f"skip:{reason}"] += 1
                continue
            self.used_this_epoch += 1
            return tu.ids[r], int(tu.n_prompt[r])

    def state(self) -> dict:
        return {"epoch": self.epoch, "pos": self.pos, "row": self.row, "used_this_epoch": self.used_this_epoch,
                "counters": dict(self.counters)}

    def load_state(self, d: dict) -> None:
        self.epoch, self.pos, self.row = int(d["epoch"]), int(d["pos"]), int(d["row"])
        self.used_this_epoch = int(d["used_this_epoch"])
        self.counters = Counter(d.get("counters", {}))
        self._cur_key = None
        self._cur = None


class Mixer:
    """Smooth weighted round-robin: source i is picked weight_i / sum(weights) of the time, evenly spread."""

    def __init__(self, weights: list[float]):
        self.weights = [float(w) for w in weights]
        self.current = [0.0] * len(weights)

    def pick(self) -> int:
        total = sum(self.weights)
        for i, w in enumerate(self.weights):
            self.current[i] += w
        j = max(range(len(self.current)), key=lambda i: (self.current[i], -i))
        self.current[j] -= total
        return j

    def state(self) -> list[float]:
        return list(self.current)

    def load_state(self, s: list[float]) -> None:
        self.current = [float(x) for x in s]


class DataPipeline:
    def __init__(self, streams: list[SourceStream], cfg: TrainConfig, eos_id: Optional[int], pad_id: int):
        self.streams = streams
        self.mixer = Mixer([s.spec.weight for s in streams])
        t = cfg.tokenize
        self.loss_on, self.seq_len, self.overflow = t.loss_on, t.seq_len, t.overflow
        self.eos_id = eos_id if t.add_eos else None
        self.split = cfg.packing.mode == "split"
        self.packer = make_packer(cfg.packing.mode, t.seq_len, pad_id, cfg.packing.open_bins)
        self.counters: Counter = Counter()
        # per source: the epoch in which a sample was last accepted (a whole epoch without one = error)
        self.accepted_epoch = [0] * len(streams)

    def next_sequence(self) -> PackedSequence:
        while True:
            seq = self.packer.pop()
            if seq is not None:
                return seq
            i = self.mixer.pick()
            ids, n_prompt = self.streams[i].next_example()
            s = make_sample(ids, n_prompt, loss_on=self.loss_on, eos_id=self.eos_id, seq_len=self.seq_len,
                            overflow=self.overflow, allow_long=self.split)
            if isinstance(s, str):
                self.counters[f"{self.streams[i].spec.name}:{s}"] += 1
                if self.streams[i].epoch >= self.accepted_epoch[i] + 2:
                    raise DataSourceError(
                        f"source '{self.streams[i].spec.name}': a whole epoch on this rank without one sample that "
                        f"fits the packing rules (seq_len {self.seq_len}, overflow {self.overflow}); "
                        f"counts: {self.all_counters()}")
                continue
            self.accepted_epoch[i] = self.streams[i].epoch
            if not self.split and len(ids) + (self.eos_id is not None) > self.seq_len:
                self.counters[f"{self.streams[i].spec.name}:truncated"] += 1
            self.counters[f"{self.streams[i].spec.name}:samples"] += 1
            self.packer.add(s)

    def next_batch(self, micro_batch_size: int) -> dict[str, np.ndarray]:
        seqs = [self.next_sequence() for _ in range(micro_batch_size)]
        return {
            "input_ids": np.stack([s.input_ids for s in seqs]).astype(np.int64),
            "labels": np.stack([s.labels for s in seqs]).astype(np.int64),
            "position_ids": np.stack([s.position_ids for s in seqs]).astype(np.int64),
            "n_pad": np.asarray([s.n_pad for s in seqs], np.int64),
        }

    @property
    def epoch(self) -> int:
        """Completed passes of the primary source (CommitPackFT) on this rank."""
        return self.streams[0].epoch

    def state(self) -> dict:
        return {
            "streams": {s.spec.name: s.state() for s in self.streams},
            "mixer": self.mixer.state(),
            "packer": self.packer.state(),
            "counters": dict(self.counters),
            "accepted_epoch": list(self.accepted_epoch),
        }

    def load_state(self, d: dict) -> None:
        names = sorted(s.spec.name for s in self.streams)
        if sorted(d["streams"]) != names:
            raise DataSourceError(f"checkpoint data state has sources {sorted(d['streams'])}, config has {names}")
        for s in self.streams:
            s.load_state(d["streams"][s.spec.name])
        self.mixer.load_state(d["mixer"])
        self.packer.load_state(d["packer"])
        self.counters = Counter(d.get("counters", {}))
        self.accepted_epoch = [int(x) for x in d["accepted_epoch"]]

    def all_counters(self) -> dict[str, int]:
        out = dict(self.counters)
        for s in self.streams:
            for k, v in s.counters.items():
                out[f"{s.spec.name}:{k}"] = v
            if s.cache is not None:
                out[f"{s.spec.name}:cache_hits"] = s.cache.hits
                out[f"{s.spec.name}:cache_misses"] = s.cache.misses
        return out


def build_pipeline(cfg: TrainConfig, tokenizer, storage: Storage, rank: int, world: int,
                   executor: Optional[ThreadPoolExecutor] = None) -> DataPipeline:
    streams = []
    fp = tokenizer_fingerprint(tokenizer)
    for spec in source_specs(cfg):
        src = resolve_files(storage, spec.name, spec.path, spec.table)
        required = list(spec.template.columns)
        units = plan_units(storage, src, spec.languages, required=required)
        cache = None
        if cfg.cache.enabled:
            key = cache_key(tokenizer, spec.template, spec.languages)
            root = join(cfg.cache.dir, spec.name) if cfg.cache.dir else join(src.root, "_tokenized")
            cache = TokenCache(storage, root, key, {
                "source": spec.name, "data": redact_url(spec.path), "template": spec.template.name,
                "prompt": spec.template.prompt, "answer": spec.template.answer, "tokenizer": fp,
                "languages": spec.languages})
        log.info("source %s: %s via %s, %d files, %d units%s", spec.name, redact_url(spec.path), src.how, len(src.files),
                 len(units), f", tokenized cache {cache.dir}" if cache else "")
        streams.append(SourceStream(spec, units, storage, tokenizer, cache, seed=cfg.train.seed,
                                    shuffle=cfg.data.shuffle, rank=rank, world=world, executor=executor,
                                    prefetch=cfg.data.prefetch_units))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad_id is None:
        raise DataSourceError("the tokenizer has neither a pad nor an EOS token")
    return DataPipeline(streams, cfg, tokenizer.eos_token_id, pad_id)


def count_targets(batch: dict[str, np.ndarray]) -> int:
    """Tokens that carry a loss after the causal shift."""
    return int((batch["labels"][:, 1:] != IGNORE).sum())

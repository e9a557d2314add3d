"""The scoring pass: every row rule over Arrow batches, writing scores and verdicts as columns.

Pure (no Spark): `Scorer.score(batch)` returns the batch with SCORE_FIELDS appended; ft.job runs it in
executors through mapInArrow. Language ID runs on every row. Token counting, the one expensive
score, runs by default only on rows whose verdict it can change: rows that pass every other row rule
(`ft.tokens.scope: candidates`); `scope: all` counts every row (up to tokens.max_chars), so the token
window can be moved together with other rules without recounting.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

import pyarrow as pa

from octopack_spark.ft.config import FtConfig
from octopack_spark.ft.context import add_context
from octopack_spark.ft.filters.pipeline import active_rules, reason_order
from octopack_spark.ft.langid import detect
from octopack_spark.ft.row import ROW_FIELDS, FtRow, bump_draw
from octopack_spark.ft.tables import CONTEXT_FIELDS, FEATURE_COLUMNS, SCORE_FIELDS
from octopack_spark.schema import content_sizes as schema_content_sizes
from octopack_spark.ft.tokens import (
    TokenCounter,
    count_sample_tokens,
    count_tokens_from_lengths,
    counter_for_method,
    load_token_counter,
)

TOKEN_RULE = "token_length"
NL_RULE = "nl_language"

# Rules that read only fields shared by all rows of a repository: their verdict is memoised per value.
_PER_REPO_RULES = {
    "license_not_allowed": lambda r: r.license,
    "repo_language": lambda r: (tuple(r.repo_langs) if r.repo_langs is not None else None, r.lang),
}


def _memo_for(rule_name: str):
    return _PER_REPO_RULES.get(rule_name)


@dataclass
class Scorer:
    cfg: FtConfig
    counter: Optional[TokenCounter] = None  # loaded from cfg.tokens when None
    langid_model: Optional[str] = None  # resolved from cfg.langid when None
    # The driver's resolved counting method ("hf:<name>" / "chars/<n>"): executors rebuild exactly that,
    # offline, instead of resolving (and maybe retrying the hub) again.
    token_method: Optional[str] = None
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    rows: int = 0

    def __post_init__(self) -> None:
        t = self.cfg.tokens
        self.rules = active_rules(self.cfg.filters)
        self.token_rule = next((r for r in self.rules if r.name == TOKEN_RULE), None)
        self.nl_rule = next((r for r in self.rules if r.name == NL_RULE), None)
        self.other_rules = tuple(r for r in self.rules if r.name not in (TOKEN_RULE, NL_RULE))
        self._memo: dict = {}
        if self.counter is None and self.token_rule is not None:
            if self.token_method:
                self.counter = counter_for_method(self.token_method, t.tokenizer, t.chars_per_token)
            else:
                self.counter = load_token_counter(t.tokenizer, t.fallback, t.chars_per_token)
        self.rank = {n: i for i, n in enumerate(reason_order())}
        self._langid_cache: dict[str, tuple] = {}

    def _detect(self, texts: list) -> list[tuple]:
        """detect() with a per-process cache: the rows of a commit share subject and message, and
        messages repeat across forks and cherry-picks."""
        cache = self._langid_cache
        todo = list({t for t in texts if t not in cache})
        if todo:
            if len(cache) + len(todo) > _LANGID_CACHE_SIZE:
                cache.clear()
            cache.update(zip(todo, detect(todo, self.cfg.langid.model_path)))
        return [cache[t] for t in texts]

    def score(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        fc = self.cfg.filters
        t0 = time.perf_counter()
        names = batch.schema.names
        columns = {n: batch.column(i).to_pylist() for i, n in enumerate(names)
                   if n in ROW_FIELDS and n not in _NOT_CONVERTED}  # only what the rules read
        columns.update(content_sizes(batch))
        rows = FtRow.from_columns(columns)
        self.seconds["prepare"] += time.perf_counter() - t0

        reasons: list[list[str]] = [[] for _ in rows]
        for rule in self.other_rules:
            t0 = time.perf_counter()
            memo = _memo_for(rule.name)
            for i, r in enumerate(rows):
                if memo is None:
                    keep, reason = rule(r, fc)
                else:  # a rule that reads only per-repository fields: judged once per value
                    key = memo(r)
                    verdict = self._memo.get((rule.name, key))
                    if verdict is None:
                        verdict = self._memo[(rule.name, key)] = rule(r, fc)
                    keep, reason = verdict
                if not keep:
                    reasons[i].append(reason or rule.name)
            self.seconds[f"rule:{rule.name}"] += time.perf_counter() - t0

        if self.token_rule is not None and not self.tokens_deferred(batch):
            todo = [i for i in range(len(rows)) if self.cfg.tokens.scope == "all" or not reasons[i]]
            self._judge_tokens(batch, rows, reasons, todo)

        t0 = time.perf_counter()
        todo = [i for i in range(len(rows)) if self.cfg.langid.scope == "all" or not reasons[i]]
        subj = self._detect([rows[i].subject_final for i in todo])
        msg = self._detect([rows[i].message for i in todo])
        for i, (sl, ss), (ml, ms) in zip(todo, subj, msg):
            r = rows[i]
            r.nl_lang, r.nl_score, r.message_nl_lang, r.message_nl_score = sl, ss, ml, ms
        self.seconds["langid"] += time.perf_counter() - t0
        if self.nl_rule is not None:
            t0 = time.perf_counter()
            for i in todo:
                keep, reason = self.nl_rule(rows[i], fc)
                if not keep:
                    reasons[i].append(reason or NL_RULE)
                    reasons[i].sort(key=lambda x: self.rank.get(x, len(self.rank)))
            self.seconds[f"rule:{NL_RULE}"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        out = self._columns(batch, rows, reasons)
        self.seconds["prepare"] += time.perf_counter() - t0
        self.rows += len(rows)
        return out

    def tokens_deferred(self, batch: pa.RecordBatch) -> bool:
        """True when this batch cannot be token-counted: a tokenizer needs the contents, and the
        scoring pass was given their sizes only. `score_tokens` then counts them later, on the rows
        that need it (ft.job joins their contents back)."""
        has_contents = "old_contents" in batch.schema.names and "new_contents" in batch.schema.names
        return self.token_rule is not None and self.counter.tokenizer is not None and not has_contents

    def _judge_tokens(self, batch: pa.RecordBatch, rows: list[FtRow], reasons: list[list[str]], todo: list[int]):
        fc, t = self.cfg.filters, self.cfg.tokens
        t0 = time.perf_counter()
        if self.counter.tokenizer is None:  # the chars estimate needs the lengths only
            counts = count_tokens_from_lengths(self.counter, [rows[i].old_chars for i in todo],
                                               [rows[i].new_chars for i in todo], t.max_chars)
        else:
            old, new = _contents_at(batch, "old_contents", todo), _contents_at(batch, "new_contents", todo)
            counts = count_sample_tokens(self.counter, old, new, t.separator, t.max_chars, t.batch_size)
        for i, n in zip(todo, counts):
            rows[i].n_tokens = n
        self.seconds["tokens"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in todo:  # rows not counted (scope=candidates) are dropped by another rule already
            keep, reason = self.token_rule(rows[i], fc)
            if not keep:
                reasons[i].append(reason or TOKEN_RULE)
                reasons[i].sort(key=lambda x: self.rank.get(x, len(self.rank)))
        self.seconds[f"rule:{TOKEN_RULE}"] += time.perf_counter() - t0

    def score_tokens(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The deferred token rule over scored rows that carry their contents again: sets n_tokens and
        adds `token_length` to drop_reasons where it fails. Every row of the batch is counted."""
        names = batch.schema.names
        if self.token_rule is None or not batch.num_rows:
            return batch
        reasons = [list(r or []) for r in batch.column(names.index("drop_reasons")).to_pylist()]
        sizes = content_sizes(batch)
        rows = [FtRow(old_chars=o, new_chars=n) for o, n in zip(sizes["old_chars"], sizes["new_chars"])]
        self._judge_tokens(batch, rows, reasons, list(range(len(rows))))
        arrays = list(batch.columns)
        arrays[names.index("n_tokens")] = pa.array([r.n_tokens for r in rows], batch.schema.field("n_tokens").type)
        arrays[names.index("drop_reasons")] = pa.array(reasons, batch.schema.field("drop_reasons").type)
        return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)

    def _columns(self, batch: pa.RecordBatch, rows: list[FtRow], reasons: list[list[str]]) -> pa.RecordBatch:
        salt = self.cfg.filters.bump_salt
        names = batch.schema.names
        values = {
            "subject_clean": [r.subject_final for r in rows],
            "message_chars": [len(r.message_stripped) for r in rows],
            "old_chars": [r.old_chars for r in rows],
            "new_chars": [r.new_chars for r in rows],
            "content_bytes": (batch.column(names.index("content_bytes")) if "content_bytes" in names
                              else content_bytes(batch)),
            "subject_chars": [len(r.subject) for r in rows],
            "subject_words": [len(r.subject.split()) for r in rows],
            "subject_clean_words": [len(r.subject_final.split()) for r in rows],
            "n_tokens": [r.n_tokens for r in rows],
            "nl_lang": [r.nl_lang for r in rows],
            "nl_score": [r.nl_score for r in rows],
            "message_nl_lang": [r.message_nl_lang for r in rows],
            "message_nl_score": [r.message_nl_score for r in rows],
            "bump_draw": [bump_draw(r.row_id, salt) for r in rows],
            "drop_reasons": reasons,
        }
        arrays, fields = [], []
        for f in batch.schema:
            if f.name in FEATURE_COLUMNS:  # consumed here; the score columns carry them on
                continue
            col = batch.column(names.index(f.name))
            if f.name == "lang":  # filled from the file name where the input had none
                col = pa.array([r.lang for r in rows], pa.string())
                f = pa.field("lang", pa.string())
            arrays.append(col)
            fields.append(f)
        for f in SCORE_FIELDS:
            if f.name in names and f.name not in FEATURE_COLUMNS:
                raise ValueError(f"input already has a column named {f.name!r}; score a commits table, not a scored one")
            v = values[f.name]
            arrays.append(v.cast(f.type) if isinstance(v, pa.Array) else pa.array(v, f.type))
            fields.append(f)
        return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


_NOT_CONVERTED = ("diff", "author_time", "committer_time", "author_id", "parent", "old_contents", "new_contents",
                  "old_chars", "new_chars", "same_contents", "content_bytes")
_LANGID_CACHE_SIZE = 200_000


def content_sizes(batch: pa.RecordBatch) -> dict[str, list]:
    """old_chars, new_chars (characters; null = side missing) and same_contents: from the contents when the
    batch has them, else the columns ft.job gives instead (stored at mining time, or computed in the JVM)."""
    names = batch.schema.names
    n = batch.num_rows
    if "old_contents" in names and "new_contents" in names:
        sizes = schema_content_sizes(batch.column(names.index("old_contents")), batch.column(names.index("new_contents")))
        return {k: v.to_pylist() for k, v in sizes.items()}
    if all(c in names for c in ("old_chars", "new_chars", "same_contents")):
        return {c: batch.column(names.index(c)).to_pylist() for c in ("old_chars", "new_chars", "same_contents")}
    return {"old_chars": [None] * n, "new_chars": [None] * n, "same_contents": [None] * n}


def content_bytes(batch: pa.RecordBatch) -> pa.Array:
    import pyarrow.compute as pc

    total = pa.array([0] * batch.num_rows, pa.int64())
    for name in ("old_contents", "new_contents"):
        if name in batch.schema.names:
            size = pc.binary_length(batch.column(batch.schema.names.index(name))).cast(pa.int64())
            total = pc.add(total, pc.fill_null(size, 0))
    return total


def _contents_at(batch: pa.RecordBatch, name: str, index: list[int]) -> list:
    if name not in batch.schema.names or not index:
        return [None] * len(index)
    return batch.column(batch.schema.names.index(name)).take(pa.array(index, pa.int64())).to_pylist()


def scored_schema(input_schema: pa.Schema) -> pa.Schema:
    """Schema of Scorer.score's output for an input schema (which carries the context columns)."""
    fields = [pa.field("lang", pa.string()) if f.name == "lang" else f for f in input_schema
              if f.name not in FEATURE_COLUMNS]
    return pa.schema(fields + SCORE_FIELDS)


def score_table(table: pa.Table, cfg: FtConfig, scorer: Optional[Scorer] = None) -> pa.Table:
    """Score a whole Arrow table without Spark (context columns are computed when absent)."""
    if not all(f.name in table.column_names for f in CONTEXT_FIELDS):
        table = add_context(table)
    scorer = scorer or Scorer(cfg)
    batches = [scorer.score(b) for b in table.to_batches() if b.num_rows]
    if not batches:
        return scored_schema(table.schema).empty_table()
    return pa.Table.from_batches(batches)

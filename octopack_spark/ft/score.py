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
from octopack_spark.ft.row import FtRow, bump_draw
from octopack_spark.ft.tables import CONTEXT_FIELDS, SCORE_FIELDS
from octopack_spark.ft.tokens import TokenCounter, count_sample_tokens, counter_for_method, load_token_counter

TOKEN_RULE = "token_length"


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
        self.other_rules = tuple(r for r in self.rules if r.name != TOKEN_RULE)
        if self.counter is None and self.token_rule is not None:
            if self.token_method:
                self.counter = counter_for_method(self.token_method, t.tokenizer, t.chars_per_token)
            else:
                self.counter = load_token_counter(t.tokenizer, t.fallback, t.chars_per_token)
        self.rank = {n: i for i, n in enumerate(reason_order())}

    def score(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        fc = self.cfg.filters
        t0 = time.perf_counter()
        names = batch.schema.names
        rows = FtRow.from_columns({n: batch.column(i).to_pylist() for i, n in enumerate(names)
                                   if n not in ("diff", "author_time", "committer_time", "author_id", "parent")})
        self.seconds["prepare"] += time.perf_counter() - t0

        t0 = time.perf_counter()
        subj = detect([r.subject_final for r in rows], self.cfg.langid.model_path)
        msg = detect([r.message for r in rows], self.cfg.langid.model_path)
        for r, (sl, ss), (ml, ms) in zip(rows, subj, msg):
            r.nl_lang, r.nl_score, r.message_nl_lang, r.message_nl_score = sl, ss, ml, ms
        self.seconds["langid"] += time.perf_counter() - t0

        reasons: list[list[str]] = [[] for _ in rows]
        for rule in self.other_rules:
            t0 = time.perf_counter()
            for i, r in enumerate(rows):
                keep, reason = rule(r, fc)
                if not keep:
                    reasons[i].append(reason or rule.name)
            self.seconds[f"rule:{rule.name}"] += time.perf_counter() - t0

        if self.token_rule is not None:
            t0 = time.perf_counter()
            todo = [i for i in range(len(rows)) if self.cfg.tokens.scope == "all" or not reasons[i]]
            counts = count_sample_tokens(self.counter, [rows[i].old_contents for i in todo],
                                         [rows[i].new_contents for i in todo], self.cfg.tokens.separator,
                                         self.cfg.tokens.max_chars, self.cfg.tokens.batch_size)
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

        t0 = time.perf_counter()
        out = self._columns(batch, rows, reasons)
        self.seconds["prepare"] += time.perf_counter() - t0
        self.rows += len(rows)
        return out

    def _columns(self, batch: pa.RecordBatch, rows: list[FtRow], reasons: list[list[str]]) -> pa.RecordBatch:
        salt = self.cfg.filters.bump_salt
        values = {
            "subject_clean": [r.subject_final for r in rows],
            "message_chars": [len(r.message_stripped) for r in rows],
            "old_chars": [None if r.old_contents is None else len(r.old_contents) for r in rows],
            "new_chars": [None if r.new_contents is None else len(r.new_contents) for r in rows],
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
        names = batch.schema.names
        for f in batch.schema:
            col = batch.column(names.index(f.name))
            if f.name == "lang":  # filled from the file name where the input had none
                col = pa.array([r.lang for r in rows], pa.string())
                f = pa.field("lang", pa.string())
            arrays.append(col)
            fields.append(f)
        for f in SCORE_FIELDS:
            if f.name in names:
                raise ValueError(f"input already has a column named {f.name!r}; score a commits table, not a scored one")
            arrays.append(pa.array(values[f.name], f.type))
            fields.append(f)
        return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def scored_schema(input_schema: pa.Schema) -> pa.Schema:
    """Schema of Scorer.score's output for an input schema (which carries the context columns)."""
    fields = [pa.field("lang", pa.string()) if f.name == "lang" else f for f in input_schema]
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

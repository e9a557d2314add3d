"""CommitPackFT's secrets step: the kept rows' texts are scanned (octopack_spark.governance.secrets) just
before `commitpackft` is written; secrets are replaced by `<SECRET_KIND>` placeholders (ft.secrets.mode =
redact, the default) or their rows are left out (drop). Counts go to stats.json (`secrets`) and the card.

`redact_batch` is pure (Arrow in, Arrow out) and tested without Spark; `scan_secrets` runs it on Spark.
"""

from __future__ import annotations

from typing import Iterable, Optional

import pyarrow as pa

from octopack_spark.governance.personal import pseudonymize
from octopack_spark.governance.secrets import find_secrets, redact

# Columns of the kept rows that reach commitpackft as text (subject_clean -> subject, subject -> subject_raw).
TEXT_COLUMNS = ("old_contents", "new_contents", "message", "subject", "subject_clean")
MESSAGE_COLUMNS = ("message", "subject", "subject_clean")  # where e-mail addresses and trailer names are replaced


class TextCache:
    """Scan results per distinct text, kept across batches of one task: a commit's message and subjects repeat
    on every file it changed (and rows of one commit stay together), so each is scanned once, not once per row.
    Bounded: only texts of up to `max_chars` characters (messages, not file contents) are kept, and the cache
    is cleared when it holds `max_entries` of them."""

    def __init__(self, max_entries: int = 50_000, max_chars: int = 8192):
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.results: dict[tuple, tuple[Optional[str], tuple[str, ...]]] = {}

    def get(self, key: tuple, compute):
        hit = self.results.get(key)
        if hit is None:
            if len(self.results) >= self.max_entries:
                self.results.clear()
            hit = self.results[key] = compute()
        return hit


def _scan_text(value: Optional[str], pseudo: bool, scan: bool) -> tuple[Optional[str], tuple[str, ...]]:
    """(value with personal data and secrets replaced, kinds of the secrets found, one per finding)."""
    if pseudo:
        value = pseudonymize(value)
    if not scan:
        return value, ()
    findings = find_secrets(value)
    if not findings:
        return value, ()
    return redact(value, findings), tuple(f.kind for f in findings)


def redact_batch(batch: pa.RecordBatch, columns: Iterable[str], mode: str,
                 personal: bool = False, cache: Optional[TextCache] = None) -> tuple[pa.RecordBatch, dict]:
    """The batch with secrets redacted (mode redact) or rows holding one removed (mode drop; off: no scan), and
    counts {"rows_with_secrets", "rows_dropped", "kind:<kind>": findings}; `personal`: e-mail addresses and
    trailer names in MESSAGE_COLUMNS replaced by placeholders first (governance.personal). Each distinct text
    is scanned once (per batch, or per `cache` across batches); counts are still per row."""
    columns = [c for c in columns if c in batch.schema.names]
    cache = cache or TextCache()
    scan = mode != "off"
    counts: dict[str, float] = {"rows_with_secrets": 0, "rows_dropped": 0}
    hit = [False] * batch.num_rows
    data = {}
    for c in columns:
        pseudo = personal and c in MESSAGE_COLUMNS
        if not (pseudo or scan):
            continue
        values = batch.column(c).to_pylist()
        for i, v in enumerate(values):
            if v is None:
                continue
            if len(v) <= cache.max_chars:
                out, kinds = cache.get((pseudo, scan, v), lambda v=v, pseudo=pseudo: _scan_text(v, pseudo, scan))
            else:
                out, kinds = _scan_text(v, pseudo, scan)
            values[i] = out
            if kinds:
                hit[i] = True
                for k in kinds:
                    counts[f"kind:{k}"] = counts.get(f"kind:{k}", 0) + 1
        data[c] = values
    counts["rows_with_secrets"] = sum(hit)
    arrays = [pa.array(data[f.name], f.type) if f.name in data else batch.column(f.name) for f in batch.schema]
    out = pa.RecordBatch.from_arrays(arrays, schema=batch.schema)
    if mode == "drop" and any(hit):
        counts["rows_dropped"] = sum(hit)
        out = out.filter(pa.array([not h for h in hit]))
    return out, counts


def scan_secrets(df, cfg):
    """(df with ft.secrets applied, accumulator of the counts; read it after an action on the result)."""
    from octopack_spark.spark.accumulators import dict_sum_param

    acc = df.sparkSession.sparkContext.accumulator({}, dict_sum_param())
    personal = cfg.personal_data == "pseudonymize"
    if cfg.mode == "off" and not personal:
        return df, acc
    mode, columns = cfg.mode, [c for c in TEXT_COLUMNS if c in df.columns]

    def run(batches):
        total: dict[str, float] = {}
        cache = TextCache()
        for b in batches:
            out, counts = redact_batch(b, columns, mode, personal, cache)
            for k, v in counts.items():
                total[k] = total.get(k, 0) + v
            yield out
        acc.add(total)

    return df.mapInArrow(run, df.schema), acc


def redact_messages(df, cfg):
    """The `scored` table's texts (messages and subjects of every row, kept or not) with secrets redacted,
    whatever ft.secrets.mode says about commitpackft's rows (off: unchanged). A commit's texts are the same on
    every file it changed, so they are scanned once per commit (a narrow distinct set) and joined back."""
    personal = cfg.personal_data == "pseudonymize"
    if cfg.mode == "off" and not personal:
        return df
    mode = "off" if cfg.mode == "off" else "redact"
    columns = [c for c in MESSAGE_COLUMNS if c in df.columns]
    if "commit" not in df.columns or not columns:
        return df

    def run(batches):
        cache = TextCache()
        for b in batches:
            yield redact_batch(b, columns, mode, personal, cache)[0]

    from pyspark.sql import functions as F

    # One row per commit and texts (a commit id has one message; the hash keeps rows apart anyway if a
    # dataset gives one id two).
    keyed = df.withColumn("_texts", F.xxhash64(*columns))
    texts = keyed.select("commit", "_texts", *columns).dropDuplicates(["commit", "_texts"])
    redacted = texts.mapInArrow(run, texts.schema)
    return keyed.drop(*columns).join(redacted, ["commit", "_texts"], "left").select(*df.columns)


def secrets_stats(counts: dict, cfg) -> dict:
    """stats.json's `secrets` entry (no secret values: kinds and counts only)."""
    return {
        "mode": cfg.mode,
        "rows_with_secrets": int(counts.get("rows_with_secrets", 0)),
        "rows_dropped": int(counts.get("rows_dropped", 0)),
        "findings_by_kind": {k[5:]: int(v) for k, v in sorted(counts.items()) if k.startswith("kind:")},
    }


def secrets_section(s) -> list[str]:
    """The data card's lines about the secrets step (kinds and counts; no values)."""
    if not s:
        return []
    if s["mode"] == "off":
        return ["## Secrets", "", "Secrets scanning was switched off (`ft.secrets.mode: off`).", ""]
    action = ("replaced by `<SECRET_KIND>` placeholders" if s["mode"] == "redact"
              else f"left out ({s['rows_dropped']:,} rows)")
    kinds = ", ".join(f"{k} {v:,}" for k, v in s["findings_by_kind"].items()) or "none"
    return ["## Secrets", "",
            f"File contents, messages and subjects were scanned for secrets (API keys, tokens, private keys, "
            f"passwords in URLs and assignments; see docs/governance.md). {s['rows_with_secrets']:,} kept rows held "
            f"one; they were {action}. Findings by kind: {kinds}. Messages in `scored` are redacted too.", ""]


def add_secrets_stats(stats: dict, counts: dict, cfg) -> None:
    """Record the step in the run's stats; rows it dropped leave rows_out (the funnel counts rows before it)."""
    stats["secrets"] = secrets_stats(counts, cfg)
    stats["rows_out"] -= stats["secrets"]["rows_dropped"]

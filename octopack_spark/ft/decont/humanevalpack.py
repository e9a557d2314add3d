"""Decontamination of commit rows against HumanEvalPack (6 languages): exact substring and n-gram.

The index (index.py) is built once on the driver from cfg.source and broadcast; each executor matches
its rows' old/new contents in mapInArrow, so the stage is one narrow pass that adds one column.
"""

from __future__ import annotations

import time
from typing import Optional

from octopack_spark.ft.decont.config import DecontConfig
from octopack_spark.ft.decont.index import DecontIndex, load_index
from octopack_spark.redact import portable_ref


def decontaminate(df, cfg: DecontConfig, index: Optional[DecontIndex] = None):
    """Adds `decont_hit`: null, or the first hit such as "exact:Python/12:canonical_solution" or
    "ngram13:JavaScript/3:test". Returns (DataFrame with all input columns, same row count; stats).

    `index` may be passed to reuse one built earlier (tests, repeated runs)."""
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    missing = [c for c in cfg.columns if c not in df.columns]
    if missing:
        raise ValueError(f"decontaminate: input lacks column(s) {missing} (decont.columns = {cfg.columns})")
    index = index or load_index(cfg)
    t_index = time.perf_counter()
    bc = df.sparkSession.sparkContext.broadcast(index)

    cols = list(cfg.columns)

    def match_batches(batches):
        import pyarrow as pa

        idx = bc.value
        for b in batches:
            d = b.to_pydict()
            hits = [idx.match([d[c][i] for c in cols]) for i in range(b.num_rows)]
            yield pa.RecordBatch.from_arrays([pa.array(d["row_id"], pa.string()), pa.array(hits, pa.string())],
                                             names=["row_id", "decont_hit"])

    # Match once, keep only the (few) hits, and join them back: matching does not run again when the
    # caller consumes the returned frame. row_id is unique per the commits contract.
    hits = (df.select("row_id", *cols).mapInArrow(match_batches, "row_id string, decont_hit string")
            .where(F.col("decont_hit").isNotNull()).dropDuplicates(["row_id"]).localCheckpoint(eager=True))
    out = df.join(hits, "row_id", "left").select(*df.columns, "decont_hit")
    by_reason = {r["decont_hit"]: r["n"] for r in
                 hits.groupBy("decont_hit").agg(F.count("*").alias("n")).collect()}
    rows_in = df.count()
    kinds: dict[str, int] = {}
    langs: dict[str, int] = {}
    fields: dict[str, int] = {}
    for reason, n in by_reason.items():
        kind, task, field = reason.split(":")
        kinds[kind] = kinds.get(kind, 0) + n
        lang = task.split("/")[0]
        langs[lang] = langs.get(lang, 0) + n
        fields[field] = fields.get(field, 0) + n
    stats = {
        "stage": "decontaminate",
        "rows_in": int(rows_in),
        "contaminated": int(sum(by_reason.values())),
        "by_kind": kinds, "by_language": langs, "by_field": fields,
        "by_reason": dict(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))[:200]),
        "index": index.stats,
        "params": {"source": portable_ref(cfg.source),  # published: no local path
                   "languages": list(cfg.languages), "fields": list(cfg.fields),
                   "columns": list(cfg.columns), "exact": cfg.exact, "exact_min_chars": cfg.exact_min_chars,
                   "ngram": cfg.ngram, "ngram_size": cfg.ngram_size, "ngram_min_overlap": cfg.ngram_min_overlap,
                   "ngram_min_hits": cfg.ngram_min_hits, "common_ngram_tasks": cfg.common_ngram_tasks},
        "seconds": {"index": round(t_index - t0, 3), "total": round(time.perf_counter() - t0, 3)},
    }
    return out, stats

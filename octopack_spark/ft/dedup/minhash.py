"""MinHash LSH near-dedup on Spark: signatures in executors, banding and connected components as
DataFrame jobs, a deterministic survivor per cluster.

Data flow (columns in brackets):
1. signatures: mapInArrow over [row_id, subject, old_contents, new_contents, diff?] -> [row_id, sig
   array<int> (num_perm), ntok]. Pure code in shingles.py / signatures.py; checkpointed (used twice).
2. banding: explode band 0..b-1, key = xxhash64(band, slice(sig, band*r+1, r)) -> [row_id, band, key].
3. candidates: in each (band, key) bucket every member links to the bucket's smallest row_id (a star,
   not all pairs, so a bucket of k rows gives k-1 edges); optionally verified by the signature-estimated
   Jaccard >= threshold.
4. components.py: large-star / small-star connected components -> [row_id, comp].
5. survivor: per component, the best row by survivor.py's total order -> near_dup_cluster / near_dup_of.
6. left join of the (small) annotation table back onto the input: same rows, all columns kept.
"""

from __future__ import annotations

import time

from octopack_spark.ft.dedup.config import MinHashConfig

SIG_DDL = "row_id string, sig array<int>, ntok int"


def _signature_batches(cfg: MinHashConfig, has_diff: bool):
    """The mapInArrow function: Arrow batches of rows -> batches of (row_id, sig, ntok)."""
    ngram, num_perm, seed = cfg.ngram_size, cfg.num_perm, cfg.seed
    mode, ctx, lower, backend, min_tok = cfg.document, cfg.context_lines, cfg.lowercase, cfg.backend, cfg.min_tokens
    batch_rows = cfg.batch_rows

    def one(b):
        import numpy as np
        import pyarrow as pa

        from octopack_spark.ft.dedup.shingles import document_text
        from octopack_spark.ft.dedup.signatures import signatures

        d = b.to_pydict()
        n = b.num_rows
        diffs = d["diff"] if has_diff else [None] * n
        texts = [document_text(mode, d["subject"][i], d["old_contents"][i], d["new_contents"][i], diffs[i], ctx)
                 for i in range(n)]
        sig, valid, ntok = signatures(texts, ngram_size=ngram, num_perm=num_perm, seed=seed, min_tokens=min_tok,
                                      lowercase=lower, backend=backend, return_counts=True)
        flat = pa.array(sig.astype(np.int32).reshape(-1))
        offsets = pa.array(np.arange(0, (n + 1) * num_perm, num_perm, dtype=np.int32))
        sig_col = pa.ListArray.from_arrays(offsets, flat, mask=pa.array(~valid))
        return pa.RecordBatch.from_arrays([pa.array(d["row_id"], pa.string()), sig_col, pa.array(ntok, pa.int32())],
                                          names=["row_id", "sig", "ntok"])

    def fn(batches):
        for whole in batches:
            for off in range(0, whole.num_rows, batch_rows):  # bound memory: batch_rows texts at a time
                yield one(whole.slice(off, batch_rows))

    return fn


def compute_signatures(df, cfg: MinHashConfig):
    """[row_id, sig, ntok]; sig is null for documents shorter than cfg.min_tokens."""
    from pyspark.sql import functions as F

    has_diff = "diff" in df.columns
    cols = ["row_id", "subject", "old_contents", "new_contents"] + (["diff"] if has_diff else [])
    src = df.select(*[F.col(c) if c in df.columns else F.lit(None).cast("string").alias(c) for c in cols])
    return src.mapInArrow(_signature_batches(cfg, has_diff), SIG_DDL)


def candidate_edges(sigs, bands: int, rows: int):
    """[src, dst] star edges of every LSH bucket (member -> smallest row_id of the bucket)."""
    from pyspark.sql import functions as F

    banded = (sigs.where(F.col("sig").isNotNull())
              .select("row_id", "sig", F.explode(F.sequence(F.lit(0), F.lit(bands - 1))).alias("band"))
              .select("row_id", "band",
                      F.xxhash64(F.col("band"), F.slice("sig", F.col("band") * rows + 1, rows)).alias("key")))
    # One aggregate per bucket (a hash aggregate, no per-bucket row buffering), only buckets of >= 2 rows.
    roots = (banded.groupBy("band", "key").agg(F.min("row_id").alias("root"), F.count("*").alias("n"))
             .where(F.col("n") > 1).drop("n"))
    edges = (banded.join(roots, ["band", "key"]).where(F.col("row_id") != F.col("root"))
             .select(F.col("row_id").alias("src"), F.col("root").alias("dst")).distinct())
    return edges


def verified_edges(edges, sigs, threshold: float):
    """The edges whose two signatures agree on at least `threshold` of their positions."""
    from pyspark.sql import functions as F

    a = sigs.select(F.col("row_id").alias("src"), F.col("sig").alias("sa"))
    b = sigs.select(F.col("row_id").alias("dst"), F.col("sig").alias("sb"))
    n = F.size("sa")
    agree = F.aggregate(F.zip_with("sa", "sb", lambda x, y: F.when(x == y, 1).otherwise(0)), F.lit(0),
                        lambda acc, v: acc + v)
    return (edges.join(a, "src").join(b, "dst")
            .where(agree >= F.ceil(F.lit(threshold) * n))
            .select("src", "dst"))


def near_dedup(df, cfg: MinHashConfig):
    """Adds `near_dup_cluster` (the cluster's survivor row_id; null outside clusters) and `near_dup_of`
    (survivor row_id for removed rows; null for survivors and singletons). Returns (DataFrame, stats)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from octopack_spark.ft.dedup.components import connected_components
    from octopack_spark.ft.dedup.lsh import resolve_bands_rows, s_curve_threshold
    from octopack_spark.ft.dedup.survivor import survivor_order, with_survivor_columns

    t0 = time.perf_counter()
    bands, rows = resolve_bands_rows(cfg)
    columns = df.columns  # the output keeps exactly these, plus the two annotations
    df = with_survivor_columns(df)
    sigs = compute_signatures(df, cfg).localCheckpoint(eager=True)
    counts = sigs.agg(F.count("*").alias("n"), F.countDistinct("row_id").alias("ids"),
                      F.count("sig").alias("hashed")).first()
    if counts["n"] != counts["ids"]:
        raise ValueError(f"near_dedup needs unique row_id values: {counts['n']} rows, {counts['ids']} distinct ids")
    t_sig = time.perf_counter()

    raw = candidate_edges(sigs, bands, rows).localCheckpoint(eager=True)
    candidates = raw.count()
    if cfg.verify_candidates:
        edges = verified_edges(raw, sigs, cfg.threshold).localCheckpoint(eager=True)
        n_edges = edges.count()
    else:
        edges, n_edges = raw, candidates
    cc = connected_components(edges, cfg.max_iterations)
    t_cc = time.perf_counter()

    attrs = df.select("row_id", "license", "stars", "committer_time")
    members = cc.assignment.select(F.col("node").alias("row_id"), "comp").join(attrs, "row_id")
    w = Window.partitionBy("comp").orderBy(*survivor_order(cfg.survivor))
    annot = (members.select("row_id", F.first("row_id").over(w).alias("near_dup_cluster"))
             .select("row_id", "near_dup_cluster",
                     F.when(F.col("row_id") != F.col("near_dup_cluster"), F.col("near_dup_cluster"))
                     .alias("near_dup_of"))
             .localCheckpoint(eager=True))
    agg = annot.agg(F.count("*").alias("in_clusters"), F.countDistinct("near_dup_cluster").alias("clusters"),
                    F.count("near_dup_of").alias("dups")).first()
    out = df.join(annot, "row_id", "left").select(*columns, "near_dup_cluster", "near_dup_of")
    t_end = time.perf_counter()
    stats = {
        "stage": "near_dedup",
        "rows_in": int(counts["n"]),
        "documents_hashed": int(counts["hashed"]),
        "too_short": int(counts["n"] - counts["hashed"]),
        "candidate_edges": int(candidates),
        "verified_edges": int(n_edges),
        "clusters": int(agg["clusters"] or 0),
        "rows_in_clusters": int(agg["in_clusters"] or 0),
        "duplicates": int(agg["dups"] or 0),
        "cc_iterations": cc.iterations,
        "params": {
            "document": cfg.document, "context_lines": cfg.context_lines, "ngram_size": cfg.ngram_size,
            "lowercase": cfg.lowercase, "num_perm": cfg.num_perm, "bands": bands, "rows": rows,
            "threshold": cfg.threshold, "s_curve_threshold": round(s_curve_threshold(bands, rows), 4),
            "verify_candidates": cfg.verify_candidates, "backend": cfg.backend, "seed": cfg.seed,
            "min_tokens": cfg.min_tokens,
        },
        "seconds": {"signatures": round(t_sig - t0, 3), "banding_components": round(t_cc - t_sig, 3),
                    "survivors": round(t_end - t_cc, 3), "total": round(t_end - t0, 3)},
    }
    return out, stats

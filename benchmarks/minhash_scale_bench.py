"""MinHash near-dedup at scale: a million documents with planted near-duplicate pairs of known Jaccard.

    .venv/bin/python benchmarks/minhash_scale_bench.py [--docs 1000000] [--pairs 10000] [--out DIR]

Documents are generated (seeded): ~1 KB of code-like lines drawn from a 20,000-token vocabulary, so two
unrelated documents share no 5-gram shingle. `--pairs` of them get a copy with 0-8 tokens replaced, which
spreads the pairs' true Jaccard similarity (computed exactly on the project's own 5-gram shingle sets) from
1.0 down to ~0.5. The whole table goes through the ft stage's `near_dedup` (signatures, LSH banding,
verification, connected components, survivor choice) on local Spark with the default MinHashConfig
(threshold 0.7), apart from `document=new_contents` (the generated text is the document).

Printed: wall time per step, peak RSS of the process tree (driver JVM + Python workers), recall per
Jaccard bucket (a planted pair is found when both rows land in one cluster), and precision = merged rows
whose true Jaccard with their survivor is >= 0.65 (threshold minus 0.05 for MinHash's estimation error) over
all merged rows. Targets: recall >= 0.95 for pairs at J >= 0.85, precision >= 0.99.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from machine_info import describe  # noqa: E402
from scale_bench import _tree_rss, gib  # noqa: E402

VOCAB = [f"{p}{i}" for i, p in zip(range(20000), ["x", "fn", "val", "obj", "tmp"] * 4000)]
OPS = ["=", "+", "(", ")", ",", "*", "-", "."]


def make_doc(rng: random.Random, lines: int = 20) -> list[str]:
    return [" ".join(rng.choice(VOCAB) if j % 2 == 0 else rng.choice(OPS) for j in range(12)) for _ in range(lines)]


def jaccard(a: str, b: str) -> float:
    from octopack_spark.ft.dedup.shingles import shingle_hashes, token_hashes

    sa = set(shingle_hashes(token_hashes(a), 5).tolist())
    sb = set(shingle_hashes(token_hashes(b), 5).tolist())
    return len(sa & sb) / max(1, len(sa | sb))


def build(path: str, n_docs: int, n_pairs: int, seed: int = 5) -> dict:
    """Parquet of commit-like rows; returns {copy_row_id: (original_row_id, true_jaccard)}."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    planted: dict[str, tuple[str, float]] = {}
    writer = None
    chunk = 50_000
    n_orig = n_docs - n_pairs
    pair_every = max(1, n_orig // n_pairs)
    rows = {k: [] for k in ("row_id", "repo", "repos", "license", "stars", "committer_time", "subject",
                            "old_contents", "new_contents", "diff")}

    def flush():
        nonlocal writer
        t = pa.table({**rows, "committer_time": pa.array(rows["committer_time"], pa.timestamp("us", tz="UTC")),
                      "stars": pa.array(rows["stars"], pa.int64()), "diff": pa.array(rows["diff"], pa.string())})
        if writer is None:
            writer = pq.ParquetWriter(path, t.schema, compression="zstd")
        writer.write_table(t)
        for v in rows.values():
            v.clear()

    def add(rid: str, text: str, i: int):
        rows["row_id"].append(rid)
        rows["repo"].append(f"r{i % 5000}")
        rows["repos"].append(f"r{i % 5000}")
        rows["license"].append("mit")
        rows["stars"].append(i % 100)
        rows["committer_time"].append(t0 + dt.timedelta(seconds=i))
        rows["subject"].append("Update code")
        rows["old_contents"].append(None)
        rows["new_contents"].append(text)
        rows["diff"].append(None)
        if len(rows["row_id"]) >= chunk:
            flush()

    made_pairs = 0
    for i in range(n_orig):
        lines = make_doc(rng)
        text = "\n".join(lines) + "\n"
        rid = f"d{i:08d}"
        add(rid, text, i)
        if made_pairs < n_pairs and i % pair_every == 0:
            toks = text.split(" ")
            for _ in range(made_pairs % 9):  # 0..8 replaced tokens
                k = rng.randrange(len(toks))
                toks[k] = rng.choice(VOCAB)
            copy = " ".join(toks)
            cid = f"c{made_pairs:08d}"
            add(cid, copy, n_orig + made_pairs)
            planted[cid] = (rid, jaccard(text, copy))
            made_pairs += 1
    if rows["row_id"]:
        flush()
    writer.close()
    return planted


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--pairs", type=int, default=10_000)
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "octopack-minhash-scale"))
    args = ap.parse_args()
    print("machine:", describe())
    os.makedirs(args.out, exist_ok=True)
    data = os.path.join(args.out, "docs.parquet")
    t = time.perf_counter()
    planted = build(data, args.docs, args.pairs)
    print(f"generated {args.docs:,} documents ({os.path.getsize(data) / 1e6:.0f} MB zstd) with {len(planted):,} "
          f"planted pairs in {time.perf_counter() - t:.1f} s")

    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(os.getpid()))
            stop.wait(0.5)

    threading.Thread(target=sample, daemon=True).start()
    from pyspark.sql import functions as F

    from octopack_spark.config import SparkConfig
    from octopack_spark.ft.dedup.config import MinHashConfig
    from octopack_spark.ft.dedup.minhash import near_dedup
    from octopack_spark.spark.session import get_spark

    spark = get_spark(SparkConfig(master="local[*]"), app_name="octopack-minhash-scale")
    t = time.perf_counter()
    df = spark.read.parquet(data)
    out, stats = near_dedup(df, MinHashConfig(document="new_contents"))
    res_path = os.path.join(args.out, "result")
    out.select("row_id", "near_dup_cluster", "near_dup_of").write.mode("overwrite").parquet(res_path)
    wall = time.perf_counter() - t
    got = {r.row_id: (r.near_dup_cluster, r.near_dup_of) for r in
           spark.read.parquet(res_path).where(F.col("near_dup_cluster").isNotNull()).collect()}
    stop.set()
    n_rows = spark.read.parquet(res_path).count()

    buckets = [(0.95, 1.01), (0.9, 0.95), (0.85, 0.9), (0.8, 0.85), (0.7, 0.8), (0.0, 0.7)]
    print(f"near_dedup over {n_rows:,} rows: {wall:.1f} s ({n_rows / wall:,.0f} rows/s), peak RSS (JVM + Python) "
          f"{gib(peak[0])}; clusters {stats['clusters']:,}, duplicates {stats['duplicates']:,}")
    print(f"  steps (s): {json.dumps(stats['seconds'])}")
    found_hi = total_hi = 0
    for lo, hi in buckets:
        pairs = [(c, o) for c, (o, j) in planted.items() if lo <= j < hi]
        found = sum(1 for c, o in pairs if c in got and o in got and got[c][0] == got[o][0])
        if lo >= 0.85:
            found_hi += found
            total_hi += len(pairs)
        print(f"  J in [{lo:.2f}, {min(hi, 1.0):.2f}): {len(pairs):5d} planted pairs, recall {found / max(1, len(pairs)):.3f}")
    true_j = {c: j for c, (o, j) in planted.items()} | {o: j for c, (o, j) in planted.items()}
    merged = [rid for rid, (cl, of) in got.items() if of is not None]
    good = sum(1 for rid in merged if true_j.get(rid, 0.0) >= 0.65)
    print(f"  recall for J >= 0.85: {found_hi / max(1, total_hi):.4f} ({found_hi}/{total_hi}); precision "
          f"{good / max(1, len(merged)):.4f} ({good}/{len(merged)} merged rows are planted near-duplicates)")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

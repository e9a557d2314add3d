"""The CommitPackFT job: commits table -> scored/ + commitpackft/ + stats + data card, on Spark.

Data flow of one run (every intermediate is written to `_staging/<unit>/` and read back, so no step
is recomputed when its output feeds two branches, and memory stays bounded). File contents are the
bulk of the data, so they are read for every row once (their sizes, in the JVM) and carried only by
the rows still in the running:
  read `commits` through the input manifest
  -> sizes instead of contents (old_chars, new_chars, same_contents, content_bytes; with_content_sizes)
  -> context columns (Spark aggregations): repo_langs per repository, inplace_files per commit
  -> scoring pass (mapInArrow, ft.score.Scorer): every row rule; language ID and the chars token
     estimate on the rows no other rule dropped (ft.langid.scope / ft.tokens.scope)
  -> SQL step 2, exact dedup on the commit key over rows that pass SQL step 1 (ft.dedup.exact); the
     survivor's `repos` becomes the union, and `optout` (which reads `repos`) is re-judged
  -> candidates (rows with no drop reason so far) get their contents back (broadcast semi-join on
     row_id); a real tokenizer counts their tokens here (Scorer.score_tokens)
  -> exact content dedup -> HumanEvalPack decontamination -> MinHash near-dedup, each over the rows
     the previous one kept (ft.dedup / ft.decont)
  -> drop_reason (first failure in pipeline order), drop_stage, keep -> `scored` (every row, no contents)
  -> `commitpackft`: kept rows with their contents, paper columns first, Hive-partitioned by lang
  -> funnel, stats.json + `stats` table, README.md + PNGs
  -> publish the staged tables (crash-safe), write manifest.json last, delete the previous run's files.
These are the named steps of FT_STEPS (score, sql2, contents, exact_content_dedup, decontamination,
near_dedup, write, stats, publish), run by octopack_spark/steps.py over one FtRun record.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from octopack_spark import code_version
from octopack_spark.config import PipelineConfig
from octopack_spark.errors import UserFacingError
from octopack_spark.ft.config import FtConfig
from octopack_spark.ft.guard import ft_output_problem
from octopack_spark.ft.secrets_step import add_secrets_stats, redact_messages, scan_secrets
from octopack_spark.ft.filters.pipeline import ANNOTATION_STEPS, RULES, active_rules, reason_stage
from octopack_spark.ft.stats import build_funnel, render_funnel, stats_rows
from octopack_spark.ft.tables import (
    COMMITPACKFT_PARTITION,
    CONTENT_COLUMNS,
    FEATURE_COLUMNS,
    COMMITPACKFT_TABLE,
    COMMITPACKFT_VERSION,
    SCORE_FIELDS,
    SCORED_TABLE,
    SCORED_VERSION,
    STATS_TABLE,
    STATS_VERSION,
)
from octopack_spark.redact import portable_ref
from octopack_spark.schema import COMMITS_SCHEMA, COMMITS_TABLE, spark_ddl
from octopack_spark.spark.diagnose import set_stage
from octopack_spark.steps import StageReporter, Step, StepLog, StepRows, new_run_id, run_steps
from octopack_spark.storage.fs import Storage, join, normalize, to_s3a
from octopack_spark.storage.lock import dataset_lock
from octopack_spark.storage.manifest import Manifest, TableEntry, read_manifest, write_manifest
from octopack_spark.storage.publish import completed_units, delete_unit, discard_staging, publish, recover, staging_uri

log = logging.getLogger(__name__)

SQL1_REASONS = tuple(r.name for r in RULES if r.stage == "sql1")


@dataclass
class FtSummary:
    run_id: str
    input: str
    output: str
    rows_in: int = 0
    rows_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    funnel_text: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        rps = self.rows_in / self.seconds if self.seconds else 0.0
        return "\n".join([
            self.funnel_text,
            f"wrote {self.output}: scored/ ({self.rows_in:,} rows), commitpackft/ ({self.rows_out:,} rows), "
            f"stats.json, README.md (run {self.run_id}, {self.seconds:.1f} s, {rps:,.1f} rows/s)",
        ])


def _score_partition_fn(ft_json: str, token_method: str, acc):
    def score_partition(batches):
        from octopack_spark.ft.config import FtConfig
        from octopack_spark.ft.score import Scorer

        scorer = Scorer(FtConfig.model_validate_json(ft_json), token_method=token_method or None)
        for b in batches:
            if b.num_rows:
                yield scorer.score(b)
        acc.add({**scorer.seconds, "rows": float(scorer.rows)})

    return score_partition


def _spark_scored_schema(schema):
    """Spark schema of the scoring pass's output: the input's columns, then SCORE_FIELDS."""
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StringType, StructField, StructType

    fields = [StructField("lang", StringType(), True) if f.name == "lang" else f for f in schema.fields
              if f.name not in FEATURE_COLUMNS]
    fields += [StructField(f.name, from_arrow_type(f.type), True) for f in SCORE_FIELDS]
    return StructType(fields)


def with_content_sizes(df, stored: bool = False):
    """The commits rows without their contents (old_contents, new_contents, diff), with the sizes the rules
    need instead (ft.tables.FEATURE_COLUMNS). `stored`: the input is commits 1.1+, whose old_chars, new_chars
    and same_contents were computed at mining time, so no content column is read at all; otherwise they are
    computed here in the JVM from the contents (read once, never sent to Python nor written again)."""
    from pyspark.sql import functions as F

    # `secrets` (commits 1.1, mining's findings in the raw contents and message) is not carried: its message
    # spans would point into text that `scored` redacts, and commitpackft is scanned again.
    keep = [c for c in df.columns if c not in CONTENT_COLUMNS and c not in FEATURE_COLUMNS and c != "secrets"]
    if stored:
        # Contents are present exactly when their character count is, and are the blob's bytes (UTF-8 checked).
        octets = [F.when(F.col(chars).isNotNull(), F.col(size)).otherwise(F.lit(0))
                  for chars, size in (("old_chars", "old_size"), ("new_chars", "new_size"))]
        return df.select(*keep, "old_chars", "new_chars", "same_contents",
                         (octets[0] + octets[1]).cast("long").alias("content_bytes"))
    octets = [F.coalesce(F.octet_length(c), F.lit(0)) for c in ("old_contents", "new_contents")]
    return df.select(*keep,
                     F.length("old_contents").cast("long").alias("old_chars"),
                     F.length("new_contents").cast("long").alias("new_chars"),
                     (F.col("old_contents") == F.col("new_contents")).alias("same_contents"),
                     (octets[0] + octets[1]).cast("long").alias("content_bytes"))


def sizes_stored(commits_version: str) -> bool:
    """Whether a commits table of this schema version carries old_chars/new_chars/same_contents and
    inplace_files (1.1+)."""
    major, _, minor = commits_version.partition(".")
    return (int(major), int(minor or 0)) >= (1, 1)


def with_contents(df, contents):
    """df's rows with their content columns joined back from `contents` (row_id + content columns).
    The row ids go to every task (a broadcast semi-join), so the big side is filtered where it is
    read instead of shuffled; past a few million ids a plain join is cheaper than the broadcast."""
    from pyspark.sql import functions as F

    keys = df.select("row_id")
    n = keys.count()
    wanted = contents.join(F.broadcast(keys) if n <= _BROADCAST_IDS else keys, "row_id", "left_semi")
    return df.drop(*[c for c in CONTENT_COLUMNS if c in df.columns]).join(wanted, "row_id", "left")


def _count_tokens(df, ft_json: str, method: str, acc):
    """The deferred token rule (Scorer.score_tokens) over rows that carry their contents."""

    def run(batches):
        from octopack_spark.ft.config import FtConfig
        from octopack_spark.ft.score import Scorer

        scorer = Scorer(FtConfig.model_validate_json(ft_json), token_method=method or None)
        for b in batches:
            if b.num_rows:
                yield scorer.score_tokens(b)
        acc.add({**scorer.seconds})

    return df.mapInArrow(run, df.schema)


_BROADCAST_IDS = 2_000_000


def with_context(df, inplace_stored: bool = False):
    """repo_langs and inplace_files (see ft.context for the definition and the pure twin). `inplace_stored`:
    the input is commits 1.1+, which carries inplace_files from mining, so only the per-repository
    languages are joined (a table of one row per repository; the rows are not shuffled by commit)."""
    from pyspark.sql import functions as F

    cols = [c for c in df.columns if c != "inplace_files"]
    out = df.join(df.groupBy("repo").agg(F.array_sort(F.collect_set("lang")).alias("repo_langs")), "repo", "left")
    if not inplace_stored:
        inplace = (df.where(F.col("old_file").isNotNull() & (F.col("old_file") == F.col("new_file")))
                   .groupBy("commit").agg(F.countDistinct("new_file").cast("int").alias("inplace_files")))
        out = out.drop("inplace_files").join(inplace, "commit", "left")
    return (out.withColumn("inplace_files", F.coalesce(F.col("inplace_files"), F.lit(0)).cast("int"))
            .withColumn("repo_langs", F.coalesce(F.col("repo_langs"), F.array().cast("array<string>")))
            .select(*cols, "repo_langs", "inplace_files"))


class _Intermediates:
    """Writes intermediates under the unit's staging area and reads them back (cuts the lineage)."""

    def __init__(self, spark, stage_root: str):
        self.spark = spark
        self.root = stage_root

    def materialize(self, df, name: str):
        uri = to_s3a(join(self.root, "_tmp", name))
        df.write.mode("overwrite").parquet(uri)
        return self.spark.read.parquet(uri)


def rejudge_optout(reasons: list[str], repo: str, repos: str, owners: list[str]) -> list[str]:
    """drop_reasons with `optout` judged again on the merged `repos` (pure; run as a Spark UDF)."""
    from types import SimpleNamespace

    from octopack_spark.ft.filters.pipeline import reason_order
    from octopack_spark.ft.filters.postprocess import optout
    from octopack_spark.ft.row import FtRow

    out = [r for r in (reasons or []) if r != "optout"]
    keep, _ = optout(FtRow(repo=repo or "", repos=repos or ""), SimpleNamespace(optout_owners=owners))
    if not keep:
        rank = {n: i for i, n in enumerate(reason_order())}
        out = sorted(out + ["optout"], key=lambda r: rank.get(r, len(rank)))
    return out


def _recheck_optout(df, fc: FtConfig):
    """Re-judge `optout` after SQL step 2 merged `repos` (a fork elsewhere now keeps the row)."""
    from pyspark.sql import functions as F

    owners = list(fc.filters.optout_owners)

    @F.udf("array<string>")
    def rejudge(reasons, repo, repos):
        return rejudge_optout(reasons, repo, repos, owners)

    # Merging only adds repositories, so only a row dropped by `optout` whose list now names more than
    # one can change: the Python UDF runs on those rows alone.
    changed = F.array_contains("drop_reasons", "optout") & F.col("repos").contains(",")
    return (df.where(changed).withColumn("drop_reasons", rejudge("drop_reasons", "repo", "repos"))
            .unionByName(df.where(~changed | changed.isNull())))


def final_reason_column(active: set[str]):
    """The row's first drop reason in pipeline order (`first_reason`), as a native Spark expression over
    `drop_reasons` and the dedup/decontamination columns: no Python worker sees the row."""
    from pyspark.sql import functions as F

    from octopack_spark.ft.filters.pipeline import reason_order

    rank = {n: i for i, n in enumerate(reason_order())}
    rank_of = F.create_map(*[x for k, v in rank.items() for x in (F.lit(k), F.lit(v))])
    extra = [F.when(F.col(col).isNotNull(), F.lit(reason))
             for reason, col in (("exact_commit_dup", "exact_commit_dup_of"),
                                 ("exact_content_dup", "exact_content_dup_of"),
                                 ("decontaminated", "decont_hit"), ("near_dup", "near_dup_of"))
             if reason in active]
    found = F.coalesce(F.col("drop_reasons"), F.array().cast("array<string>"))
    if extra:
        found = F.concat(found, F.filter(F.array(*extra), lambda r: r.isNotNull()))
    # min over (rank, position, reason): unknown reasons rank last and ties keep list order, as in Python.
    keyed = F.transform(found, lambda r, i: F.struct(F.coalesce(rank_of[r], F.lit(len(rank))).alias("k"),
                                                      i.alias("i"), r.alias("r")))
    return F.array_min(keyed)["r"]


@dataclass
class FtPrepared:
    """What `prepare` checked and loaded before Spark starts."""

    storage: Storage
    in_root: str
    out_root: str
    input_manifest: Manifest
    token_counter: str             # Scorer's counter method, or "disabled"
    langid_model: str
    active: set[str]               # active rules and annotation steps
    decont_index: Any = None       # ft.decont.index.DecontIndex when decontamination is on


def prepare(cfg: PipelineConfig) -> FtPrepared:
    """Checks that need no Spark, done before it starts: paths, tokenizer, language-ID model,
    decontamination benchmark. Returns what the run needs (counter method, decont index, ...)."""
    from octopack_spark.ft.langid import load_model, resolve_model_path
    from octopack_spark.ft.score import Scorer

    fc = cfg.ft
    if not fc.input:
        raise UserFacingError("no input given: pass --input DIR (a dataset written by `octopack mine`)")
    if not fc.output:
        raise UserFacingError("no output given: pass --output DIR_OR_S3_URI")
    in_root, out_root = normalize(fc.input), normalize(fc.output)
    if in_root == out_root:
        raise UserFacingError("--output must differ from --input (the ft dataset has its own manifest)")
    storage = Storage.for_config(cfg.storage)
    manifest = read_manifest(storage, in_root)
    manifest.table(COMMITS_TABLE)
    scorer = Scorer(fc)  # loads the tokenizer: fails here, with remedies, when it cannot
    model_path = resolve_model_path(fc.langid.model_path)
    load_model(model_path)
    active = {r.name for r in active_rules(fc.filters)} | (set(ANNOTATION_STEPS) - set(fc.filters.disabled))
    return FtPrepared(storage=storage, in_root=in_root, out_root=out_root, input_manifest=manifest,
                      token_counter=scorer.counter.method if scorer.counter else "disabled",
                      langid_model=model_path, active=active,
                      decont_index=_load_decont_index(fc) if "decontaminated" in active else None)


def _load_decont_index(fc: FtConfig):
    from octopack_spark.ft.decont.index import load_index

    try:
        return load_index(fc.decont)
    except UserFacingError:
        raise
    except Exception as e:
        raise UserFacingError(
            f"cannot load the HumanEvalPack decontamination source {fc.decont.source!r}: {e}. "
            "Pass a local copy (--humanevalpack DIR holding python.jsonl, js.jsonl, ...) or switch the "
            "step off (--disable decontaminated)") from None


def run_ft(cfg: PipelineConfig, spark=None, reporter: Optional[StageReporter] = None) -> FtSummary:
    """Run the CommitPackFT stage described by cfg.ft (input and output required): the steps of FT_STEPS."""
    t_start = time.monotonic()
    p = prepare(cfg)
    p.storage.ensure_bucket(p.out_root)
    with dataset_lock(p.storage, p.out_root, "ft"):  # one writer per dataset: a second run is refused
        run = _open_run(cfg, spark, p, t_start)
        run_steps("ft", FT_STEPS, run, logger=log, reporter=reporter, steplog=run.steplog)
        return run.summary


@dataclass
class FtRun:
    """What the ft steps share. `rows` is the current every-row DataFrame until the candidates split
    off; `parts` collects the rows each whole-table step decided (dropped), `cur` the rows still in the
    running. `steplog` holds the finished steps' timings (stats.json `timings`)."""

    cfg: PipelineConfig
    p: FtPrepared
    spark: Any
    t_start: float
    run_id: str
    unit: str
    staging: "_Intermediates"
    old_units: list[dict]
    steplog: StepLog
    step_stats: dict[str, dict] = field(default_factory=dict)  # stats.json `steps`
    ft_json: str = ""
    method: str = ""               # token counter for the Scorer ("" = its default)
    tokens_later: bool = False     # a tokenizer counts tokens on rows with their contents
    acc: Any = None                # executor seconds per rule (accumulator)
    contents: Any = None           # row_id + content columns of the input
    rows: Any = None
    parts: list = field(default_factory=list)
    cur: Any = None
    score_seconds: dict[str, float] = field(default_factory=dict)
    verdicts_df: Any = None    # every row with its verdict, without contents
    scored_df: Any = None
    staged: dict[str, str] = field(default_factory=dict)  # table -> staged directory
    stats: dict[str, Any] = field(default_factory=dict)    # stats.json
    funnel: list = field(default_factory=list)             # ft.stats funnel steps
    secrets_acc: Any = None                                # ft.secrets counts (accumulator)
    summary: Optional[FtSummary] = None


def _open_run(cfg: PipelineConfig, spark, p: FtPrepared, t_start: float) -> FtRun:
    """Finish a unit an interrupted run left half-published, drop its staging, start Spark."""
    from octopack_spark.spark.session import get_spark

    if recover(p.storage, p.out_root):
        log.info("finished publishing a unit left by an interrupted run")
    discard_staging(p.storage, p.out_root)
    old_units = completed_units(p.storage, p.out_root)
    spark = spark or get_spark(cfg.spark, cfg.storage, uris=[p.in_root, p.out_root], app_name="octopack-ft")
    run_id = new_run_id()
    unit = f"ft-{run_id}"
    return FtRun(cfg=cfg, p=p, spark=spark, t_start=t_start, run_id=run_id, unit=unit,
                 staging=_Intermediates(spark, staging_uri(p.out_root, unit)), old_units=old_units,
                 steplog=StepLog("ft"))


def _score_step(run: FtRun) -> None:
    """Read commits, sizes instead of contents, context columns, the scoring pass (every row rule)."""
    from octopack_spark.spark.accumulators import dict_sum_param
    from octopack_spark.spark.io import read_table

    fc, active = run.cfg.ft, run.p.active
    set_stage(run.spark, "ft: score")
    commits = read_table(run.spark, run.p.storage, run.p.in_root, COMMITS_TABLE,
                         schema_ddl=spark_ddl(COMMITS_SCHEMA))
    # `diff` is read back only for MinHash's "change" documents (the changed lines; cheaper than difflib).
    needed = ["old_contents", "new_contents"] + (["diff"] if "near_dup" in active and fc.minhash.document == "change"
                                                 else [])
    run.contents = commits.select("row_id", *[c for c in needed if c in commits.columns])
    stored = sizes_stored(run.p.input_manifest.table(COMMITS_TABLE).schema_version)
    ctx = with_context(with_content_sizes(commits, stored), inplace_stored=stored)  # no file contents from here on
    if fc.score_partitions:
        ctx = ctx.repartition(fc.score_partitions)
    run.acc = run.spark.sparkContext.accumulator({}, dict_sum_param())
    run.method = run.p.token_counter if run.p.token_counter != "disabled" else ""
    run.ft_json = fc.model_dump_json()
    scored = ctx.mapInArrow(_score_partition_fn(run.ft_json, run.method, run.acc), _spark_scored_schema(ctx.schema))
    # A tokenizer needs the texts: the token rule then runs after the other rules, on the rows that
    # need it (scope=candidates: rows no other rule dropped; scope=all: every row).
    run.tokens_later = "token_length" in active and run.method.startswith("hf:")
    if run.tokens_later and fc.tokens.scope == "all":
        scored = _count_tokens(with_contents(scored, run.contents), run.ft_json, run.method,
                               run.acc).drop(*CONTENT_COLUMNS)
    run.rows = run.staging.materialize(scored, "rows")


def _sql2_step(run: FtRun) -> None:
    """SQL step 2: exact dedup on the commit key, over rows that pass SQL step 1; optout re-judged."""
    from pyspark.sql import functions as F

    from octopack_spark.ft.dedup.exact import exact_dedup_commits

    fc, active, rows = run.cfg.ft, run.p.active, run.rows
    set_stage(run.spark, "ft: exact commit dedup")
    fails_sql1 = F.arrays_overlap(F.col("drop_reasons"), F.array(*[F.lit(x) for x in SQL1_REASONS]))
    if "exact_commit_dup" in active:
        passing, failing = rows.where(~fails_sql1), rows.where(fails_sql1)
        ded, run.step_stats["exact_dedup_commits"] = exact_dedup_commits(passing, fc.exact)
        rows = ded.unionByName(failing.withColumn("exact_commit_dup_of", F.lit(None).cast("string")))
        if "optout" in active:
            rows = _recheck_optout(rows, fc)
    else:
        rows = rows.withColumn("exact_commit_dup_of", F.lit(None).cast("string"))
    run.rows = run.staging.materialize(rows, "sql2")


def _contents_step(run: FtRun) -> None:
    """Candidates (no drop reason so far) get their contents back; a real tokenizer counts their tokens."""
    from pyspark.sql import functions as F

    fc = run.cfg.ft
    candidate = (F.size("drop_reasons") == 0) & F.col("exact_commit_dup_of").isNull()
    run.parts = [run.rows.where(~candidate)]
    # Only the rows still in the running get their contents back (a semi-join on row_id: the
    # commits table is scanned, not shuffled).
    set_stage(run.spark, "ft: contents of candidates")
    cur = with_contents(run.rows.where(candidate), run.contents)
    if run.tokens_later and fc.tokens.scope == "candidates":
        set_stage(run.spark, "ft: token counting")
        cur = run.staging.materialize(_count_tokens(cur, run.ft_json, run.method, run.acc), "tokens")
        run.parts.append(cur.where(F.size("drop_reasons") > 0))
        cur = cur.where(F.size("drop_reasons") == 0)
    else:
        cur = run.staging.materialize(cur, "candidates")
    run.cur = cur
    run.score_seconds = dict(run.acc.value)


def _whole_table_step(run: FtRun, reason: str, stage: str, name: str, tmp: str, decided: str, fn) -> None:
    """One whole-table step over the rows still in the running, when its rule is active: `fn(cur)`
    returns (annotated rows, stats.json `steps.<name>`); rows with `decided` set leave the running."""
    from pyspark.sql import functions as F

    if reason not in run.p.active:
        return
    set_stage(run.spark, f"ft: {stage}")
    out, run.step_stats[name] = fn(run.cur)
    out = run.staging.materialize(out, tmp)
    run.parts.append(out.where(F.col(decided).isNotNull()))
    run.cur = out.where(F.col(decided).isNull())


def _content_dedup_step(run: FtRun) -> None:
    """Exact dedup on (old_contents, new_contents)."""
    from octopack_spark.ft.dedup.exact import exact_dedup_contents

    _whole_table_step(run, "exact_content_dup", "exact content dedup", "exact_dedup_contents", "content",
                      "exact_content_dup_of", lambda cur: exact_dedup_contents(cur, run.cfg.ft.exact))


def _decont_step(run: FtRun) -> None:
    """HumanEvalPack decontamination (exact substrings and n-gram overlap)."""
    def decont(cur):
        from octopack_spark.ft.decont.humanevalpack import decontaminate

        return decontaminate(cur, run.cfg.ft.decont, index=run.p.decont_index)

    _whole_table_step(run, "decontaminated", "decontamination", "decontaminate", "decont",
                      "decont_hit", decont)


def _near_dedup_step(run: FtRun) -> None:
    """MinHash LSH near-dedup; its rows, dropped or kept, are the last part."""
    from octopack_spark.ft.dedup.minhash import near_dedup

    if "near_dup" in run.p.active:
        set_stage(run.spark, "ft: near dedup")
        cur, run.step_stats["near_dedup"] = near_dedup(run.cur, run.cfg.ft.minhash)
        run.cur = run.staging.materialize(cur, "near")
    run.parts.append(run.cur)


def _write_step(run: FtRun) -> None:
    """Verdicts (drop_reason, drop_stage, keep) -> staged `scored` (no contents) and `commitpackft`."""
    from pyspark.sql import functions as F

    from octopack_spark.spark.io import stage_table

    fc, out_root, unit = run.cfg.ft, run.p.out_root, run.unit
    set_stage(run.spark, "ft: write scored")
    allrows = run.parts[0]
    for part in run.parts[1:]:
        allrows = allrows.unionByName(part, allowMissingColumns=True)
    for col in ("exact_content_dup_of", "decont_hit", "near_dup_cluster", "near_dup_of"):
        if col not in allrows.columns:
            allrows = allrows.withColumn(col, F.lit(None).cast("string"))
    stage_of = reason_stage()
    stage_map = F.create_map(*[x for k, v in stage_of.items() for x in (F.lit(k), F.lit(v))])
    allrows = (allrows
               .withColumn("drop_reason", final_reason_column(run.p.active))
               .withColumn("drop_stage", stage_map[F.col("drop_reason")])
               .withColumn("keep", F.col("drop_reason").isNull()))
    # Not materialized: the parts are, and the verdict is a cheap native expression, so scored and
    # commitpackft each recompute it rather than rewriting every row once more.
    run.verdicts_df = allrows.drop(*CONTENT_COLUMNS)
    run.scored_df = redact_messages(run.verdicts_df, fc.secrets)  # published: no secret in messages
    run.staged[SCORED_TABLE] = stage_table(run.scored_df, out_root, unit, SCORED_TABLE)
    set_stage(run.spark, "ft: write commitpackft")
    kept, run.secrets_acc = scan_secrets(allrows.where(F.col("keep")), fc.secrets)  # ft.secrets: redact / drop
    cpft = kept.select(
        "commit", "old_file", "new_file", "old_contents", "new_contents", F.col("subject_clean").alias("subject"),
        "message", "lang", "license", "repos", "row_id", "repo", F.col("subject").alias("subject_raw"), "stars",
        "committer_time", "n_tokens", "nl_lang", "nl_score", "near_dup_cluster",
    ).sortWithinPartitions("lang", "row_id")
    run.staged[COMMITPACKFT_TABLE] = stage_table(cpft, out_root, unit, COMMITPACKFT_TABLE,
                                                 partition_by=[COMMITPACKFT_PARTITION])


def _stats_step(run: FtRun) -> StepRows:
    """stats.json's content from one small aggregation of `scored`; the over-removal guard."""
    from pyspark.sql import functions as F

    # From the verdicts before the messages' redaction (which keeps every row and these columns as they
    # are): the Python scan over every message runs once, for the scored table, not again here.
    agg = (run.verdicts_df.groupBy("drop_reason", "lang", "license", "nl_lang")
           .agg(F.count("*").alias("n"), F.sum("content_bytes").alias("b")).collect())
    run.stats, run.funnel = _stats(run.cfg, run.p, agg, run.score_seconds, run.steplog.seconds(),
                                   run.step_stats, run.run_id)
    add_secrets_stats(run.stats, run.secrets_acc.value, run.cfg.ft.secrets)
    problem = ft_output_problem(run.funnel, run.stats["rows_in"], run.stats["rows_out"], run.cfg.ft.guard)
    if problem:  # over-removal guard (ft.guard): before anything is published
        discard_staging(run.p.storage, run.p.out_root)
        raise UserFacingError(problem)
    return StepRows(rows_in=run.stats["rows_in"], rows_out=run.stats["rows_out"])


def _publish_step(run: FtRun) -> None:
    """The stats table, stats.json + README.md + PNGs, the staged tables published, manifest.json last;
    then the previous runs' files, unreachable once the new manifest is in place, are deleted."""
    storage, out_root, stats = run.p.storage, run.p.out_root, run.stats
    total_seconds = time.monotonic() - run.t_start
    stats["seconds"] = round(total_seconds, 3)
    stats["rows_per_second"] = round(stats["rows_in"] / total_seconds, 1) if total_seconds else 0.0
    stats["timings"]["total"] = round(total_seconds, 3)
    run.staged[STATS_TABLE] = join(staging_uri(out_root, run.unit), STATS_TABLE)
    stats_table = stats_rows(
        stats["rows_in"], stats["bytes_in"], stats["rows_out"], stats["bytes_out"], run.funnel,
        {k: (v["rows"], v["bytes"]) for k, v in stats["languages_in"].items()},
        {k: (v["rows"], v["bytes"]) for k, v in stats["languages_out"].items()}, stats["seconds"])
    storage.write_parquet(join(run.staged[STATS_TABLE], "part-00000.parquet"), stats_table)
    funnel_text = render_funnel(run.funnel, stats["rows_in"], stats["bytes_in"], stats["rows_out"],
                                stats["bytes_out"])
    _write_report(storage, out_root, stats, run.cfg.ft)
    published = publish(storage, out_root, run.unit, {t: (u, t) for t, u in run.staged.items()},
                        extra={"run_id": run.run_id})
    write_manifest(storage, out_root, _ft_manifest(run, published, stats_table.num_rows))
    for u in run.old_units:
        delete_unit(storage, out_root, u)
    run.summary = FtSummary(run_id=run.run_id, input=run.p.in_root, output=out_root, rows_in=stats["rows_in"],
                            rows_out=stats["rows_out"], bytes_in=stats["bytes_in"], bytes_out=stats["bytes_out"],
                            seconds=total_seconds, funnel_text=funnel_text, stats=stats)


def _ft_manifest(run: FtRun, published: dict, stats_rows_n: int) -> Manifest:
    from octopack_spark.spark.session import recorded_conf

    stats = run.stats
    manifest = Manifest(
        kind="ft",
        tables={
            SCORED_TABLE: TableEntry(SCORED_VERSION, rows=stats["rows_in"]),
            COMMITPACKFT_TABLE: TableEntry(COMMITPACKFT_VERSION, rows=stats["rows_out"],
                                           partitioning=[COMMITPACKFT_PARTITION]),
            STATS_TABLE: TableEntry(STATS_VERSION, rows=stats_rows_n),
        },
        config=run.cfg.redacted_dict(),
        config_hash=run.cfg.config_hash(),
        counts={"rows_in": stats["rows_in"], "rows_out": stats["rows_out"], "bytes_in": stats["bytes_in"],
                "bytes_out": stats["bytes_out"], "dropped_by_reason": {k: v["rows"] for k, v in
                                                                       stats["dropped_by_reason"].items()}},
        timings={k: round(v, 3) for k, v in stats["timings"].items() if isinstance(v, (int, float))},
        runs=[{"run_id": run.run_id, "input": run.p.in_root, "seconds": stats["seconds"]}],
        extra={"input": run.p.in_root, "input_config_hash": run.p.input_manifest.config_hash,
               "spark_conf": recorded_conf(run.spark)},
    )
    for table, files in published.items():
        entry = manifest.tables[table]
        entry.files = [f.path for f in files]
        entry.bytes = sum(f.size for f in files)
    return manifest


# The names of the steps up to `write` are the keys of stats.json `timings` (and manifest `timings`).
FT_STEPS = (
    Step("score", _score_step, reads=("commits",), writes=("_tmp/rows",)),
    Step("sql2", _sql2_step, reads=("_tmp/rows",), writes=("_tmp/sql2", "steps.exact_dedup_commits")),
    Step("contents", _contents_step, reads=("_tmp/sql2", "commits contents"),
         writes=("_tmp/candidates (_tmp/tokens when a tokenizer counts)",)),
    Step("exact_content_dedup", _content_dedup_step, reads=("candidates",),
         writes=("_tmp/content", "steps.exact_dedup_contents")),
    Step("decontamination", _decont_step, reads=("candidates left", "HumanEvalPack index"),
         writes=("_tmp/decont", "steps.decontaminate")),
    Step("near_dedup", _near_dedup_step, reads=("candidates left",), writes=("_tmp/near", "steps.near_dedup")),
    Step("write", _write_step, reads=("every part",), writes=("staged scored", "staged commitpackft")),
    Step("stats", _stats_step, reads=("staged scored", "step timings"), writes=("stats",)),
    Step("publish", _publish_step, reads=("stats", "staged tables"),
         writes=("stats table", "stats.json", "README.md", "scored/", "commitpackft/", "manifest.json")),
)


@dataclass
class _Tally:
    """Rows and bytes of `scored` by outcome, language, licence and natural language."""

    rows_in: int = 0
    bytes_in: int = 0
    dropped: dict[str, list[int]] = field(default_factory=dict)   # reason -> [rows, bytes]
    lang_in: dict[str, list[int]] = field(default_factory=dict)
    lang_out: dict[str, list[int]] = field(default_factory=dict)
    lic_out: dict[str, int] = field(default_factory=dict)
    nl_out: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, agg: list) -> "_Tally":
        t = cls(rows_in=sum(r["n"] for r in agg), bytes_in=sum(r["b"] or 0 for r in agg))
        for r in agg:
            n, b = int(r["n"]), int(r["b"] or 0)
            lang = r["lang"] or "(unknown)"
            _add(t.lang_in, lang, n, b)
            if r["drop_reason"] is None:
                _add(t.lang_out, lang, n, b)
                lic = r["license"] or "(none)"
                t.lic_out[lic] = t.lic_out.get(lic, 0) + n
                nl = r["nl_lang"] or "(none)"
                t.nl_out[nl] = t.nl_out.get(nl, 0) + n
            else:
                _add(t.dropped, r["drop_reason"], n, b)
        return t


def _add(d: dict[str, list[int]], key: str, n: int, b: int) -> None:
    v = d.setdefault(key, [0, 0])
    v[0] += n
    v[1] += b


def _rule_seconds(score_seconds: dict, timings: dict) -> dict[str, float]:
    """Seconds per rule: executor time summed over tasks; counting and language ID go to the rules
    that use them. Whole-table steps: driver wall time of the step."""
    seconds: dict[str, float] = {k[5:]: v for k, v in score_seconds.items() if k.startswith("rule:")}
    seconds["token_length"] = seconds.get("token_length", 0.0) + score_seconds.get("tokens", 0.0)
    seconds["nl_language"] = seconds.get("nl_language", 0.0) + score_seconds.get("langid", 0.0)
    for stage in ("sql2", "exact_content_dedup", "decontamination", "near_dedup"):
        seconds[stage] = timings.get(stage, 0.0)
    for reason, (stage, _col) in ANNOTATION_STEPS.items():
        seconds[reason] = timings.get(stage, 0.0)
    return seconds


def _stats(cfg: PipelineConfig, p: FtPrepared, agg: list, score_seconds: dict, timings: dict, step_stats: dict,
           run_id: str) -> tuple[dict[str, Any], list]:
    """(stats.json's content, the funnel steps) from the aggregation of `scored`."""
    fc = cfg.ft
    t = _Tally.of(agg)
    steps = build_funnel(t.rows_in, t.bytes_in, {k: tuple(v) for k, v in t.dropped.items()},
                         _rule_seconds(score_seconds, timings), active=p.active)
    rows_out = sum(v[0] for v in t.lang_out.values())
    bytes_out = sum(v[1] for v in t.lang_out.values())
    return {
        "format": "octopack-ft-stats",
        "version": 1,
        "run_id": run_id,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "config_hash": cfg.config_hash(),
        # Published with the dataset: no absolute path of this machine, no credentials (redact.portable_ref).
        "input": portable_ref(p.in_root, p.out_root),
        "output": ".",
        "rows_in": t.rows_in,
        "bytes_in": t.bytes_in,
        "rows_out": rows_out,
        "bytes_out": bytes_out,
        "token_counter": _portable_method(p.token_counter),
        "langid_model": portable_ref(p.langid_model),
        "nl_languages_allowed": list(fc.filters.nl_languages) if "nl_language" in p.active else [],
        "rules_disabled": list(fc.filters.disabled),
        "funnel": [s.to_dict() for s in steps],
        "dropped_by_reason": {k: {"rows": v[0], "bytes": v[1]} for k, v in
                              sorted(t.dropped.items(), key=lambda kv: -kv[1][0])},
        "languages_in": {k: {"rows": v[0], "bytes": v[1]} for k, v in sorted(t.lang_in.items())},
        "languages_out": {k: {"rows": v[0], "bytes": v[1]} for k, v in sorted(t.lang_out.items())},
        "licenses_out": dict(sorted(t.lic_out.items())),
        "nl_languages_out": dict(sorted(t.nl_out.items())),
        "steps": step_stats,
        "timings": {**{k: round(v, 3) for k, v in timings.items()},
                    "score_executor_seconds": {k: round(v, 4) for k, v in sorted(score_seconds.items())}},
    }, steps


def _portable_method(method: str) -> str:
    """"hf:/home/me/tok/tokenizer.json" -> "hf:tokenizer.json"; hub names and chars/N unchanged."""
    kind, sep, ref = method.partition(":")
    return kind + sep + (portable_ref(ref) or "") if sep else method


def _write_report(storage: Storage, root: str, stats: dict, fc: FtConfig) -> None:
    from octopack_spark.ft.report import FUNNEL_PNG, LANG_PNG, plot_funnel, plot_languages, render_card

    storage.write_text_atomic(join(root, "stats.json"), json.dumps(stats, indent=1, default=str) + "\n")
    if fc.report.plots:
        storage.write_bytes_atomic(join(root, LANG_PNG), plot_languages(stats, fc.report.top_languages))
        storage.write_bytes_atomic(join(root, FUNNEL_PNG), plot_funnel(stats))
    storage.write_text_atomic(join(root, "README.md"), render_card(stats, fc.report.title, fc.report.plots))

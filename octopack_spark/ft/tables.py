"""Tables the CommitPackFT stage writes, their columns and schema versions.

scored        every input row: the input's columns less the file contents (old_contents, new_contents,
              diff: join `commits` on row_id for them), then the context, score and verdict columns below.
              2.0 dropped the contents (1.0 copied them, doubling the dataset) and added content_bytes.
commitpackft  kept rows: the paper's columns first, then ours; Hive-partitioned by `lang`.
stats         the funnel as a flat table (one row per stage / rule / language).
"""

from __future__ import annotations

import pyarrow as pa

from octopack_spark.schema import register_table

SCORED_TABLE = "scored"
SCORED_VERSION = "2.0"
COMMITPACKFT_TABLE = "commitpackft"
COMMITPACKFT_VERSION = "1.0"
COMMITPACKFT_PARTITION = "lang"
STATS_TABLE = "stats"
STATS_VERSION = "1.0"

for _name, _version in ((SCORED_TABLE, SCORED_VERSION), (COMMITPACKFT_TABLE, COMMITPACKFT_VERSION),
                        (STATS_TABLE, STATS_VERSION)):
    register_table(_name, _version)

# Context over the whole table (added before scoring).
CONTEXT_FIELDS = [
    pa.field("repo_langs", pa.list_(pa.string())),  # languages of the repository's files (sorted)
    pa.field("inplace_files", pa.int32()),  # in-place modifications (old path == new path) in the commit
]

# Added by ft.score to every row.
SCORE_FIELDS = [
    pa.field("subject_clean", pa.string()),  # subject after filters1 step 8 and filters2 step 3
    pa.field("message_chars", pa.int32()),  # stripped message
    pa.field("old_chars", pa.int64()),
    pa.field("new_chars", pa.int64()),
    pa.field("content_bytes", pa.int64()),  # UTF-8 bytes of old + new contents (what the stats count)
    pa.field("subject_chars", pa.int32()),  # raw subject
    pa.field("subject_words", pa.int32()),
    pa.field("subject_clean_words", pa.int32()),
    pa.field("n_tokens", pa.int32()),  # tokens(old + sep + new); null = not counted
    pa.field("nl_lang", pa.string()),  # fastText lid.176 on subject_clean
    pa.field("nl_score", pa.float64()),
    pa.field("message_nl_lang", pa.string()),  # ... on the whole message
    pa.field("message_nl_score", pa.float64()),
    pa.field("bump_draw", pa.float64()),  # the deterministic draw of the Bump rule
    pa.field("drop_reasons", pa.list_(pa.string())),  # every row rule failed, in pipeline order
]

# Sizes of the contents that ft.job computes in the JVM and hands to the scoring pass instead of the
# contents (Scorer reads them; the first three become score columns, same_contents is not kept).
FEATURE_COLUMNS = ("old_chars", "new_chars", "same_contents", "content_bytes")

# Columns of the input that `scored` leaves out (the commits table holds them, keyed by row_id).
CONTENT_COLUMNS = ("old_contents", "new_contents", "diff")

# Set by the Spark steps (ft.dedup / ft.decont) and by ft.job.
ANNOTATION_FIELDS = [
    pa.field("exact_commit_dup_of", pa.string()),
    pa.field("exact_content_dup_of", pa.string()),
    pa.field("decont_hit", pa.string()),
    pa.field("near_dup_cluster", pa.string()),
    pa.field("near_dup_of", pa.string()),
    pa.field("drop_reason", pa.string()),  # first failure in pipeline order; null = kept
    pa.field("drop_stage", pa.string()),
    pa.field("keep", pa.bool_()),
]

# The paper's output columns, in its order, then ours.
PAPER_COLUMNS = ["commit", "old_file", "new_file", "old_contents", "new_contents", "subject", "message", "lang",
                 "license", "repos"]
OUR_COLUMNS = ["row_id", "repo", "subject_raw", "stars", "committer_time", "n_tokens", "nl_lang", "nl_score",
               "near_dup_cluster"]
COMMITPACKFT_COLUMNS = PAPER_COLUMNS + OUR_COLUMNS

STATS_SCHEMA = pa.schema([
    pa.field("kind", pa.string(), nullable=False),  # total, stage, rule, lang_in, lang_out
    pa.field("stage", pa.string()),
    pa.field("name", pa.string(), nullable=False),
    pa.field("position", pa.int32(), nullable=False),  # order in the funnel
    pa.field("rows_in", pa.int64()),
    pa.field("rows_out", pa.int64()),
    pa.field("rows_dropped", pa.int64()),
    pa.field("bytes_in", pa.int64()),
    pa.field("bytes_out", pa.int64()),
    pa.field("bytes_dropped", pa.int64()),
    pa.field("seconds", pa.float64()),
])

"""Exact dedup of commit rows: by commit key (the paper's SQL step 2) and by file contents."""

from __future__ import annotations

from octopack_spark.ft.dedup.config import ExactDedupConfig


def exact_dedup_commits(df, cfg: ExactDedupConfig):
    """Group rows by (commit, subject, message, license, file path). The survivor's `repos` becomes the
    sorted, comma-joined union of the group's repos; other rows get `exact_commit_dup_of` = survivor
    row_id. Returns (DataFrame with all input columns, same row count; stats dict)."""
    raise NotImplementedError("exact_dedup_commits: in progress (ft-dedup)")


def exact_dedup_contents(df, cfg: ExactDedupConfig):
    """Adds `exact_content_dup_of` (survivor row_id, or null) for rows with identical
    (old_contents, new_contents). Returns (DataFrame, stats dict)."""
    raise NotImplementedError("exact_dedup_contents: in progress (ft-dedup)")

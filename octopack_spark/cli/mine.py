"""`octopack mine`: Git repositories -> the CommitPack commits table (Parquet, partitioned by lang)."""

from __future__ import annotations

import argparse
import json
import sys

from octopack_spark.cli.common import (add_common_flags, add_config_flag, build_config, job_reporter, run_guarded,
                                      spark_submit_main)
from octopack_spark.config import dump_config
from octopack_spark.ft.guard import mine_all_skipped_problem


def register(p: argparse.ArgumentParser) -> None:
    add_config_flag(p, "--repo", key="mine.repos", action="append", metavar="PATH_OR_URL",
                    help="repository to mine (https, ssh, git URL or local path under an allowed root); repeatable")
    add_config_flag(p, "--repos-file", key="mine.repos_file", metavar="FILE", help="txt (one per line), CSV or Parquet with url[,name,license,stars]")
    add_config_flag(p, "--output", key="mine.output", metavar="DIR_OR_URI", help="dataset root: local dir, s3://bucket/prefix or s3a://...")
    add_config_flag(p, "--since", key="mine.since", metavar="DATE", help="only commits committed at/after this date (ISO 8601, UTC)")
    add_config_flag(p, "--until", key="mine.until", metavar="DATE", help="only commits committed at/before this date")
    add_config_flag(p, "--max-commits", key="mine.max_commits", type=int, metavar="N", help="newest N non-merge commits per repository")
    add_config_flag(p, "--allowed-root", key="mine.allowed_roots", action="append", metavar="DIR",
                    help="directory under which local repositories may live (repeatable; default: the working dir)")
    add_config_flag(p, "--full-refresh", key="mine.full_refresh", action="store_true",
                    help="re-mine everything instead of only commits new since the last run; replaces the dataset")
    add_config_flag(p, "--allow-all-skipped", key="mine.allow_all_skipped", action="store_true",
                    help="exit 0 even when every mined row was skipped (binary, too large, ...: mine.allow_all_skipped)")
    add_config_flag(p, "--optout-list", key="mine.optout_lists", action="append", metavar="FILE_OR_URL",
                    help="opt-out list (file or https URL; one owner or owner/name a line): those repositories and "
                         "every fork of them (same root commit) are not mined (mine.optout_lists); repeatable")
    add_config_flag(p, "--optout-owner", key="mine.optout_owners", action="append", metavar="OWNER",
                    help="owner whose repositories (and their forks) are not mined (mine.optout_owners); repeatable")
    add_config_flag(p, "--optout-repo", key="mine.optout_repos", action="append", metavar="OWNER/NAME",
                    help="repository that (with its forks) is not mined (mine.optout_repos); repeatable")
    add_config_flag(p, "--no-fork-networks", key="mine.fork_networks", action="store_false",
                    help="mine every repository on its own, forks' shared history included (mine.fork_networks=false)")
    add_common_flags(p)


def run(args: argparse.Namespace) -> int:
    cfg = build_config(args)
    if args.print_config:
        print(dump_config(cfg))
        return 0
    from octopack_spark.mining.job import run_mine

    with job_reporter(args, "mine"):  # the progress line (stderr, TTY only) of run_mine's batches
        summary = run_guarded("mine", run_mine, cfg, published="batches committed before it are published; "
                              "rerun the same command to resume")
    print(summary.render())
    if getattr(args, "json_summary", None):
        print(json.dumps(summary.to_dict()))
    limit = cfg.mine.max_failed_share
    if summary.repos and summary.repos_failed / summary.repos > limit:
        print(f"error: {summary.repos_failed} of {summary.repos} repositories failed entirely (more than "
              f"mine.max_failed_share={limit:g}); their reasons are in the errors table. What was mined is "
              "published. Raise the share with --set mine.max_failed_share=... to accept this.", file=sys.stderr)
        return 1
    skipped = mine_all_skipped_problem(summary.rows, summary.rows_skipped, cfg.mine.allow_all_skipped)
    if skipped:
        print(f"error: {skipped} (the mined batches are published, as for a partial run)", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    """spark-submit entry point (jobs/mine_commits.py): same flags as `octopack mine`."""
    return spark_submit_main("mine_commits.py", __doc__, register, run, argv)

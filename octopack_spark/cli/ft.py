"""`octopack ft`: the mined commits table -> CommitPackFT (filters, dedup, decontamination, data card).

    octopack ft --input out/mined --output out/commitpackft [--config FILE] [--master URL]

Reads DIR/commits/ through DIR/manifest.json; writes OUT/scored/, OUT/commitpackft/ (by lang),
OUT/stats.json + stats/, OUT/README.md + PNGs and, last, OUT/manifest.json; prints the funnel.
"""

from __future__ import annotations

import argparse
import json

from octopack_spark.cli.common import (add_common_flags, add_config_flag, build_config, job_reporter, run_guarded,
                                      spark_submit_main)
from octopack_spark.config import dump_config


def register(p: argparse.ArgumentParser) -> None:
    add_config_flag(p, "--input", key="ft.input", metavar="DIR_OR_URI", help="dataset root written by `octopack mine` (holds commits/)")
    add_config_flag(p, "--output", key="ft.output", metavar="DIR_OR_URI", help="dataset root for scored/, commitpackft/, stats, README.md")
    add_config_flag(p, "--tokenizer", key="ft.tokens.tokenizer", metavar="NAME_OR_PATH",
                    help="HF tokenizer name (from the local cache) or local path (dir or tokenizer.json) for the "
                         "token-length rule (default: ft.tokens.tokenizer = bigcode/starcoder)")
    add_config_flag(p, "--token-fallback", key="ft.tokens.fallback", choices=["none", "chars"],
                    help="when the tokenizer cannot be loaded: none = stop with an error; chars = approximate "
                         "tokens as ceil(chars / ft.tokens.chars_per_token)")
    add_config_flag(p, "--humanevalpack", key="ft.decont.source", metavar="DIR_OR_NAME",
                    help="HumanEvalPack for decontamination: 'bundled' (default, the copy shipped with the package), "
                         "a dir with python.jsonl, js.jsonl, ... or an HF name (bigcode/humanevalpack)")
    p.add_argument("--disable", action="append", default=[], metavar="RULE",
                   help="switch a rule or step off (repeatable), e.g. --disable near_dup; see --list-rules")
    p.add_argument("--list-rules", action="store_true", help="print every rule in pipeline order and exit")
    add_config_flag(p, "--allow-empty", key="ft.guard.allow_empty", action="store_true",
                    help="publish even when every input row is filtered out (ft.guard.allow_empty)")
    add_config_flag(p, "--allow-over-removal", key="ft.guard.allow_over_removal", action="store_true",
                    help="publish even when one rule removes more than ft.guard.max_rule_share of the rows that "
                         "reach it (ft.guard.allow_over_removal)")
    p.add_argument("--json-summary", action="store_true", help="also print the stats as one JSON line")
    add_common_flags(p)


def list_rules() -> str:
    from octopack_spark.ft.filters.pipeline import ANNOTATION_STEPS, RULES, STAGES, reason_order

    docs = {r.name: r.doc for r in RULES}
    docs.update({k: f"set by the whole-table step (column {v[1]})" for k, v in ANNOTATION_STEPS.items()})
    stage_of = {r.name: r.stage for r in RULES} | {k: v[0] for k, v in ANNOTATION_STEPS.items()}
    stage_doc = {s.name: s.doc for s in STAGES}
    lines, last = [], None
    for name in reason_order():
        st = stage_of[name]
        if st != last:
            lines.append(f"{st}: {stage_doc[st]}")
            last = st
        lines.append(f"  {name:<26} {docs[name]}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.list_rules:
        print(list_rules())
        return 0
    cfg = build_config(args)
    if args.disable:
        from pydantic import ValidationError

        from octopack_spark.config import ConfigError

        try:
            cfg.ft.filters.disabled = list(dict.fromkeys(cfg.ft.filters.disabled + args.disable))
        except ValidationError as e:
            raise ConfigError(f"--disable: {e.errors()[0]['msg']}") from None
    if args.print_config:
        print(dump_config(cfg))
        return 0
    from octopack_spark.ft.job import run_ft

    # The job reports its steps to progress.current_reporter() (a stage k/n line on stderr, TTY only).
    with job_reporter(args, "ft"):
        summary = run_guarded("ft", run_ft, cfg)
    print(summary.render())
    if args.json_summary:
        print(json.dumps(summary.stats, default=str))
    return 0


def main(argv=None) -> int:
    """spark-submit entry point (jobs/build_commitpackft.py): same flags as `octopack ft`."""
    return spark_submit_main("build_commitpackft.py", __doc__, register, run, argv)

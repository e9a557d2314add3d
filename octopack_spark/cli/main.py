"""The `octopack` command. Each subcommand lives in its own module with `register(subparsers)`.

Modules are imported lazily by name so `octopack --help` stays fast and a missing optional
dependency (torch for `train`, pyspark for `mine`) only affects the subcommand that needs it.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Optional, Sequence

from octopack_spark import __version__
from octopack_spark.errors import UserFacingError

# subcommand -> (module, one-line help). The module defines register(parser) and run(args) -> int.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "mine": ("octopack_spark.cli.mine", "mine Git repositories into the CommitPack commits table (Spark)"),
    "ft": ("octopack_spark.cli.ft", "build CommitPackFT from mined commits: filters, dedup, decontamination"),
    "sql": ("octopack_spark.cli.sql", "run SQL over the pipeline's tables (DuckDB or Spark)"),
    "tables": ("octopack_spark.cli.tables", "list tables, schemas and row counts; ready-made reports"),
    "train": ("training.cli", "instruction-tune a causal LM on CommitPackFT shards with DeepSpeed"),
    "eval": ("evaluation.cli", "HumanEvalPack: generate and score (Fix, Explain, Synthesize x 6 languages)"),
    "report": ("octopack_spark.cli.report", "one self-contained HTML report (and PNGs) of a mine, ft or eval run"),
    "samples": ("octopack_spark.cli.samples", "create small sample Git repositories (for the quickstart)"),
    "cluster": ("octopack_spark.cli.cluster", "start/stop a local Spark standalone cluster"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="octopack",
        description="octopack-spark: Git history -> CommitPack/CommitPackFT -> training -> HumanEvalPack.",
    )
    parser.add_argument("--version", action="version", version=f"octopack-spark {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ImportError as e:
            p = sub.add_parser(name, help=f"{help_text} [unavailable: {e}]", description=help_text)
            p.set_defaults(_unavailable=f"'octopack {name}' needs a missing dependency: {e}. "
                           "Install the extras: pip install -e '.[all]'")
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod.register(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    if not args.command:
        parser.print_help()
        return 2
    if getattr(args, "_unavailable", None):
        print(f"error: {args._unavailable}", file=sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except UserFacingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

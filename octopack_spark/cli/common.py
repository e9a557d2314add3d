"""Flags shared by the job subcommands and their spark-submit entry points."""

from __future__ import annotations

import argparse
from typing import Any, Optional

from octopack_spark.config import PipelineConfig, load_config


def add_common_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="YAML config with sections spark/storage/mine/ft")
    p.add_argument("--master", metavar="URL", help="Spark master (local[*], spark://host:7077, yarn, k8s://...)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                   help="override any config field, e.g. --set mine.max_file_bytes=2000000 (repeatable)")
    p.add_argument("--print-config", action="store_true", help="print the effective config and exit")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress line on stderr (there is none anyway when stderr is not a terminal)")
    p.add_argument("--no-spark-ui", action="store_true",
                   help="do not start the Spark web UI (on by default for local masters, at 127.0.0.1:4040 or "
                        "the next free port); same as --set spark.conf.spark.ui.enabled=false")


def add_config_flag(p: argparse.ArgumentParser, *names: str, key: str, **kw: Any) -> None:
    """A flag that sets the config field `key` (section.field, as `--set` names it): its dest is the key, and
    build_config passes its value on as an override; not given (None) it leaves the field as the config file
    and `--set` have it."""
    p.add_argument(*names, dest=key, default=None, **kw)


def config_flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """{config key: value} of the flags declared with add_config_flag (the only dests holding a dot)."""
    return {k: v for k, v in vars(args).items() if "." in k}


def job_reporter(args: argparse.Namespace, job: str):
    """The progress reporter of one command: silent with --quiet or when stderr is not a terminal."""
    from octopack_spark.progress import JobReporter

    return JobReporter(job, quiet=bool(getattr(args, "quiet", False)))


def build_config(args: argparse.Namespace, overrides: Optional[dict[str, Any]] = None) -> PipelineConfig:
    """The config of one command: the config file, then the flags' overrides (add_config_flag's, --master and
    `overrides`), then --set."""
    overrides = {**config_flag_values(args), **(overrides or {})}
    if getattr(args, "master", None):
        overrides["spark.master"] = args.master
    sets = list(args.sets)
    if getattr(args, "no_spark_ui", False):
        sets.insert(0, "spark.conf.spark.ui.enabled=false")  # an explicit --set after it still wins
    return load_config(args.config, overrides=overrides, sets=sets)


def run_guarded(command: str, fn, cfg: PipelineConfig, published: str = "nothing was published"):
    """Run a Spark job function; a failure that is not the user's input becomes one line naming the stage,
    what ran out and the setting to change (the full trace goes to a log file named in the line)."""
    from octopack_spark.errors import UserFacingError

    try:
        return fn(cfg)
    except (UserFacingError, KeyboardInterrupt):
        raise
    except Exception as e:
        from octopack_spark.spark.diagnose import stage_failed

        raise stage_failed(command, e, cfg.spark, published=published) from None


def spark_submit_main(prog: str, doc: str, register, run, argv=None) -> int:
    """A `jobs/*.py` entry point: the subcommand's flags and run function without the `octopack` wrapper;
    a UserFacingError becomes one `error:` line and exit code 2, as in `octopack`."""
    import logging
    import sys

    from octopack_spark.errors import UserFacingError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    p = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    register(p)
    args = p.parse_args(argv)
    try:
        return run(args)
    except UserFacingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

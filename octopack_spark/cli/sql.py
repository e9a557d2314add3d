"""`octopack sql`: SQL over the pipeline's tables (commits, errors, state, scored, commitpackft, stats).

    octopack sql "SELECT lang, count(*) FROM commits GROUP BY lang" --data out/quickstart
    octopack sql --report languages --data s3://bucket/run --format csv --output languages.csv
    octopack sql "SELECT * FROM ft.commitpackft" --data out/quickstart --engine spark --format parquet -o ft.parquet

DuckDB runs the query by default (embedded, no JVM); --engine spark runs it with Spark SQL. Only read-only
statements run, and DuckDB reads no file but the datasets' (docs/security.md).
"""

from __future__ import annotations

import argparse
import os
import sys

from octopack_spark.sql.errors import QueryError


def add_data_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", action="append", default=[], metavar="DIR_OR_URI",
                   help="dataset root (folder or s3://bucket/prefix holding manifest.json) or a folder holding "
                        "several (e.g. out/quickstart with mine/ and ft/); repeatable")
    p.add_argument("--config", metavar="FILE", help="YAML config; its storage and spark sections are used")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                   help="override a config field, e.g. --set storage.region=eu-west-1 (repeatable)")
    p.add_argument("--endpoint-url", metavar="URL",
                   help="S3 endpoint (default: AWS_ENDPOINT_URL / the AWS config)")


def add_query_flags(p: argparse.ArgumentParser, default_format: str = "table") -> None:
    from octopack_spark.sql.output import FORMATS
    from octopack_spark.sql.run import ENGINES

    p.add_argument("--engine", choices=ENGINES, default="duckdb",
                   help="duckdb (default: embedded, no JVM) or spark (Spark SQL; --master picks the cluster)")
    p.add_argument("--master", metavar="URL", help="Spark master for --engine spark (default from config: local[*])")
    p.add_argument("--format", choices=FORMATS, default=default_format,
                   help="table (first --max-rows rows), csv, json (JSON Lines) or parquet (needs --output)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (local or s3://) instead of stdout")
    p.add_argument("--report", metavar="NAME", help="run a ready-made report instead of a query (--list-reports)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=INT", help="report parameter, e.g. top=50")
    p.add_argument("--reports-file", metavar="FILE", help="YAML file with more named reports")
    p.add_argument("--allow-shadow-reports", action="store_true",
                   help="let --reports-file replace built-in reports of the same name (refused otherwise)")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="stop the query after SECONDS (exit 2); Ctrl-C stops it at any time (exit 130)")
    p.add_argument("--list-reports", action="store_true", help="list the reports and exit")
    p.add_argument("--max-rows", type=int, default=200, metavar="N", help="rows shown by --format table")
    p.add_argument("--max-width", type=int, default=60, metavar="N", help="characters per cell in --format table")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="?", help="the SQL statement; '-' reads it from stdin")
    p.add_argument("--file", "-f", metavar="FILE", help="read the SQL statement from FILE")
    add_data_flags(p)
    add_query_flags(p)


def load_cfg(args: argparse.Namespace):
    from octopack_spark.config import load_config

    overrides = {}
    if getattr(args, "master", None):
        overrides["spark.master"] = args.master
    if getattr(args, "endpoint_url", None):
        overrides["storage.endpoint_url"] = args.endpoint_url
    return load_config(args.config, overrides=overrides, sets=args.sets)


def statement(args: argparse.Namespace) -> str:
    from octopack_spark.sql.reports import get_report, parse_params

    given = [x for x in (args.report, getattr(args, "query", None), getattr(args, "file", None)) if x]
    if len(given) > 1:
        raise QueryError("give one of: a query, --file FILE or --report NAME")
    if args.report:
        return get_report(args.report, args.reports_file, args.allow_shadow_reports).render(parse_params(args.param))
    if args.param:
        raise QueryError("--param is for --report")
    if getattr(args, "file", None):
        try:
            with open(args.file, encoding="utf-8") as f:
                return f.read()
        except OSError as e:
            raise QueryError(f"cannot read --file {args.file}: {e.strerror}") from None
    q = getattr(args, "query", None)
    if q == "-":
        return sys.stdin.read()
    if not q:
        raise QueryError("no query: give a SQL statement, --file FILE or --report NAME (see --list-reports)")
    return q


def execute(args: argparse.Namespace, sql: str) -> int:
    from octopack_spark.sql.run import run_query
    from octopack_spark.storage.fs import Storage

    cfg = load_cfg(args)
    storage = Storage.for_config(cfg.storage)
    try:
        n = run_query(sql, args.data, engine=args.engine, fmt=args.format, output=args.output, storage=storage,
                      cfg=cfg, max_rows=args.max_rows, max_width=args.max_width, timeout=args.timeout)
    except BrokenPipeError:
        # `octopack sql ... | head`: the reader left; not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if args.output:
        print(f"wrote {n} rows to {args.output}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    from octopack_spark.sql.reports import describe_reports

    if args.list_reports:
        sys.stdout.write(describe_reports(args.reports_file, args.allow_shadow_reports))
        return 0
    return execute(args, statement(args))

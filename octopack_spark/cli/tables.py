"""`octopack tables`: list the tables of the datasets under --data, their schema versions, columns and row
counts (from the manifests; --verify checks them against the files), or run a ready-made report.

    octopack tables --data out/quickstart
    octopack tables --data s3://bucket/run commits --verify
    octopack tables --data out/quickstart --report funnel
"""

from __future__ import annotations

import argparse
import sys

from octopack_spark.cli.sql import add_data_flags, add_query_flags, execute, load_cfg
from octopack_spark.sql.errors import QueryError


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("tables", nargs="*", metavar="TABLE", help="only these tables (name or dataset.table)")
    p.add_argument("--verify", action="store_true",
                   help="read every file's footer: compare row counts and sizes with the manifest")
    p.add_argument("--no-columns", action="store_true", help="leave out the column lists")
    add_data_flags(p)
    add_query_flags(p)


def run(args: argparse.Namespace) -> int:
    from octopack_spark.sql.reports import describe_reports, get_report, parse_params

    if args.list_reports:
        sys.stdout.write(describe_reports(args.reports_file, args.allow_shadow_reports))
        return 0
    if args.report:
        if args.tables:
            raise QueryError("--report takes no table names")
        report = get_report(args.report, args.reports_file, args.allow_shadow_reports)
        return execute(args, report.render(parse_params(args.param)))
    if args.format not in ("table", "json"):
        raise QueryError("the table listing is printed as --format table or json")
    from octopack_spark.sql.listing import describe, render_json, render_text
    from octopack_spark.sql.run import open_catalog
    from octopack_spark.storage.fs import Storage

    cfg = load_cfg(args)
    storage = Storage.for_config(cfg.storage)
    catalog = open_catalog(args.data, storage)
    infos = describe(catalog, storage, args.tables or None, with_columns=not args.no_columns, check=args.verify)
    text = render_json(infos) if args.format == "json" else render_text(catalog, infos, not args.no_columns)
    if args.output:
        from octopack_spark.sql.output import open_output

        with open_output(args.output, storage) as sink:
            sink.write(text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    rc = 0
    for i in infos:
        if not i.compatible:
            ref = catalog.lookup(f"{i.dataset}.{i.table}")
            try:
                ref.check_version()
            except Exception as e:
                print(f"error: {e}", file=sys.stderr)
            rc = 2
        elif i.verification is not None and not i.verification.ok:
            print(f"error: table {i.sql_name}: " + "; ".join(i.verification.problems), file=sys.stderr)
            rc = max(rc, 1)
    return rc

"""`octopack report RUN_DIR`: the run's figures in one self-contained HTML file, and as PNGs beside it."""

from __future__ import annotations

import argparse
import importlib.util


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help="an ft or mine output folder, an eval result (.json or its folder), or a folder "
                             "holding several (e.g. out/quickstart)")
    parser.add_argument("--output", default=None, metavar="FILE.html",
                        help="the HTML file (default: RUN_DIR/report.html; for an eval result file "
                             "<name>.report.html beside it); PNGs are written beside it")
    parser.add_argument("--no-png", action="store_true", help="write the HTML only")
    parser.add_argument("--top-repos", type=int, default=25, help="repositories in the top-repositories chart")


def run(args: argparse.Namespace) -> int:
    from octopack_spark.errors import UserFacingError
    from octopack_spark.report import build_report

    for module in ("altair", "vl_convert", "duckdb"):  # say which extra is missing, not a traceback
        if importlib.util.find_spec(module) is None:
            raise UserFacingError(f"'octopack report' needs {module}: pip install -e '.[report]'")
    files = build_report(args.run_dir, args.output, png=not args.no_png, top_repos=args.top_repos)
    print(f"report: {files.html} ({files.figures} figures)")
    for p in files.pngs:
        print(f"  {p}")
    return 0

"""`octopack samples`: create small sample Git repositories (three projects and a fork)."""

from __future__ import annotations

import argparse


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", default=".octopack/samples", help="directory to create the repositories in")


def run(args: argparse.Namespace) -> int:
    from octopack_spark.samples import create_samples

    for path in create_samples(args.output):
        print(path)
    return 0

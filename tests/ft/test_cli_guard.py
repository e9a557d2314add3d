"""`octopack ft`'s over-removal guard end to end (must-show 5): an empty output or a rule removing more than
the configured share -> exit 2, one `error:` line, nothing published; the --allow-... flags let it through."""

from __future__ import annotations

import pytest

from octopack_spark.cli.main import main
from tests.ft.job_data import load_humaneval, planted, write_commits_dataset

pytestmark = pytest.mark.spark


def _ft(inp, out, hep, *extra) -> int:
    return main(["ft", "--input", str(inp), "--output", str(out), "--humanevalpack", str(hep),
                 "--tokenizer", "/nonexistent/tokenizer", "--token-fallback", "chars",
                 "--set", "ft.tokens.chars_per_token=16", "--set", "ft.report.plots=false", *extra])


def _nothing_published(out) -> bool:
    return not any((out / name).exists() for name in ("manifest.json", "commitpackft", "scored", "stats.json",
                                                     "README.md"))


def test_empty_output_fails_with_one_line_and_allow_empty_publishes(spark, tmp_path, humanevalpack_dir, capsys):
    rows, _ = planted(load_humaneval(humanevalpack_dir))
    rows = [dict(r, license="gpl-3.0") for r in rows]  # every row fails the licence allowlist
    inp, out = tmp_path / "mined", tmp_path / "ft"
    write_commits_dataset(str(inp), rows)
    capsys.readouterr()
    assert _ft(inp, out, humanevalpack_dir, "--set", "ft.guard.min_rows=1") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: ft removed all {len(rows)} input rows"), err
    assert "--allow-empty" in err[0]
    assert _nothing_published(out)
    assert _ft(inp, out, humanevalpack_dir, "--set", "ft.guard.min_rows=1", "--allow-empty") == 0
    assert (out / "manifest.json").is_file()


def test_rule_over_the_share_fails_and_allow_over_removal_publishes(spark, tmp_path, humanevalpack_dir, capsys):
    rows, expect = planted(load_humaneval(humanevalpack_dir))
    inp, out = tmp_path / "mined", tmp_path / "ft"
    write_commits_dataset(str(inp), rows)
    share = ["--set", "ft.guard.min_rows=1", "--set", "ft.guard.max_rule_share=0.01"]
    capsys.readouterr()
    assert _ft(inp, out, humanevalpack_dir, *share) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ft rule '") and "--allow-over-removal" in err[0], err
    assert _nothing_published(out)
    assert _ft(inp, out, humanevalpack_dir, *share, "--allow-over-removal") == 0
    assert (out / "manifest.json").is_file()

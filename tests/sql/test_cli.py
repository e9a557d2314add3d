"""`octopack sql` and `octopack tables` as a user runs them: outputs, reports, exit codes, clear errors."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from octopack_spark.cli.main import main
from tests.sql.datasets import build_mine, commit_rows


def test_sql_table_output(quickstart, capsys):
    assert main(["sql", "SELECT lang, count(*) AS n FROM commits GROUP BY lang ORDER BY n DESC, lang LIMIT 3",
                 "--data", quickstart]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["lang", "n"] and out[-1] == "(3 rows)"
    assert out[2].split() == ["C#", "8"]


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_sql_to_file(quickstart, tmp_path, capsys, fmt):
    out = tmp_path / f"r.{fmt}"
    assert main(["sql", "SELECT row_id, lang FROM mine.commits ORDER BY row_id", "--data", quickstart,
                 "--format", fmt, "--output", str(out)]) == 0
    assert "wrote 60 rows" in capsys.readouterr().err
    if fmt == "csv":
        got = [r["lang"] or None for r in csv.DictReader(io.StringIO(out.read_text()))]
    elif fmt == "json":
        got = [json.loads(x)["lang"] for x in out.read_text().splitlines()]
    else:
        got = pq.read_table(out).column("lang").to_pylist()
    assert got == [r["lang"] for r in sorted(commit_rows(), key=lambda r: r["row_id"])]


def test_sql_from_file_and_stdin(quickstart, tmp_path, capsys, monkeypatch):
    q = tmp_path / "q.sql"
    q.write_text("SELECT count(*) AS n FROM errors")
    assert main(["sql", "-f", str(q), "--data", quickstart, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ['"n"', "5"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("SELECT count(*) AS n FROM state"))
    assert main(["sql", "-", "--data", quickstart, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ['"n"', "4"]


def test_reports_from_both_commands(quickstart, capsys):
    assert main(["sql", "--report", "top_repos", "--param", "top=1", "--data", quickstart, "--format", "json"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(recs) == 1 and recs[0]["repo"] == "acme/alpha"
    assert main(["tables", "--data", quickstart, "--report", "funnel"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].split()[:2] == ["total", "total"] and "near_dedup" in out
    assert main(["sql", "--list-reports"]) == 0
    assert "error_reasons" in capsys.readouterr().out


def test_tables_listing(quickstart, capsys):
    assert main(["tables", "--data", quickstart, "--verify"]) == 0
    out = capsys.readouterr().out
    assert "commits       1.1" in out and "lang" in out and "ok" in out
    assert main(["tables", "--data", quickstart, "commits", "--format", "json", "--no-columns"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["rows"] == 60 and data[0]["columns"] == []


def test_tables_reports_an_incompatible_version(tmp_path, capsys):
    build_mine_root = tmp_path / "mine"
    from octopack_spark.storage.fs import Storage

    build_mine(Storage.for_config(), str(build_mine_root), commits_version="2.0")
    assert main(["tables", "--data", str(tmp_path)]) == 2
    cap = capsys.readouterr()
    assert "INCOMPATIBLE" in cap.out
    assert "error: table 'commits'" in cap.err and "schema version 2.0" in cap.err
    assert main(["sql", "SELECT * FROM commits", "--data", str(tmp_path)]) == 2
    assert "schema version 2.0" in capsys.readouterr().err


@pytest.mark.parametrize("argv,match", [
    (["sql", "SELECT 1"], "--data is required"),
    (["sql", "--data", "."], "no query"),
    (["sql", "SELECT 1", "--report", "funnel", "--data", "."], "give one of"),
    (["sql", "--report", "nope", "--data", "."], "unknown report"),
    (["tables", "--data", ".", "--format", "csv"], "--format table or json"),
])
def test_usage_errors(argv, match, capsys):
    assert main(argv) == 2
    assert match in capsys.readouterr().err


def test_errors_print_one_line_without_traceback(tmp_path, quickstart):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    cases = [
        (["sql", "SELECT 1", "--data", str(tmp_path / "nope")], "no such folder"),
        (["sql", "SELEC 1 FROM commits", "--data", quickstart], "syntax error"),
        (["tables", "--data", str(tmp_path)], "no manifest.json"),
    ]
    for argv, match in cases:
        p = subprocess.run([sys.executable, "-m", "octopack_spark.cli.main", *argv], capture_output=True,
                           text=True, env=env, timeout=120)
        assert p.returncode == 2, p.stderr
        assert "Traceback" not in p.stderr and match in p.stderr
        assert p.stderr.startswith("error: ")


@pytest.mark.spark
def test_spark_engine_from_the_command_line(quickstart, tmp_path):
    """A separate process: --engine spark starts (and stops) its own local session."""
    out = tmp_path / "langs.csv"
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    p = subprocess.run([sys.executable, "-m", "octopack_spark.cli.main", "sql", "--report", "languages",
                        "--data", quickstart, "--engine", "spark", "--master", "local[1]", "--format", "csv",
                        "--output", str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    got = list(csv.DictReader(io.StringIO(out.read_text())))
    assert sum(int(r["file_changes"]) for r in got) == 60

"""A truncated Parquet file in the input (issue 12): `octopack ft`, `octopack sql` (DuckDB and Spark) and the
training data loader each print ONE `error:` line that names the file, exit non-zero, and publish nothing
(no Py4J trace of hundreds of lines)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from octopack_spark.cli.main import main
from octopack_spark.config import PipelineConfig
from octopack_spark.mining.job import run_mine
from octopack_spark.storage.fs import Storage
from octopack_spark.storage.manifest import read_manifest
from tests.helpers.gitrepo import RepoBuilder

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mined(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("corrupt")
    b = RepoBuilder(str(root / "repo"))
    for i in range(6):
        b.commit({f"src/m{i}.py": f"def f{i}():\n    return {i}\n", "README.md": f"# v{i}\n"},
                 f"Add function f{i} to the module")
    cfg = PipelineConfig()
    cfg.mine.repos = [b.path]
    cfg.mine.output = str(root / "mine")
    cfg.mine.allowed_roots = [str(root)]
    s = run_mine(cfg, spark=spark)
    assert s.rows > 0
    return root / "mine"


def _damaged(mined: Path, dst: Path, table: str = "commits") -> tuple[Path, Path]:
    """A copy of the dataset with one data file of `table` cut to half its size."""
    shutil.copytree(mined, dst)
    m = read_manifest(Storage(), str(dst))
    victim = dst / sorted(m.tables[table].files)[0]
    size = victim.stat().st_size
    with open(victim, "r+b") as f:
        f.truncate(size // 2)
    return dst, victim


def _one_error_line(err: str, victim: Path) -> str:
    lines = [x for x in err.splitlines() if x.strip()]
    errors = [x for x in lines if x.startswith("error:")]
    assert len(errors) == 1, err[-3000:]
    assert "Traceback" not in err and "Py4J" not in err and "\tat " not in err, err[-3000:]
    assert victim.name in errors[0], errors[0]
    print(errors[0])
    return errors[0]


def test_ft_cli_names_the_file_and_publishes_nothing(mined, tmp_path, humanevalpack_dir):
    """The real command in its own process (its own JVM and console logging)."""
    data, victim = _damaged(mined, tmp_path / "in")
    out = tmp_path / "ft"
    r = subprocess.run([sys.executable, "-m", "octopack_spark.cli.main", "ft", "--input", str(data), "--output", str(out),
                        "--token-fallback", "chars", "--humanevalpack", str(humanevalpack_dir), "--master", "local[2]"],
                       cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT), OCTOPACK_LOG_DIR=str(tmp_path / "logs")),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode != 0
    line = _one_error_line(r.stderr, victim)
    assert "not a readable Parquet file" in line and str(tmp_path / "logs") in line, line
    # Spark's console keeps its one-line ERROR messages (no stack traces); nothing else
    assert len(r.stderr.strip().splitlines()) <= 8, r.stderr[-3000:]
    assert not (out / "manifest.json").exists()
    published = [p for p in out.rglob("*.parquet") if "_staging" not in p.parts] if out.exists() else []
    assert not published, published


def test_mine_names_a_corrupt_state_file(mined, tmp_path, spark, capsys):
    """mine reads its own output's state table (pyarrow) before mining: a truncated one is one line."""
    repo = str(mined.parent / "repo")
    out = tmp_path / "out"  # mined in place: _log records name the dataset's own folder
    cfg = PipelineConfig()
    cfg.mine.repos, cfg.mine.output, cfg.mine.allowed_roots = [repo], str(out), [str(mined.parent)]
    run_mine(cfg, spark=spark)
    victim = out / read_manifest(Storage(), str(out)).tables["state"].files[0]
    with open(victim, "r+b") as f:
        f.truncate(victim.stat().st_size // 2)
    rc = main(["mine", "--repo", repo, "--output", str(out), "--set", f"mine.allowed_roots=[{mined.parent}]"])
    err = capsys.readouterr().err
    _one_error_line(err, victim)
    assert rc != 0


def test_sql_duckdb_names_the_file(mined, tmp_path, capsys):
    data, victim = _damaged(mined, tmp_path / "in")
    rc = main(["sql", "SELECT count(*) FROM commits", "--data", str(data)])
    err = capsys.readouterr().err
    _one_error_line(err, victim)
    assert rc != 0


def test_sql_spark_names_the_file(mined, tmp_path, spark, capsys, monkeypatch):
    monkeypatch.setenv("OCTOPACK_LOG_DIR", str(tmp_path / "logs"))
    data, victim = _damaged(mined, tmp_path / "in")
    out = tmp_path / "result.csv"
    rc = main(["sql", "SELECT count(*) FROM commits", "--data", str(data), "--engine", "spark",
               "--master", "local[2]", "--format", "csv", "--output", str(out)])
    err = capsys.readouterr().err
    _one_error_line(err, victim)
    assert rc != 0 and not out.exists()


def test_training_loader_names_the_file(tmp_path):
    from training.synthetic import write_commitpackft_dataset

    root = tmp_path / "ft"
    write_commitpackft_dataset(str(root), {"Python": 16, "Go": 8}, files_per_lang=2, row_group_size=8)
    m = read_manifest(Storage(), str(root))
    victim = root / sorted(m.tables["commitpackft"].files)[0]
    with open(victim, "r+b") as f:
        f.truncate(victim.stat().st_size // 2)
    r = subprocess.run([sys.executable, "-m", "training", "--config", "tiny-cpu", "--data", str(root),
                        "--output", str(tmp_path / "run"), "--dry-run"],
                       cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode != 0
    _one_error_line(r.stderr, victim)


def test_training_reader_names_a_file_damaged_inside(tmp_path):
    """A file whose footer is intact but whose data pages are not: the unit read says which file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from training.data.discover import DataSourceError, resolve_files, plan_units
    from training.data.reader import read_unit

    d = tmp_path / "data"
    d.mkdir()
    p = d / "part-0.parquet"
    pq.write_table(pa.table({"subject": ["x" * 1000] * 50, "old_contents": ["a"] * 50, "new_contents": ["b"] * 50}),
                   p, compression="zstd", use_dictionary=False)
    raw = bytearray(p.read_bytes())
    for i in range(8, len(raw) // 3):  # scramble the first column's pages, keep the footer
        raw[i] = (raw[i] * 7 + 3) % 256
    p.write_bytes(bytes(raw))
    st = Storage()
    src = resolve_files(st, "commitpackft", str(d), None)
    units = plan_units(st, src, None)
    with pytest.raises(DataSourceError, match="part-0.parquet"):
        for u in units:
            read_unit(st, u, None)


def test_corrupt_parquet_diagnosis_names_the_file_and_only_parquet_failures():
    from octopack_spark.spark.diagnose import corrupt_parquet

    assert corrupt_parquet("org.apache.spark.SparkException: [FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER] Encountered "
                           "error while reading file file:/d/commits/lang=Go/a.zstd.parquet. Could not read footer."
                           ) == "/d/commits/lang=Go/a.zstd.parquet"
    assert corrupt_parquet("java.lang.RuntimeException: s3a://b/p/x.parquet is not a Parquet file. Expected magic "
                           "number at tail") == "s3a://b/p/x.parquet"
    assert corrupt_parquet("java.io.IOException: Could not read footer for file: FileStatus{path=file:/a b/c.parquet; "
                           "isDirectory=false}") == "/a b/c.parquet"
    assert corrupt_parquet("Could not open Parquet input source '/s/state/p.parquet': Parquet magic bytes not found "
                           "in footer.") == "/s/state/p.parquet"
    # a Python worker that died while a task read Parquet is not a corrupt file
    assert corrupt_parquet("org.apache.spark.api.python.PythonException: Python worker exited unexpectedly "
                           "(crashed) java.io.EOFException ... file:/d/commits/x.parquet") is None
    assert corrupt_parquet("Parquet magic bytes not found in footer.") is None  # no file named: generic line

"""HumanEvalPack ships inside the package (octopack_spark/data/humanevalpack, MIT, SHA256SUMS) and is the
default source of decontamination, evaluation and the tests: nothing is read from beside the checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from evaluation import data
from octopack_spark.data import BUNDLED, HUMANEVALPACK_DIR, BundledDataError, humanevalpack_dir, verify_checksums
from octopack_spark.ft.decont.config import DecontConfig

ROOT = Path(__file__).resolve().parent.parent
FILES = [f"{lang}.jsonl" for lang in data.LANGUAGES]


def test_bundled_copy_is_complete_and_verified():
    d = humanevalpack_dir()
    assert d == HUMANEVALPACK_DIR and d.is_relative_to(ROOT / "octopack_spark")
    listed = sorted(line.split()[1] for line in (d / "SHA256SUMS").read_text().splitlines())
    assert listed == sorted(FILES)
    assert "MIT" in (d / "SOURCE.md").read_text()
    verify_checksums(d)


def test_default_source_is_the_bundled_copy(monkeypatch):
    monkeypatch.delenv("OCTOPACK_HUMANEVALPACK_DIR", raising=False)
    rows = data.load_language("python")
    assert len(rows) == 164 and rows[0]["task_id"] == "Python/0"
    assert data.load_language("rust", BUNDLED) == data.load_language("rust", HUMANEVALPACK_DIR)
    assert DecontConfig().source == BUNDLED


def test_changed_file_is_refused(tmp_path):
    copy = tmp_path / "hep"
    shutil.copytree(HUMANEVALPACK_DIR, copy)
    verify_checksums(copy)
    with open(copy / "go.jsonl", "ab") as fh:
        fh.write(b"\n")
    with pytest.raises(BundledDataError, match="go.jsonl does not match its SHA-256"):
        verify_checksums(copy)
    (copy / "go.jsonl").unlink()
    with pytest.raises(BundledDataError, match="go.jsonl is missing"):
        verify_checksums(copy)


def test_decontamination_index_loads_from_the_default_source():
    from octopack_spark.ft.decont.index import load_index

    index = load_index(DecontConfig(languages=["python", "go"]))
    assert index.stats["items"] > 0


def test_no_code_path_reads_the_folder_beside_the_checkout():
    # benchmarks/ keep their own defaults (measurement scripts, not the package or its tests).
    hits = []
    for top in ("octopack_spark", "evaluation", "training", "jobs", "tests", "infra", "Makefile", ".ci"):
        for p in [ROOT / top] if (ROOT / top).is_file() else (ROOT / top).rglob("*"):
            if p.is_file() and p.suffix in ("", ".py", ".sh", ".yaml", ".cfg") and p != Path(__file__):
                text = p.read_text(errors="replace")
                if "../shared" in text or '"shared", "data"' in text or "parent / \"shared\"" in text:
                    hits.append(str(p.relative_to(ROOT)))
    assert hits == []


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    """File names inside a wheel built from a copy of this checkout."""
    src = tmp_path_factory.mktemp("wheel") / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy(ROOT / name, src / name)
    for pkg in ("octopack_spark", "training", "evaluation"):
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = subprocess.run([sys.executable, "-c", "from setuptools import build_meta as b; print(b.build_wheel('dist'))"],
                         cwd=src, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    wheel = src / "dist" / out.stdout.strip().splitlines()[-1]
    return set(zipfile.ZipFile(wheel).namelist())


def test_wheel_contains_the_data(wheel_names):
    names = wheel_names
    for f in FILES + ["SHA256SUMS", "SOURCE.md"]:
        assert f"octopack_spark/data/humanevalpack/{f}" in names
    assert "octopack_spark/data/programming_languages.json" in names


def test_wheel_contains_the_language_id_model(wheel_names):
    assert {"octopack_spark/data/langid/lid.176.ftz", "octopack_spark/data/langid/SHA256SUMS"} <= wheel_names

"""Local paths given relative (`--output out/run`) compare with the absolute paths listings return."""

import os

import pytest

from octopack_spark.storage.fs import Storage, normalize, relative_to


def test_normalize_makes_local_paths_absolute_and_keeps_s3(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert normalize("out/run/") == str(tmp_path / "out" / "run")
    assert normalize("s3a://bucket/run/") == "s3a://bucket/run"


def test_relative_to_accepts_relative_roots(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "t" / "lang=Go").mkdir(parents=True)
    (tmp_path / "out" / "t" / "lang=Go" / "a.parquet").write_bytes(b"x")
    [f] = Storage().list_files("out/t")
    assert os.path.isabs(f.uri)
    assert relative_to("out/t", f.uri) == "lang=Go/a.parquet"
    assert relative_to("s3://b/t", "s3://b/t/x/y.parquet") == "x/y.parquet"


def test_relative_to_refuses_paths_outside_and_prefix_siblings(tmp_path):
    with pytest.raises(ValueError, match="is not under"):
        relative_to(str(tmp_path / "out"), str(tmp_path / "outside" / "a.parquet"))
    with pytest.raises(ValueError, match="is not under"):
        relative_to("s3://b/t", "s3://b/t2/a.parquet")

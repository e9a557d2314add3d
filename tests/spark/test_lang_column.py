"""`lang` is a real column of the published Parquet files as well as the partition key (issue 14, must-show
6): HF `datasets.load_dataset("parquet", data_files=...)` reads only the files and must find it; Spark,
pyarrow.dataset and DuckDB (hive partitioning) must see one `lang` column, the same values as the folders;
the data card and stats.json hold no absolute path of this machine."""

from __future__ import annotations

import os
import sys

import pytest

from octopack_spark.storage.fs import Storage
from octopack_spark.storage.manifest import read_manifest
from tests.helpers.pipeline_data import build_pipeline_dataset

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def pipeline(spark, tmp_path_factory, humanevalpack_dir):
    work = tmp_path_factory.mktemp("langcol")
    build_pipeline_dataset(work, spark, humanevalpack_dir)
    return work


def _files(root, table) -> list[str]:
    entry = read_manifest(Storage(), str(root)).table(table)
    return [os.path.join(str(root), f) for f in entry.files]


def _folder_lang(path: str) -> str:
    from urllib.parse import unquote

    part = [p for p in path.split(os.sep) if p.startswith("lang=")][0][len("lang="):]
    return None if part == "__HIVE_DEFAULT_PARTITION__" else unquote(part)


@pytest.mark.parametrize("dataset,table", [("mine", "commits"), ("ft", "commitpackft")])
def test_hf_datasets_finds_lang_and_it_matches_the_folders(pipeline, dataset, table):
    import datasets

    files = _files(pipeline / dataset, table)
    assert files
    ds = datasets.load_dataset("parquet", data_files=files, split="train",
                               cache_dir=str(pipeline / "hf-cache"))
    assert "lang" in ds.column_names
    assert any(v for v in ds["lang"])
    import pyarrow.parquet as pq

    for f in files:  # inside each file, lang is the folder's value
        assert set(pq.read_table(f, columns=["lang"]).column("lang").to_pylist()) == {_folder_lang(f)}


@pytest.mark.parametrize("dataset,table", [("mine", "commits"), ("ft", "commitpackft")])
def test_pyarrow_duckdb_and_spark_see_one_lang_column(pipeline, spark, dataset, table):
    import duckdb
    import pyarrow.dataset as pads

    from octopack_spark.spark.io import read_table

    root = pipeline / dataset
    files = _files(root, table)
    t = pads.dataset(files, partitioning="hive", partition_base_dir=str(root / table)).to_table()
    assert t.schema.names.count("lang") == 1
    con = duckdb.connect()
    cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning=true)",
                                      [files]).fetchall()]
    assert cols.count("lang") == 1
    n_duck = con.execute("SELECT count(*) FROM read_parquet(?, hive_partitioning=true) WHERE lang IS NOT NULL",
                         [files]).fetchone()[0]
    df = read_table(spark, Storage(), str(root), table)
    assert df.columns.count("lang") == 1
    assert df.where("lang IS NOT NULL").count() == n_duck == sum(v is not None for v in t.column("lang").to_pylist())


def test_card_and_stats_hold_no_absolute_path_of_this_machine(pipeline):
    ft = pipeline / "ft"
    home = os.path.expanduser("~")
    for name in ("README.md", "stats.json"):
        text = (ft / name).read_text()
        for local in (str(pipeline), str(pipeline.parent), sys.prefix, home + "/", os.getcwd() + "/"):
            assert local not in text, (name, local)

"""Finding data files and units: manifest root, directory, glob, single file; partitions; errors."""

import json
import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from octopack_spark.storage.fs import Storage
from training.data.discover import DataSourceError, hive_partitions, plan_units, resolve_files
from tests.training.conftest import ROWS

N_FILES = 6


def test_manifest_root_lists_the_manifest_files(ft_dataset):
    src = resolve_files(Storage(), "ft", str(ft_dataset), "commitpackft")
    assert src.how == "manifest" and len(src.files) == N_FILES
    assert src.manifest_rows == sum(ROWS.values())
    assert all(f.rel.startswith("commitpackft/lang=") and f.size > 0 for f in src.files)
    units = plan_units(Storage(), src, required=["subject", "old_contents", "new_contents", "lang"])
    # row groups of 8: Python 2x12 -> 2+2, JavaScript 2x9 -> 2+2, Go 2x6 -> 1+1
    assert len(units) == 10
    assert sum(u.num_rows for u in units) == sum(ROWS.values())
    assert len({u.key for u in units}) == len(units)


def test_manifest_wins_over_stray_files(copy_dataset):
    # a file a crashed job left behind is not in the manifest and must not be read
    stray = copy_dataset / "commitpackft" / "lang=Python" / "part-99999-stray.parquet"
    shutil.copy(next((copy_dataset / "commitpackft" / "lang=Python").glob("*.parquet")), stray)
    assert len(resolve_files(Storage(), "ft", str(copy_dataset), "commitpackft").files) == N_FILES
    os.remove(copy_dataset / "manifest.json")
    src = resolve_files(Storage(), "ft", str(copy_dataset), None)
    assert src.how == "directory" and len(src.files) == N_FILES + 1


def test_glob_and_single_file(ft_dataset):
    src = resolve_files(Storage(), "ft", str(ft_dataset / "commitpackft" / "lang=Py*" / "*.parquet"), None)
    assert src.how == "glob" and len(src.files) == 2
    assert all(dict(f.partitions)["lang"] == "Python" for f in src.files)
    one = src.files[0].uri
    s1 = resolve_files(Storage(), "ft", one, None)
    assert s1.how == "file" and s1.files[0].uri == one


def test_relative_glob_and_directory(ft_dataset, monkeypatch):
    # users pass paths relative to their working directory; listings return absolute paths
    monkeypatch.chdir(ft_dataset)
    src = resolve_files(Storage(), "ft", "commitpackft/lang=Py*/*.parquet", None)
    assert src.how == "glob" and len(src.files) == 2
    src = resolve_files(Storage(), "ft", "commitpackft", None)
    assert src.how == "directory" and len(src.files) == N_FILES
    assert all(f.rel.startswith("lang=") for f in src.files)


def test_language_filter_skips_partitions(ft_dataset):
    src = resolve_files(Storage(), "ft", str(ft_dataset), "commitpackft")
    units = plan_units(Storage(), src, languages=["Go"])
    assert {dict(u.file.partitions)["lang"] for u in units} == {"Go"}
    assert sum(u.num_rows for u in units) == ROWS["Go"]


def test_hive_partitions_unquote():
    assert hive_partitions("t/lang=C%2B%2B/x.parquet") == (("lang", "C++"),)
    assert hive_partitions("x.parquet") == ()


def test_clear_errors(ft_dataset, tmp_path):
    s = Storage()
    with pytest.raises(DataSourceError, match="no table 'nope'"):
        resolve_files(s, "ft", str(ft_dataset), "nope")
    with pytest.raises(DataSourceError, match="nothing found"):
        resolve_files(s, "ft", str(tmp_path / "missing"), None)
    with pytest.raises(DataSourceError, match="no data path"):
        resolve_files(s, "ft", "", None)
    src = resolve_files(s, "ft", str(ft_dataset), "commitpackft")
    with pytest.raises(DataSourceError, match="no column\\(s\\) instruction"):
        plan_units(s, src, required=["instruction"])
    bad = tmp_path / "m"
    bad.mkdir()
    (bad / "manifest.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(DataSourceError, match="not an octopack manifest"):
        resolve_files(s, "ft", str(bad), None)


def test_empty_row_groups_are_not_units(tmp_path):
    pq.write_table(pa.table({"subject": pa.array([], pa.string())}), tmp_path / "empty.parquet")
    src = resolve_files(Storage(), "x", str(tmp_path), None)
    assert plan_units(Storage(), src) == []

"""Finding datasets and tables through manifests; clear errors for damaged or unreadable datasets."""

from __future__ import annotations

import os
import shutil

import pytest

from octopack_spark.sql.catalog import discover, qualifier_for, require_readable
from octopack_spark.sql.errors import DatasetError, TableNameError
from octopack_spark.storage.manifest import ManifestError
from tests.sql.datasets import build_mine, edited_manifest


def test_parent_folder_exposes_all_tables(quickstart, storage):
    cat = discover([quickstart], storage)
    assert sorted(d.name for d in cat.datasets) == ["ft", "mine"]
    assert sorted(t.qualified for t in cat.tables) == [
        "ft.commitpackft", "ft.scored", "ft.stats", "mine.commits", "mine.errors", "mine.state"]
    commits = cat.lookup("commits")
    assert commits.qualified == "mine.commits" and commits.partitioning == ["lang"]
    assert commits.table_dir == "commits"
    assert cat.lookup("MINE.Commits") is commits  # SQL names are case-insensitive
    assert cat.lookup("nope") is None and cat.lookup("ft.commits") is None


def test_dataset_root_itself(quickstart, storage):
    cat = discover([os.path.join(quickstart, "mine") + "/"], storage)
    assert [d.name for d in cat.datasets] == ["mine"]
    assert {t.name for t in cat.tables} == {"commits", "errors", "state"}


def test_name_clash_needs_qualification(tmp_path, storage):
    build_mine(storage, str(tmp_path / "run-a"))
    build_mine(storage, str(tmp_path / "run-b"))
    cat = discover([str(tmp_path)], storage)
    with pytest.raises(TableNameError, match=r"table 'commits' exists in 2 datasets.*run_a\.commits, run_b\.commits"):
        cat.lookup("commits")
    assert cat.lookup("run_b.commits").root.endswith("run-b")
    names = cat.describe_names().split(", ")
    assert "run_a.commits" in names and "commits" not in names


def test_same_folder_name_twice_gets_distinct_qualifiers(tmp_path, storage):
    build_mine(storage, str(tmp_path / "a" / "mine"))
    build_mine(storage, str(tmp_path / "b" / "mine"))
    cat = discover([str(tmp_path / "a"), str(tmp_path / "b")], storage)
    assert [d.name for d in cat.datasets] == ["mine", "mine_2"]


@pytest.mark.parametrize("folder,name", [("mine", "mine"), ("ft-2024.1", "ft_2024_1"), ("2024", "d_2024"),
                                         ("main", "main_ds")])
def test_qualifiers_are_plain_identifiers(folder, name):
    assert qualifier_for(f"/x/{folder}") == name
    assert qualifier_for(f"s3://bucket/runs/{folder}/") == name


def test_missing_folder(tmp_path, storage):
    with pytest.raises(DatasetError, match="no such folder"):
        discover([str(tmp_path / "nope")], storage)


def test_missing_manifest(tmp_path, storage):
    (tmp_path / "mine" / "commits").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no manifest.json in .* or its sub-folders"):
        discover([str(tmp_path)], storage)


@pytest.mark.parametrize("text,match", [
    ("{not json", "not valid JSON"),
    ('{"format": "something-else"}', "not an octopack manifest"),
    ('{"format": "octopack-manifest", "manifest_version": 1, "tables": {"commits": {"rows": 3}}}', "malformed"),
    ('{"format": "octopack-manifest", "manifest_version": 1, "tables": []}', "malformed"),
    ('{"format": "octopack-manifest", "manifest_version": 99}', "newer than this octopack-spark"),
])
def test_corrupt_manifest(tmp_path, storage, text, match):
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "manifest.json").write_text(text)
    with pytest.raises((DatasetError, ManifestError), match=match):
        discover([str(tmp_path / "ds")], storage)


def test_binary_garbage_manifest(tmp_path, storage):
    (tmp_path / "manifest.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DatasetError, match="not UTF-8"):
        discover([str(tmp_path)], storage)


def test_partitioned_table_with_a_misplaced_file(mine_copy, storage):
    with edited_manifest(mine_copy) as m:
        m["tables"]["commits"]["files"].append("commits/stray.parquet")
    with pytest.raises(DatasetError, match="partitioned by \\['lang'\\]"):
        discover([str(mine_copy)], storage)


def test_file_outside_dataset_is_refused(mine_copy, storage):
    with edited_manifest(mine_copy) as m:
        m["tables"]["errors"]["files"] = ["../elsewhere/x.parquet"]
    with pytest.raises(DatasetError, match="outside the dataset"):
        discover([str(mine_copy)], storage)


def test_missing_data_file(mine_copy, storage):
    cat = discover([str(mine_copy)], storage)
    ref = cat.lookup("commits")
    os.remove(os.path.join(str(mine_copy), ref.entry.files[3]))
    with pytest.raises(DatasetError, match=r"1 file\(s\) listed in the manifest are missing: commits/lang="):
        require_readable(storage, ref)


def test_incompatible_schema_version_is_refused(tmp_path, storage):
    build_mine(storage, str(tmp_path / "mine"), commits_version="2.0")
    cat = discover([str(tmp_path)], storage)  # listing still works
    ref = cat.lookup("commits")
    assert not ref.version_ok and cat.lookup("errors").version_ok
    with pytest.raises(ManifestError, match=r"table 'commits' .* schema version 2\.0, but this octopack-spark "
                                            r"reads version 1\.x"):
        require_readable(storage, ref)


def test_minor_version_difference_is_fine(tmp_path, storage):
    build_mine(storage, str(tmp_path / "mine"), commits_version="1.7")
    require_readable(storage, discover([str(tmp_path)], storage).lookup("commits"))


def test_ft_table_versions_are_checked(tmp_path, storage, quickstart):
    root = tmp_path / "ft"
    shutil.copytree(os.path.join(quickstart, "ft"), root)
    with edited_manifest(root) as m:
        m["tables"]["stats"]["schema_version"] = "3.1"
    with pytest.raises(ManifestError, match="table 'stats'.*3.1"):
        require_readable(storage, discover([str(root)], storage).lookup("stats"))

"""`octopack tables` content: manifest facts, columns, and verification against the files."""

from __future__ import annotations

import json
import os

import pytest

from octopack_spark.sql.catalog import discover
from octopack_spark.sql.errors import TableNameError
from octopack_spark.sql.listing import describe, render_json, render_text
from tests.sql.datasets import build_mine, edited_manifest, stats_table


def test_describe_from_manifest(quickstart, storage):
    cat = discover([quickstart], storage)
    infos = {i.sql_name: i for i in describe(cat, storage)}
    c = infos["commits"]
    assert (c.dataset, c.rows, c.files, c.partitioning, c.schema_version) == ("mine", 60, 16, ["lang"], "1.1")
    assert c.compatible and c.reader_version == "1.1"
    assert c.columns[-1] == ("lang", "string (partition)") and ("author_time", "timestamp[us, tz=UTC]") in c.columns
    assert infos["stats"].rows == stats_table().num_rows
    assert c.verification is None


def test_text_and_json(quickstart, storage):
    cat = discover([quickstart], storage)
    infos = describe(cat, storage, ["commits", "ft.stats"])
    text = render_text(cat, infos)
    assert "mine: " in text and "commits (mine.commits, schema 1.1):" in text and "  position" in text
    data = json.loads(render_json(infos))
    assert [d["sql_name"] for d in data] == ["commits", "stats"] and data[0]["rows"] == 60


def test_unknown_table_name(quickstart, storage):
    with pytest.raises(TableNameError, match="no table 'nope'"):
        describe(discover([quickstart], storage), storage, ["nope"])


def test_verify_ok(quickstart, storage):
    infos = describe(discover([quickstart], storage), storage, check=True)
    assert all(i.verification.ok for i in infos)
    c = [i for i in infos if i.table == "commits"][0]
    assert c.verification.rows_in_files == 60 and c.verification.bytes_in_files == c.bytes


def test_verify_finds_wrong_counts_and_missing_files(mine_copy, storage):
    with edited_manifest(mine_copy) as m:
        m["tables"]["commits"]["rows"] = 61
        os.remove(mine_copy / m["tables"]["state"]["files"][0])
    infos = {i.table: i for i in describe(discover([str(mine_copy)], storage), storage, check=True)}
    assert infos["commits"].verification.problems == ["manifest says 61 rows, files hold 60"]
    assert not infos["state"].verification.ok and infos["state"].verification.missing_files
    assert infos["errors"].verification.ok
    assert "FAILED: manifest says 61 rows" in render_text(discover([str(mine_copy)], storage), list(infos.values()))


def test_verify_finds_a_corrupt_file(mine_copy, storage):
    m = json.loads((mine_copy / "manifest.json").read_text())
    (mine_copy / m["tables"]["errors"]["files"][0]).write_bytes(b"not parquet at all")
    infos = {i.table: i for i in describe(discover([str(mine_copy)], storage), storage, check=True)}
    assert any("unreadable file" in p for p in infos["errors"].verification.problems)


def test_incompatible_version_is_marked(tmp_path, storage):
    build_mine(storage, str(tmp_path / "mine"), commits_version="2.0")
    cat = discover([str(tmp_path)], storage)
    infos = {i.table: i for i in describe(cat, storage)}
    assert not infos["commits"].compatible and infos["commits"].columns == []
    assert "2.0 (INCOMPATIBLE: this build reads 1.x)" in render_text(cat, list(infos.values()))

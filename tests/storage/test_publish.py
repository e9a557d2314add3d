"""publish/recover: every crash point finishes on the next run; crafted intent records are refused."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from octopack_spark.storage.fs import Storage
from octopack_spark.storage.publish import BadIntentRecord, completed_units, publish, recover, staging_uri


def _stage(root, unit: str, n: int = 3) -> str:
    d = staging_uri(str(root), unit) + "/commits/lang=Python"
    import os

    os.makedirs(d, exist_ok=True)
    for i in range(n):
        pq.write_table(pa.table({"x": [i]}), f"{d}/part-{i}.parquet")
    return staging_uri(str(root), unit) + "/commits"


def _record(root, unit: str) -> dict:
    return json.loads((root / "_log" / f"{unit}.json").read_text())


@pytest.mark.parametrize("moved_before_crash", [0, 1, 3])
def test_recover_finishes_an_interrupted_publish(tmp_path, monkeypatch, moved_before_crash):
    st = Storage()
    staged = _stage(tmp_path, "u1")
    real_move, real_write = st.move, st.write_text_atomic
    calls = {"n": 0, "w": 0}

    def crashing_move(src, dst):
        if calls["n"] >= moved_before_crash:
            raise KeyboardInterrupt("killed")
        calls["n"] += 1
        real_move(src, dst)

    def crashing_write(uri, text):  # with every file moved: die before the record says done
        calls["w"] += 1
        if calls["w"] == 2:
            raise KeyboardInterrupt("killed")
        real_write(uri, text)

    monkeypatch.setattr(st, "move", crashing_move)
    monkeypatch.setattr(st, "write_text_atomic", crashing_write)
    with pytest.raises(KeyboardInterrupt):
        publish(st, str(tmp_path), "u1", {"commits": (staged, "commits")})
    assert _record(tmp_path, "u1")["done"] is False
    monkeypatch.setattr(st, "move", real_move)
    monkeypatch.setattr(st, "write_text_atomic", real_write)
    assert recover(st, str(tmp_path)) == ["u1"]
    rec = _record(tmp_path, "u1")
    assert rec["done"] is True
    files = sorted(p.name for p in (tmp_path / "commits" / "lang=Python").iterdir())
    assert files == ["u1-part-0.parquet", "u1-part-1.parquet", "u1-part-2.parquet"]
    assert not (tmp_path / "_staging" / "u1").exists()
    assert recover(st, str(tmp_path)) == []  # idempotent
    assert [u["unit"] for u in completed_units(st, str(tmp_path))] == ["u1"]


def test_crash_before_the_record_leaves_nothing_published(tmp_path):
    st = Storage()
    _stage(tmp_path, "u2")
    assert recover(st, str(tmp_path)) == [] and completed_units(st, str(tmp_path)) == []
    assert not (tmp_path / "commits").exists()


@pytest.mark.parametrize("field,value", [
    ("dst", "../victim/file.parquet"),
    ("dst", "/etc/passwd"),
    ("dst", "commits/../../victim"),
    ("dst", "_log/x.json"),
    ("src", "/home/someone/secret.parquet"),
    ("src", "{staging}/../../../victim"),
])
def test_crafted_intent_records_are_refused(tmp_path, field, value):
    st = Storage()
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "file.parquet").write_text("keep me")
    root = tmp_path / "ds"
    staged = _stage(root, "u3", n=1)
    rec = {"unit": "u3", "done": False, "tables": {"commits": [
        {"src": staged + "/lang=Python/part-0.parquet", "dst": "commits/lang=Python/u3-part-0.parquet", "size": 1}]}}
    rec["tables"]["commits"][0][field] = value.replace("{staging}", staging_uri(str(root), "u3"))
    (root / "_log").mkdir(parents=True)
    (root / "_log" / "u3.json").write_text(json.dumps(rec))
    with pytest.raises(BadIntentRecord, match="not a valid publish record"):
        recover(st, str(root))
    assert (victim / "file.parquet").read_text() == "keep me"
    assert sorted(p.name for p in victim.iterdir()) == ["file.parquet"]


def test_unit_names_cannot_leave_the_log(tmp_path):
    st = Storage()
    (tmp_path / "_log").mkdir()
    (tmp_path / "_log" / "u4.json").write_text(json.dumps({"unit": "../../x", "done": True, "tables": {}}))
    with pytest.raises(BadIntentRecord):
        completed_units(st, str(tmp_path))

"""recover() at every crash point of publish().

publish() writes the intent record, moves each staged file, rewrites the record as done and deletes the
unit's staging. A crash is simulated by a Storage whose k-th mutating call (write, move, delete) raises
before it acts, so the files on disk are exactly what a process killed at that point leaves. For every k,
a fresh Storage then runs recover(); the dataset must be exactly the uninterrupted publish's (the unit
complete) or exactly the state before it (the unit not started, its staged files all still there), and
nothing of an earlier published unit may change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from octopack_spark.storage.fs import Storage
from octopack_spark.storage.publish import completed_units, discard_staging, publish, recover, staging_uri

MUTATING = ("write_text_atomic", "write_bytes_atomic", "move", "delete")


class Killed(BaseException):
    """The process dies: nothing catches it (like SIGKILL, no cleanup runs)."""


class CrashingStorage(Storage):
    """A local Storage whose `crash_at`-th mutating call dies before it acts."""

    def __init__(self, crash_at: int):
        super().__init__()
        self.crash_at = crash_at
        self.calls = 0
        self.depth = 0  # a mutating call made inside another one (write_text -> write_bytes) is not a new point

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name not in MUTATING:
            return attr

        def crashing(*args, **kwargs):
            if self.depth == 0:
                self.calls += 1
                if self.calls == self.crash_at:
                    raise Killed(f"killed before {name}{args}")
            self.depth += 1
            try:
                return attr(*args, **kwargs)
            finally:
                self.depth -= 1
        return crashing


def _stage(root: Path, unit: str) -> dict[str, tuple[str, str]]:
    """Two tables, one partitioned: 3 + 1 staged files."""
    base = staging_uri(str(root), unit)
    for i, part in enumerate(("lang=Python", "lang=Python", "lang=Go")):
        d = Path(base) / "commits" / part
        d.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"x": [i]}), d / f"part-{i}.parquet")
    (Path(base) / "state").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"repo": ["r"]}), Path(base) / "state" / "part-00000.parquet")
    return {"commits": (f"{base}/commits", "commits"), "state": (f"{base}/state", "state")}


def _tables(root: Path) -> dict[str, bytes]:
    """What readers can see: every file under the table directories, with its content."""
    return {str(p.relative_to(root)): p.read_bytes() for t in ("commits", "state") if (root / t).exists()
            for p in sorted((root / t).rglob("*")) if p.is_file()}


def _staged(root: Path, unit: str) -> dict[str, bytes]:
    d = Path(staging_uri(str(root), unit))
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*.parquet"))} if d.exists() else {}


def _published_unit(root: Path) -> None:
    """An earlier unit u0, published without a crash: it must come through every crash unchanged."""
    publish(Storage(), str(root), "u0", _stage(root, "u0"), extra={"run_id": "r0"})


def _reference(tmp_path: Path) -> tuple[dict[str, bytes], dict]:
    """The dataset after an uninterrupted publish of u1 (and the count of mutating calls it makes)."""
    root = tmp_path / "reference"
    _published_unit(root)
    moves = _stage(root, "u1")
    st = CrashingStorage(crash_at=0)
    publish(st, str(root), "u1", moves, extra={"run_id": "r1"})
    return _tables(root), {"calls": st.calls, "record": json.loads((root / "_log" / "u1.json").read_text())}


@pytest.fixture(scope="module")
def n_calls(tmp_path_factory) -> int:
    return _reference(tmp_path_factory.mktemp("count"))[1]["calls"]


def test_publish_makes_the_calls_the_crash_points_cover(n_calls):
    # 1 intent record + 4 moves + 1 done record + 1 staging delete
    assert n_calls == 7


@pytest.mark.parametrize("crash_at", range(1, 8))
def test_recover_leaves_the_unit_complete_or_absent(tmp_path, crash_at):
    after, ref = _reference(tmp_path)
    root = tmp_path / "crashed"
    _published_unit(root)
    before = _tables(root)
    moves = _stage(root, "u1")
    staged_before = _staged(root, "u1")

    with pytest.raises(Killed):
        publish(CrashingStorage(crash_at), str(root), "u1", moves, extra={"run_id": "r1"})

    st = Storage()  # the next run
    finished = recover(st, str(root))
    units = [u["unit"] for u in completed_units(st, str(root))]
    if crash_at == 1:
        # killed before the intent record: nothing published, every staged file still staged
        assert finished == [] and units == ["u0"]
        assert _tables(root) == before
        assert _staged(root, "u1") == staged_before
        discard_staging(st, str(root))  # what the next run does with it
        assert _tables(root) == before
    else:
        # the record exists: the unit is finished exactly as an uninterrupted publish leaves it
        assert finished == ([] if crash_at == 7 else ["u1"])
        assert units == ["u0", "u1"]
        assert _tables(root) == after
        rec = json.loads((root / "_log" / "u1.json").read_text())
        assert rec["done"] is True and rec["tables"].keys() == ref["record"]["tables"].keys()
        assert [i["dst"] for t in rec["tables"].values() for i in t] == \
            [i["dst"] for t in ref["record"]["tables"].values() for i in t]
        assert rec["extra"] == {"run_id": "r1"}
        discard_staging(st, str(root))
        assert not Path(staging_uri(str(root), "u1")).exists()
    # the earlier unit is untouched either way
    assert {k: v for k, v in _tables(root).items() if "/u0-" in k} == \
        {k: v for k, v in before.items() if "/u0-" in k}
    assert recover(st, str(root)) == []  # a second recover has nothing left to do


@pytest.mark.parametrize("crash_at", range(2, 7))
@pytest.mark.parametrize("recover_crash_at", range(1, 5))
def test_recover_killed_itself_is_finished_by_the_next_recover(tmp_path, crash_at, recover_crash_at):
    after, _ref = _reference(tmp_path)
    root = tmp_path / "crashed"
    _published_unit(root)
    moves = _stage(root, "u1")
    with pytest.raises(Killed):
        publish(CrashingStorage(crash_at), str(root), "u1", moves, extra={"run_id": "r1"})
    try:
        recover(CrashingStorage(recover_crash_at), str(root))
    except Killed:
        pass  # killed again, during recovery (or it had fewer calls left to make than recover_crash_at)
    recover(Storage(), str(root))
    assert [u["unit"] for u in completed_units(Storage(), str(root))] == ["u0", "u1"]
    assert _tables(root) == after

"""Deterministic data order and per-rank assignment (by file and row group)."""

from collections import Counter

from training.data.discover import DataFile, Unit
from training.data.order import epoch_order, rank_units, row_order


def units(n, rows=5):
    return [Unit("s", DataFile(f"/d/f{i // 2}.parquet", f"f{i // 2}.parquet", 1, "parquet"), i % 2, rows)
            for i in range(n)]


def rows_of(assign, epoch, seed=7):
    out = []
    for a in assign:
        for r in row_order(a.unit.num_rows, a.unit.key, epoch, seed, True, a.offset, a.stride):
            out.append((a.unit.key, int(r)))
    return out


def test_every_row_read_exactly_once_per_epoch_across_ranks():
    for n_units, world in ((10, 2), (10, 3), (3, 4), (1, 2)):
        us = units(n_units)
        for epoch in (0, 1):
            seen = Counter()
            for rank in range(world):
                seen.update(rows_of(rank_units(us, epoch, 7, True, rank, world), epoch))
            assert len(seen) == n_units * 5 and set(seen.values()) == {1}, (n_units, world)


def test_order_is_reproducible_and_changes_per_epoch():
    us = units(10)
    a = [u.key for u in epoch_order(us, 0, 1, True)]
    assert a == [u.key for u in epoch_order(list(reversed(us)), 0, 1, True)]  # input order irrelevant
    assert a != [u.key for u in epoch_order(us, 1, 1, True)]
    assert a != [u.key for u in epoch_order(us, 0, 2, True)]
    assert [u.key for u in epoch_order(us, 3, 1, False)] == [u.key for u in us]
    r0 = row_order(100, "k", 0, 1, True)
    assert sorted(r0.tolist()) == list(range(100)) and r0.tolist() != list(range(100))
    assert (row_order(100, "k", 0, 1, True) == r0).all()
    assert row_order(5, "k", 0, 1, False).tolist() == [0, 1, 2, 3, 4]


def test_whole_units_per_rank_when_enough():
    us = units(10)
    for rank in range(2):
        assert all(a.stride == 1 for a in rank_units(us, 0, 7, True, rank, 2))
    assert {a.stride for a in rank_units(units(1), 0, 7, True, 1, 2)} == {2}

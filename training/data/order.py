"""The data order: which units a rank reads in an epoch, and the order of rows inside a unit.

Everything is a pure function of (seed, epoch, unit keys, rank, world size), derived from hashes of
stable ids, so two runs with the same config read exactly the same rows in the same order, and a run
resumed from a checkpoint continues where it stopped.

Assignment: each epoch the units are sorted by hash(seed, epoch, key) and dealt round-robin to ranks
(unit i -> rank i mod W). When a source has fewer units than ranks, every rank reads every unit but
keeps only rows r with r mod W == rank (after the row shuffle), so no rank is left without data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from training.data.discover import Unit


def _h(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


@dataclass(frozen=True)
class Assignment:
    unit: Unit
    offset: int  # keep rows offset, offset+stride, ... of the unit's (shuffled) row order
    stride: int


def epoch_order(units: list[Unit], epoch: int, seed: int, shuffle: bool) -> list[Unit]:
    if not shuffle:
        return list(units)
    return sorted(units, key=lambda u: (_h(seed, epoch, u.key), u.key))


def rank_units(units: list[Unit], epoch: int, seed: int, shuffle: bool, rank: int, world: int) -> list[Assignment]:
    order = epoch_order(units, epoch, seed, shuffle)
    if len(order) >= world:
        return [Assignment(u, 0, 1) for u in order[rank::world]]
    return [Assignment(u, rank, world) for u in order]


def row_order(n: int, unit_key: str, epoch: int, seed: int, shuffle: bool, offset: int = 0, stride: int = 1) -> np.ndarray:
    """Indices of a unit's rows this rank reads, in reading order."""
    idx = np.arange(n, dtype=np.int64)
    if shuffle and n > 1:
        idx = np.random.Generator(np.random.PCG64(_h("rows", seed, epoch, unit_key))).permutation(n)
    return idx[offset::stride]

"""Loss masks and packing of tokenized samples into fixed-length training sequences.

A packed sequence holds `input_ids`, `labels` (-100 = no loss) and `position_ids`. Position ids
restart at 0 at every sample start; transformers turns such position ids (with no attention mask
and no KV cache) into a block-diagonal causal mask for sdpa/eager attention, and into varlen
kernels for flash-attention, so tokens never attend across samples.

Labels follow the Hugging Face convention (aligned with input_ids; the loss shifts them). The first
token of every sample and of every sequence is never a target: predicting it would mean predicting
a sample from the end of the previous one.

Modes:
- whole: a sample is never split. First-fit into up to `open_bins` open sequences; when none has
  room and all bins are open, the fullest is closed (padded) first. Samples longer than seq_len are
  truncated or dropped before packing (TokenizeConfig.overflow).
- split: the paper's ConstantLengthDataset: samples are concatenated and cut every seq_len tokens;
  the rest of a cut sample starts the next sequence (its positions restart there). No padding.
- none: one sample per sequence, padded (baseline).
Packers are plain state machines whose whole state (open bins, finished sequences not yet taken)
is saved in checkpoints, so a resumed run produces exactly the same sequences.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Union

import numpy as np

IGNORE = -100


@dataclass
class Sample:
    ids: np.ndarray  # int32
    labels: np.ndarray  # int32, IGNORE where there is no loss

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class PackedSequence:
    input_ids: np.ndarray
    labels: np.ndarray
    position_ids: np.ndarray
    n_pad: int = 0  # trailing padding tokens

    def to_state(self) -> dict:
        return {"i": self.input_ids.tolist(), "l": self.labels.tolist(), "p": self.position_ids.tolist(),
                "n_pad": self.n_pad}

    @classmethod
    def from_state(cls, d: dict) -> "PackedSequence":
        return cls(np.asarray(d["i"], np.int32), np.asarray(d["l"], np.int32), np.asarray(d["p"], np.int32),
                   int(d["n_pad"]))


def make_sample(ids: np.ndarray, n_prompt: int, *, loss_on: str, eos_id: Optional[int], seq_len: int,
                overflow: str, allow_long: bool) -> Union[Sample, str]:
    """Add EOS, build labels, handle over-long samples. Returns the sample or a skip reason.

    With loss_on="answer" the prompt tokens are masked; EOS is always a target (the model learns to
    stop). `allow_long` (split packing) keeps samples longer than seq_len whole."""
    ids = np.asarray(ids, np.int32)
    if eos_id is not None:
        ids = np.append(ids, np.int32(eos_id))
    labels = ids.copy()
    if loss_on == "answer":
        labels[:n_prompt] = IGNORE
    if len(labels):
        labels[0] = IGNORE
    if not allow_long and len(ids) > seq_len:
        if overflow == "drop":
            return "too_long"
        ids, labels = ids[:seq_len], labels[:seq_len]
    if not (labels != IGNORE).any():
        return "no_target"
    return Sample(ids, labels)


def _segment_positions(lengths: Iterable[int]) -> np.ndarray:
    parts = [np.arange(n, dtype=np.int32) for n in lengths]
    return np.concatenate(parts) if parts else np.zeros(0, np.int32)


class WholePacker:
    """First-fit packing of whole samples into `open_bins` open sequences."""

    def __init__(self, seq_len: int, pad_id: int, open_bins: int = 8, one_per_sequence: bool = False):
        self.seq_len = seq_len
        self.pad_id = pad_id
        self.open_bins = 1 if one_per_sequence else open_bins
        self.one_per_sequence = one_per_sequence
        self.bins: list[list[Sample]] = []
        self.used: list[int] = []
        self.ready: deque[PackedSequence] = deque()

    def add(self, s: Sample) -> None:
        n = len(s)
        if n > self.seq_len:
            raise ValueError(f"sample of {n} tokens does not fit seq_len {self.seq_len} (truncate first)")
        if self.one_per_sequence:
            self.ready.append(self._finish([s]))
            return
        for j in range(len(self.bins)):
            if self.used[j] + n <= self.seq_len:
                self.bins[j].append(s)
                self.used[j] += n
                if self.used[j] == self.seq_len:
                    self._close(j)
                return
        if len(self.bins) >= self.open_bins:
            self._close(int(np.argmax(self.used)))  # argmax: the first (oldest) of the fullest
        self.bins.append([s])
        self.used.append(n)
        if n == self.seq_len:
            self._close(len(self.bins) - 1)

    def _close(self, j: int) -> None:
        self.ready.append(self._finish(self.bins.pop(j)))
        self.used.pop(j)

    def _finish(self, samples: list[Sample]) -> PackedSequence:
        used = sum(len(s) for s in samples)
        pad = self.seq_len - used
        ids = np.concatenate([s.ids for s in samples] + [np.full(pad, self.pad_id, np.int32)])
        labels = np.concatenate([s.labels for s in samples] + [np.full(pad, IGNORE, np.int32)])
        # padding is its own segment, so no real token attends to it and it does not extend a sample
        pos = _segment_positions([len(s) for s in samples] + ([pad] if pad else []))
        return PackedSequence(ids, labels, pos, pad)

    def pop(self) -> Optional[PackedSequence]:
        return self.ready.popleft() if self.ready else None

    def flush(self) -> Iterator[PackedSequence]:
        """Close every open bin (end of a finite stream; training streams never end)."""
        while self.bins:
            self._close(0)
        while self.ready:
            yield self.ready.popleft()

    def state(self) -> dict:
        return {
            "bins": [[[s.ids.tolist(), s.labels.tolist()] for s in b] for b in self.bins],
            "ready": [r.to_state() for r in self.ready],
        }

    def load_state(self, d: dict) -> None:
        self.bins = [[Sample(np.asarray(i, np.int32), np.asarray(lab, np.int32)) for i, lab in b] for b in d["bins"]]
        self.used = [sum(len(s) for s in b) for b in self.bins]
        self.ready = deque(PackedSequence.from_state(r) for r in d["ready"])


class SplitPacker:
    """Concatenate and cut every seq_len tokens (ConstantLengthDataset), no padding."""

    def __init__(self, seq_len: int):
        self.seq_len = seq_len
        self.ids = np.zeros(0, np.int32)
        self.labels = np.zeros(0, np.int32)
        self.pos = np.zeros(0, np.int32)
        self.ready: deque[PackedSequence] = deque()

    def add(self, s: Sample) -> None:
        self.ids = np.concatenate([self.ids, s.ids])
        self.labels = np.concatenate([self.labels, s.labels])
        self.pos = np.concatenate([self.pos, np.arange(len(s), dtype=np.int32)])
        L = self.seq_len
        while len(self.ids) >= L:
            labels = self.labels[:L].copy()
            labels[0] = IGNORE  # nothing before it in this sequence to predict it from
            self.ready.append(PackedSequence(self.ids[:L].copy(), labels, self.pos[:L].copy()))
            self.ids, self.labels, self.pos = self.ids[L:], self.labels[L:], self.pos[L:].copy()
            if len(self.pos) and self.pos[0] != 0:
                # the rest of a cut sample restarts its positions in the new sequence
                brk = np.nonzero(np.diff(self.pos) != 1)[0]
                end = int(brk[0]) + 1 if len(brk) else len(self.pos)
                self.pos[:end] -= self.pos[0]

    def pop(self) -> Optional[PackedSequence]:
        return self.ready.popleft() if self.ready else None

    def flush(self) -> Iterator[PackedSequence]:
        """Finished sequences only: like ConstantLengthDataset, a final partial sequence is dropped."""
        while self.ready:
            yield self.ready.popleft()

    def pending_tokens(self) -> int:
        return len(self.ids)

    def state(self) -> dict:
        return {"ids": self.ids.tolist(), "labels": self.labels.tolist(), "pos": self.pos.tolist(),
                "ready": [r.to_state() for r in self.ready]}

    def load_state(self, d: dict) -> None:
        self.ids = np.asarray(d["ids"], np.int32)
        self.labels = np.asarray(d["labels"], np.int32)
        self.pos = np.asarray(d["pos"], np.int32)
        self.ready = deque(PackedSequence.from_state(r) for r in d["ready"])


Packer = Union[WholePacker, SplitPacker]


def make_packer(mode: str, seq_len: int, pad_id: int, open_bins: int) -> Packer:
    if mode == "split":
        return SplitPacker(seq_len)
    return WholePacker(seq_len, pad_id, open_bins=open_bins, one_per_sequence=(mode == "none"))


def segments(position_ids: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each segment of a packed sequence, from its position ids."""
    starts = [0] + [i for i in range(1, len(position_ids)) if position_ids[i] != position_ids[i - 1] + 1]
    ends = starts[1:] + [len(position_ids)]
    return list(zip(starts, ends))

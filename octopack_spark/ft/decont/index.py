"""HumanEvalPack contamination index and matcher: pure functions, no Spark.

Two tests per row text, both after whitespace normalisation (every run of whitespace -> one space), so a
re-indented or re-wrapped copy still matches:

- exact: a benchmark string (prompt, canonical solution, test, ...) of at least `exact_min_chars`
  normalised characters occurs as a substring. Shorter strings (`}`, `return len(string)`) are everywhere
  in real code and are only caught by the n-gram test if at all. To avoid one substring search per
  benchmark string per row, each string is only searched in rows that contain its rarest word token.
- n-gram: word tokens (identifiers, numbers; punctuation ignored) form n-grams (n=13, GPT-3 style). An
  n-gram is *distinctive* unless it occurs in `common_ngram_tasks`+ different HumanEval problems (the task
  number, not the language, so translated docstrings do not count as common; boilerplate such as C++
  include blocks or Java's `public static void main` does). A row hits a benchmark string when it holds at
  least `ngram_min_hits` of the string's distinctive n-grams and at least `ngram_min_overlap` of them.

One hit is reported, chosen deterministically: exact before n-gram; among exact hits the longest benchmark
string, among n-gram hits the most shared n-grams, then the highest overlap (HumanEval docstrings are shared by
the 6 languages, so the language-specific copy wins); ties by language order, task number, field order. Format:
"exact:<task_id>:<field>" or "ngram<n>:<task_id>:<field>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

from octopack_spark.ft.decont.config import DecontConfig
from octopack_spark.ft.hashing import crc32_hashes, window_hashes
from octopack_spark.humanevalpack import load_humanevalpack

_WS = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")


def normalize_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def ngram_hashes(text: str, n: int) -> np.ndarray:
    """Unique 64-bit hashes of the word n-grams of `text` (empty if fewer than n words)."""
    toks = crc32_hashes(w.encode() for w in words(text))
    if len(toks) < n:
        return np.empty(0, dtype=np.uint64)
    return np.unique(window_hashes(toks, n))


@dataclass(frozen=True)
class Item:
    task_id: str  # "Python/12"
    field: str  # "canonical_solution"
    order: tuple  # (language index, task number, field index): the reporting order

    @property
    def task_number(self) -> int:
        return int(self.task_id.rsplit("/", 1)[1])


@dataclass
class DecontIndex:
    n: int
    min_overlap: float
    min_hits: int
    items: list[Item]
    needles: list[str]  # normalised exact strings, parallel to needle_items
    needle_items: list[int]
    anchors: dict[str, list[int]]  # rarest word -> needle indices
    no_anchor: list[int]  # needles without any word: searched in every row
    gram_keys: np.ndarray  # sorted distinctive n-gram hashes
    gram_items: list[list[int]]  # parallel to gram_keys: items holding the n-gram
    item_grams: np.ndarray  # distinctive n-gram count per item
    stats: dict = field(default_factory=dict)

    def match(self, texts: Sequence[Optional[str]]) -> Optional[str]:
        """The first hit over the given texts (old and new contents), or None."""
        exact: dict[int, int] = {}  # item -> matched normalised length
        counts: dict[int, int] = {}
        for t in texts:
            if not t:
                continue
            norm = normalize_ws(t)
            if self.needles:
                toks = set(words(norm))
                cand = set(self.no_anchor)
                for w in toks.intersection(self.anchors):
                    cand.update(self.anchors[w])
                for k in cand:
                    if self.needles[k] in norm:
                        exact[self.needle_items[k]] = len(self.needles[k])
            if len(self.gram_keys):
                g = ngram_hashes(norm, self.n)
                pos = np.searchsorted(self.gram_keys, g)
                pos[pos >= len(self.gram_keys)] = 0
                for p in pos[self.gram_keys[pos] == g]:
                    for it in self.gram_items[p]:
                        counts[it] = counts.get(it, 0) + 1
        if exact:
            it = min(exact, key=lambda i: (-exact[i], self.items[i].order))
            return f"exact:{self.items[it].task_id}:{self.items[it].field}"
        hits = [i for i, c in counts.items()
                if c >= self.min_hits and c >= self.min_overlap * self.item_grams[i]]
        if hits:
            it = min(hits, key=lambda i: (-counts[i], -counts[i] / self.item_grams[i], self.items[i].order))
            return f"ngram{self.n}:{self.items[it].task_id}:{self.items[it].field}"
        return None


def build_index(problems: Mapping[str, Iterable[Mapping]], cfg: DecontConfig) -> DecontIndex:
    """Index over {language: HumanEvalPack rows} for the fields and thresholds in `cfg`."""
    items: list[Item] = []
    texts: list[str] = []
    for li, lang in enumerate(cfg.languages):
        if lang not in problems:
            raise ValueError(f"HumanEvalPack data for {lang!r} is missing")
        for row in problems[lang]:
            tid = row["task_id"]
            num = int(tid.rsplit("/", 1)[1])
            for fi, f in enumerate(cfg.fields):
                text = normalize_ws(row.get(f) or "")
                if not text:
                    continue
                items.append(Item(tid, f, (li, num, fi)))
                texts.append(text)

    # exact needles (deduplicated: the same string under two fields/tasks reports the first in order)
    needles, needle_items, seen = [], [], {}
    if cfg.exact:
        for i, t in enumerate(texts):
            if len(t) >= cfg.exact_min_chars and t not in seen:
                seen[t] = len(needles)
                needles.append(t)
                needle_items.append(i)
    df: dict[str, int] = {}
    needle_words = [set(words(t)) for t in needles]
    for ws in needle_words:
        for w in ws:
            df[w] = df.get(w, 0) + 1
    anchors: dict[str, list[int]] = {}
    no_anchor = []
    for k, ws in enumerate(needle_words):
        if not ws:
            no_anchor.append(k)
            continue
        rare = min(ws, key=lambda w: (df[w], -len(w), w))
        anchors.setdefault(rare, []).append(k)

    # n-grams
    item_sets = [ngram_hashes(t, cfg.ngram_size) if cfg.ngram else np.empty(0, np.uint64) for t in texts]
    tasks_of: dict[int, set[int]] = {}
    for i, g in enumerate(item_sets):
        num = items[i].task_number
        for h in g.tolist():
            tasks_of.setdefault(h, set()).add(num)
    common = {h for h, s in tasks_of.items() if len(s) >= cfg.common_ngram_tasks}
    holders: dict[int, list[int]] = {}
    item_grams = np.zeros(len(items), dtype=np.int64)
    for i, g in enumerate(item_sets):
        keep = [h for h in g.tolist() if h not in common]
        item_grams[i] = len(keep)
        for h in keep:
            holders.setdefault(h, []).append(i)
    keys = np.array(sorted(holders), dtype=np.uint64)
    stats = {
        "items": len(items), "exact_needles": len(needles),
        "exact_skipped_short": sum(1 for t in texts if len(t) < cfg.exact_min_chars) if cfg.exact else 0,
        "distinctive_ngrams": len(keys), "common_ngrams": len(common),
        "items_without_ngrams": int(np.sum(item_grams == 0)),
    }
    return DecontIndex(
        n=cfg.ngram_size, min_overlap=cfg.ngram_min_overlap, min_hits=cfg.ngram_min_hits, items=items,
        needles=needles, needle_items=needle_items, anchors=anchors, no_anchor=no_anchor,
        gram_keys=keys, gram_items=[holders[int(k)] for k in keys], item_grams=item_grams, stats=stats)


def load_index(cfg: DecontConfig) -> DecontIndex:
    """Build the index from cfg.source (a local folder of <lang>.jsonl, or an HF dataset name)."""
    return build_index(load_humanevalpack(cfg.languages, cfg.source), cfg)

"""Replay completions saved earlier (another machine, another harness, a hand-written file).

File: JSON, either
  - a list with one list of completion strings per problem in dataset order (one stage only), or
  - an object {"<task>/<language>": [[...], ...], ...}, e.g. {"synthesize/python": [...],
    "explain-describe/go": [...], "explain-synthesize/go": [...]}.
Completions are the text after the prompt; an echoed prompt is stripped later by post-processing.
For explain-synthesize each problem's list holds one completion per description, in description order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from evaluation.backends.base import Backend, GenerationRequest, GenerationResult, SamplingParams
from octopack_spark.errors import UserFacingError


def _check_lists(value: Any, where: str) -> list[list[str]]:
    if not isinstance(value, list):
        raise UserFacingError(f"{where}: expected a list with one list of strings per problem, "
                              f"got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, list):
            raise UserFacingError(f"{where}: problem {i}: expected a list of strings, got {type(item).__name__}")
        for j, s in enumerate(item):
            if not isinstance(s, str):
                raise UserFacingError(f"{where}: problem {i}, sample {j}: expected a string, got {type(s).__name__}")
    return value


class GenerationsFileBackend(Backend):
    name = "generations-file"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserFacingError(f"generations file not found: {self.path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise UserFacingError(f"generations file {self.path} is not valid JSON: {e}") from None
        if isinstance(raw, dict):
            self.groups = {str(k): _check_lists(v, f"{self.path} [{k!r}]") for k, v in raw.items()}
            self.single = None
        else:
            self.single = _check_lists(raw, str(self.path))
            self.groups = {}
        self._used_single_for: set[str] = set()

    def _lists_for(self, group: str) -> list[list[str]]:
        if self.single is not None:
            self._used_single_for.add(group)
            if len(self._used_single_for) > 1:
                raise UserFacingError(
                    f"{self.path} is a plain list, which serves one task and language only; this run needs "
                    f"{', '.join(sorted(self._used_single_for))}: use an object keyed by '<task>/<language>'")
            return self.single
        if group not in self.groups:
            raise UserFacingError(f"{self.path} has no entry {group!r} (has: {', '.join(sorted(self.groups)) or 'none'})")
        return self.groups[group]

    def generate(self, requests: Sequence[GenerationRequest], n: int,
                 params: SamplingParams) -> list[GenerationResult]:
        out = []
        for r in requests:
            lists = self._lists_for(r.group)
            if r.index >= len(lists):
                raise UserFacingError(f"{self.path} [{r.group}]: no entry for problem {r.index} "
                                      f"(the file has {len(lists)} problems)")
            got = lists[r.index][r.offset:r.offset + n]
            if len(got) < n:
                raise UserFacingError(
                    f"{self.path} [{r.group}]: problem {r.index} has {len(lists[r.index])} completions, "
                    f"needs {r.offset + n}")
            out.append(GenerationResult(r.key, list(got)))
        return out

    def describe(self) -> dict:
        return {"backend": self.name, "path": str(self.path)}

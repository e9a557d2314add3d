"""Turn one data row into (prompt, answer) text with a template from the config.

Templates are format strings over the row's columns plus derived fields:
- `old_contents_numbered` / `new_contents_numbered`: each line prefixed with its 1-based number,
  right-aligned in 3 columns and a space (the paper's line-diff input);
- `line_diff`: the paper's line-diff target: unified diff of the two numbered files with the two
  header lines, hunk headers (@@) and context lines dropped, i.e. only the `-`/`+` lines.
A row that cannot be formatted (a referenced column is null or missing, or the answer is empty) gives
a reason string instead, which the reader counts; it is never silently dropped.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass
from typing import Any, Mapping, Union

from training.config import Template

DERIVED_FIELDS = ("old_contents_numbered", "new_contents_numbered", "line_diff")


def template_fields(fmt: str) -> list[str]:
    """Field names a format string references, in order of first use."""
    out: list[str] = []
    for _, name, _, _ in string.Formatter().parse(fmt):
        if name is None:
            continue
        base = name.split(".")[0].split("[")[0]
        if not base:
            raise ValueError(f"template {fmt!r} uses a positional field; name the column instead")
        if base not in out:
            out.append(base)
    return out


def number_lines(text: str) -> str:
    return "\n".join(f"{i:>3} {line}" for i, line in enumerate(text.split("\n"), start=1))


def line_diff(old: str, new: str) -> str:
    """The paper's line-diff target (SantaCoder appendix): diff of the numbered files, +/- lines only.

    Positions survive only through the line-number prefixes (octopack_spec.md section 7 item 4)."""
    a = number_lines(old).split("\n")
    b = number_lines(new).split("\n")
    lines = list(difflib.unified_diff(a, b, lineterm="", n=0))[2:]  # drop the ---/+++ header lines
    return "\n".join(ln for ln in lines if ln.startswith(("+", "-")))


@dataclass(frozen=True)
class CompiledTemplate:
    name: str
    prompt: str
    answer: str
    columns: tuple[str, ...]  # data columns the template needs (derived fields resolved to their sources)
    derived: tuple[str, ...]

    @classmethod
    def compile(cls, name: str, t: Template) -> "CompiledTemplate":
        fields = template_fields(t.prompt) + [f for f in template_fields(t.answer) if f not in template_fields(t.prompt)]
        derived = tuple(f for f in fields if f in DERIVED_FIELDS)
        cols: list[str] = [f for f in fields if f not in DERIVED_FIELDS]
        for d in derived:
            for src in ("old_contents", "new_contents") if d == "line_diff" else (d.replace("_numbered", ""),):
                if src not in cols:
                    cols.append(src)
        return cls(name=name, prompt=t.prompt, answer=t.answer, columns=tuple(cols), derived=derived)

    def render(self, row: Mapping[str, Any]) -> Union[tuple[str, str], str]:
        """(prompt, answer), or a skip reason such as 'null:old_contents' / 'empty_answer'."""
        values: dict[str, Any] = {}
        for c in self.columns:
            if c not in row:
                return f"missing:{c}"
            v = row[c]
            if v is None:
                return f"null:{c}"
            values[c] = v
        for d in self.derived:
            if d == "line_diff":
                values[d] = line_diff(values["old_contents"], values["new_contents"])
            else:
                values[d] = number_lines(values[d.replace("_numbered", "")])
        prompt = self.prompt.format_map(values)
        answer = self.answer.format_map(values)
        if not answer:
            return "empty_answer"
        return prompt, answer

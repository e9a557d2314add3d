"""The one YAML reader of the project: a file (configs, report files, prompt templates) or a `--set` value.

A leaf module (it imports nothing of the project but `errors`), so the library, `training` and `evaluation`
all read YAML the same way and a syntax error always names the file and the line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from octopack_spark.errors import UserFacingError


def _where(e: yaml.YAMLError, text: str) -> str:
    """'line L, column C: problem' from PyYAML's error (1-based), with where the open construct began."""
    if isinstance(e, yaml.reader.ReaderError):  # a control character: PyYAML gives its offset only
        line = text.count("\n", 0, e.position) + 1
        return f"line {line}: character {e.character:#x} is not allowed in YAML"
    mark = getattr(e, "problem_mark", None)
    if mark is None:
        return str(e)
    where = f"line {mark.line + 1}, column {mark.column + 1}: {e.problem}"
    if e.context and e.context_mark is not None:
        where += f" ({e.context} at line {e.context_mark.line + 1})"
    return where


def load_yaml_file(path: str | os.PathLike, what: str = "YAML",
                   error: type[Exception] = UserFacingError) -> Any:
    """The parsed content of the YAML file `path` (None for an empty file). An unreadable file, text that is
    not UTF-8 or a YAML syntax error raises `error` (a UserFacingError by default) with a message naming
    `what` ("config", "prompt template"), the file and, for a syntax error, the line and column."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise error(f"{what} file {p} is not UTF-8 text") from None
    except OSError as e:
        raise error(f"cannot read {what} file {p}: {e.strerror or e}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise error(f"{what} file {p} is not valid YAML at {_where(e, text)}") from None


def parse_yaml_scalar(text: str) -> Any:
    """A command-line value read as YAML (`--set mine.max_commits=5` gives 5, `=true` gives True); text that
    is not valid YAML is kept as the string itself."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text

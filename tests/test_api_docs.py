"""docs/api.md's examples run as written (issue 15, must-show 4): every ```python block is executed, in
order and in one namespace, in a temporary folder holding a small Git repository `my-repo`; the module's
docstring examples run as doctests."""

from __future__ import annotations

import doctest
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_docs_api_examples_run(tmp_path, monkeypatch, spark, capsys):
    from octopack_spark.samples import create_samples

    paths = create_samples(str(tmp_path / "samples"))
    shutil.move(paths[0], tmp_path / "my-repo")  # a small Python project with good and bad commits
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 6
    ns: dict = {"__name__": "api_md"}
    for i, code in enumerate(blocks, 1):
        exec(compile(code, f"{DOC}:block{i}", "exec"), ns)
    out = capsys.readouterr().out
    assert "commits" in out and "Python" in out
    assert (tmp_path / "out" / "ft" / "manifest.json").is_file()


def test_api_docstrings():
    from octopack_spark import api

    res = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert res.attempted >= 2 and res.failed == 0
    documented = [n for n in api.__all__ if (getattr(api, n).__doc__ or "").strip()]
    assert documented == list(api.__all__)

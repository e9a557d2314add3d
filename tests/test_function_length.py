"""Issue 16: the job, trainer and runner modules read as lists of short steps. No function there may grow
past 60 lines (a long orchestration function is split into named helpers instead)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 60


def _modules() -> list[Path]:
    found = [p for pattern in ("*/job.py", "**/*/job.py", "**/trainer.py", "**/runner.py")
             for p in ROOT.glob(pattern) if ".venv" not in p.parts and "tests" not in p.parts]
    return sorted(set(found))


def test_the_modules_are_found():
    names = {str(p.relative_to(ROOT)) for p in _modules()}
    assert {"octopack_spark/mining/job.py", "octopack_spark/ft/job.py", "training/trainer.py"} <= names


def test_no_function_over_60_lines():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, long

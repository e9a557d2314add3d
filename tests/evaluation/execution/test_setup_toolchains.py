"""evaluation/setup_toolchains.sh is idempotent: a second run finds its stamp and returns at once, and what
it prepared is complete (every language's toolchain check passes)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from evaluation.execution import api
from evaluation.execution.toolchains import Toolchains

pytestmark = [pytest.mark.toolchain, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[3] / "evaluation" / "setup_toolchains.sh"


def test_setup_is_idempotent_and_complete():
    first = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=1800)
    assert first.returncode == 0, first.stderr[-3000:]
    t0 = time.monotonic()
    second = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    assert second.returncode == 0, second.stderr[-3000:]
    assert "up to date" in second.stderr and took < 10
    tools = Toolchains(api.ExecConfig().resolved_cache_dir())
    for lang in api.LANGUAGES:
        tools.check(lang)
    externs = tools.rust_externs
    assert set(externs["crates"]) == {"rand", "regex", "md5"}
    assert "rand-" in Path(externs["crates"]["rand"]).name
    assert "stretchr/testify v1.8.0" in (tools.go_template / "go.sum").read_text()
    assert (tools.js_modules / "js-md5" / "package.json").read_text().count('"version": "0.7.3"') == 1
    # The self-check's C++ program left the precompiled header of its #include block in the cache.
    assert any(p.stat().st_size > 1_000_000 for p in tools.cpp_pch_dir.glob("*.h.gch"))

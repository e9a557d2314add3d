"""The README's first command after setup: `infra/quickstart.sh` as a user runs it, with its default
relative output path, must mine, build CommitPackFT and list the tables."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.spark]
ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_script_runs_end_to_end():
    rel_out = f"out/test-quickstart-{os.getpid()}"  # relative, as the script's default is
    env = dict(os.environ, OUT=rel_out, OCTOPACK_VENV=sys.prefix, HF_HUB_OFFLINE="1")
    try:
        res = subprocess.run(["bash", "infra/quickstart.sh"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=900)
        assert res.returncode == 0, f"quickstart failed:\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}"
        mined = re.search(r"repos ok (\d+), partial 0, empty 0, failed 0", res.stdout)
        assert mined and int(mined.group(1)) >= 5  # this checkout + the sample repositories
        kept = re.search(r"^KEPT\s+(\d+)", res.stdout, re.M)
        assert kept, res.stdout[-3000:]
        out = ROOT / rel_out
        ft_manifest = json.loads((out / "ft" / "manifest.json").read_text())
        assert ft_manifest["tables"]["commitpackft"]["rows"] == int(kept.group(1)) > 0
        assert "commitpackft (ft.commitpackft" in res.stdout and "commits (mine.commits" in res.stdout
    finally:
        shutil.rmtree(ROOT / rel_out, ignore_errors=True)

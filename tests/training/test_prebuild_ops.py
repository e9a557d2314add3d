"""The CI setup step that compiles DeepSpeed's CPU comm op once (70-100 s cold, ~1 s warm)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_prebuild_ops_builds_or_finds_the_shm_op():
    r = subprocess.run([sys.executable, "-m", "training.prebuild_ops"], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "ShareMemCommBuilder ready" in r.stdout
    from training.env import extensions_dir

    assert list(extensions_dir().glob("deepspeed_shm_comm/*.so"))

"""Read-only paths under /tmp (a checkout or venv there, as in CI) stay visible inside the sandbox,
although the sandbox mounts a fresh tmpfs on /tmp."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from evaluation.execution import sandbox


def test_mount_plan_binds_back_paths_under_tmp(tmp_path):
    assert str(tmp_path).startswith("/tmp/")
    masks, ro, rw = sandbox.mount_plan([str(tmp_path / "venv")], [str(tmp_path / "work")])
    assert str((tmp_path / "venv").resolve()) in ro
    assert str((tmp_path / "work").resolve()) in rw
    # Paths elsewhere are visible through the read-only root and need no bind.
    _, ro2, _ = sandbox.mount_plan(["/usr/bin"], [])
    assert ro2 == []


@pytest.mark.toolchain
def test_program_under_tmp_runs_in_the_sandbox():
    sandbox.check_privileges()
    cache = Path(tempfile.mkdtemp(prefix="octobox-cache-"))
    helper = sandbox.ensure_helper(cache)
    shared = Path(tempfile.mkdtemp(prefix="ro-under-tmp-"))
    (shared / "data.txt").write_text("visible\n")
    os.chmod(shared, 0o755)
    os.chmod(shared / "data.txt", 0o644)
    work = Path(tempfile.mkdtemp(prefix="work-"))
    os.chmod(work, 0o777)
    spec = sandbox.SandboxSpec(helper=helper, uid=61999, workdir=work, ro_paths=[str(shared)],
                               env={"PATH": "/usr/bin:/bin"})
    out = sandbox.run(spec, ["cat", str(shared / "data.txt")], timeout_s=20, max_output_bytes=10_000)
    assert out.returncode == 0 and "visible" in out.stdout, out
    # Still read-only inside.
    out = sandbox.run(spec, ["sh", "-c", f"echo x > {shared}/new.txt"], timeout_s=20, max_output_bytes=10_000)
    assert out.returncode != 0 and not (shared / "new.txt").exists()

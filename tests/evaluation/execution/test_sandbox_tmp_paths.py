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
    for d in ("venv", "rw", "work"):
        (tmp_path / d).mkdir()
    plan = sandbox.mount_plan([str(tmp_path / "venv")], [str(tmp_path / "rw")], [str(tmp_path / "work")])
    assert ("--ro", str((tmp_path / "venv").resolve())) in plan
    assert ("--rw", str((tmp_path / "rw").resolve())) in plan
    assert ("--work", str((tmp_path / "work").resolve())) in plan
    # Only the allow-list: system dirs are bound once (a path inside /usr needs no bind of its own).
    plan2 = sandbox.mount_plan(["/usr/bin"], [])
    assert ("--ro", "/usr") in plan2 and ("--ro", "/usr/bin") not in plan2
    assert not any(v.startswith(("/home", "/root", "/run", "/work", "/var/lib")) for _, v in plan2), plan2
    assert not any(v in ("/etc", "/etc/passwd") for _, v in plan2), plan2


def test_mount_plan_recreates_symlinks_on_the_way(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "tool").write_text("")
    (tmp_path / "link").symlink_to("real")
    plan = sandbox.mount_plan([str(tmp_path / "link" / "tool")])
    assert ("--link", f"{tmp_path}/link=real") in plan
    assert ("--ro", str(tmp_path / "real" / "tool")) in plan
    # Parents before children: a directory is mounted before anything inside it.
    paths = [v.split("=")[0] for _, v in plan]
    assert paths.index("/usr") < len(paths)


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

"""Rootless per-sample cgroups under a delegated cgroup v2 subtree (cgroup.py ``_probe_delegated``).

This machine (a Firecracker VM, hybrid layout) has no delegated subtree: its cgroup2 mount offers only
hugetlb, and the controllers are bound to the v1 hierarchies. So the detection and the directory layout are
checked against a fake cgroup2 tree in a tmp dir (as in test_cgroup_v2.py: the fake's files are plain files,
the kernel's rules are not enforced), with /proc/self/cgroup and /proc/self/mountinfo replaced by files."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from evaluation.execution import cgroup, sandbox

OWN_REL = "/user.slice/user-1000.slice/user@1000.service/app.slice/eval.scope"


def fake_delegated_tree(tmp_path: Path, offered: str = "cpu io memory pids", procs=(4242, 4343),
                        own_rel: str = OWN_REL) -> tuple[Path, Path]:
    """A cgroup2 mount at tmp/cg2 and this process's cgroup ``own_rel`` under it, as systemd's user@UID
    delegation leaves it: the controllers offered to it, nothing enabled for its children, ``procs`` in it.
    The files the kernel would create with mkdir are made up front. Returns (mount, own)."""
    mount = tmp_path / "cg2"
    own = mount / own_rel.lstrip("/")
    own.mkdir(parents=True)
    (mount / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids\n")
    (own / "cgroup.controllers").write_text(offered + "\n")
    (own / "cgroup.subtree_control").write_text("\n")
    (own / "cgroup.procs").write_text("".join(f"{p}\n" for p in procs))
    (own / cgroup.PARENT).mkdir()
    (own / cgroup.PARENT / "cgroup.subtree_control").write_text("")
    return mount, own


def fake_proc(tmp_path: Path, monkeypatch, mount: Path, own_rel: str = OWN_REL, root: str = "/") -> None:
    """/proc/self/cgroup (hybrid: v1 lines and the 0:: line) and a mountinfo with a v1 and the v2 mount."""
    (tmp_path / "cgroup").write_text(f"4:memory:/user.slice\n1:name=systemd:{own_rel}\n0::{own_rel}\n")
    (tmp_path / "mountinfo").write_text(
        "30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
        f"35 25 0:31 {root} {mount} rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw\n")
    monkeypatch.setattr(cgroup, "PROC_CGROUP", str(tmp_path / "cgroup"))
    monkeypatch.setattr(cgroup, "MOUNTINFO", str(tmp_path / "mountinfo"))
    monkeypatch.setattr(cgroup, "_why_not", "")


def test_own_cgroup_is_found_under_the_cgroup2_mount_that_shows_it(tmp_path):
    text = f"4:memory:/x\n0::{OWN_REL}\n"
    mnt = Path("/sys/fs/cgroup")
    assert cgroup.own_v2_cgroup(text, [(mnt, "/")]) == mnt / OWN_REL.lstrip("/")
    # A mount of a part of the hierarchy (a container's bind of its own subtree) and one that does not
    # show it at all.
    assert cgroup.own_v2_cgroup(text, [(Path("/a"), "/other"), (mnt, "/user.slice/user-1000.slice")]) == \
        mnt / "user@1000.service/app.slice/eval.scope"
    assert cgroup.own_v2_cgroup(text, [(mnt, "/system.slice")]) is None
    # No v2 line (v1 only), a cgroup outside this cgroup namespace, no cgroup2 mount.
    assert cgroup.own_v2_cgroup("4:memory:/x\n", [(mnt, "/")]) is None
    assert cgroup.own_v2_cgroup("0::/../../init.scope\n", [(mnt, "/")]) is None
    assert cgroup.own_v2_cgroup(text, []) is None
    (tmp_path / "mountinfo").write_text(
        "30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "35 25 0:31 /sub /mnt/my\\040cg rw shared:9 - cgroup2 cgroup2 rw,nsdelegate\n")
    assert cgroup._cgroup2_mounts(str(tmp_path / "mountinfo")) == [(Path("/mnt/my cg"), "/sub")]
    assert cgroup._cgroup2_mounts(str(tmp_path / "absent")) == []


def test_delegated_subtree_gets_a_leaf_for_its_processes_and_a_parent_for_the_runs(tmp_path):
    mount, own = fake_delegated_tree(tmp_path)
    b, why = cgroup._try_delegated(own)
    assert why == "" and b is not None and b.kind == "v2" and b.delegated == own
    assert b.controllers == ("memory", "pids", "cpu", "io")
    assert set(b.parents.values()) == {own / cgroup.PARENT}
    # "No internal processes": every process of own moved into the leaf, one write each; then the
    # controllers enabled in own (for the leaf and the parent) and in the parent (for the run cgroups).
    assert (own / cgroup.LEAF / "cgroup.procs").read_text() == "4242\n4343\n"
    assert (own / "cgroup.subtree_control").read_text().split() == ["+memory", "+pids", "+cpu", "+io"]
    assert (own / cgroup.PARENT / "cgroup.subtree_control").read_text().split() == \
        ["+memory", "+pids", "+cpu", "+io"]
    assert sorted(p.name for p in own.iterdir() if p.is_dir()) == [cgroup.LEAF, cgroup.PARENT]
    assert not (mount / cgroup.PARENT).exists()  # nothing at the mount root (root's place)
    # A run cgroup is used exactly as on the root path.
    cg = cgroup.RunCgroup(128 << 20, pids_max=32, cpus=1.0, backend_=b)
    run = own / cgroup.PARENT / cg.paths["memory"].name
    assert set(cg.paths.values()) == {run} and cg.procs_files == [str(run / "cgroup.procs")]
    assert (run / "memory.max").read_text() == str(128 << 20)
    assert (run / "pids.max").read_text() == "32" and (run / "cpu.max").read_text() == "100000 100000"
    for f in run.iterdir():  # a real cgroup dir is removed with its files; the fake's are not
        f.unlink()
    cg.close()
    assert not run.exists()


def test_a_process_started_in_the_leaf_uses_the_same_parent(tmp_path):
    _, own = fake_delegated_tree(tmp_path, offered="memory pids")
    first, _ = cgroup._try_delegated(own)
    # A second evaluating process (forked or started by the first) finds itself in own/octopack-engine.
    second, why = cgroup._try_delegated(own / cgroup.LEAF)
    assert why == "" and second == first
    assert first.controllers == ("memory", "pids")
    assert not (own / cgroup.LEAF / cgroup.LEAF).exists() and not (own / cgroup.LEAF / cgroup.PARENT).exists()


def test_not_delegated_keeps_the_fallback_with_the_reason(tmp_path, monkeypatch):
    # No memory controller offered (what this machine's cgroup2 mount looks like), not writable by this
    # user (systemd's session scopes belong to root), the cgroup gone.
    _, own = fake_delegated_tree(tmp_path / "a", offered="hugetlb")
    b, why = cgroup._try_delegated(own)
    assert b is None and "offers no memory controller (offered: hugetlb)" in why
    assert not (own / cgroup.LEAF).exists()
    _, own = fake_delegated_tree(tmp_path / "b")
    monkeypatch.setattr(cgroup, "_writable", lambda p: p != own / "cgroup.subtree_control")
    b, why = cgroup._try_delegated(own)
    assert b is None and "is not writable by this user" in why
    assert (own / "cgroup.subtree_control").read_text() == "\n" and not (own / cgroup.LEAF).exists()
    b, why = cgroup._try_delegated(tmp_path / "gone")
    assert b is None and "cannot be read" in why


def test_a_move_the_kernel_keeps_refusing_is_retried_then_given_up(tmp_path, monkeypatch):
    _, own = fake_delegated_tree(tmp_path, procs=(7,))
    calls = []

    def busy(d, wanted):
        calls.append(d)
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(cgroup, "_enable", busy)
    b, why = cgroup._try_delegated(own)
    assert b is None and "failed" in why and "busy" in why
    assert calls == [own] * 5  # processes moved again before every try
    assert (own / cgroup.LEAF / "cgroup.procs").read_text() == "7\n" * 5


def test_rootless_probe_takes_the_delegated_subtree(tmp_path, monkeypatch, caplog):
    mount, own = fake_delegated_tree(tmp_path)
    fake_proc(tmp_path, monkeypatch, mount)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with caplog.at_level(logging.INFO, logger="evaluation.execution.cgroup"):
        b = cgroup._probe()
    assert b is not None and b.delegated == own and b.parents["memory"] == own / cgroup.PARENT
    assert f"under the delegated {own}/{cgroup.PARENT}" in caplog.text
    # The same from inside a container whose cgroup namespace root is mounted (0::/ is the mount root).
    mount2, own2 = fake_delegated_tree(tmp_path / "ns", own_rel="/")
    assert own2 == mount2
    fake_proc(tmp_path / "ns", monkeypatch, mount2, own_rel="/")
    assert cgroup._probe().delegated == mount2


def test_rootless_without_delegation_warns_once_with_the_reason(tmp_path, monkeypatch, caplog):
    mount, own = fake_delegated_tree(tmp_path, offered="hugetlb")
    fake_proc(tmp_path, monkeypatch, mount)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(cgroup, "_probed", False)
    monkeypatch.setattr(cgroup, "_backend", None)
    monkeypatch.setattr(sandbox, "_warned_no_cgroup", False)
    assert not cgroup.available()
    argv = ["octobox", "--", "true"]
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            assert sandbox._tree_limits(sandbox.Limits(tree_memory_mb=256), argv) == (None, 256 << 20)
    [line] = [r.getMessage() for r in caplog.records if "no usable memory cgroup" in r.getMessage()]
    assert f"(no delegated cgroup v2 subtree: this process's cgroup {own} offers no memory controller" in line
    assert argv == ["octobox", "--", "true"]  # no --cgroup
    # Not in any cgroup v2 at all (a v1-only host).
    (tmp_path / "cgroup").write_text("4:memory:/user.slice\n")
    assert cgroup._probe_delegated() == (None, "this process is in no cgroup v2 mounted here (per-sample "
                                               "cgroups without root need cgroup v2)")


def test_rootless_run_gets_the_delegated_cgroups_on_the_helpers_command_line(tmp_path, monkeypatch):
    mount, own = fake_delegated_tree(tmp_path)
    fake_proc(tmp_path, monkeypatch, mount)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(cgroup, "_probed", False)
    monkeypatch.setattr(cgroup, "_backend", None)
    monkeypatch.setattr(cgroup, "block_devices", lambda: ())
    argv = ["octobox", "--", "true"]
    cg, watchdog = sandbox._tree_limits(sandbox.Limits(tree_memory_mb=256, tree_pids=64, cpus=0.5), argv)
    try:
        assert watchdog is None and cg is not None
        run = cg.paths["memory"]
        assert run.parent == own / cgroup.PARENT and run.name.startswith(f"run-{os.getpid()}-")
        assert argv == ["octobox", "--cgroup", str(run / "cgroup.procs"), "--", "true"]
        assert (run / "memory.max").read_text() == str(256 << 20) and (run / "pids.max").read_text() == "64"
    finally:
        for f in cg.paths["memory"].iterdir():
            f.unlink()
        cg.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="checks the real probe of an unprivileged process")
def test_real_rootless_probe_here_says_why():
    # Run only in the unprivileged pass: on this machine there is no delegated subtree.
    if cgroup.backend() is not None:
        assert cgroup.backend().delegated is not None
    else:
        assert cgroup.why_not()


# The kernel's side, for real, as far as this machine allows: a cgroup2 mount in a private mount namespace
# (the same hierarchy as /sys/fs/cgroup/unified), a child cgroup delegated to nobody as systemd does it
# (chown of the dir, cgroup.procs, cgroup.subtree_control, cgroup.threads), nobody's evaluating process and
# another process of nobody's in it. Memory is bound to v1 here, so hugetlb (the one controller the cgroup2
# mount offers) stands in for the controllers; the real _try_delegated then says "no memory controller".
ROOT_SIDE = r"""
import os, subprocess, sys
from pathlib import Path
mnt, repo = Path(sys.argv[1]), sys.argv[2]
if "hugetlb" not in (mnt / "cgroup.controllers").read_text().split():
    print("SKIP the cgroup2 mount offers no controller at all"); sys.exit(0)
ctl = mnt / "cgroup.subtree_control"
enabled_here = "hugetlb" not in ctl.read_text().split()
own = mnt / f"octopack-test-delegated-{os.getpid()}"
nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
if enabled_here:
    ctl.write_text("+hugetlb")
own.mkdir()
other = ev = None
try:
    for f in (own, own / "cgroup.procs", own / "cgroup.subtree_control", own / "cgroup.threads"):
        os.chown(f, 65534, 65534)
    other = subprocess.Popen(nobody + ["sleep", "60"])
    ev = subprocess.Popen(nobody + [sys.executable, "-c", sys.argv[3], str(own)], stdin=subprocess.PIPE,
                          cwd=repo, env={**os.environ, "PYTHONPATH": repo}, text=True)
    for p in (other, ev):  # put into the delegated cgroup by root, as systemd does
        (own / "cgroup.procs").write_text(str(p.pid))
    ev.communicate("go\n", timeout=60)
    print("rc", ev.returncode)
finally:
    for p in (other, ev):
        if p is not None:
            p.kill()
            p.wait()
    for d in sorted(own.rglob("*"), key=lambda p: -len(p.parts)) + [own]:
        if d.is_dir():
            d.rmdir()
    if enabled_here:
        ctl.write_text("-hugetlb")
print("cleaned", not own.exists())
"""

NOBODY_SIDE = r"""
import errno, os, subprocess, sys
from pathlib import Path
from evaluation.execution import cgroup
sys.stdin.readline()
found = cgroup.own_v2_cgroup(Path("/proc/self/cgroup").read_text(), cgroup._cgroup2_mounts("/proc/self/mountinfo"))
own = Path(sys.argv[1])
print("found", found is not None and os.path.samefile(found, own))
print("writable", all(cgroup._writable(f) for f in (own, own / "cgroup.procs", own / "cgroup.subtree_control")),
      "mount root writable", cgroup._writable(own.parent / "cgroup.subtree_control"))
print("probe", cgroup._try_delegated(found)[1])
try:
    cgroup._enable(own, ["hugetlb"])
    print("enable with processes in it: accepted")
except OSError as e:
    print("enable with processes in it:", errno.errorcode[e.errno])
(own / cgroup.LEAF).mkdir()
cgroup._vacate(own, ["hugetlb"])
print("own procs", (own / "cgroup.procs").read_text().split(), "leaf procs",
      len((own / cgroup.LEAF / "cgroup.procs").read_text().split()))
print("own subtree_control", (own / "cgroup.subtree_control").read_text().strip())
parent = own / cgroup.PARENT
parent.mkdir()
cgroup._enable(parent, ["hugetlb"])
run = parent / "run-1"
run.mkdir()
r = subprocess.run(["sh", "-c", f"echo $$ > {run}/cgroup.procs && cat /proc/self/cgroup"], capture_output=True, text=True)
v2 = [line for line in r.stdout.splitlines() if line.startswith("0::")]
print("joined", " ".join(v2).replace(own.name, "OWN"), r.stderr.strip())
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a cgroup2 hierarchy and delegating a cgroup need root")
def test_real_kernel_delegation_mechanics_with_hugetlb_standing_in():
    import subprocess
    import sys
    import tempfile

    repo = str(Path(__file__).resolve().parents[3])
    with tempfile.TemporaryDirectory() as d:  # right under /tmp: nobody must reach the mount
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               f'mount -t cgroup2 none "$1" && exec "{sys.executable}" -c "$2" "$1" "$3" "$4"', "_", d,
               ROOT_SIDE, repo, NOBODY_SIDE]
        r = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "mount" in r.stderr and "Traceback" not in r.stderr:
        pytest.skip(f"cannot mount cgroup2 here: {r.stderr.strip()[:200]}")
    assert r.returncode == 0, r.stdout + r.stderr
    if r.stdout.startswith("SKIP"):
        pytest.skip(r.stdout.strip())
    out = r.stdout
    assert "found True" in out and "writable True mount root writable False" in out, out + r.stderr
    assert "offers no memory controller (offered: hugetlb)" in out, out
    # The "no internal processes" rule, for real: refused while own holds processes, accepted after both
    # (the evaluator and the other process of the user) moved into the leaf.
    assert "enable with processes in it: EBUSY" in out, out
    assert "own procs [] leaf procs 2" in out and "own subtree_control hugetlb" in out, out
    # A child of the evaluator joins a run cgroup the way octobox does (as nobody: the common ancestor is
    # the delegated cgroup).
    assert f"joined 0::/OWN/{cgroup.PARENT}/run-1" in out, out
    assert "rc 0" in out and "cleaned True" in out, out

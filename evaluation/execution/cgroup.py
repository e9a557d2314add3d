"""A memory cgroup per sandboxed run: one limit for the sample's whole process tree (RLIMIT_DATA, set by
octobox, is per process, so N forked children could use N times the limit).

cgroup v2 is used when a cgroup2 mount offers the memory controller and its root can delegate it; otherwise
the v1 memory hierarchy (this is what a Firecracker VM with the hybrid layout offers). The run's outer octobox
process joins the cgroup (``--cgroup FILE``: it writes its pid to cgroup.procs) before it creates the
namespaces, so everything the sample starts is charged to it. After the run, ``oom_kills`` tells whether the
kernel's OOM killer fired inside it (the sample went past its memory limit), and the directory is removed.

When neither is usable (no root, read-only /sys/fs/cgroup), ``available()`` is False and the sandbox falls
back to a watchdog in sandbox.py that sums the resident memory of the run's uid (warned about once).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path
from typing import Optional

PARENT = "octopack-exec"
_lock = threading.Lock()
_counter = itertools.count()
_backend: Optional[tuple[str, Path]] = None   # ("v2" | "v1", parent dir)
_probed = False


def _mounts() -> list[tuple[str, str, str]]:
    out = []
    try:
        with open("/proc/self/mounts") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 4:
                    out.append((parts[1], parts[2], parts[3]))
    except OSError:
        pass
    return out


def _try_v2(mount: Path) -> Optional[Path]:
    try:
        if "memory" not in (mount / "cgroup.controllers").read_text().split():
            return None
        parent = mount / PARENT
        parent.mkdir(exist_ok=True)
        # Only the mount root is exempt from "no internal processes": enable memory for our parent there,
        # and for the parent's children (the parent itself never holds processes).
        if "memory" not in (mount / "cgroup.subtree_control").read_text().split():
            (mount / "cgroup.subtree_control").write_text("+memory")
        if "memory" not in (parent / "cgroup.subtree_control").read_text().split():
            (parent / "cgroup.subtree_control").write_text("+memory")
        return parent
    except OSError:
        return None


def _try_v1(mount: Path) -> Optional[Path]:
    try:
        parent = mount / PARENT
        parent.mkdir(exist_ok=True)
        if not (parent / "memory.limit_in_bytes").exists():
            return None
        return parent
    except OSError:
        return None


def _probe() -> Optional[tuple[str, Path]]:
    if os.geteuid() != 0:
        return None
    mounts = _mounts()
    for mnt, fstype, _opts in mounts:
        if fstype == "cgroup2":
            parent = _try_v2(Path(mnt))
            if parent is not None:
                return ("v2", parent)
    for mnt, fstype, opts in mounts:
        if fstype == "cgroup" and "memory" in opts.split(","):
            parent = _try_v1(Path(mnt))
            if parent is not None:
                return ("v1", parent)
    return None


def backend() -> Optional[tuple[str, Path]]:
    global _backend, _probed
    with _lock:
        if not _probed:
            _backend = _probe()
            _probed = True
        return _backend


def available() -> bool:
    return backend() is not None


class MemoryCgroup:
    """One run's cgroup. ``procs_file`` goes to octobox --cgroup; call ``close()`` after the run."""

    def __init__(self, limit_bytes: int):
        b = backend()
        if b is None:
            raise OSError("no usable memory cgroup")
        self.kind, parent = b
        _remove_stale(parent)
        self.path = parent / f"run-{os.getpid()}-{next(_counter)}-{os.urandom(4).hex()}"
        self.path.mkdir()
        try:
            if self.kind == "v2":
                (self.path / "memory.max").write_text(str(limit_bytes))
                _write_if_exists(self.path / "memory.swap.max", "0")
            else:
                (self.path / "memory.limit_in_bytes").write_text(str(limit_bytes))
                # With swap accounting, memory+swap gets the same limit: no escape into swap.
                _write_if_exists(self.path / "memory.memsw.limit_in_bytes", str(limit_bytes))
        except OSError:
            self.close()
            raise

    @property
    def procs_file(self) -> str:
        return str(self.path / "cgroup.procs")

    def oom_kills(self) -> int:
        """How many processes the OOM killer killed in this cgroup (the limit was reached)."""
        name = "memory.events" if self.kind == "v2" else "memory.oom_control"
        try:
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def close(self) -> None:
        # The run's processes are gone once octobox has exited (it waits for the pid namespace to empty),
        # but the kernel may need a moment to uncharge: retry briefly.
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                _kill_all(self.path / "cgroup.procs")
                time.sleep(0.02)


def _remove_stale(parent: Path) -> None:
    """Remove cgroups left by evaluating processes that were killed (run-<pid>-...: pid gone). Their
    processes died with them (PDEATHSIG), so the cgroups are empty; one still in use cannot be removed."""
    try:
        names = [p.name for p in parent.iterdir() if p.name.startswith("run-")]
    except OSError:
        return
    for name in names:
        try:
            pid = int(name.split("-")[1])
            os.kill(pid, 0)
            continue  # its evaluator is alive: its own close() removes it
        except ProcessLookupError:
            pass
        except (ValueError, IndexError, PermissionError):
            continue
        try:
            (parent / name).rmdir()
        except OSError:
            pass


def _write_if_exists(path: Path, value: str) -> None:
    if path.exists():
        try:
            path.write_text(value)
        except OSError:
            pass


def _kill_all(procs: Path) -> None:
    import signal

    try:
        pids = [int(p) for p in procs.read_text().split()]
    except (OSError, ValueError):
        return
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

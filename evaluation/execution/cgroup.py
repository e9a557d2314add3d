"""Cgroups per sandboxed run: one limit for the sample's whole process tree on memory (RLIMIT_DATA, set by
octobox, is per process, so N forked children could use N times the limit), on the number of processes and
threads (pids; RLIMIT_NPROC counts per uid) and on CPU time per period (cpu: at most ``max_cpus`` cores).

cgroup v2 is used when a cgroup2 mount offers the memory controller and its root can delegate it (pids and
cpu are enabled there too when offered); otherwise the v1 hierarchies memory (required), pids and cpu, each
where mounted (this is what a Firecracker VM with the hybrid layout offers). The run's outer octobox process
joins the cgroups (``--cgroup FILE``, once per hierarchy: it writes its pid to cgroup.procs) before it
creates the namespaces, so everything the sample starts is charged to them. After the run, ``oom_kills``
tells whether the kernel's OOM killer fired inside it (the sample went past its memory limit),
``pids_refused`` how many forks the pids limit refused, and the directories are removed.

When no memory cgroup is usable (no root, read-only /sys/fs/cgroup), ``available()`` is False and the sandbox
falls back to a watchdog in sandbox.py that sums the resident memory of the run's process tree (warned about
once); processes are then bounded by RLIMIT_NPROC (per uid as root; per sample user namespace rootless).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

PARENT = "octopack-exec"
CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000
_lock = threading.Lock()
_counter = itertools.count()
_probed = False


@dataclass(frozen=True)
class Backend:
    kind: str                      # "v2" | "v1"
    parents: dict                  # controller -> parent dir (v2: the same dir for all)

    @property
    def controllers(self) -> tuple[str, ...]:
        return tuple(c for c in CONTROLLERS if c in self.parents)


_backend: Optional[Backend] = None


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


def _try_v2(mount: Path) -> Optional[Backend]:
    try:
        offered = (mount / "cgroup.controllers").read_text().split()
        if "memory" not in offered:
            return None
        wanted = [c for c in CONTROLLERS if c in offered]
        parent = mount / PARENT
        parent.mkdir(exist_ok=True)
        # Only the mount root is exempt from "no internal processes": enable the controllers for our parent
        # there, and for the parent's children (the parent itself never holds processes).
        for d in (mount, parent):
            have = (d / "cgroup.subtree_control").read_text().split()
            missing = [c for c in wanted if c not in have]
            if missing:
                (d / "cgroup.subtree_control").write_text(" ".join("+" + c for c in missing))
        return Backend("v2", {c: parent for c in wanted})
    except OSError:
        return None


def _try_v1(mounts) -> Optional[Backend]:
    parents = {}
    for c in CONTROLLERS:
        for mnt, fstype, opts in mounts:
            if fstype == "cgroup" and c in opts.split(","):
                try:
                    parent = Path(mnt) / PARENT
                    parent.mkdir(exist_ok=True)
                    probe = {"memory": "memory.limit_in_bytes", "pids": "pids.max", "cpu": "cpu.cfs_quota_us"}[c]
                    if (parent / probe).exists():
                        parents[c] = parent
                except OSError:
                    pass
                break
    return Backend("v1", parents) if "memory" in parents else None


def _probe() -> Optional[Backend]:
    if os.geteuid() != 0:
        return None
    mounts = _mounts()
    for mnt, fstype, _opts in mounts:
        if fstype == "cgroup2":
            b = _try_v2(Path(mnt))
            if b is not None:
                return b
    return _try_v1(mounts)


def backend() -> Optional[Backend]:
    global _backend, _probed
    with _lock:
        if not _probed:
            _backend = _probe()
            _probed = True
        return _backend


def available() -> bool:
    return backend() is not None


class RunCgroup:
    """One run's cgroups. ``procs_files`` go to octobox --cgroup; call ``close()`` after the run.
    ``pids_max`` / ``cpus`` are applied where the controller is available (None: not limited)."""

    def __init__(self, limit_bytes: int, pids_max: Optional[int] = None, cpus: Optional[float] = None):
        b = backend()
        if b is None:
            raise OSError("no usable memory cgroup")
        self.kind = b.kind
        name = f"run-{os.getpid()}-{next(_counter)}-{os.urandom(4).hex()}"
        self.paths: dict[str, Path] = {}
        for parent in {id(p): p for p in b.parents.values()}.values():
            _remove_stale(parent)
        try:
            for c in b.controllers:
                p = b.parents[c] / name
                if p not in self.paths.values():
                    p.mkdir()
                self.paths[c] = p
            mem = self.paths["memory"]
            if self.kind == "v2":
                (mem / "memory.max").write_text(str(limit_bytes))
                _write_if_exists(mem / "memory.swap.max", "0")
            else:
                (mem / "memory.limit_in_bytes").write_text(str(limit_bytes))
                # With swap accounting, memory+swap gets the same limit: no escape into swap.
                _write_if_exists(mem / "memory.memsw.limit_in_bytes", str(limit_bytes))
            if pids_max is not None and "pids" in self.paths:
                (self.paths["pids"] / "pids.max").write_text(str(int(pids_max)))
            if cpus is not None and "cpu" in self.paths:
                quota = max(1000, int(cpus * CPU_PERIOD_US))
                if self.kind == "v2":
                    (self.paths["cpu"] / "cpu.max").write_text(f"{quota} {CPU_PERIOD_US}")
                else:
                    (self.paths["cpu"] / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
                    (self.paths["cpu"] / "cpu.cfs_quota_us").write_text(str(quota))
        except OSError:
            self.close()
            raise

    @property
    def procs_files(self) -> list[str]:
        seen = []
        for p in self.paths.values():
            f = str(p / "cgroup.procs")
            if f not in seen:
                seen.append(f)
        return seen

    @property
    def limits(self) -> tuple[str, ...]:
        return tuple(self.paths)

    def _event(self, controller: str, name: str, key: str) -> int:
        p = self.paths.get(controller)
        if p is None:
            return 0
        try:
            for line in (p / name).read_text().splitlines():
                k, _, value = line.partition(" ")
                if k == key:
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def oom_kills(self) -> int:
        """How many processes the OOM killer killed in this cgroup (the limit was reached)."""
        return self._event("memory", "memory.events" if self.kind == "v2" else "memory.oom_control", "oom_kill")

    def pids_refused(self) -> int:
        """How many forks/clones the pids limit refused."""
        return self._event("pids", "pids.events", "max")

    def close(self) -> None:
        # The run's processes are gone once octobox has exited (it waits for the pid namespace to empty),
        # but the kernel may need a moment to uncharge: retry briefly.
        for path in dict.fromkeys(self.paths.values()):
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    _kill_all(path / "cgroup.procs")
                    time.sleep(0.02)


MemoryCgroup = RunCgroup  # the earlier name (memory only)


def runs_left() -> list[str]:
    """Names of run cgroups that still exist under any of our parents (for tests and diagnostics)."""
    b = backend()
    if b is None:
        return []
    out = set()
    for parent in b.parents.values():
        try:
            out |= {p.name for p in parent.iterdir() if p.name.startswith("run-")}
        except OSError:
            pass
    return sorted(out)


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

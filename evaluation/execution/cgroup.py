"""Cgroups per sandboxed run: one limit for the sample's whole process tree on memory (RLIMIT_DATA, set by
octobox, is per process, so N forked children could use N times the limit), on the number of processes and
threads (pids; RLIMIT_NPROC counts per uid), on CPU time per period (cpu: at most ``max_cpus`` cores) and on
block I/O (io: bytes and operations per second on each disk behind the host's file systems; v1 blkio
throttle, v2 io.max).

cgroup v2 is used when a cgroup2 mount offers the memory controller and its root can delegate it (pids, cpu
and io are enabled there too when offered); otherwise the v1 hierarchies memory (required), pids, cpu and
blkio, each where mounted (this is what a Firecracker VM with the hybrid layout offers). A controller that is
missing is named in one warning (once per process) and its limit is not applied; the others still are. The run's outer octobox process
joins the cgroups (``--cgroup FILE``, once per hierarchy: it writes its pid to cgroup.procs) before it
creates the namespaces, so everything the sample starts is charged to them. After the run, ``oom_kills``
tells whether the kernel's OOM killer fired inside it (the sample went past its memory limit),
``pids_refused`` how many forks the pids limit refused, and the directories are removed.

Rootless (and as root where neither of the above works, e.g. in a container with its own cgroup namespace),
the per-run cgroups go under this process's own cgroup v2 (``/proc/self/cgroup`` under a cgroup2 mount) when
that is a subtree delegated to it: the systemd ``user@UID.service`` delegation (best a scope of its own:
``systemd-run --user --scope -p Delegate=yes ...``) or a container's writable cgroup namespace, i.e. it offers
memory in ``cgroup.controllers`` and this user may write it, its ``cgroup.subtree_control`` and
``cgroup.procs``. cgroup v2 lets a cgroup other than the root give controllers to its children only when it
holds no processes itself, so every process of that cgroup (this one included, as docker's dind entrypoint
does with its ``init`` leaf) is moved into the leaf ``<own>/octopack-engine``; the controllers are enabled in
``<own>`` and in ``<own>/octopack-exec``, whose children are the run cgroups, used as on the root path. A
process that finds itself in such a leaf already (started by one that set it up) uses the same parent.

When no memory cgroup is usable (rootless without a delegated subtree, read-only /sys/fs/cgroup),
``available()`` is False, ``why_not()`` says why, and the sandbox falls back to a watchdog in sandbox.py that
sums the resident memory of the run's process tree (warned about once); processes are then bounded by
RLIMIT_NPROC (per uid as root; per sample user namespace rootless).
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

PARENT = "octopack-exec"
LEAF = "octopack-engine"  # delegated subtree: where its own processes go (no internal processes)
CONTROLLERS = ("memory", "pids", "cpu", "io")
V1_NAMES = {"memory": "memory", "pids": "pids", "cpu": "cpu", "io": "blkio"}
V1_PROBES = {"memory": "memory.limit_in_bytes", "pids": "pids.max", "cpu": "cpu.cfs_quota_us",
             "io": "blkio.throttle.read_bps_device"}
CPU_PERIOD_US = 100_000
_lock = threading.Lock()
_counter = itertools.count()
_probed = False
_why_not = ""
PROC_CGROUP = "/proc/self/cgroup"
MOUNTINFO = "/proc/self/mountinfo"


@dataclass(frozen=True)
class Backend:
    kind: str                      # "v2" | "v1"
    parents: dict                  # controller -> parent dir (v2: the same dir for all)
    delegated: Optional[Path] = None  # v2 under this process's own (delegated) cgroup: that cgroup

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
            _enable(d, wanted)
        return Backend("v2", {c: parent for c in wanted})
    except OSError:
        return None


def _enable(d: Path, wanted: Sequence[str]) -> None:
    """Enable ``wanted`` controllers for the children of cgroup v2 dir ``d`` (those not enabled yet)."""
    have = (d / "cgroup.subtree_control").read_text().split()
    missing = [c for c in wanted if c not in have]
    if missing:
        (d / "cgroup.subtree_control").write_text(" ".join("+" + c for c in missing))


def _cgroup2_mounts(mountinfo: str) -> list[tuple[Path, str]]:
    """(mount point, the hierarchy's dir mounted there) of every cgroup2 mount in a mountinfo file."""
    out = []
    try:
        with open(mountinfo) as fh:
            for line in fh:
                fields, sep, rest = line.partition(" - ")
                f = fields.split()
                if sep and rest.split()[:1] == ["cgroup2"] and len(f) >= 5:
                    out.append((Path(_unescape(f[4])), _unescape(f[3])))
    except OSError:
        pass
    return out


def _unescape(field: str) -> str:
    """A mountinfo path: space, tab, newline and backslash are written as octal escapes (``\\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def own_v2_cgroup(proc_cgroup: str, mounts: Sequence[tuple[Path, str]]) -> Optional[Path]:
    """The dir of this process's cgroup v2 (the ``0::PATH`` line of /proc/self/cgroup, ``proc_cgroup``)
    under a cgroup2 mount that shows it (``mounts``: ``_cgroup2_mounts``); None when there is none."""
    rel = next((line[3:].strip() for line in proc_cgroup.splitlines() if line.startswith("0::")), None)
    if not rel or ".." in rel.split("/"):  # none, or outside this cgroup namespace
        return None
    for mnt, root in mounts:
        if rel == root or rel.startswith(root.rstrip("/") + "/"):
            return mnt / rel[len(root):].lstrip("/")
    return None


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def _try_delegated(own: Path) -> tuple[Optional[Backend], str]:
    """Per-run cgroups under ``own``, this process's cgroup v2, when it is a subtree delegated to this user
    (see the module's doc); returns the backend, or None and why not."""
    if own.name == LEAF and (own.parent / PARENT).is_dir():
        own = own.parent  # a process started by one that set ``own`` up: the same parent
    try:
        offered = (own / "cgroup.controllers").read_text().split()
    except OSError as e:
        return None, f"this process's cgroup {own} cannot be read ({e.strerror})"
    if "memory" not in offered:
        return None, (f"this process's cgroup {own} offers no memory controller (offered: "
                      f"{' '.join(offered) or 'none'})")
    files = (own, own / "cgroup.subtree_control", own / "cgroup.procs")
    if not all(_writable(f) for f in files):
        return None, f"this process's cgroup {own} is not writable by this user"
    wanted = [c for c in CONTROLLERS if c in offered]
    try:
        (own / LEAF).mkdir(exist_ok=True)
        _vacate(own, wanted)
        parent = own / PARENT
        parent.mkdir(exist_ok=True)
        _enable(parent, wanted)
    except OSError as e:
        return None, f"setting up the delegated cgroup {own} failed: {e}"
    return Backend("v2", {c: parent for c in wanted}, delegated=own), ""


def _vacate(own: Path, wanted: Sequence[str], tries: int = 5) -> None:
    """Move every process of ``own`` into its leaf and enable ``wanted`` for own's children. A process
    that arrives in between (a fork) makes the kernel refuse that (EBUSY): moved as well, and tried again."""
    for attempt in range(tries):
        for pid in (own / "cgroup.procs").read_text().split():
            try:
                with open(own / LEAF / "cgroup.procs", "a") as fh:
                    fh.write(pid + "\n")
            except ProcessLookupError:
                pass  # it exited meanwhile
        try:
            _enable(own, wanted)
            return
        except OSError as e:
            if e.errno != errno.EBUSY or attempt == tries - 1:
                raise


def _probe_delegated() -> tuple[Optional[Backend], str]:
    try:
        text = Path(PROC_CGROUP).read_text()
    except OSError as e:
        return None, f"{PROC_CGROUP} cannot be read ({e.strerror})"
    own = own_v2_cgroup(text, _cgroup2_mounts(MOUNTINFO))
    if own is None:
        return None, "this process is in no cgroup v2 mounted here (per-sample cgroups without root need cgroup v2)"
    return _try_delegated(own)


def _try_v1(mounts) -> Optional[Backend]:
    parents = {}
    for c in CONTROLLERS:
        for mnt, fstype, opts in mounts:
            if fstype == "cgroup" and V1_NAMES[c] in opts.split(","):
                try:
                    parent = Path(mnt) / PARENT
                    parent.mkdir(exist_ok=True)
                    if (parent / V1_PROBES[c]).exists():
                        parents[c] = parent
                except OSError:
                    pass
                break
    return Backend("v1", parents) if "memory" in parents else None


def _probe() -> Optional[Backend]:
    global _why_not
    if os.geteuid() == 0:
        mounts = _mounts()
        for mnt, fstype, _opts in mounts:
            if fstype == "cgroup2":
                b = _try_v2(Path(mnt))
                if b is not None:
                    return b
        b = _try_v1(mounts)
        if b is not None:
            return b
    b, _why_not = _probe_delegated()
    if b is not None:
        import logging

        logging.getLogger(__name__).info("cgroup v2: per-sample cgroups under the delegated %s/%s (this "
                                         "process moved into %s/%s)", b.delegated, PARENT, b.delegated, LEAF)
    return b


def backend() -> Optional[Backend]:
    global _backend, _probed
    with _lock:
        if not _probed:
            _backend = _probe()
            _probed = True
            if _backend is not None:
                _warn_missing(_backend)
        return _backend


def why_not() -> str:
    """Why no memory cgroup is usable (after ``backend()`` found none): what the delegated path saw."""
    return "" if backend() is not None else _why_not


_warned: set[str] = set()


def _warn_once(key: str, msg: str, *args) -> None:
    if key not in _warned:
        _warned.add(key)
        import logging

        logging.getLogger(__name__).warning(msg, *args)


def _warn_missing(b: Backend) -> None:
    missing = [c for c in CONTROLLERS if c not in b.parents]
    if missing:
        import logging

        names = ", ".join(c if b.kind == "v2" else f"{c} ({V1_NAMES[c]})" for c in missing)
        logging.getLogger(__name__).warning(
            "cgroup %s: controller(s) %s not available, so those per-sample limits are not applied; the "
            "others (%s) are", b.kind, names, ", ".join(b.controllers))


def available() -> bool:
    return backend() is not None


@dataclass(frozen=True)
class IoLimit:
    """Block I/O of one run, per disk (None: that one is not limited)."""

    read_bps: Optional[int] = None
    write_bps: Optional[int] = None
    read_iops: Optional[int] = None
    write_iops: Optional[int] = None

    def any(self) -> bool:
        return any(v is not None for v in (self.read_bps, self.write_bps, self.read_iops, self.write_iops))


_devices: Optional[tuple[str, ...]] = None


def block_devices() -> tuple[str, ...]:
    """``MAJ:MIN`` of every whole disk behind a block-device file system mounted on the host (a partition
    is mapped to its disk: throttle rules are per disk). Everything a sample can read from disk is on one
    of them (its root is a tmpfs, its writable places are tmpfs). Computed once per process."""
    global _devices
    if _devices is None:
        found: list[str] = []
        try:
            with open("/proc/self/mountinfo") as fh:
                devs = [line.split()[2] for line in fh if len(line.split()) > 2]
        except OSError:
            devs = []
        for dev in devs:
            disk = _whole_disk(dev)
            if disk and disk not in found:
                found.append(disk)
        _devices = tuple(found)
    return _devices


def _whole_disk(dev: str) -> Optional[str]:
    if dev.startswith("0:"):
        return None  # tmpfs, overlay, proc, ...: no block device
    sysdir = Path("/sys/dev/block") / dev
    try:
        if (sysdir / "partition").exists():
            return (sysdir.resolve().parent / "dev").read_text().strip()
        return dev if sysdir.exists() else None
    except OSError:
        return None


def _v1_io_lines(dev: str, io: IoLimit) -> list[tuple[str, str]]:
    pairs = [("blkio.throttle.read_bps_device", io.read_bps), ("blkio.throttle.write_bps_device", io.write_bps),
             ("blkio.throttle.read_iops_device", io.read_iops), ("blkio.throttle.write_iops_device", io.write_iops)]
    return [(f, f"{dev} {int(v)}") for f, v in pairs if v is not None]


def _v2_io_line(dev: str, io: IoLimit) -> str:
    keys = (("rbps", io.read_bps), ("wbps", io.write_bps), ("riops", io.read_iops), ("wiops", io.write_iops))
    return " ".join([dev] + [f"{k}={int(v)}" for k, v in keys if v is not None])


def apply_io(kind: str, path: Path, io: IoLimit, devices: Sequence[str]) -> list[str]:
    """Write the I/O limits of one run's cgroup for each disk; returns the disks they were applied to (a
    disk the kernel refuses, e.g. one without a request queue, is skipped)."""
    done = []
    for dev in devices:
        try:
            if kind == "v2":
                (path / "io.max").write_text(_v2_io_line(dev, io))
            else:
                for name, line in _v1_io_lines(dev, io):
                    (path / name).write_text(line)
            done.append(dev)
        except OSError:
            continue
    return done


def apply_limits(kind: str, paths: dict, limit_bytes: int, pids_max: Optional[int] = None,
                 cpus: Optional[float] = None, io: Optional[IoLimit] = None,
                 devices: Sequence[str] = ()) -> list[str]:
    """Write one run's limits into its cgroup dirs (``paths``: controller -> dir, the same dir for every
    controller in v2). Returns the disks the I/O limit was applied to."""
    mem = paths["memory"]
    if kind == "v2":
        (mem / "memory.max").write_text(str(limit_bytes))
        _write_if_exists(mem / "memory.swap.max", "0")
    else:
        (mem / "memory.limit_in_bytes").write_text(str(limit_bytes))
        # With swap accounting, memory+swap gets the same limit: no escape into swap.
        _write_if_exists(mem / "memory.memsw.limit_in_bytes", str(limit_bytes))
    if pids_max is not None and "pids" in paths:
        (paths["pids"] / "pids.max").write_text(str(int(pids_max)))
    if cpus is not None and "cpu" in paths:
        quota = max(1000, int(cpus * CPU_PERIOD_US))
        if kind == "v2":
            (paths["cpu"] / "cpu.max").write_text(f"{quota} {CPU_PERIOD_US}")
        else:
            (paths["cpu"] / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (paths["cpu"] / "cpu.cfs_quota_us").write_text(str(quota))
    if io is not None and io.any() and "io" in paths:
        return apply_io(kind, paths["io"], io, devices)
    return []


class RunCgroup:
    """One run's cgroups. ``procs_files`` go to octobox --cgroup; call ``close()`` after the run.
    ``pids_max`` / ``cpus`` / ``io`` are applied where the controller is available (None: not limited);
    ``io_devices`` are the disks the I/O limit was written for."""

    def __init__(self, limit_bytes: int, pids_max: Optional[int] = None, cpus: Optional[float] = None,
                 io: Optional[IoLimit] = None, backend_: Optional[Backend] = None):
        b = backend_ or backend()
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
            devices = block_devices() if io is not None and io.any() and "io" in self.paths else ()
            self.io_devices = apply_limits(self.kind, self.paths, limit_bytes, pids_max, cpus, io, devices)
            if devices and not self.io_devices:
                _warn_once("io", "cgroup io: no disk accepted the per-sample I/O limit (%s); block I/O is not "
                           "limited, the other limits are", " ".join(devices))
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

    _base = (0, 0)  # the counters when this run began (a reused cgroup: see SlotCgroup)

    def _counters(self) -> tuple[int, int]:
        return (self._event("memory", "memory.events" if self.kind == "v2" else "memory.oom_control", "oom_kill"),
                self._event("pids", "pids.events", "max"))

    def oom_kills(self) -> int:
        """How many processes the OOM killer killed in this cgroup during this run (the limit was reached)."""
        return self._counters()[0] - self._base[0]

    def pids_refused(self) -> int:
        """How many forks/clones the pids limit refused during this run."""
        return self._counters()[1] - self._base[1]

    def empty(self) -> bool:
        """No process in any of its cgroups (False when one cannot be read, e.g. removed)."""
        try:
            return all(not Path(f).read_text().strip() for f in self.procs_files)
        except OSError:
            return False

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


class SlotCgroup:
    """The run cgroups of one worker slot, reused for that slot's consecutive runs (one at a time): making,
    limiting and removing four cgroups per run (and the kernel's work behind each new and each removed
    memory cgroup) is saved. Before each run the cgroups must hold no process at all (a run's processes are
    gone when its octobox has exited: it waits until its pid namespace is empty), else they are removed
    and fresh ones made; the limits are written again whenever they differ from the last run's; the
    counters (OOM kills, refused forks) are read as differences from the run's start. What a reused memory
    cgroup still has charged from earlier runs is page cache, which the kernel reclaims before it would
    OOM-kill anything (a run's tmpfs layers are freed with its mount namespace). ``close()`` removes them."""

    def __init__(self) -> None:
        self.cg: Optional[RunCgroup] = None
        self._key: Optional[tuple] = None
        self._lock = threading.Lock()

    def acquire(self, limit_bytes: int, pids_max: Optional[int] = None, cpus: Optional[float] = None,
                io: Optional[IoLimit] = None) -> RunCgroup:
        with self._lock:
            key = (limit_bytes, pids_max, cpus, io)
            cg = self.cg
            if cg is not None and not cg.empty():
                cg.close()
                cg = self.cg = None
            if cg is None:
                cg = self.cg = RunCgroup(limit_bytes, pids_max, cpus, io)
            elif key != self._key:
                devices = block_devices() if io is not None and io.any() and "io" in cg.paths else ()
                try:
                    cg.io_devices = apply_limits(cg.kind, cg.paths, limit_bytes, pids_max, cpus, io, devices)
                except OSError:
                    cg.close()
                    cg = self.cg = RunCgroup(limit_bytes, pids_max, cpus, io)
            self._key = key
            cg._base = cg._counters()
            return cg

    def release(self, cg: RunCgroup) -> None:
        """After the run: kept for the next one only when nothing is left in it."""
        with self._lock:
            if cg is not self.cg or not cg.empty():
                cg.close()
                if cg is self.cg:
                    self.cg = None

    def close(self) -> None:
        with self._lock:
            if self.cg is not None:
                self.cg.close()
                self.cg = None


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

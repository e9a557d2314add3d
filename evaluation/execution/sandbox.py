"""Run one command inside the octobox sandbox (octobox.c) with limits, a wall-clock timeout and capped output.

Isolation per call: new mount/pid/net/ipc/uts namespaces (and a user namespace when not root); a sealed
file system built from an allow-list only (SYSTEM_PATHS, the toolchain paths the runner names, the work dir
as an overlay on a size-capped tmpfs for runs; private tmpfs /tmp, /var/tmp, /dev/shm; /dev/null & co; a new
/proc); an unprivileged uid with no capabilities; rlimits on data memory, processes, file size, open files
and CPU; cgroups per run for memory, pids, CPU and block I/O of the whole tree. On timeout or too much output the outer
process is told to kill the namespace's init, and with it every process the program started.
"""

from __future__ import annotations

import hashlib
import logging
import os
import selectors
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

_SRC_NAME = "octobox.c"
SETUP_FAILED = 125


class SandboxError(RuntimeError):
    """The sandbox itself (or a toolchain it needs) is not usable; not a verdict about a sample."""


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 2048      # RLIMIT_DATA (private writable memory per process)
    processes: int = 256       # RLIMIT_NPROC for the sandbox uid (threads count)
    file_size_mb: int = 64     # RLIMIT_FSIZE
    open_files: int = 256      # RLIMIT_NOFILE
    cpu_s: Optional[int] = None  # RLIMIT_CPU per process; None = no CPU limit (the wall timeout remains)
    tmpfs_mb: int = 64         # size of each private tmpfs (/tmp, ...) and of the work dir's writable layer
    # Memory of the whole process tree (a cgroup per run; watchdog fallback); None = per-process limit only.
    tree_memory_mb: Optional[int] = None
    # Processes/threads of the whole tree (a pids cgroup per run) and CPU cores (cpu cgroup quota).
    tree_pids: Optional[int] = None
    cpus: Optional[float] = None
    # Block I/O of the whole tree per disk (the run's io/blkio cgroup): bytes/s and operations/s.
    io_read_bps: Optional[int] = None
    io_write_bps: Optional[int] = None
    io_iops: Optional[int] = None          # read and write operations per second, each


@dataclass
class Outcome:
    returncode: Optional[int]  # None when we killed it (timeout / output limit)
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False
    output_limited: bool = False
    completion: str = ""       # what the command wrote to fd 3 (the completion channel), capped
    memory_exceeded: bool = False  # the process tree went past Limits.tree_memory_mb (OOM kill / watchdog)
    pids_refused: int = 0          # forks the run's pids cgroup refused (its tree hit Limits.tree_pids)

    @property
    def signal(self) -> Optional[int]:
        rc = self.returncode
        return rc - 128 if rc is not None and 128 < rc < 160 else None


def _helper_source() -> bytes:
    # Through importlib.resources so it also works when the package ships as a zip (Spark addPyFile).
    from importlib import resources

    return resources.files("evaluation.execution").joinpath(_SRC_NAME).read_bytes()


def _helper_source_hash() -> str:
    return hashlib.sha256(_helper_source()).hexdigest()[:16]


def helper_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / "bin" / f"octobox-{_helper_source_hash()}"


def ensure_helper(cache_dir: Path) -> Path:
    """Compile octobox.c into the cache (once per source version) and return the binary's path."""
    out = helper_path(cache_dir)
    if out.exists():
        return out
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        raise SandboxError("no C compiler (gcc) to build the sandbox helper; run evaluation/setup_toolchains.sh")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
    src = out.with_name(f"{out.name}.tmp{os.getpid()}.c")
    src.write_bytes(_helper_source())
    try:
        r = subprocess.run([cc, "-O2", "-Wall", "-o", str(tmp), str(src)], capture_output=True, text=True)
    finally:
        src.unlink(missing_ok=True)
    if r.returncode != 0:
        raise SandboxError(f"building the sandbox helper failed:\n{r.stderr[-2000:]}")
    os.chmod(tmp, 0o755)
    os.replace(tmp, out)
    return out


# ------------------------------------------------------------------------------------------ privileges
MODE_ROOT = "root"              # namespaces + a per-worker uid (the evaluation runs as root)
MODE_USERNS = "userns"          # rootless: an unprivileged user namespace per command, same sealed view
MODE_UNSANDBOXED = "unsandboxed"  # explicitly asked for: rlimits only, no isolation at all

USERNS_HELP = (
    "unprivileged user namespaces are not allowed on this machine, so the execution sandbox cannot run "
    "without root; enable them (as root: `sysctl -w kernel.unprivileged_userns_clone=1` on Debian/Ubuntu "
    "kernels, `sysctl -w user.max_user_namespaces=15000` where it is 0, and on Ubuntu >= 23.10 "
    "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`; in a container: allow unshare/CLONE_NEWUSER "
    "in its seccomp profile), or run the evaluation as root, or set OCTOPACK_EXEC_UNSANDBOXED=1 "
    "(ExecConfig.unsandboxed=True) to run samples WITHOUT any sandbox (unsafe for untrusted code)"
)
UNSANDBOXED_WARNING = (
    "octopack execution: running samples UNSANDBOXED (OCTOPACK_EXEC_UNSANDBOXED / ExecConfig.unsandboxed): "
    "no namespaces, no sealed file system, no separate uid; a sample can read and write whatever this user "
    "can, reach the network and signal this user's processes. Only rlimits, timeouts and the output cap apply."
)
_userns_ok: Optional[bool] = None


def userns_allowed() -> bool:
    """Whether this (unprivileged) process may create a user namespace with mount/pid/net namespaces in it."""
    global _userns_ok
    if _userns_ok is None:
        import sys

        probe = ("import ctypes, os\n"
                 "libc = ctypes.CDLL(None, use_errno=True)\n"
                 # CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET
                 "os._exit(0 if libc.unshare(0x10000000 | 0x00020000 | 0x20000000 | 0x40000000) == 0 else 1)\n")
        try:
            r = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, timeout=30)
            _userns_ok = r.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _userns_ok = False
    return _userns_ok


def unsandboxed_requested(flag: bool = False) -> bool:
    return flag or os.environ.get("OCTOPACK_EXEC_UNSANDBOXED", "").strip() not in ("", "0")


def check_privileges(allow_unsandboxed: bool = False) -> str:
    """The sandbox mode this process can use: root, rootless (unprivileged user namespaces), or - only
    when explicitly asked for - unsandboxed (warned about by the caller on every run). Raises SandboxError
    with one line saying why and how to enable it otherwise."""
    if unsandboxed_requested(allow_unsandboxed):
        return MODE_UNSANDBOXED
    if os.geteuid() == 0:
        return MODE_ROOT
    if userns_allowed():
        return MODE_USERNS
    raise SandboxError(USERNS_HELP)


def rootless() -> bool:
    return os.geteuid() != 0


def chown(path: str | Path, uid: int, follow_symlinks: bool = True) -> None:
    """Give a file to a sandbox uid (root mode). Rootless, every sandbox uid is this user: nothing to do."""
    if os.geteuid() == 0:
        os.chown(path, uid, uid, follow_symlinks=follow_symlinks)


# ------------------------------------------------------------------------------------------ sealed view
# What every sandboxed command sees of the host besides its own work dir and the toolchain paths it is
# given: the system's programs and libraries (/usr, and /bin /lib... as the links or dirs they are), the
# dynamic loader's cache, the alternatives links (java, cc, ...), the JDK's config in /etc and OpenSSL's
# config file, the time zone link. Nothing else: no /etc/passwd, /home, /root, /run, /var, /work, /srv,
# /mnt, /opt, /sys, no source checkouts or data sets.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache",
                "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
                "/etc/ssl/openssl.cnf")
SYSTEM_GLOBS = ("/etc/java-*",)
# octobox mounts a fresh tmpfs on these inside the sandbox.
TMPFS_DIRS = ("/tmp", "/var/tmp", "/dev/shm")


def system_paths() -> list[str]:
    import glob

    out = [p for p in SYSTEM_PATHS if os.path.lexists(p)]
    for g in SYSTEM_GLOBS:
        out += sorted(glob.glob(g))
    return out


def _expand(path: str, links: dict[str, str], binds: set[str], depth: int = 0) -> None:
    """Record what makes ``path`` reachable at its own name: every symlink on the way (as a link to create)
    and the real file or directory at the end (to bind)."""
    if depth > 40 or not os.path.lexists(path):
        return
    parts = Path(os.path.abspath(path)).parts
    cur = "/"
    for i, comp in enumerate(parts[1:]):
        nxt = os.path.join(cur, comp)
        if os.path.islink(nxt):
            target = os.readlink(nxt)
            links[nxt] = target
            resolved = os.path.normpath(os.path.join(cur, target))
            _expand(os.path.join(resolved, *parts[i + 2:]), links, binds, depth + 1)
            return
        cur = nxt
    if cur != "/":
        binds.add(cur)


def _under(path: str, dirs) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


_ro_cache: dict[tuple[str, ...], tuple[dict[str, str], frozenset[str]]] = {}


def _ro_expansion(ro: tuple[str, ...]) -> tuple[dict[str, str], set[str]]:
    """Links and read-only binds for the system paths and ``ro`` (``_expand``), cached per process: the
    same toolchain paths come with every run, and walking them costs ~1-6 ms of this process's time per
    command. Cached only when every path exists (one made later must not be missed)."""
    hit = _ro_cache.get(ro)
    if hit is None:
        links: dict[str, str] = {}
        binds: set[str] = set()
        for p in [*system_paths(), *ro]:
            _expand(p, links, binds)
        hit = (links, frozenset(binds))
        if all(os.path.lexists(p) for p in ro):
            if len(_ro_cache) > 256:
                _ro_cache.clear()
            _ro_cache[ro] = hit
    return dict(hit[0]), set(hit[1])


def mount_plan(ro: Sequence[str | Path], rw: Sequence[str | Path] = (),
               work: Sequence[str | Path] = ()) -> list[tuple[str, str]]:
    """The sandbox's whole file system as (option, value) pairs for octobox, sorted by path so a directory
    comes before what is mounted inside it: ``--link PATH=TARGET`` for symlinks on the way to a needed path,
    ``--ro`` / ``--rw`` binds, ``--work`` (the work dir as an overlay with a tmpfs upper layer)."""
    links, ro_binds = _ro_expansion(tuple(str(x) for x in ro))
    rw_binds = {os.path.realpath(p) for p in rw}
    work_dirs = {os.path.realpath(p) for p in work}
    # A ro bind inside another ro bind is already there (binds are recursive).
    ro_binds = {p for p in ro_binds if not _under(os.path.dirname(p), ro_binds - {p}) and p not in rw_binds | work_dirs}
    entries = [(p, "--ro", p) for p in ro_binds]
    entries += [(p, "--rw", p) for p in rw_binds]
    entries += [(p, "--work", p) for p in work_dirs]
    mounted = ro_binds | rw_binds | work_dirs
    # Links inside a bound dir exist there already; links inside the private tmpfs dirs are not wanted.
    entries += [(l, "--link", f"{l}={t}") for l, t in links.items()
                if not _under(os.path.dirname(l), mounted) and l not in mounted]
    entries.sort(key=lambda e: (e[0].count("/"), e[0]))
    return [(opt, val) for _, opt, val in entries]


@dataclass
class SandboxSpec:
    """What one sandboxed command may see and use."""

    helper: Path
    uid: int
    workdir: Path                 # its work dir: bound writable (compiles) or as an overlay (runs)
    limits: Limits = field(default_factory=Limits)
    ro_paths: Sequence[str] = ()  # toolchain paths it needs besides SYSTEM_PATHS (bound read-only)
    rw_paths: Sequence[str] = ()  # extra writable paths (e.g. the Go build cache for the builder uid)
    env: Mapping[str, str] = field(default_factory=dict)
    # Give the command a pipe as fd 3 (its output comes back as Outcome.completion): the harness-appended
    # test code reports "all tests ran" there, apart from stdout/stderr, which the program controls.
    completion_fd: bool = False
    # The work dir as an overlay: the host dir read-only below, writes into a tmpfs of limits.tmpfs_mb
    # (a disk quota; nothing reaches the host). Runs use it; compiles write their outputs to the host dir.
    work_overlay: bool = False
    mode: str = ""                # MODE_*; "" = root when root, else rootless
    # A worker slot's cgroup.SlotCgroup: its run cgroups are reused for the slot's consecutive runs
    # (None: cgroups made for this run and removed after it).
    cgroup_slot: Optional[object] = None


def build_argv(spec: SandboxSpec, cmd: Sequence[str]) -> list[str]:
    lim = spec.limits
    mode = spec.mode or (MODE_ROOT if os.geteuid() == 0 else MODE_USERNS)
    argv = [
        str(spec.helper), "--uid", str(spec.uid), "--gid", str(spec.uid), "--chdir", str(spec.workdir),
        "--data", str(lim.memory_mb * 1024 * 1024), "--nproc", str(lim.processes),
        "--fsize", str(lim.file_size_mb * 1024 * 1024), "--nofile", str(lim.open_files),
        "--tmpfs-mb", str(lim.tmpfs_mb), "--work-mb", str(lim.tmpfs_mb),
    ]
    if lim.cpu_s:
        argv += ["--cpu", str(int(lim.cpu_s))]
    if mode == MODE_UNSANDBOXED:
        return argv + ["--unsandboxed", "1", "--", *cmd]
    if mode == MODE_USERNS:
        argv += ["--userns", "1"]
    ro = list(spec.ro_paths)
    if cmd and os.path.isabs(cmd[0]):
        ro.append(cmd[0])
    rw = list(spec.rw_paths)
    work = []
    (work if spec.work_overlay else rw).append(str(spec.workdir))
    for opt, val in mount_plan(ro, rw, work):
        argv += [opt, val]
    return argv + ["--", *cmd]


log = logging.getLogger(__name__)
_warned_no_cgroup = False


def _warn_no_cgroup(why: str = "") -> None:
    """The one warning about the watchdog fallback; ``why``: why no delegated cgroup v2 was usable."""
    global _warned_no_cgroup
    if not _warned_no_cgroup:
        _warned_no_cgroup = True
        log.warning("no usable memory cgroup (v2 or v1) under /sys/fs/cgroup%s: the per-sample memory limit over "
                    "all of a sample's processes is enforced by a watchdog polling their resident memory every "
                    "%.2f s (a fast allocation can overshoot between two polls); processes are bounded by "
                    "RLIMIT_NPROC only (per sample user namespace rootless, per worker uid as root), CPU by "
                    "RLIMIT_CPU only (no per-sample CPU quota), and block I/O not at all",
                    f" (no delegated cgroup v2 subtree: {why})" if why else "", WATCHDOG_INTERVAL_S)


WATCHDOG_INTERVAL_S = 0.05


def tree_rss_bytes(root_pid: int) -> int:
    """Memory of ``root_pid`` and all its descendants (a sandbox's outer helper: everything of the sample,
    including daemonised processes, which the namespace's init inherits): the sum of their proportional set
    sizes (Pss), so pages that forked children share copy-on-write are counted once, as a cgroup would."""
    total, todo, seen = 0, [root_pid], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        kids = _children(pid)
        if kids is None:
            return _tree_pss_by_scan(root_pid)
        todo += kids
        total += _pss_bytes(pid)
    return total


def _children(pid: int) -> Optional[list[int]]:
    """Children of every thread of ``pid`` (/proc/PID/task/TID/children); None where the kernel lacks it."""
    out: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out  # gone
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                out += [int(x) for x in fh.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended meanwhile
            return None
        except OSError:
            continue
    return out


def _tree_pss_by_scan(root_pid: int) -> int:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                text = fh.read()
        except OSError:
            continue
        fields = text[text.rfind(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(name))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        total += _pss_bytes(pid)
    return total


def _pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            text = fh.read()
        i = text.find(b"\nPss:")
        if i >= 0:
            return int(text[i:].split(b"\n", 2)[1].split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:  # no smaps_rollup (old kernel) or not readable: resident memory, shared pages counted per process
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _tree_limits(lim: Limits, argv: list[str], slot=None):
    """The run's cgroups (joined by octobox: ``--cgroup`` options put into ``argv``; ``slot``'s, reused, when
    given), or, where none can be made, the byte limit for the memory watchdog. Returns (RunCgroup or None,
    watchdog bytes or None)."""
    if not lim.tree_memory_mb:
        return None, None
    from evaluation.execution import cgroup

    limit = lim.tree_memory_mb * 1024 * 1024
    if not cgroup.available():
        _warn_no_cgroup(cgroup.why_not())
        return None, limit
    io = cgroup.IoLimit(read_bps=lim.io_read_bps, write_bps=lim.io_write_bps, read_iops=lim.io_iops,
                        write_iops=lim.io_iops)
    if slot is not None:
        cg = slot.acquire(limit, pids_max=lim.tree_pids, cpus=lim.cpus, io=io)
    else:
        cg = cgroup.RunCgroup(limit, pids_max=lim.tree_pids, cpus=lim.cpus, io=io)
    for f in cg.procs_files:
        argv[1:1] = ["--cgroup", f]
    return cg, None


def _release(cg, slot) -> None:
    """A run's cgroups after the run: back to the worker slot (kept only if empty), else removed."""
    if cg is None:
        return
    if slot is not None:
        slot.release(cg)
    else:
        cg.close()


def _kill_tree(proc: subprocess.Popen) -> None:
    # SIGTERM makes the outer helper SIGKILL the namespace's init and wait until the kernel has killed
    # every process in the pid namespace; only if that does not finish promptly, SIGKILL the outer (init
    # then dies through PDEATHSIG and takes the namespace with it, asynchronously).
    try:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class _Started:
    """A started run: the outer helper and what belongs to it until the run is over."""

    proc: subprocess.Popen
    status_r: int                  # the helper's private setup-error channel
    done_r: Optional[int]          # the completion channel (fd 3 of the command), when asked for
    cg: object                     # the run's cgroup.RunCgroup, or None
    watchdog_bytes: Optional[int]  # the watchdog's limit where no cgroup could be made
    t0: float


@dataclass
class _Capture:
    """What came back while the run went on, and why it was stopped (if it was)."""

    bufs: dict                     # stdout / stderr fd -> bytes read
    done: bytearray = field(default_factory=bytearray)
    total: int = 0
    timed_out: bool = False
    output_limited: bool = False
    memory_exceeded: bool = False


def _start(spec: SandboxSpec, cmd: Sequence[str], timeout_s: float, stdin_data: Optional[bytes]) -> _Started:
    """Start the outer helper for ``cmd`` with its setup-status pipe, the completion pipe when the spec asks
    for one and the run's cgroups (or the watchdog's byte limit); ``stdin_data`` is written and stdin closed."""
    status_r, status_w = os.pipe()
    pass_fds = [status_w]
    done_r = None
    argv = build_argv(spec, cmd)
    # --wall: the helper's own hard limit, a little after ours, in case this process cannot enforce it.
    argv[1:1] = ["--status-fd", str(status_w), "--wall", str(int(timeout_s) + 10)]
    if spec.completion_fd:
        done_r, done_w = os.pipe()
        pass_fds.append(done_w)
        argv[1:1] = ["--pass-fd", str(done_w)]
    cg, watchdog_bytes = _tree_limits(spec.limits, argv, spec.cgroup_slot)
    env = dict(spec.env)
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True, close_fds=True,
            pass_fds=tuple(pass_fds),
        )
    except BaseException:
        if done_r is not None:
            os.close(done_r)
        _release(cg, spec.cgroup_slot)
        raise
    finally:
        for fd in pass_fds:
            os.close(fd)
    if stdin_data is not None:
        try:
            proc.stdin.write(stdin_data)
        except BrokenPipeError:
            pass
        proc.stdin.close()
    return _Started(proc, status_r, done_r, cg, watchdog_bytes, t0)


def _take(cap: _Capture, fd: int, done_r: Optional[int], max_output_bytes: int) -> bool:
    """Read one chunk of ``fd`` into ``cap`` (setting ``output_limited`` past the cap); False at its end."""
    chunk = os.read(fd, 65536)
    if not chunk:
        return False
    if fd == done_r:
        # Not program output: kept apart, capped, and not counted against the output limit.
        if len(cap.done) < 4096:
            cap.done += chunk[:4096 - len(cap.done)]
        return True
    cap.total += len(chunk)
    cap.bufs[fd] += chunk
    if cap.total > max_output_bytes:
        cap.output_limited = True
    return True


def _pump(st: _Started, timeout_s: float, max_output_bytes: int) -> _Capture:
    """Collect the run's output until the helper has exited and its streams are closed, or until the
    timeout, the output cap or the watchdog's memory limit stops it (the flags of the result)."""
    proc, done_r, watchdog_bytes = st.proc, st.done_r, st.watchdog_bytes
    cap = _Capture({proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()})
    next_check = st.t0
    deadline = st.t0 + timeout_s
    # A pidfd wakes the loop the moment the helper exits (Popen.wait(timeout) would poll with sleeps).
    pidfd = os.pidfd_open(proc.pid)
    exited = False
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            sel.register(proc.stderr, selectors.EVENT_READ)
            sel.register(pidfd, selectors.EVENT_READ)
            open_streams = 2
            if done_r is not None:
                sel.register(done_r, selectors.EVENT_READ)
                open_streams += 1
            while open_streams or not exited:
                left = deadline - time.monotonic()
                if left <= 0:
                    cap.timed_out = True
                    break
                if watchdog_bytes is not None and time.monotonic() >= next_check:
                    next_check = time.monotonic() + WATCHDOG_INTERVAL_S
                    if tree_rss_bytes(proc.pid) > watchdog_bytes:
                        cap.memory_exceeded = True
                        break
                wait = min(left, 1.0) if watchdog_bytes is None else min(left, WATCHDOG_INTERVAL_S)
                for key, _ in sel.select(timeout=wait):
                    if key.fd == pidfd:
                        exited = True
                        sel.unregister(pidfd)
                        continue
                    if not _take(cap, key.fd, done_r, max_output_bytes):
                        sel.unregister(key.fileobj)
                        open_streams -= 1
                    if cap.output_limited:
                        break
                if cap.output_limited:
                    break
    finally:
        os.close(pidfd)
        if done_r is not None:
            os.close(done_r)
    return cap


def _stop(proc: subprocess.Popen, cap: _Capture, unsandboxed: bool) -> None:
    """Kill what is left of a run that was stopped early (sandboxed: the helper's pid namespace) and, for
    an unsandboxed run, the program's process group in any case."""
    if (cap.timed_out or cap.output_limited or cap.memory_exceeded) and not unsandboxed:
        _kill_tree(proc)
    if unsandboxed:
        # No pid namespace: the program's process group (it shares the helper's) is all there is to kill.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run(spec: SandboxSpec, cmd: Sequence[str], timeout_s: float, max_output_bytes: int,
        stdin_data: Optional[bytes] = None) -> Outcome:
    """Run ``cmd`` in the sandbox. Raises SandboxError when the sandbox could not be set up."""
    st = _start(spec, cmd, timeout_s, stdin_data)
    cap = _pump(st, timeout_s, max_output_bytes)
    proc = st.proc
    _stop(proc, cap, spec.mode == MODE_UNSANDBOXED)
    rc = proc.wait()
    duration = time.monotonic() - st.t0
    memory_exceeded, pids_refused = cap.memory_exceeded, 0
    if st.cg is not None:
        memory_exceeded = st.cg.oom_kills() > 0
        pids_refused = st.cg.pids_refused()
        _release(st.cg, spec.cgroup_slot)
    stdout = bytes(cap.bufs[proc.stdout.fileno()]).decode("utf-8", errors="replace")
    stderr = bytes(cap.bufs[proc.stderr.fileno()]).decode("utf-8", errors="replace")
    proc.stdout.close()
    proc.stderr.close()
    with os.fdopen(st.status_r, "rb") as fh:
        setup_error = fh.read(4096).decode("utf-8", errors="replace").strip()
    if setup_error:
        raise SandboxError(f"sandbox setup failed: {setup_error}")
    stopped = cap.timed_out or cap.output_limited or memory_exceeded and st.watchdog_bytes
    return Outcome(
        returncode=None if stopped else rc, stdout=stdout, stderr=stderr,
        duration_s=duration, timed_out=cap.timed_out, output_limited=cap.output_limited,
        completion=bytes(cap.done).decode("utf-8", errors="replace"), memory_exceeded=memory_exceeded,
        pids_refused=pids_refused,
    )

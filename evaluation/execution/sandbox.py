"""Run one command inside the octobox sandbox (octobox.c) with limits, a wall-clock timeout and capped output.

Isolation per call: new mount/pid/net/ipc/uts namespaces; the whole file system read-only except the
sample's own work dir (and explicitly granted caches); private tmpfs on /tmp, /var/tmp, /dev/shm; /root and
/home hidden behind empty tmpfs (paths a toolchain needs from there are bound back read-only); an
unprivileged uid with no capabilities; rlimits on data memory, processes, file size, open files and CPU.
On timeout or too much output the outer process is SIGKILLed, which kills the namespace's init and with
it every process the program started.
"""

from __future__ import annotations

import hashlib
import logging
import os
import selectors
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

_SRC_NAME = "octobox.c"
SETUP_FAILED = 125
# Always hidden: other users' and root's files (credentials, ssh keys) are none of a sample's business.
DEFAULT_MASKS = ("/root", "/home")
# octobox mounts a fresh tmpfs on these, so anything a sample needs from under them (a checkout or venv
# in /tmp, as in CI) must be bound back like paths under a mask.
TMPFS_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


class SandboxError(RuntimeError):
    """The sandbox itself (or a toolchain it needs) is not usable; not a verdict about a sample."""


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 2048      # RLIMIT_DATA (private writable memory per process)
    processes: int = 256       # RLIMIT_NPROC for the sandbox uid (threads count)
    file_size_mb: int = 64     # RLIMIT_FSIZE
    open_files: int = 256      # RLIMIT_NOFILE
    cpu_s: Optional[int] = None  # RLIMIT_CPU per process; None = no CPU limit (the wall timeout remains)
    tmpfs_mb: int = 64         # size of each private tmpfs (/tmp, ...)
    # Memory of the whole process tree (a cgroup per run; watchdog fallback); None = per-process limit only.
    tree_memory_mb: Optional[int] = None


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


def check_privileges() -> None:
    if os.geteuid() != 0:
        raise SandboxError(
            "the execution sandbox needs root (or CAP_SYS_ADMIN) to create namespaces and switch to "
            "unprivileged per-sample uids; run the evaluation as root (e.g. in its container)"
        )


def _untraversable_ancestor(path: Path) -> Optional[Path]:
    """Topmost ancestor directory that 'other' users cannot enter (e.g. /root, mode 0700)."""
    parts = path.resolve().parts
    cur = Path("/")
    for p in parts[1:]:
        try:
            mode = cur.stat().st_mode
        except FileNotFoundError:
            return None
        if not mode & stat.S_IXOTH:
            return cur
        cur = cur / p
    return None


def sealed_paths() -> list[str]:
    """Host directories hidden from every sandboxed command besides DEFAULT_MASKS:

    - /run (and /var/run, a link to it): daemons' Unix sockets (dbus, docker, postgres...). A socket file on
      a read-only mount can still be connected to, and the sample's network namespace does not cover
      path-based Unix sockets, so they must not be visible at all;
    - this checkout (the repository the evaluation package runs from) and the HumanEvalPack data beside it
      ($OCTOPACK_HUMANEVALPACK_DIR, $OCTOPACK_SHARED_DIR, ../shared): the dataset has the canonical
      solutions and tests. Anything a toolchain needs from there (the venv) is bound back read-only."""
    out = ["/run"]
    here = Path(__file__).resolve()
    repo = here.parents[2] if len(here.parents) > 2 else None
    cands = []
    if repo is not None and (repo / ".git").exists() and (repo / "evaluation").is_dir():
        cands += [repo, repo.parent / "shared"]
    for var in ("OCTOPACK_HUMANEVALPACK_DIR", "OCTOPACK_SHARED_DIR"):
        if os.environ.get(var):
            cands.append(Path(os.environ[var]))
    for c in cands:
        try:
            c = c.resolve()
        except OSError:
            continue
        if c.is_dir() and str(c) != "/" and len(c.parts) > 2:  # never a top-level dir like /usr or /work
            out.append(str(c))
    return out


def mount_plan(ro: Sequence[str | Path], rw: Sequence[str | Path]) -> tuple[list[str], list[str], list[str]]:
    """(masks, ro binds, rw binds): paths under a hidden directory are bound back; others need no bind
    for reading (the whole tree is visible read-only) but rw paths always get a writable bind."""
    masks = {m for m in (*DEFAULT_MASKS, *sealed_paths()) if os.path.isdir(m)}
    for p in list(ro) + list(rw):
        a = _untraversable_ancestor(Path(p))
        if a is not None and str(a) != "/":
            masks.add(str(a))
    hidden = masks | {d for d in TMPFS_DIRS if os.path.isdir(d)}
    ro_binds = []
    for p in ro:
        rp = str(Path(p).resolve())
        if any(rp == m or rp.startswith(m.rstrip("/") + "/") for m in hidden):
            ro_binds.append(rp)
    rw_binds = [str(Path(p).resolve()) for p in rw]
    # Drop masks that contain nothing we need from them and lie under another mask.
    return sorted(masks), sorted(set(ro_binds)), sorted(set(rw_binds))


@dataclass
class SandboxSpec:
    """What one sandboxed command may see and use."""

    helper: Path
    uid: int
    workdir: Path                 # fresh directory, the only writable place besides rw_paths and tmpfs
    limits: Limits = field(default_factory=Limits)
    ro_paths: Sequence[str] = ()  # needed read-only paths (bound back if they live under a hidden dir)
    rw_paths: Sequence[str] = ()  # extra writable paths (e.g. the Go build cache for the builder uid)
    env: Mapping[str, str] = field(default_factory=dict)
    # Give the command a pipe as fd 3 (its output comes back as Outcome.completion): the harness-appended
    # test code reports "all tests ran" there, apart from stdout/stderr, which the program controls.
    completion_fd: bool = False


def build_argv(spec: SandboxSpec, cmd: Sequence[str]) -> list[str]:
    masks, ro_binds, rw_binds = mount_plan(spec.ro_paths, [spec.workdir, *spec.rw_paths])
    lim = spec.limits
    argv = [
        str(spec.helper), "--uid", str(spec.uid), "--gid", str(spec.uid), "--chdir", str(spec.workdir),
        "--data", str(lim.memory_mb * 1024 * 1024), "--nproc", str(lim.processes),
        "--fsize", str(lim.file_size_mb * 1024 * 1024), "--nofile", str(lim.open_files),
        "--tmpfs-mb", str(lim.tmpfs_mb),
    ]
    if lim.cpu_s:
        argv += ["--cpu", str(int(lim.cpu_s))]
    for m in masks:
        argv += ["--mask", m]
    for p in ro_binds:
        argv += ["--ro", p]
    for p in rw_binds:
        argv += ["--rw", p]
    return argv + ["--", *cmd]


log = logging.getLogger(__name__)
_warned_no_cgroup = False


def _warn_no_cgroup() -> None:
    global _warned_no_cgroup
    if not _warned_no_cgroup:
        _warned_no_cgroup = True
        log.warning("no usable memory cgroup (v2 or v1) under /sys/fs/cgroup: the per-sample memory limit over "
                    "all of a sample's processes is enforced by a watchdog polling their resident memory every "
                    "%.2f s (a fast allocation can overshoot between two polls)", WATCHDOG_INTERVAL_S)


WATCHDOG_INTERVAL_S = 0.05


def uid_rss_bytes(uid: int) -> int:
    """Resident memory of every process running as ``uid`` (the run's uid is its own: one per worker slot)."""
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                text = fh.read()
        except OSError:
            continue
        uid_line = text[text.find(b"\nUid:"):].split(b"\n", 2)[1]
        if int(uid_line.split()[1]) != uid:
            continue
        i = text.find(b"\nVmRSS:")
        if i >= 0:
            total += int(text[i:].split(b"\n", 2)[1].split()[1]) * 1024
    return total


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


def run(spec: SandboxSpec, cmd: Sequence[str], timeout_s: float, max_output_bytes: int,
        stdin_data: Optional[bytes] = None) -> Outcome:
    """Run ``cmd`` in the sandbox. Raises SandboxError when the sandbox could not be set up."""
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
    cg = None
    watchdog_bytes = None
    if spec.limits.tree_memory_mb:
        from evaluation.execution import cgroup

        limit = spec.limits.tree_memory_mb * 1024 * 1024
        if cgroup.available():
            cg = cgroup.MemoryCgroup(limit)
            argv[1:1] = ["--cgroup", cg.procs_file]
        else:
            _warn_no_cgroup()
            watchdog_bytes = limit
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
        if cg is not None:
            cg.close()
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
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    bufs = {out_fd: bytearray(), err_fd: bytearray()}
    done_buf = bytearray()
    total = 0
    timed_out = output_limited = memory_exceeded = False
    next_check = t0
    deadline = t0 + timeout_s
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
                    timed_out = True
                    break
                if watchdog_bytes is not None and time.monotonic() >= next_check:
                    next_check = time.monotonic() + WATCHDOG_INTERVAL_S
                    if uid_rss_bytes(spec.uid) > watchdog_bytes:
                        memory_exceeded = True
                        break
                wait = min(left, 1.0) if watchdog_bytes is None else min(left, WATCHDOG_INTERVAL_S)
                for key, _ in sel.select(timeout=wait):
                    if key.fd == pidfd:
                        exited = True
                        sel.unregister(pidfd)
                        continue
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        open_streams -= 1
                        continue
                    if key.fd == done_r:
                        # Not program output: kept apart, capped, and not counted against the output limit.
                        if len(done_buf) < 4096:
                            done_buf += chunk[:4096 - len(done_buf)]
                        continue
                    total += len(chunk)
                    bufs[key.fd] += chunk
                    if total > max_output_bytes:
                        output_limited = True
                        break
                if output_limited:
                    break
    finally:
        os.close(pidfd)
        if done_r is not None:
            os.close(done_r)
    if timed_out or output_limited or memory_exceeded:
        _kill_tree(proc)
    rc = proc.wait()
    duration = time.monotonic() - t0
    if cg is not None:
        memory_exceeded = cg.oom_kills() > 0
        cg.close()
    stdout = bytes(bufs[out_fd]).decode("utf-8", errors="replace")
    stderr = bytes(bufs[err_fd]).decode("utf-8", errors="replace")
    proc.stdout.close()
    proc.stderr.close()
    with os.fdopen(status_r, "rb") as fh:
        setup_error = fh.read(4096).decode("utf-8", errors="replace").strip()
    if setup_error:
        raise SandboxError(f"sandbox setup failed: {setup_error}")
    return Outcome(
        returncode=None if (timed_out or output_limited or memory_exceeded and watchdog_bytes) else rc, stdout=stdout, stderr=stderr,
        duration_s=duration, timed_out=timed_out, output_limited=output_limited,
        completion=bytes(done_buf).decode("utf-8", errors="replace"), memory_exceeded=memory_exceeded,
    )


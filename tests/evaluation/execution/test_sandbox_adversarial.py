"""The sandbox against hostile programs: each ends as a failed sample with the right status, and the host
is unaffected (no leftover processes, no files written outside, no connection made, host still works)."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from evaluation.execution import api, cgroup, engine, sandbox

pytestmark = pytest.mark.toolchain

CONFIG = api.ExecConfig(measure_reference=False, max_output_bytes=100_000, memory_limit_mb=512, max_processes=64)
# Every uid a sandbox of this config can get (builder + all slots of all processes).
UID_RANGE = range(CONFIG.uid_base, CONFIG.uid_base + 1 + 1000 * 128 + 128)
# Run as an unprivileged user (the CI's second pass): sandboxes are user namespaces of this user.
ROOTLESS = os.geteuid() != 0


def _ns_depth(status: str) -> int:
    line = next((l for l in status.splitlines() if l.startswith("NSpid:")), "NSpid:\t0")
    return len(line.split()) - 1


_OWN_DEPTH = _ns_depth(Path("/proc/self/status").read_text())


def sandbox_processes() -> list[str]:
    """Processes of a sample: as root, any process of a sandbox uid; rootless, any process of this user in
    a pid namespace below ours (the sample's host uid is ours there)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        uid = int(next(l for l in status.splitlines() if l.startswith("Uid:")).split()[1])
        if (uid in UID_RANGE) if not ROOTLESS else (uid == os.getuid() and _ns_depth(status) > _OWN_DEPTH):
            found.append(f"{d.name} uid={uid} {status.splitlines()[0]}")
    return found


def run_program(language: str, program: str, test: str = "", timeout_s: float = 3.0,
                config: api.ExecConfig = CONFIG, **fields) -> api.ExecResult:
    tid = {"python": "Python/0", "js": "JavaScript/0", "java": "Java/0", "cpp": "CPP/0", "go": "Go/0",
           "rust": "Rust/0"}[language]
    problem = {"task_id": tid, "prompt": "", "declaration": "", "canonical_solution": "", "buggy_solution": "",
               "entry_point": "f", "test": test, **fields}
    req = api.ExecRequest(language=language, task_id=tid, program=program)
    [res] = engine.run_with_timeouts([req], {tid: problem}, config, [timeout_s])
    return res


@pytest.fixture(autouse=True)
def no_leftovers():
    assert sandbox_processes() == []
    yield
    assert sandbox_processes() == [], "sandboxed processes survived their sample"


def test_fork_bomb_hits_the_process_limit_and_is_contained():
    before = len([p for p in os.listdir("/proc") if p.isdigit()])
    res = run_program("python", "import os\nwhile True:\n    os.fork()\n", timeout_s=10)
    assert not res.passed
    assert res.status == api.STATUS_RUNTIME_ERROR, res
    assert "Resource temporarily unavailable" in res.detail  # fork failed with EAGAIN: RLIMIT_NPROC held
    after = len([p for p in os.listdir("/proc") if p.isdigit()])
    assert after < before + 20  # the host's process table is back to normal
    assert os.system("true") == 0  # and the host can still fork


def test_fork_bomb_that_survives_fork_failures_is_killed_at_the_timeout():
    code = "import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        time.sleep(0.01)\n"
    t0 = time.monotonic()
    res = run_program("python", code, timeout_s=3)
    assert res.status == api.STATUS_TIMEOUT and not res.passed
    assert time.monotonic() - t0 < 15


def test_endless_output_is_cut_at_the_output_limit():
    res = run_program("python", "while True:\n    print('x' * 1000)\n", timeout_s=20)
    assert res.status == api.STATUS_OUTPUT_LIMIT and not res.passed
    assert res.duration_s < 10
    assert len(res.detail) <= CONFIG.detail_chars + 400


def test_sleeping_forever_times_out_at_the_sample_timeout():
    res = run_program("python", "import time\ntime.sleep(10**6)\n", timeout_s=2)
    assert res.status == api.STATUS_TIMEOUT and not res.passed
    assert 1.9 <= res.duration_s < 4.0


def test_timeout_kills_daemonised_grandchildren():
    code = ("import os, time\n"
            "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(1000)\n    os._exit(0)\n"
            "time.sleep(1000)\n")
    res = run_program("python", code, timeout_s=2)
    assert res.status == api.STATUS_TIMEOUT
    # no_leftovers checks that the grandchild (own session, reparented) is gone too


def test_background_process_of_a_passing_program_does_not_survive():
    code = "import subprocess\nsubprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
    res = run_program("python", code)
    assert res.status == api.STATUS_PASSED


def test_reading_stdin_gets_eof():
    res = run_program("python", "x = input()\n")
    assert res.status == api.STATUS_RUNTIME_ERROR and "EOFError" in res.detail
    res = run_program("python", "import sys\nassert sys.stdin.read() == ''\n")
    assert res.status == api.STATUS_PASSED


def test_writing_outside_its_folder_fails_and_leaves_the_host_untouched(tmp_path):
    repo_target = Path(__file__).resolve().parent / f"sandbox-escape-{os.getpid()}.txt"
    shared = tmp_path / "world-writable"
    shared.mkdir()
    os.chmod(shared, 0o777)
    host_tmp = Path("/tmp") / f"octopack-escape-{os.getpid()}"
    code = (
        "import os\nerrors = []\n"
        f"for target in [{str(repo_target)!r}, {str(shared / 'x')!r}, '/etc/octopack-escape', '/usr/bin/octopack-escape']:\n"
        "    try:\n        open(target, 'w').write('pwned')\n    except OSError as e:\n        errors.append(e.strerror)\n"
        # /tmp is private to the sample: writing there works but never reaches the host's /tmp.
        f"open({str(host_tmp)!r}, 'w').write('private')\n"
        "print(errors)\nassert len(errors) == 4, errors\n"
        "open('/root/x', 'w')\n"
    )
    res = run_program("python", code)
    assert res.status == api.STATUS_RUNTIME_ERROR and not res.passed
    # The checkout and the host's world-writable dir are not in the sample's file system at all (sealed
    # view); /etc is part of the sample's read-only root; /usr a read-only bind.
    assert "['No such file or directory', 'No such file or directory', 'Read-only file system', " \
           "'Read-only file system']" in res.detail, res.detail
    # (/root exists only where a toolchain path under it is bound, e.g. pyenv's Python, and read-only)
    assert ("No such file or directory: '/root/x'" in res.detail
            or "Read-only file system: '/root/x'" in res.detail), res.detail
    assert not repo_target.exists() and not (shared / "x").exists() and not host_tmp.exists()
    assert not Path("/etc/octopack-escape").exists() and not Path("/usr/bin/octopack-escape").exists()


def test_unprivileged_no_secrets_no_host_environment(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-for-test")
    code = ("import os\nassert os.getuid() != 0 and os.getgid() != 0\n"
            "assert 'AWS_SECRET_ACCESS_KEY' not in os.environ\n"
            "assert not os.path.exists('/root') or set(os.listdir('/root')) <= {'.pyenv'}\n"
            "assert not os.path.exists('/etc/shadow') and not os.path.exists('/etc/passwd')\n"
            "assert os.getpid() < 10  # own pid namespace\n")
    res = run_program("python", code)
    assert res.status == api.STATUS_PASSED, res.detail


def test_no_network_not_even_the_hosts_loopback():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(4)
    port = srv.getsockname()[1]
    accepted = []

    def accept():
        try:
            accepted.append(srv.accept())
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    code = ("import socket\nerrs = []\n"
            f"for addr in [('127.0.0.1', {port}), ('1.1.1.1', 80), ('8.8.8.8', 53)]:\n"
            "    try:\n        socket.create_connection(addr, timeout=2)\n    except OSError as e:\n        errs.append(str(e))\n"
            "print(errs)\nassert len(errs) == 3\n"
            "socket.create_connection(('1.1.1.1', 443), timeout=2)\n")
    res = run_program("python", code, timeout_s=10)
    t.join()
    srv.close()
    assert accepted == []  # nothing reached the host
    assert res.status == api.STATUS_RUNTIME_ERROR and not res.passed
    assert "Network is unreachable" in res.detail


def test_unbounded_memory_python():
    res = run_program("python", "x = []\nwhile True:\n    x.append(bytearray(10**7))\n", timeout_s=20)
    assert res.status == api.STATUS_MEMORY_LIMIT and not res.passed
    assert res.duration_s < 15


def test_unbounded_memory_cpp():
    prog = "#include<vector>\nint main(){ std::vector<char*> v; while (true) { char* p = new char[10000000]; p[0]=1; v.push_back(p);} }\n"
    res = run_program("cpp", prog, timeout_s=20)
    assert res.status == api.STATUS_MEMORY_LIMIT, res


def test_unbounded_memory_java():
    prog = ("import java.util.*;\npublic class Main { public static void main(String[] a) {\n"
            "  List<long[]> l = new ArrayList<>(); while (true) l.add(new long[1000000]); } }\n")
    res = run_program("java", prog, timeout_s=20)
    assert res.status == api.STATUS_MEMORY_LIMIT, res


def test_unbounded_memory_js():
    prog = "const a = []; while (true) { a.push(new Array(1000000).fill(1.5)); }\n"
    res = run_program("js", prog, timeout_s=30)
    assert res.status == api.STATUS_MEMORY_LIMIT, res


def test_huge_file_hits_the_file_size_limit():
    cfg = CONFIG.model_copy(update={"max_file_size_mb": 2})
    res = run_program("python", "with open('big', 'wb') as f:\n    f.write(b'x' * (5 * 2**20))\n", config=cfg)
    assert res.status == api.STATUS_FILE_SIZE_LIMIT and not res.passed


def test_a_sample_cannot_fake_a_sandbox_failure():
    # The helper reports its own setup errors on a private fd; a program printing the same text is a sample.
    res = run_program("python", "import sys\nsys.stderr.write('octobox: unshare failed\\n')\nsys.exit(125)\n")
    assert res.status == api.STATUS_RUNTIME_ERROR


def test_work_root_inside_a_private_directory(tmp_path):
    # pytest's tmp_path lives under 0700 directories in /tmp: the sandbox hides them behind a tmpfs and
    # binds only the sample's work dir back.
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "secret.txt").write_text("nope")
    cfg = CONFIG.model_copy(update={"work_root": str(private)})
    code = f"import os\nassert not os.path.exists({str(private / 'secret.txt')!r})\nprint(open('main.py').read()[:5])\n"
    res = run_program("python", code, config=cfg)
    assert res.status == api.STATUS_PASSED, res.detail


def test_killing_the_evaluating_process_takes_its_sandboxes_along(tmp_path):
    # A Spark task killed mid-run must not leave programs running: the helper dies with its caller.
    import signal
    import subprocess
    import sys

    # (work_root in tmp_path: the killed process cannot remove its work dir; pytest's tmp_path will.)
    script = tmp_path / "victim.py"
    script.write_text(
        "from evaluation.execution import api, engine\n"
        "p = {'task_id': 'Python/0', 'prompt': '', 'declaration': '', 'canonical_solution': '',\n"
        "     'buggy_solution': '', 'entry_point': 'f', 'test': ''}\n"
        "req = api.ExecRequest('python', 'Python/0', 'import time\\nprint(\"started\", flush=True)\\ntime.sleep(600)\\n')\n"
        f"cfg = api.ExecConfig(measure_reference=False, work_root={str(tmp_path)!r})\n"
        "engine.run_with_timeouts([req], {'Python/0': p}, cfg, [600])\n"
    )
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen([sys.executable, str(script)], cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    deadline = time.monotonic() + 30
    while not sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sandbox_processes(), "the sample never started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    # no_leftovers asserts that nothing of the sandbox is left; the killed evaluator's memory cgroup (it could
    # not remove it) is removed by the next run of any evaluator.
    if cgroup.available():
        assert any(n.startswith(f"run-{proc.pid}-") for n in _cgroup_runs_left())
    assert run_program("python", "x = 1\n").status == api.STATUS_PASSED
    assert not any(n.startswith(f"run-{proc.pid}-") for n in _cgroup_runs_left())


# ------------------------------------------------------------------------ memory over a whole process tree
FORKED_HOGS = """import os, time
pids = []
for _ in range(8):
    pid = os.fork()
    if pid == 0:
        block = b"x" * (200 * 1024 * 1024)  # written, so resident: 200 MB per child, under RLIMIT_DATA
        time.sleep(5)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
"""


def _cgroup_runs_left() -> list[str]:
    return cgroup.runs_left()


def test_forked_children_share_one_memory_limit():
    # 8 children x 200 MB = 1.6 GB; each alone is under the 256 MB per-process limit, together they are not.
    # As root this is the cgroup path (this machine offers one); rootless there is no cgroup to make, and
    # the watchdog over the sample's process tree gives the same verdict.
    assert cgroup.available() or ROOTLESS, "this machine offers a memory cgroup; the test checks the cgroup path"
    cfg = CONFIG.model_copy(update={"memory_limit_mb": 256})
    res = run_program("python", FORKED_HOGS, timeout_s=20, config=cfg)
    assert res.status == api.STATUS_MEMORY_LIMIT and not res.passed, res
    assert "exceeded the memory limit" in res.detail or ROOTLESS
    assert _cgroup_runs_left() == []
    # The host is fine: nothing of the sample is left (autouse fixture), its cgroup is gone, and it still
    # runs programs under the same limit.
    ok = run_program("python", "x = 1\n", config=cfg)
    assert ok.status == api.STATUS_PASSED, ok


def test_a_worker_reuses_its_run_cgroups_and_each_run_gets_its_own_verdict(monkeypatch):
    # One worker runs four samples in a row in the same (reused) run cgroups: the OOM kill of a memory hog
    # is that run's verdict only (counters are read per run), the sample after it passes under the same
    # limit, the second hog is caught again, and no cgroup is left when the call returns.
    if ROOTLESS or not cgroup.available():
        pytest.skip("per-sample cgroups need root here (no delegated cgroup v2 subtree)")
    made = []
    real = cgroup.RunCgroup.__init__

    def counting(self, *a, **k):
        made.append(1)
        real(self, *a, **k)

    monkeypatch.setattr(cgroup.RunCgroup, "__init__", counting)
    cfg = CONFIG.model_copy(update={"memory_limit_mb": 256, "workers": 1})
    tid = "Python/0"
    problem = {"task_id": tid, "prompt": "", "declaration": "", "canonical_solution": "", "buggy_solution": "",
               "entry_point": "f", "test": ""}
    progs = [FORKED_HOGS, "x = 1\n", FORKED_HOGS, "import os\nos.fork() or os._exit(0)\nx = 1\n"]
    reqs = [api.ExecRequest("python", tid, p, sample_id=i) for i, p in enumerate(progs)]
    res = engine.run_with_timeouts(reqs, {tid: problem}, cfg, [20.0] * len(reqs))
    assert [r.status for r in res] == [api.STATUS_MEMORY_LIMIT, api.STATUS_PASSED, api.STATUS_MEMORY_LIMIT,
                                       api.STATUS_PASSED], res
    assert len(made) == 1, "the worker's cgroups were made anew for a run"
    assert [n for n in _cgroup_runs_left() if n.startswith(f"run-{os.getpid()}-")] == []


def test_forked_children_share_one_memory_limit_without_cgroups(monkeypatch, caplog):
    # Where no cgroup can be made, a watchdog sums the resident memory of the run's process tree.
    monkeypatch.setattr(cgroup, "available", lambda: False)
    monkeypatch.setattr(sandbox, "_warned_no_cgroup", False)
    cfg = CONFIG.model_copy(update={"memory_limit_mb": 256})
    with caplog.at_level("WARNING", logger="evaluation.execution.sandbox"):
        res = run_program("python", FORKED_HOGS, timeout_s=20, config=cfg)
    assert res.status == api.STATUS_MEMORY_LIMIT and not res.passed, res
    assert res.duration_s < 10, res  # killed when over the limit, not at the end of the children's sleep
    assert "no usable memory cgroup" in caplog.text


def test_a_small_process_tree_under_the_limit_passes():
    prog = FORKED_HOGS.replace("range(8)", "range(2)").replace("200 * 1024", "40 * 1024")
    res = run_program("python", prog, timeout_s=20, config=CONFIG.model_copy(update={"memory_limit_mb": 256}))
    assert res.status == api.STATUS_PASSED, res



STAGGERED_HOGS = """import os, sys, time
for i in range(8):
    if os.fork() == 0:
        block = b"x" * (200 * 1024 * 1024)
        print("allocated", i, flush=True)
        time.sleep(20)
        os._exit(0)
    time.sleep(0.4)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
"""


def test_rootless_path_bounds_the_memory_of_the_whole_sample(tmp_path, monkeypatch, caplog):
    # The rootless sandbox (a user namespace; as root forced, with cgroups switched off, since an
    # unprivileged user cannot make any): 8 children of 200 MB each, one every 0.4 s, under a 256 MB limit
    # for the sample. The process-tree watchdog must kill the sample once the children together pass the
    # limit: memory_exceeded, killed long before the children's 20 s sleep, and never all 8 allocated.
    # The warning about the missing cgroup comes once, not per sample.
    if not ROOTLESS and not sandbox.userns_allowed():
        pytest.skip("user namespaces not allowed here")
    if not ROOTLESS:
        monkeypatch.setattr(cgroup, "available", lambda: False)
    assert not cgroup.available()
    monkeypatch.setattr(sandbox, "_warned_no_cgroup", False)
    import sys

    work = tmp_path / "work"
    work.mkdir()
    os.chmod(work, 0o777)
    limits = sandbox.Limits(memory_mb=256, processes=64, tree_memory_mb=256, tree_pids=64)
    spec = sandbox.SandboxSpec(helper=sandbox.ensure_helper(CONFIG.resolved_cache_dir()), uid=CONFIG.uid_base + 127,
                               workdir=work, limits=limits, ro_paths=[sys.prefix, sys.base_prefix],
                               env={"PATH": "/usr/bin:/bin", "HOME": str(work)}, work_overlay=True,
                               mode=sandbox.MODE_USERNS)
    with caplog.at_level("WARNING", logger="evaluation.execution.sandbox"):
        outs = [sandbox.run(spec, [sys.executable, "-I", "-c", STAGGERED_HOGS], timeout_s=30,
                            max_output_bytes=10_000) for _ in range(2)]
    for out in outs:
        assert out.memory_exceeded and out.returncode is None, out
        assert out.duration_s < 10, out
        assert out.stdout.count("allocated") < 8, out.stdout
    assert caplog.text.count("no usable memory cgroup") == 1, caplog.text
    # Through the engine the same overshoot is the sample's memory_limit verdict (classify.py).
    from evaluation.execution import classify

    status, _ = classify.classify_run("python", outs[0], timeout_s=30, max_output_bytes=10_000, detail_chars=500)
    assert status == api.STATUS_MEMORY_LIMIT

# ------------------------------------------------------------------------ what the sandbox can see of the host
def test_no_unix_sockets_no_run_no_checkout_no_dataset(humanevalpack_dir, tmp_path):
    # A daemon's socket in /run that anyone may connect to (a read-only mount does not stop connect(), and
    # the network namespace does not cover path-based Unix sockets): it must not be reachable. (Rootless,
    # /run is not writable for the test: the socket lives in a host dir of this user instead.)
    sock_path = f"/run/octopack-test-{os.getpid()}.sock" if not ROOTLESS else str(tmp_path / "daemon.sock")
    srv = socket.socket(socket.AF_UNIX)
    try:
        srv.bind(sock_path)
        os.chmod(sock_path, 0o777)
        srv.listen(1)
        repo = Path(__file__).resolve().parents[3]
        secrets = [str(repo / "evaluation" / "execution" / "engine.py"), str(repo / ".git" / "HEAD"),
                   str(Path(humanevalpack_dir) / "python.jsonl")]
        prog = (
            "import os, socket\n"
            "leaks = []\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            f"try:\n    s.connect({sock_path!r}); leaks.append('connected to the host socket')\n"
            "except OSError:\n    pass\n"
            "if os.path.isdir('/run') and os.listdir('/run'): leaks.append('/run: ' + ' '.join(os.listdir('/run')))\n"
            "if os.path.isdir('/var/run') and os.listdir('/var/run'): leaks.append('/var/run listed')\n"
            f"for p in {secrets!r}:\n"
            "    try:\n        open(p).read(10); leaks.append('read ' + p)\n    except OSError:\n        pass\n"
            "assert not leaks, leaks\n"
        )
        res = run_program("python", prog)
        assert res.status == api.STATUS_PASSED, res.detail
        # The same checks on the host see all of it (so the program above can tell).
        assert all(Path(p).exists() for p in secrets)
    finally:
        srv.close()
        os.unlink(sock_path)


# ------------------------------------------------------------------------ block I/O per sample (io / blkio cgroup)
def _big_file_on_disk(min_bytes: int = 16 << 20) -> str:
    """A large file under /usr (in every sandbox's allow-list) on a block device the I/O limit covers."""
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/bin"):
        try:
            files = sorted((f for f in Path(d).iterdir() if f.is_file() and not f.is_symlink()),
                           key=lambda f: f.stat().st_size, reverse=True)
        except OSError:
            continue
        if files and files[0].stat().st_size >= min_bytes:
            return str(files[0])
    pytest.skip("no file of 16 MB under /usr to read")


DIRECT_READER = """import mmap, os, time
fd = os.open({path!r}, os.O_RDONLY | os.O_DIRECT)  # O_DIRECT: every read goes to the disk, not the page cache
buf = mmap.mmap(-1, 1 << 20)
time.sleep(0.5)
t0 = time.monotonic()
n = 0
while n < {nbytes}:
    got = os.readv(fd, [buf])
    if not got:
        os.lseek(fd, 0, 0)
    n += got
print("read", n, "in", round(time.monotonic() - t0, 3))
"""


def _watch_io_cgroup(seen: dict, stop: threading.Event) -> None:
    """While the sample runs, read the limits of its blkio/io cgroup (the only run cgroup of this process)."""
    parent = cgroup.backend().parents["io"]
    name = "io.max" if cgroup.backend().kind == "v2" else "blkio.throttle.read_bps_device"
    while not stop.is_set() and "limit" not in seen:
        for run in cgroup.runs_left():
            try:
                procs = (parent / run / "cgroup.procs").read_text().split()
                if procs:
                    seen.update(limit=(parent / run / name).read_text(), procs=procs, run=run)
            except OSError:
                pass
        time.sleep(0.05)


@pytest.mark.skipif(ROOTLESS or not cgroup.available() or "io" not in cgroup.backend().controllers,
                    reason="per-sample I/O limits need root and a blkio (v1) or io (v2) cgroup controller")
def test_disk_reads_of_a_sample_are_throttled_by_its_io_cgroup():
    # A sample reading a toolchain file straight from the disk (O_DIRECT, so the page cache cannot help)
    # gets its own blkio/io cgroup with the configured per-disk rate: 6 MB at 2 MB/s take ~3 s. The limit
    # is read from the sample's cgroup while it runs; afterwards the cgroup is gone.
    devices = cgroup.block_devices()
    assert devices, "no block device behind the host's file systems"
    path, nbytes = _big_file_on_disk(), 6 << 20
    prog = DIRECT_READER.format(path=path, nbytes=nbytes)
    cfg = CONFIG.model_copy(update={"max_io_read_mbps": 2.0, "max_io_iops": 1000})
    seen: dict = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_io_cgroup, args=(seen, stop))
    watcher.start()
    try:
        res = run_program("python", prog, timeout_s=30, config=cfg)
    finally:
        stop.set()
        watcher.join()
    assert res.status == api.STATUS_PASSED, res
    assert "limit" in seen, "the sample's io cgroup was never seen with its processes in it"
    rate = 2 * 1024 * 1024
    for dev in devices:
        expect = f"{dev} rbps={rate}" if cgroup.backend().kind == "v2" else f"{dev} {rate}"
        assert expect in seen["limit"], seen
    assert _cgroup_runs_left() == [], "the run's cgroups were not removed"
    # Control: the same reads without an I/O limit are much faster, so the time above is the limit's.
    free = run_program("python", prog, timeout_s=30, config=CONFIG.model_copy(update={"max_io_read_mbps": None}))
    assert free.status == api.STATUS_PASSED, free
    assert _cgroup_runs_left() == []
    assert res.duration_s >= 2.5 and free.duration_s < res.duration_s / 2, (res.duration_s, free.duration_s)

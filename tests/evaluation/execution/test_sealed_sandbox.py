"""The sealed sandbox (issue 13): a sample sees only an allow-list of the host (system dirs, its toolchain,
its work dir), in every language and also at compile time; per-sample pids and CPU cgroups; rootless
operation and the explicit unsandboxed mode. Runs as root and as an unprivileged user (CI's second pass)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

from evaluation.execution import api, assemble, cgroup, engine, sandbox

pytestmark = pytest.mark.toolchain

CFG = api.ExecConfig(measure_reference=False, workers=1)
TASK = {"python": "Python/0", "js": "JavaScript/0", "java": "Java/0", "go": "Go/0", "cpp": "CPP/0", "rust": "Rust/0"}
REPO = Path(__file__).resolve().parents[3]
ROOTLESS = os.geteuid() != 0
SECRET = "octopack-planted-secret-7c1e"


@pytest.fixture(scope="module")
def planted(humanevalpack_dir):
    """Secret files in host places a sample must not see: this user's home, a folder under /work (or, where
    that is not writable, /var/tmp), beside /etc/passwd, the checkout and the dataset."""
    made = []
    for parent in (Path.home(), Path("/work"), Path("/var/tmp")):
        try:
            d = Path(tempfile.mkdtemp(prefix="octopack-secret-", dir=parent))
        except OSError:
            continue
        os.chmod(d, 0o755)
        f = d / "secret.txt"
        f.write_text(SECRET)
        os.chmod(f, 0o644)
        made.append(d)
    paths = [str(d / "secret.txt") for d in made] + [
        "/etc/passwd", "/etc/hostname", "/etc/shadow", str(REPO / "evaluation" / "execution" / "engine.py"),
        str(REPO / ".git" / "HEAD"), str(Path(humanevalpack_dir) / "python.jsonl")]
    on_host = [p for p in paths if os.path.exists(p)]
    assert len(made) >= 2 and "/etc/passwd" in on_host and len(on_host) >= 6, on_host
    yield on_host
    for d in made:
        (d / "secret.txt").unlink()
        d.rmdir()


def run(probs, language, programs):
    tid = TASK[language]
    reqs = [api.ExecRequest(language, tid, p, sample_id=i) for i, p in enumerate(programs)]
    return engine.run_with_timeouts(reqs, probs, CFG, [20.0] * len(reqs))


def first_statement(probs, language, statement):
    p = probs[TASK[language]]
    return p["prompt"] + statement + "\n" + p["canonical_solution"]


def _q(paths):
    return ", ".join(f'"{p}"' for p in paths)


def readers(probs, paths):
    """Per language: the task's canonical solution, first trying to read each path (and failing the sample
    if any read works)."""
    return {
        "python": first_statement(probs, "python", "    for _p in [%s]:\n"
                                  "        try:\n            open(_p, 'rb').read(); raise AssertionError('read ' + _p)\n"
                                  "        except OSError:\n            pass" % _q(paths)),
        "js": first_statement(probs, "js", "  for (const _p of [%s]) { let ok = false; try { "
                              "require('fs').readFileSync(_p); ok = true; } catch (e) {} "
                              "if (ok) throw new Error('read ' + _p); }" % _q(paths)),
        "java": first_statement(probs, "java", "        for (String _p : new String[]{%s}) { boolean ok = false; "
                                "try { java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(_p)); ok = true; } "
                                "catch (java.io.IOException e) {} if (ok) throw new RuntimeException(\"read \" + _p); }"
                                % _q(paths)),
        "go": 'import "os"\n' + first_statement(probs, "go", "    for _, _p := range []string{%s} { "
                                               "if _, e := os.ReadFile(_p); e == nil { panic(\"read \" + _p) } }"
                                               % _q(paths)),
        "cpp": "#include <fstream>\n#include <stdexcept>\n" + first_statement(
            probs, "cpp", "    for (const char* _p : {%s}) { std::ifstream _f(_p); "
                          "if (_f.good()) throw std::runtime_error(_p); }" % _q(paths)),
        "rust": first_statement(probs, "rust", "    for _p in [%s] { if std::fs::read(_p).is_ok() "
                                "{ panic!(\"read {}\", _p); } }" % _q(paths)),
    }


@pytest.mark.parametrize("language", api.LANGUAGES)
def test_no_language_can_read_host_files(probs, planted, language):
    progs = readers(probs, planted)
    # Control: the same code with a path that IS in the sandbox (the dynamic loader's cache) must fail, so a
    # pass above really means "could not read".
    control = readers(probs, ["/etc/ld.so.cache"])[language]
    res = run(probs, language, [progs[language], control, assemble.program_for(probs[TASK[language]])])
    got = [(r.status, r.detail[-300:]) for r in res]
    assert res[0].status == api.STATUS_PASSED, got
    assert not res[1].passed and "ld.so.cache" in res[1].detail, got
    assert res[2].passed, got
    assert all(SECRET not in r.detail for r in res)


def test_compile_steps_are_sealed_too(probs, planted):
    # The compilers run in the same sealed view: a program cannot pull a host file in at compile time.
    secret = planted[0]
    cpp = f'#include "{secret}"\n' + assemble.program_for(probs["CPP/0"])
    rust = (assemble.program_for(probs["Rust/0"])
            + f'\nconst OCTO_LEAK: &str = include_str!("{secret}");\n')
    [c] = run(probs, "cpp", [cpp])
    [r] = run(probs, "rust", [rust])
    assert c.status == api.STATUS_COMPILE_ERROR and "No such file or directory" in c.detail, c
    assert r.status == api.STATUS_COMPILE_ERROR and "No such file or directory" in r.detail, r
    assert SECRET not in c.detail + r.detail


def test_only_the_allow_list_is_visible(probs):
    # Walk everything the sample can see (besides /usr, /proc and the interpreter's own prefixes): only
    # its work dir, the private tmpfs dirs, the devices and the allow-listed /etc entries are there.
    prog = first_statement(probs, "python", '''    import os, sys
    skip = ("/usr", "/proc", sys.prefix, sys.base_prefix, os.getcwd())
    seen = []
    for root, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if not os.path.join(root, d).startswith(skip)]
        seen += [os.path.join(root, n) for n in files]
    top = sorted(n for n in os.listdir("/"))
    allowed_top = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc", "tmp", "var",
                   sys.prefix.split("/")[1], sys.base_prefix.split("/")[1], os.getcwd().split("/")[1]}
    assert set(top) <= allowed_top, top
    etc_ok = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/alternatives/", "/etc/java-", "/etc/ssl/openssl.cnf",
              "/etc/localtime")
    odd = [p for p in seen if not p.startswith(("/dev/",) + etc_ok)]
    assert not odd, odd[:20]
    assert os.listdir("/tmp") == [] or all(not p.startswith("/tmp/") for p in seen)''')
    [r] = run(probs, "python", [prog])
    assert r.status == api.STATUS_PASSED, r.detail


def test_work_dir_has_a_disk_quota_and_the_host_dir_is_untouched(probs):
    # 200 MB into the work dir (files of 8 MB each, under the per-file limit) with a 32 MB quota: ENOSPC.
    prog = first_statement(probs, "python", """    import os
    for i in range(25):
        with open(f"blob{i}", "wb") as f:
            f.write(b"x" * (8 << 20))""")
    cfg = CFG.model_copy(update={"work_tmpfs_mb": 32})
    reqs = [api.ExecRequest("python", "Python/0", prog)]
    [r] = engine.run_with_timeouts(reqs, probs, cfg, [20.0])
    assert r.status == api.STATUS_RUNTIME_ERROR and "No space left on device" in r.detail, r


# ------------------------------------------------------------------------ per-sample cgroups (root)
needs_cgroups = pytest.mark.skipif(ROOTLESS or not cgroup.available(),
                                   reason="per-sample pids/cpu cgroups need root and a cgroup hierarchy")


def _python_spec(tmp_path, limits):
    helper = sandbox.ensure_helper(CFG.resolved_cache_dir())
    work = tmp_path / "work"
    work.mkdir()
    os.chmod(work, 0o777)
    return sandbox.SandboxSpec(helper=helper, uid=CFG.uid_base + 127, workdir=work, limits=limits,
                               ro_paths=[sys.prefix, sys.base_prefix], env={"PATH": "/usr/bin:/bin", "HOME": str(work)},
                               work_overlay=True)


@needs_cgroups
def test_fork_bomb_is_bounded_by_the_pids_cgroup_not_only_rlimit(tmp_path):
    if "pids" not in cgroup.backend().controllers:
        pytest.skip("no pids controller")
    # RLIMIT_NPROC far above the pids cgroup's limit: only the cgroup can stop this tree at 32.
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = 100_000 if hard == resource.RLIM_INFINITY else min(hard, 100_000)
    assert nproc > 1000
    limits = sandbox.Limits(memory_mb=512, processes=nproc, tree_memory_mb=1024, tree_pids=32)
    bomb = ("import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(30)\n"
            "            os._exit(0)\n        n += 1\nexcept OSError as e:\n    print(n, e.strerror, flush=True)\n")
    out = sandbox.run(_python_spec(tmp_path, limits), [sys.executable, "-I", "-c", bomb], timeout_s=20,
                      max_output_bytes=10_000)
    n, _, err = out.stdout.strip().partition(" ")
    assert err == "Resource temporarily unavailable", out
    assert int(n) < 32 and out.pids_refused >= 1, out
    assert cgroup.runs_left() == []


@needs_cgroups
def test_cpu_quota_per_sample(tmp_path):
    if "cpu" not in cgroup.backend().controllers:
        pytest.skip("no cpu controller")
    # Two processes spinning for 1.5 s of wall time under a quarter of a core: together they get about
    # 0.4 s of CPU (without the quota up to 3 s on a free 2-core machine).
    spin = ("import os, time\nr, w = os.pipe()\npid = os.fork()\nend = time.monotonic() + 1.5\n"
            "while time.monotonic() < end:\n    pass\n"
            "if pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\nt = os.times()\n"
            "print(t.user + t.system + t.children_user + t.children_system)\n")
    limits = sandbox.Limits(memory_mb=512, processes=64, tree_memory_mb=512, tree_pids=64, cpus=0.25)
    t0 = time.monotonic()
    out = sandbox.run(_python_spec(tmp_path, limits), [sys.executable, "-I", "-c", spin], timeout_s=20,
                      max_output_bytes=10_000)
    wall = time.monotonic() - t0
    cpu = float(out.stdout.strip())
    assert out.returncode == 0, out
    assert cpu < 0.25 * wall * 1.6 + 0.1, (cpu, wall)


# ------------------------------------------------------------------------ modes: rootless, unsandboxed
def test_a_user_namespace_sandbox_gives_the_same_view(tmp_path):
    # The rootless path (what an unprivileged user gets); as root it can be forced for the same checks.
    if not ROOTLESS and not sandbox.userns_allowed():
        pytest.skip("user namespaces not allowed here")
    limits = sandbox.Limits(memory_mb=512, processes=64)
    spec = _python_spec(tmp_path, limits)
    spec.mode = sandbox.MODE_USERNS
    prog = ("import os\nassert os.getuid() == %d and os.getpid() < 10\n"
            "assert not os.path.exists('/etc/passwd') and not os.path.exists(%r)\n"
            "open('out.txt', 'w').write('x')\n"
            "st = open('/proc/self/status').read()\nassert 'CapEff:\\t0000000000000000' in st, st\n"
            "assert 'CapBnd:\\t0000000000000000' in st, st\nprint('ok')\n") % (spec.uid, str(REPO / "evaluation"))
    out = sandbox.run(spec, [sys.executable, "-I", "-c", prog], timeout_s=20, max_output_bytes=10_000)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out
    assert not (spec.workdir / "out.txt").exists()  # the overlay kept the host dir untouched


def test_without_root_or_user_namespaces_one_line_says_how_to_enable(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sandbox, "userns_allowed", lambda: False)
    monkeypatch.delenv("OCTOPACK_EXEC_UNSANDBOXED", raising=False)
    with pytest.raises(sandbox.SandboxError) as e:
        sandbox.check_privileges()
    msg = str(e.value)
    assert "\n" not in msg and "kernel.unprivileged_userns_clone" in msg and "user.max_user_namespaces" in msg
    assert "OCTOPACK_EXEC_UNSANDBOXED" in msg


def test_unsandboxed_needs_the_flag_and_warns_on_every_run(probs, capfd, monkeypatch):
    monkeypatch.setenv("OCTOPACK_EXEC_UNSANDBOXED", "1")
    for _ in range(2):
        [r] = run(probs, "python", [assemble.program_for(probs["Python/0"])])
        assert r.passed, r
        assert capfd.readouterr().err.count("running samples UNSANDBOXED") == 1
    monkeypatch.delenv("OCTOPACK_EXEC_UNSANDBOXED")
    [r] = run(probs, "python", [assemble.program_for(probs["Python/0"])])
    assert r.passed and "UNSANDBOXED" not in capfd.readouterr().err

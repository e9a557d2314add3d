"""The Java harness reopens /proc/self/fd/3 to write the completion marker. Run outside octobox (no pipe on
fd 3: a JVM often holds its own lib/modules there), it must leave whatever fd 3 is untouched. It once
truncated the JDK's lib/modules to the 18 bytes of a marker."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from evaluation.execution import assemble

pytestmark = pytest.mark.toolchain


def _build(probs, tmp_path):
    src = assemble.java_source(assemble.program_for(probs["Java/0"]), probs["Java/0"], done_token="t0k3n")
    (tmp_path / "Main.java").write_text(src)
    subprocess.run([shutil.which("javac"), "-d", str(tmp_path), str(tmp_path / "Main.java")], check=True,
                   capture_output=True)



def test_a_file_on_fd_3_is_left_untouched(probs, tmp_path):
    _build(probs, tmp_path)
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious" * 1000)
    # fd 3 is the file (opened by the shell): only the harness's own check protects it
    res = subprocess.run(
        ["bash", "-c", f'exec 3<>"{victim}"; exec "$@"', "_", shutil.which("java"), "-ea", "-cp",
         str(tmp_path), assemble.JAVA_CHECK_CLASS], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert victim.read_bytes() == b"precious" * 1000


def test_a_pipe_on_fd_3_gets_the_marker(probs, tmp_path):
    _build(probs, tmp_path)
    res = subprocess.run(
        ["bash", "-c", 'exec 3>&1; exec "$@"', "_", shutil.which("java"), "-ea", "-cp", str(tmp_path),
         assemble.JAVA_CHECK_CLASS], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "OCTOPACK_DONE t0k3n" in res.stdout

"""`octopack mine` progress: one carriage-return-updated line on a terminal's stderr with growing repo
counts; none with --quiet, none when stderr is not a terminal; stdout (the summary) never has it."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from tests.helpers.gitrepo import RepoBuilder
from tests.helpers.mine_cli import child_env, mine_cmd

pytestmark = pytest.mark.spark

N_REPOS = 4
SAME_ROWS = f"commits {3 * N_REPOS}, rows {3 * N_REPOS}, "  # one file changed by each of 3 commits per repo
# tqdm's line: "mine repos:  50%|#####     | 2/4 [00:03<00:03, ... commits=12, rows=24, rows/s=8, failed=0]"
LINE = re.compile(r"mine repos:[^\r\n]*?(\d+)/(\d+) \[[^\r\n]*?commits=([\d,]+), rows=([\d,]+)")


@pytest.fixture(scope="module")
def repos(tmp_path_factory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("progress-repos")
    paths = []
    for i in range(N_REPOS):
        b = RepoBuilder(str(root / f"r{i}"))
        for j in range(3):
            b.commit({f"m{i}.py": f"def f():\n    return {j}\n"}, f"Change value {j} in repo {i}")
        paths.append(str(root / f"r{i}"))
    return root, paths


def _cmd(repos: tuple[Path, list[str]], out: Path, *extra: str) -> list[str]:
    root, paths = repos
    # one repository per batch: each committed batch redraws the line with a higher count
    return mine_cmd(out, root, paths, "--no-spark-ui", *extra)


def _run_on_pty(cmd: list[str]) -> tuple[int, str, str]:
    """Run cmd with stderr on a pseudo-terminal (80x200) and stdout on a pipe; (rc, stdout, tty text)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 80, 200, 0, 0))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=child_env())
    os.close(slave)
    chunks, out = [], []
    fds = [master, proc.stdout.fileno()]
    while fds:
        for fd in select.select(fds, [], [], 1.0)[0]:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: every holder of the terminal's other end has closed it
                data = b""
            if not data:
                fds.remove(fd)
            (chunks if fd == master else out).append(data)
    os.close(master)
    rc = proc.wait(timeout=60)
    return rc, b"".join(out).decode(errors="replace"), b"".join(chunks).decode(errors="replace")


def _repo_counts(text: str) -> list[int]:
    """The done counts of the progress line, in the order it was drawn."""
    return [int(m.group(1)) for m in LINE.finditer(text)]


def test_mine_progress_line_updates_on_a_terminal(repos, tmp_path):
    rc, stdout, tty = _run_on_pty(_cmd(repos, tmp_path / "out"))
    assert rc == 0, tty[-3000:]
    counts = _repo_counts(tty)
    assert counts, tty[-3000:]
    assert "\r" in tty, "the line is redrawn in place with a carriage return"
    distinct = sorted(set(counts))
    assert len(distinct) >= 2 and counts == sorted(counts), counts  # at least two updates, never backwards
    assert counts[-1] == N_REPOS and all(int(m.group(2)) == N_REPOS for m in LINE.finditer(tty))
    last = list(LINE.finditer(tty))[-1]
    assert int(last.group(3).replace(",", "")) == 3 * N_REPOS  # commits of the finished run
    assert "mine repos" not in stdout and f"mined {N_REPOS} repositories" in stdout
    assert SAME_ROWS in stdout  # the counting tasks mine the same rows as without a line


def test_mine_quiet_prints_no_progress_on_a_terminal(repos, tmp_path):
    rc, stdout, tty = _run_on_pty(_cmd(repos, tmp_path / "out", "--quiet"))
    assert rc == 0, tty[-3000:]
    assert "mine repos" not in tty and "\r" not in tty.replace("\r\n", "\n"), tty[-3000:]
    assert f"mined {N_REPOS} repositories" in stdout


def test_mine_without_a_terminal_prints_no_progress(repos, tmp_path):
    p = subprocess.run(_cmd(repos, tmp_path / "out"), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env=child_env(), timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "mine repos" not in p.stderr and "\r" not in p.stderr, p.stderr[-3000:]
    assert f"mined {N_REPOS} repositories" in p.stdout and SAME_ROWS in p.stdout

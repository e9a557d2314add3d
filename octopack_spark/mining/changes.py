"""Which commits to mine and which files each one changed, read with git's own plumbing.

libgit2's tree-to-tree diff costs time in proportion to the size of the tree (about 11 ms a commit on a
40k-file Java tree), so a walk over a big repository was dominated by comparing unchanged files. `git
diff-tree` compares tree ids and descends only into subtrees that differ, so its cost follows the size
of the change. We stream `git diff-tree --stdin -r -z --raw -M` over the commit list and read the blobs
with pygit2: git decides *what* changed (paths as raw bytes, modes, blob ids, renames); pygit2 loads
contents and builds the patches.

Missing objects (partial clones, mirrors that lack a few large blobs) make rename detection die
("unable to read <blob>"); the commit it died on is listed again without rename detection, so every
commit keeps its rows and the blobs that are really missing become row-level skip reasons.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Sequence, Union

GIT = os.environ.get("OCTOPACK_GIT", "git")
_ZERO = "0" * 40


class GitCommandError(RuntimeError):
    """git itself failed (not a missing blob that a retry without renames can work around)."""


@dataclass(frozen=True)
class FileChange:
    status: str  # A, M, D, R (renamed), T (type changed), C (copied)
    old_mode: int
    new_mode: int
    old_id: Optional[str]  # blob id (hex); None for an added file
    new_id: Optional[str]  # None for a deleted file
    old_path: Optional[bytes]  # raw path bytes as stored in the tree; None for an added file
    new_path: Optional[bytes]


def git_base_args(git_dir: str) -> list[str]:
    # Plumbing only; `safe.directory` because executors may run as another user than the owner of a
    # local repository; replace refs would make rows depend on local configuration. `protocol.allow=never`:
    # a repository's own config is not trusted, and a promisor remote in it makes git fetch a missing
    # object on demand (lazy fetch), which runs `remote.<name>.uploadpack` as a shell command; with every
    # transport refused the read fails like any other missing object and nothing is run or contacted.
    # `core.fsmonitor=false`: in a repository with a work tree, rename detection reads the index, and
    # git ran the configured fsmonitor hook (a shell command from the repository's config) to refresh it.
    return [GIT, "-c", "safe.directory=*", "-c", "core.quotePath=false", "-c", "protocol.allow=never",
            "-c", "core.fsmonitor=false", "--no-replace-objects", f"--git-dir={git_dir}"]


def _git_env() -> dict:
    env = dict(os.environ)
    # GIT_NO_LAZY_FETCH (git >= 2.45) refuses lazy fetches too; protocol.allow=never covers older gits.
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_NO_LAZY_FETCH="1")
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    # No index at all: a name that does not exist reads as an empty index, so git never looks at the
    # repository's work tree or index (and nothing configured for them runs).
    env["GIT_INDEX_FILE"] = os.path.join(tempfile.gettempdir(), f"octopack-no-index-{uuid.uuid4().hex}")
    return env


def list_commits(
    git_dir: str,
    head: Union[str, Sequence[str]],
    exclude: Union[None, str, Sequence[str]] = None,
    since: Optional[float] = None,
    until: Optional[float] = None,
    max_commits: Optional[int] = None,
) -> tuple[list[str], int]:
    """(non-merge commits, merges skipped): commits reachable from `head` and not from `exclude` (each may
    be several commits: a fork network's heads, the heads mined before; mining/forks.py), newest
    first in git's default order (commit date; streamed, so `max_commits` stops the walk early instead
    of sorting the whole history); committer time filtered to [since, until]; at most `max_commits`.
    The same arguments give the same list, so index ranges of it can be mined by different tasks."""
    # `rev-list --timestamp --parents`, not `log --format=%H %ct %P`: log re-encodes a commit with an
    # `encoding` header (e.g. UTF-16) before formatting it, and the garbled header gave an empty %ct.
    # rev-list prints the committer time git parsed from the raw object; the order is the same walk.
    heads = [head] if isinstance(head, str) else list(head)
    excludes = [exclude] if isinstance(exclude, str) else list(exclude or ())
    cmd = git_base_args(git_dir) + ["rev-list", "--timestamp", "--parents", *heads]
    cmd += [f"^{x}" for x in excludes if x]
    cmd.append("--")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_git_env())
    err: list[bytes] = []
    drain = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    drain.start()
    out: list[str] = []
    merges = 0
    stopped = False
    for line in proc.stdout:
        parts = line.split()
        if not parts:
            continue
        if len(parts) > 3:
            merges += 1
            continue
        t = int(parts[0])
        if (since is not None and t < since) or (until is not None and t > until):
            continue
        out.append(parts[1].decode("ascii"))
        if max_commits is not None and len(out) >= max_commits:
            stopped = True
            break
    if stopped:
        proc.kill()
    proc.stdout.close()
    rc = proc.wait()
    drain.join()
    if rc != 0 and not stopped:
        raise GitCommandError(f"git rev-list failed: {b''.join(err).decode('utf-8', 'replace').strip()[:500]}")
    return out, merges


def _feed(proc: subprocess.Popen, shas: Sequence[str]) -> None:
    try:
        for i in range(0, len(shas), 1024):
            proc.stdin.write(("\n".join(shas[i:i + 1024]) + "\n").encode("ascii"))
        proc.stdin.close()
    except (BrokenPipeError, ValueError, OSError):  # git died; the reader sees the exit status
        pass


def _parse(stream, expected: Sequence[str]) -> Iterator[tuple[str, list[FileChange]]]:
    """Parse `diff-tree --stdin -z --raw --always` output: per commit `sha\\0` then entries
    `:omode nmode oid nid status\\0path\\0` (two paths for R/C). Yields a commit once complete."""
    buf = b""
    cur: Optional[str] = None
    changes: list[FileChange] = []
    meta: Optional[list[bytes]] = None
    paths: list[bytes] = []
    n_paths = 0
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        buf += chunk
        tokens = buf.split(b"\0")
        buf = tokens.pop()
        for tok in tokens:
            if meta is not None:
                paths.append(tok)
                if len(paths) == n_paths:
                    changes.append(_change(meta, paths))
                    meta, paths = None, []
                continue
            if tok.startswith(b":"):
                meta = tok[1:].split(b" ")
                n_paths = 2 if meta[4][:1] in (b"R", b"C") else 1
                continue
            tok = tok.strip(b"\n")
            if not tok:
                continue
            if cur is not None:
                yield cur, changes
            cur, changes = tok.decode("ascii"), []
    if cur is not None:
        yield cur, changes


def _change(meta: list[bytes], paths: list[bytes]) -> FileChange:
    omode, nmode, oid, nid, status = meta[0], meta[1], meta[2].decode(), meta[3].decode(), meta[4].decode()
    st = status[:1]
    if st in ("R", "C"):
        old_path, new_path = paths[0], paths[1]
    elif st == "A":
        old_path, new_path = None, paths[0]
    elif st == "D":
        old_path, new_path = paths[0], None
    else:
        old_path = new_path = paths[0]
    return FileChange(
        status=st,
        old_mode=int(omode, 8),
        new_mode=int(nmode, 8),
        old_id=None if old_path is None or oid.strip("0") == "" else oid,
        new_id=None if new_path is None or nid.strip("0") == "" else nid,
        old_path=old_path,
        new_path=new_path,
    )


def _run_diff_tree(git_dir: str, shas: Sequence[str], renames: bool):
    """Yields (sha, changes) for each commit git finished; returns (ok, stderr) via StopIteration."""
    cmd = git_base_args(git_dir) + ["diff-tree", "--stdin", "-r", "-z", "--raw", "--always", "--root",
                                    "--no-abbrev"]
    cmd += ["-M"] if renames else ["--no-renames"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_git_env(), bufsize=0)
    feeder = threading.Thread(target=_feed, args=(proc, list(shas)), daemon=True)
    feeder.start()
    err_chunks: list[bytes] = []
    drain = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)
    drain.start()
    try:
        yield from _parse(proc.stdout, shas)
    finally:
        proc.stdout.close()
        rc = proc.wait()
        feeder.join()
        drain.join()
    return rc == 0, b"".join(err_chunks).decode("utf-8", "replace").strip()


def commit_changes(
    git_dir: str, shas: Sequence[str], renames: bool = True
) -> Iterator[tuple[str, Optional[list[FileChange]], Optional[str]]]:
    """(sha, changes, note) for every commit of `shas`, in order. `note` is None, or says why rename
    detection was off for that commit ("renames_unavailable: ..."); `changes` is None when git cannot
    list the commit at all (then `note` holds git's message)."""
    pos = 0
    shas = list(shas)
    while pos < len(shas):
        gen = _run_diff_tree(git_dir, shas[pos:], renames)
        seen = 0
        try:
            while True:
                sha, changes = next(gen)
                if sha != shas[pos + seen]:
                    raise GitCommandError(f"git diff-tree answered {sha} where {shas[pos + seen]} was expected")
                seen += 1
                yield sha, changes, None
        except StopIteration as stop:
            ok, err = stop.value
        pos += seen
        if ok:
            if pos != len(shas):
                raise GitCommandError(f"git diff-tree stopped after {pos} of {len(shas)} commits")
            return
        if pos >= len(shas):
            return
        # git died on shas[pos] (typically a blob that rename detection needed is missing): list that
        # commit alone without rename detection, then go on with the rest.
        failed = shas[pos]
        if renames:
            retry = list(_run_single(git_dir, failed))
            if retry and retry[0][1] is not None:
                yield failed, retry[0][1], f"renames_unavailable: {err[:300]}"
                pos += 1
                continue
        yield failed, None, err[:500] or "git diff-tree failed"
        pos += 1


def _run_single(git_dir: str, sha: str) -> Iterable[tuple[str, Optional[list[FileChange]]]]:
    gen = _run_diff_tree(git_dir, [sha], renames=False)
    got = []
    try:
        while True:
            got.append(next(gen))
    except StopIteration as stop:
        ok, _err = stop.value
    return got if ok and got else [(sha, None)]

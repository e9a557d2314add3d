"""Bare clones into executor-local scratch with pygit2, under a time budget and a size cap."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Optional

import pygit2

from octopack_spark.mining.sources import RepoSpec


class MiningError(Exception):
    """A repository-level failure that becomes one row of the errors table."""

    def __init__(self, stage: str, reason: str, message: str):
        super().__init__(f"{stage}/{reason}: {message}")
        self.stage = stage
        self.reason = reason
        self.message = message


class _Abort(Exception):
    pass


class _Callbacks(pygit2.RemoteCallbacks):
    """Aborts a transfer that runs past the deadline or the byte cap; offers the ssh agent."""

    def __init__(self, deadline: float, max_bytes: int):
        super().__init__()
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.received = 0

    def transfer_progress(self, stats):  # noqa: D401 - pygit2 callback
        self.received = stats.received_bytes
        if stats.received_bytes > self.max_bytes:
            raise _Abort(f"repo_too_large: transfer passed {self.max_bytes} bytes")
        if time.monotonic() > self.deadline:
            raise _Abort("timeout: clone ran past the per-repository time budget")

    def credentials(self, url, username_from_url, allowed_types):
        if allowed_types & pygit2.enums.CredentialType.SSH_KEY:
            return pygit2.KeypairFromAgent(username_from_url or "git")
        return None


_CORRUPT_HINTS = (
    "corrupt",
    "object not found",
    "failed to parse",
    "invalid",
    "packfile",
    "inflate",
    "zlib",
    "header",
    "unexpected",
    "missing",
    "truncated",
    "bad",
    "malformed",
)


def classify_clone_error(spec: RepoSpec, exc: BaseException) -> MiningError:
    msg = str(exc).strip() or type(exc).__name__
    low = msg.lower()
    if isinstance(exc, _Abort):
        reason, _, detail = msg.partition(": ")
        return MiningError("clone", reason, detail)
    if spec.kind == "local":
        if not os.path.exists(spec.location):
            return MiningError("clone", "not_found", f"local path {spec.location} does not exist")
        try:
            pygit2.Repository(spec.location)
        except Exception:
            return MiningError("clone", "not_a_repository", f"{spec.location} is not a git repository: {msg}")
        return MiningError("clone", "corrupt", msg)
    if any(h in low for h in ("timed out", "timeout")):
        return MiningError("clone", "timeout", msg)
    if any(h in low for h in _CORRUPT_HINTS) and "resolve" not in low and "connect" not in low:
        return MiningError("clone", "corrupt", msg)
    return MiningError("clone", "unreachable", msg)


def scratch_root(configured: Optional[str] = None) -> str:
    """Executor-local scratch: the configured dir, else the first of SPARK_LOCAL_DIRS, else tmp."""
    if configured:
        os.makedirs(configured, exist_ok=True)
        return configured
    spark_dirs = os.environ.get("SPARK_LOCAL_DIRS")
    if spark_dirs:
        d = spark_dirs.split(",")[0]
        if os.path.isdir(d):
            return d
    return tempfile.gettempdir()


def clone_bare(
    spec: RepoSpec,
    dest_parent: str,
    deadline: float,
    max_bytes: int,
) -> tuple[pygit2.Repository, str]:
    """Clone `spec` bare into a fresh directory under `dest_parent`; return (repo, directory).

    The caller removes the directory (see `remove_clone`). Raises MiningError on any failure.
    """
    workdir = tempfile.mkdtemp(prefix="octopack-clone-", dir=dest_parent)
    target = os.path.join(workdir, "repo.git")
    cb = _Callbacks(deadline, max_bytes)
    source = spec.location
    if spec.kind == "local":
        if not os.path.exists(source):
            remove_clone(workdir)
            raise MiningError("clone", "not_found", f"local path {source} does not exist")
        source = "file://" + source  # the file transport reports progress, so the cap applies
    try:
        repo = pygit2.clone_repository(source, target, bare=True, callbacks=cb)
    except BaseException as e:  # pygit2 raises GitError, ValueError, KeyError or our _Abort
        remove_clone(workdir)
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        raise classify_clone_error(spec, e) from None
    size = _dir_size(target)
    if size > max_bytes:
        remove_clone(workdir)
        raise MiningError("clone", "repo_too_large", f"clone is {size} bytes, over the cap of {max_bytes}")
    return repo, workdir


def _dir_size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def remove_clone(workdir: str) -> None:
    shutil.rmtree(workdir, ignore_errors=True)

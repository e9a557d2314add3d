"""Getting a repository to read: local paths in place, URLs through a cache of bare clones.

Local paths are opened where they are (no copy: a copy costs time and disk, and libgit2's local clone
demands a complete object graph, so a partial clone or a mirror lacking a few blobs failed whole).
URLs are cloned bare with pygit2 into a clone cache on executor-local disk (or a shared file system):
a rerun only fetches new objects. Each cache entry has a lock file: an exclusive flock while it is
cloned or fetched, a shared one while it is read, so concurrent tasks on the same repository cannot
corrupt it and eviction (least recently used, over `mine.clone_cache_max_bytes`) skips entries in use.
Everything runs under the per-repository time budget and the size cap.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
from typing import Iterator, Optional

import pygit2

from octopack_spark.mining.sources import RepoSpec
from octopack_spark.storage.fs import local_tree_bytes


class MiningError(Exception):
    """A repository-level failure that becomes one row of the errors table."""

    def __init__(self, stage: str, reason: str, message: str):
        super().__init__(f"{stage}/{reason}: {message}")
        self.stage = stage
        self.reason = reason
        self.message = message


class _Abort(Exception):
    pass


class TransferCallbacks(pygit2.RemoteCallbacks):
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


def _dir_size(path: str) -> int:
    return local_tree_bytes(path)


def _cache_key(spec: RepoSpec) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", spec.name or "repo")[-60:]
    return f"{slug}-{hashlib.sha256(spec.location.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def cache_root(cfg) -> str:
    return cfg.clone_cache_dir or os.path.join(scratch_root(cfg.scratch_dir), "octopack-clone-cache")


def _fetch(repo: pygit2.Repository, cb: "TransferCallbacks") -> None:
    remote = repo.remotes["origin"]
    remote.fetch(refspecs=["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], callbacks=cb)
    # Follow a default branch that moved (e.g. master -> main) when the server says so.
    try:
        for h in remote.list_heads(callbacks=cb):
            if getattr(h, "name", None) == "HEAD" and getattr(h, "symref_target", None):
                if h.symref_target in repo.references:
                    repo.set_head(h.symref_target)
                break
    except Exception:  # older servers: keep HEAD as cloned
        pass


def _evict(root: str, keep: str, max_bytes: int) -> None:
    """Remove least recently used entries until the cache fits; entries locked by a task are skipped."""
    entries = []
    for name in os.listdir(root):
        if name.endswith(".git") and name != keep:
            path = os.path.join(root, name)
            try:
                entries.append((os.stat(path).st_mtime, path))
            except OSError:
                pass
    total = _dir_size(root)
    for _mtime, path in sorted(entries):
        if total <= max_bytes:
            return
        lock_path = path[:-4] + ".lock"
        with open(lock_path, "a+") as lf:
            try:
                fcntl.flock(lf, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # in use
            size = _dir_size(path)
            shutil.rmtree(path, ignore_errors=True)
            total -= size


def cached_clone(spec: RepoSpec, cfg, deadline: float) -> tuple[pygit2.Repository, str, object]:
    """(repo, git_dir, lock file held shared) for a remote `spec`, cloning or fetching into the cache."""
    root = cache_root(cfg)
    os.makedirs(root, exist_ok=True)
    key = _cache_key(spec)
    target = os.path.join(root, key + ".git")
    lf = open(os.path.join(root, key + ".lock"), "a+")
    try:
        fcntl.flock(lf, fcntl.LOCK_EX)
        cb = TransferCallbacks(deadline, cfg.max_repo_bytes)
        repo = None
        if os.path.isdir(target):
            try:
                repo = pygit2.Repository(target)
                _fetch(repo, cb)
            except BaseException as e:
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                if isinstance(e, _Abort) or "timed out" in str(e).lower():
                    raise classify_clone_error(spec, e) from None
                repo = None  # a damaged cache entry: clone again
                shutil.rmtree(target, ignore_errors=True)
        if repo is None:
            tmp = tempfile.mkdtemp(prefix=key + ".tmp-", dir=root)
            try:
                repo, _ = _clone_into(spec, os.path.join(tmp, "repo.git"), cb)
                os.rename(os.path.join(tmp, "repo.git"), target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            repo = pygit2.Repository(target)
        size = _dir_size(target)
        if size > cfg.max_repo_bytes:
            shutil.rmtree(target, ignore_errors=True)
            raise MiningError("clone", "repo_too_large", f"clone is {size} bytes, over the cap of {cfg.max_repo_bytes}")
        os.utime(target)
        _evict(root, key + ".git", cfg.clone_cache_max_bytes)
        fcntl.flock(lf, fcntl.LOCK_SH)  # readers share; eviction and re-fetch wait
        return repo, target, lf
    except BaseException:
        lf.close()
        raise


def _clone_into(spec: RepoSpec, target: str, cb: "TransferCallbacks") -> tuple[pygit2.Repository, str]:
    try:
        return pygit2.clone_repository(spec.location, target, bare=True, callbacks=cb), target
    except BaseException as e:  # pygit2 raises GitError, ValueError, KeyError or our _Abort
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        raise classify_clone_error(spec, e) from None


def allow_partial_clones() -> None:
    """Let libgit2 open repositories that declare `extensions.partialClone` (what git writes for
    `clone --filter`). libgit2 cannot fetch missing objects on demand, which is what we want: a blob a
    partial clone lacks is read as missing (row kept, skip_reason missing_object) instead of the whole
    repository failing as `not_a_repository`."""
    if "partialclone" not in pygit2.settings.extensions:
        pygit2.settings.set_extensions(["partialclone"])


def open_local(spec: RepoSpec, cfg, deadline: float) -> tuple[pygit2.Repository, str]:
    """Open a local repository in place (bare or with a work tree); size cap on its object store."""
    allow_partial_clones()
    if not os.path.exists(spec.location):
        raise MiningError("clone", "not_found", f"local path {spec.location} does not exist")
    try:
        repo = pygit2.Repository(spec.location)
    except Exception as e:
        raise MiningError("clone", "not_a_repository", f"{spec.location} is not a git repository: {e}") from None
    git_dir = repo.path.rstrip("/")
    _check_confined(spec, git_dir, cfg.allowed_roots)
    size = _dir_size(os.path.join(git_dir, "objects"))
    if size > cfg.max_repo_bytes:
        raise MiningError("clone", "repo_too_large", f"object store is {size} bytes, over the cap of {cfg.max_repo_bytes}")
    if time.monotonic() > deadline:
        raise MiningError("clone", "timeout", "opening the repository ran past the per-repository time budget")
    return repo, git_dir


def _under(path: str, roots: list[str]) -> bool:
    real = os.path.realpath(path)
    for r in roots:
        root = os.path.realpath(os.path.abspath(os.path.expanduser(r)))
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def _check_confined(spec: RepoSpec, git_dir: str, roots: list[str]) -> None:
    """The allowed-root check of the path as given is not enough: a `.git` file (`gitdir: /elsewhere`)
    or `objects/info/alternates` inside an allowed root points git at objects outside it. Both are
    resolved here and must stay under an allowed root too (under the repository itself when it was
    opened through the API without a root that contains it)."""
    roots = [r for r in roots if _under(spec.location, [r])] or [spec.location]
    if not _under(git_dir, roots):
        raise MiningError("validate", "outside_allowed_root",
                          f"{spec.location} is a link to the git directory {os.path.realpath(git_dir)}, which is not "
                          "under an allowed root")
    objects = os.path.join(git_dir, "objects")
    todo, seen = [objects], set()
    while todo:  # alternates may chain
        d = todo.pop()
        if d in seen:
            continue
        seen.add(d)
        try:
            with open(os.path.join(d, "info", "alternates"), encoding="utf-8", errors="replace") as f:
                lines = [x.strip() for x in f if x.strip() and not x.startswith("#")]
        except OSError:
            continue
        for line in lines:
            alt = line if os.path.isabs(line) else os.path.join(d, line)
            if not _under(alt, roots):
                raise MiningError("validate", "outside_allowed_root",
                                  f"{spec.location} borrows objects from {os.path.realpath(alt)} (objects/info/"
                                  "alternates), which is not under an allowed root")
            todo.append(os.path.realpath(alt))


@contextlib.contextmanager
def open_repository(spec: RepoSpec, cfg, deadline: float) -> Iterator[tuple[pygit2.Repository, str]]:
    """(repo, git_dir) to read `spec` from: local paths in place, URLs through the clone cache."""
    if spec.kind == "local":
        yield open_local(spec, cfg, deadline)
        return
    pygit2.settings.server_connect_timeout = int(min(cfg.repo_time_budget_s, 60) * 1000)
    pygit2.settings.server_timeout = int(min(cfg.repo_time_budget_s, 300) * 1000)
    if time.monotonic() > deadline:
        raise MiningError("clone", "timeout", "clone ran past the per-repository time budget")
    repo, git_dir, lock = cached_clone(spec, cfg, deadline)
    try:
        yield repo, git_dir
    finally:
        repo.free()
        lock.close()

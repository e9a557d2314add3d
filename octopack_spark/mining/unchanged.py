"""Repositories whose HEAD has not moved since the last run, found before any Spark task starts.

The driver asks each remote for its refs (`ls-remote`: a few hundred bytes, no objects, no clone) and
reads a local repository's HEAD in place. A repository whose HEAD is the `last_head` of its state row,
mined `ok` with nothing left pending by a time budget, would only be fetched to find nothing new: it
gets the outcome a task would have returned ("ok", 0 commits) without a task, so a rerun on an unchanged
corpus starts no Spark job at all. Anything unexpected (unreachable remote, odd refs) leaves the
repository to the normal path, which records the error properly.
"""

from __future__ import annotations

import logging
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import pygit2

from octopack_spark.mining.clone import TransferCallbacks
from octopack_spark.mining.sources import RepoSpec
from octopack_spark.mining.walk import RepoOutcome

log = logging.getLogger(__name__)

# ls-remote is network-bound: a few at a time keeps a corpus of thousands of remotes short.
_LOOKUP_THREADS = 16
_LOOKUP_TIMEOUT_S = 60.0
_REFS_MAX_BYTES = 64 * 1024**2


def _local_head(location: str) -> Optional[str]:
    repo = pygit2.Repository(location)
    if repo.head_is_unborn or repo.is_empty:
        return None
    return str(repo.head.peel(pygit2.Commit).id)


def _remote_head(url: str, scratch: str) -> Optional[str]:
    # An anonymous remote needs a repository to hang on; an empty bare one in scratch space serves all.
    remote = pygit2.Repository(scratch).remotes.create_anonymous(url)
    cb = TransferCallbacks(time.monotonic() + _LOOKUP_TIMEOUT_S, _REFS_MAX_BYTES)
    for ref in remote.list_heads(callbacks=cb):
        if ref.name == "HEAD":
            return str(ref.oid)
    return None


def current_head(spec: RepoSpec, scratch: str) -> Optional[str]:
    """HEAD commit id of `spec` now, or None when it cannot be told cheaply (then the task finds out)."""
    try:
        if spec.kind == "local":
            return _local_head(spec.location)
        return _remote_head(spec.location, scratch)
    except Exception as e:  # noqa: BLE001 - any failure means "ask the task", never a verdict here
        log.debug("head lookup of %s failed: %s", spec.name, e)
        return None


def is_settled(prev: Optional[dict], spec: RepoSpec) -> bool:
    """True when the previous run mined this repository completely from the same URL."""
    # The same URL test as the job's resume point, so a skip never hides a re-mine the job would do.
    return bool(prev and prev["status"] == "ok" and prev.get("last_head") and not prev.get("pending")
                and prev["repo_url"] == spec.url)


def split_unchanged(specs: list[RepoSpec], prior: dict[str, dict]) -> tuple[list[RepoSpec], list[dict]]:
    """(specs that need a task, outcomes of those whose HEAD is still their state row's last_head)."""
    settled = [s for s in specs if is_settled(prior.get(s.name), s)]
    if not settled:
        return specs, []
    with tempfile.TemporaryDirectory(prefix="octopack-lsremote-") as scratch:
        pygit2.init_repository(scratch, bare=True)
        with ThreadPoolExecutor(_LOOKUP_THREADS) as pool:
            heads = dict(zip((s.name for s in settled), pool.map(lambda s: current_head(s, scratch), settled)))
    todo, outcomes = [], []
    for s in specs:
        head = heads.get(s.name)
        if head is not None and head == prior[s.name]["last_head"]:
            o = RepoOutcome(s.name, s.url, status="ok", head=head)
            outcomes.append({**o.to_dict(), "pending": []})
        else:
            todo.append(s)
    return todo, outcomes

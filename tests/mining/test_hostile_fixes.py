"""One focused test per bug the hostile-repository fuzz test (test_fuzz_hostile.py) found in the walk:

- a commit with an `encoding UTF-16` header made `git log --format=%H %ct %P` print an empty %ct (git
  re-encodes the commit before formatting it); parsing the parent id as the time raised ValueError and
  the whole repository failed as an internal error;
- a commit time git accepts (any 64-bit number of seconds) overflowed int64 microseconds; the Arrow batch
  failed and every row of the task was lost;
- a partial clone whose config declares `extensions.partialClone` could not be opened by libgit2
  (`not_a_repository`: every row lost);
- a promisor remote in a mined repository's config made `git diff-tree -M` fetch a missing blob on demand,
  running the configured `remote.origin.uploadpack` as a shell command; in a repository with a work tree,
  `git diff-tree -M` ran the configured `core.fsmonitor` command.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import pyarrow as pa
import pytest

from octopack_spark.config import MineConfig
from octopack_spark.mining.changes import commit_changes, list_commits
from octopack_spark.mining.sources import RepoSpec, resolve_sources
from octopack_spark.mining.walk import RepoOutcome, mine_repository
from octopack_spark.schema import COMMITS_SCHEMA
from tests.helpers.hostile_repos import GIT_ENV, blob_sha

A = b"1111111111\n2222222222\n3333333333\n4444444444\n"


def _import(git_dir: str, stream: bytes, loose: bool = True, bare: bool = True) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main"] + (["--bare", git_dir] if bare else [os.path.dirname(git_dir)]),
                   check=True, env=GIT_ENV)
    subprocess.run(["git", f"--git-dir={git_dir}", "-c", f"fastimport.unpackLimit={10**6 if loose else 0}",
                    "fast-import", "--quiet", "--date-format=raw-permissive"], input=stream, check=True, env=GIT_ENV)


def _commit(mark: int, when: bytes, msg: bytes, files: dict, deletes=(), encoding: bytes = b"") -> bytes:
    s = b"commit refs/heads/main\nmark :%d\ncommitter C <c@example.com> %s\n" % (mark, when)
    if encoding:
        s += b"encoding " + encoding + b"\n"
    s += b"data %d\n%s\n" % (len(msg), msg)
    if mark > 1:
        s += b"from :%d\n" % (mark - 1)
    for p in deletes:
        s += b"D " + p + b"\n"
    for p, data in files.items():
        s += b"M 100644 inline " + p + b"\ndata %d\n" % len(data) + data + b"\n"
    return s


def _mine(path: str, root: str):
    src = resolve_sources([RepoSpec(path)], allowed_roots=[root])
    spec = src.specs[0]
    outcome = RepoOutcome(spec.name, spec.url)
    batches = list(mine_repository(spec, MineConfig(allowed_roots=[root]), outcome))
    rows = pa.Table.from_batches(batches, schema=COMMITS_SCHEMA).to_pylist() if batches else []
    return rows, outcome


def test_utf16_encoding_header_does_not_lose_the_repository(tmp_path):
    git_dir = str(tmp_path / "enc.git")
    _import(git_dir, _commit(1, b"1600000000 +0000", b"first", {b"a.py": b"a = 1\n"})
            + _commit(2, b"1600000100 +0000", b"\xff\xfes\x00e\x00c\x00", {b"b.py": b"b = 1\n"}, encoding=b"UTF-16"))
    shas, merges = list_commits(git_dir, "main", since=1600000050)
    assert len(shas) == 1 and merges == 0  # the time of the UTF-16 commit is read, so --since works
    rows, outcome = _mine(git_dir, str(tmp_path))
    assert outcome.status == "ok", outcome.errors
    assert sorted(r["new_file"] for r in rows) == ["a.py", "b.py"]


def test_commit_times_beyond_year_9999_are_clamped_not_fatal(tmp_path):
    git_dir = str(tmp_path / "time.git")
    _import(git_dir, _commit(1, b"10000000000000 +1400", b"far future", {b"a.py": b"a = 1\n"})
            + _commit(2, b"0 +0000", b"epoch", {b"b.py": b"b = 1\n"}))
    rows, outcome = _mine(git_dir, str(tmp_path))
    assert outcome.status == "ok", outcome.errors
    by = {r["new_file"]: r for r in rows}
    assert by["a.py"]["committer_time"] == dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc)
    assert by["b.py"]["committer_time"] == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _promisor_repo(tmp_path, marker: str, bare: bool = True) -> tuple[str, str]:
    git_dir = str(tmp_path / "prom.git") if bare else str(tmp_path / "prom" / ".git")
    _import(git_dir, _commit(1, b"1600000000 +0000", b"add", {b"a.txt": A})
            + _commit(2, b"1600000100 +0000", b"move and edit", {b"b.txt": A + b"tail\n"}, deletes=[b"a.txt"]),
            bare=bare)
    cfg = [("remote.origin.url", str(tmp_path)), ("remote.origin.promisor", "true"),
           ("remote.origin.partialclonefilter", "blob:none"),
           ("remote.origin.uploadpack", f"touch {marker}; false"),
           ("core.repositoryformatversion", "1"), ("extensions.partialClone", "origin"),
           ("core.fsmonitor", f"touch {marker}; :"), ("diff.external", f"touch {marker}; :")]
    for k, v in cfg:
        subprocess.run(["git", f"--git-dir={git_dir}", "config", k, v], check=True, env=GIT_ENV)
    missing = blob_sha(A)
    os.remove(os.path.join(git_dir, "objects", missing[:2], missing[2:]))
    return git_dir, missing


@pytest.mark.parametrize("bare", [True, False])
def test_commands_in_the_repository_config_never_run(tmp_path, bare):
    # promisor remote: lazy fetch runs remote.origin.uploadpack; with a work tree, rename detection read
    # the index and ran core.fsmonitor
    marker = str(tmp_path / "PWNED")
    git_dir, _missing = _promisor_repo(tmp_path, marker, bare)
    shas, _ = list_commits(git_dir, "main")
    got = list(commit_changes(git_dir, shas))
    assert not os.path.exists(marker), "git ran the repository's upload-pack command"
    # rename detection needed the missing blob: the commit is listed again without it, both rows kept
    head = got[0]
    assert head[1] is not None and sorted(c.status for c in head[1]) == ["A", "D"]
    assert head[2] and head[2].startswith("renames_unavailable")


def test_partial_clone_extension_opens_and_keeps_rows(tmp_path):
    marker = str(tmp_path / "PWNED")
    git_dir, _missing = _promisor_repo(tmp_path, marker)
    rows, outcome = _mine(git_dir, str(tmp_path))
    assert not os.path.exists(marker)
    assert outcome.status == "ok", outcome.errors
    by = {(r["change_type"], r["new_file"] or r["old_file"]): r for r in rows}
    assert set(by) == {("A", "a.txt"), ("D", "a.txt"), ("A", "b.txt")}
    assert by[("A", "a.txt")]["skip_reason"] == "missing_object"
    assert by[("A", "b.txt")]["new_contents"] == (A + b"tail\n").decode()
    assert [e["reason"] for e in outcome.errors] == ["renames_unavailable"]

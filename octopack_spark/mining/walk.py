"""Walk a repository's default branch and turn every non-merge commit into per-file change rows.

`mine_repository` is a pure function of (repository, config, last mined HEAD): it yields Arrow record
batches in the commits schema (without the `lang` partition column's special handling) and fills a
`RepoOutcome` with counts and at most one error. Spark only calls it; tests call it directly.
Memory is bounded by the Arrow batch size, not by history length.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterator, Optional

import numpy as np
import pyarrow as pa
import pygit2
from pygit2.enums import DiffFind, SortMode

from octopack_spark.config import MineConfig
from octopack_spark.licenses import classify_license_text, pick_license_file
from octopack_spark.mining.clone import MiningError, clone_bare, remove_clone, scratch_root
from octopack_spark.mining.identity import author_id, row_id
from octopack_spark.mining.languages import detect_language
from octopack_spark.mining.sources import RepoSpec
from octopack_spark.schema import COMMITS_SCHEMA

_MODE_COMMIT = 0o160000  # gitlink (submodule)
_MODE_LINK = 0o120000  # symlink
_STATUS = {"A": "A", "M": "M", "D": "D", "R": "R", "T": "M", "C": "A"}


@dataclass
class RepoOutcome:
    repo: str
    repo_url: str
    status: str = "failed"  # ok, partial, empty, failed
    head: Optional[str] = None
    commits: int = 0
    merges_skipped: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    license: Optional[str] = None
    errors: list[dict] = field(default_factory=list)

    def error(self, stage: str, reason: str, message: str) -> None:
        self.errors.append({"stage": stage, "reason": reason, "message": message[:2000]})

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def decode_message(raw: bytes, encoding: Optional[str]) -> str:
    """Commit messages are bytes; honour the encoding header, then UTF-8, then Latin-1 (never fails)."""
    for enc in (encoding, "utf-8"):
        if not enc:
            continue
        try:
            return raw.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1")


def subject_of(message: str) -> str:
    return message.split("\n", 1)[0].rstrip("\r \t")


def _epoch_us(seconds: int) -> int:
    return int(seconds) * 1_000_000


# Large text columns travel as raw buffers (pygit2 Blobs support the buffer protocol, patches are
# bytes) and become one Arrow string array per batch: one join, one cumsum and one SIMD UTF-8
# validation. Decoding to Python str and re-encoding for Arrow would touch every byte three more times.
_CONTENT_COLUMNS = ("old_contents", "new_contents")
_BUFFER_COLUMNS = _CONTENT_COLUMNS + ("diff",)


def _string_array(values: list) -> pa.Array:
    """Arrow string array over buffers or None (UTF-8 validity is checked by the caller)."""
    n = len(values)
    lens = np.fromiter((0 if v is None else memoryview(v).nbytes for v in values), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    if offsets[-1] >= 2**31:
        raise ValueError("Arrow batch over 2 GiB of text; lower mine.arrow_batch_bytes")
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=n)
    nulls = n - int(valid.sum())
    bitmap = pa.array(valid).buffers()[1] if nulls else None
    data = b"".join(v for v in values if v is not None)
    return pa.Array.from_buffers(
        pa.string(), n, [bitmap, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)], null_count=nulls
    )


def _is_utf8(v) -> bool:
    try:
        bytes(v).decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


class _Columns:
    """Column-wise row buffer that flushes into Arrow record batches of bounded size."""

    def __init__(self, max_rows: int, max_bytes: int):
        self.names = [f.name for f in COMMITS_SCHEMA]
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._reset()

    def _reset(self) -> None:
        self.cols: dict[str, list] = {n: [] for n in self.names}
        self.n = 0
        self.nbytes = 0

    def add(self, row: dict, nbytes: int) -> None:
        get = row.get
        for n, col in self.cols.items():
            col.append(get(n))
        self.n += 1
        self.nbytes += nbytes

    def full(self) -> bool:
        return self.n >= self.max_rows or self.nbytes >= self.max_bytes

    def _demote_invalid_utf8(self) -> int:
        """Slow path for a batch that failed validation: rows whose contents are not UTF-8 lose them
        (skip_reason not_utf8); a diff that is not UTF-8 (odd path bytes) is repaired. Returns the
        content bytes removed."""
        c = self.cols
        removed = 0
        for i in range(self.n):
            if any(c[k][i] is not None and not _is_utf8(c[k][i]) for k in _CONTENT_COLUMNS):
                removed += sum(memoryview(c[k][i]).nbytes for k in _CONTENT_COLUMNS if c[k][i] is not None)
                for k in ("old_contents", "new_contents", "diff", "lines_added", "lines_removed"):
                    c[k][i] = None
                c["skip_reason"][i] = "not_utf8"
            elif c["diff"][i] is not None and not _is_utf8(c["diff"][i]):
                c["diff"][i] = bytes(c["diff"][i]).decode("utf-8", "replace").encode("utf-8")
        return removed

    def flush(self) -> tuple[Optional[pa.RecordBatch], int]:
        """(batch, content bytes dropped because they were not UTF-8)."""
        if not self.n:
            return None, 0
        removed = 0
        texts = {k: _string_array(self.cols[k]) for k in _BUFFER_COLUMNS}
        try:
            for a in texts.values():
                a.validate(full=True)
        except pa.ArrowInvalid:
            removed = self._demote_invalid_utf8()
            texts = {k: _string_array(self.cols[k]) for k in _BUFFER_COLUMNS}
        arrays = [texts[f.name] if f.name in texts else pa.array(self.cols[f.name], type=f.type)
                  for f in COMMITS_SCHEMA]
        batch = pa.RecordBatch.from_arrays(arrays, schema=COMMITS_SCHEMA)
        self._reset()
        return batch, removed


class _BlobReader:
    """Blob lookups with a small carry-over cache.

    Walking newest-first, the *old* side of a file in one commit is usually the *new* side of the same
    file in a commit walked soon after (its parent). Keeping old-side blobs until they are asked for
    again saves one decompression per changed file; the cache is bounded by bytes.
    """

    def __init__(self, repo: pygit2.Repository, max_bytes: int = 64 * 1024**2):
        self.repo = repo
        self.max_bytes = max_bytes
        self.pending: "OrderedDict[pygit2.Oid, pygit2.Blob]" = OrderedDict()
        self.size = 0

    def new_side(self, oid) -> pygit2.Blob:
        blob = self.pending.pop(oid, None)
        if blob is None:
            return self.repo[oid]
        self.size -= blob.size
        return blob

    def old_side(self, oid) -> pygit2.Blob:
        blob = self.repo[oid]
        if oid not in self.pending and blob.size <= self.max_bytes // 16:
            self.pending[oid] = blob
            self.size += blob.size
            while self.size > self.max_bytes:
                _, dropped = self.pending.popitem(last=False)
                self.size -= dropped.size
        return blob


def detect_repo_license(repo: pygit2.Repository, tree: pygit2.Tree) -> Optional[str]:
    names = [e.name for e in tree if e.type_str == "blob"]
    chosen = pick_license_file(names)
    if chosen is None:
        return None
    blob = repo[tree[chosen].id]
    return classify_license_text(blob.data[:300_000].decode("utf-8", "replace"))


def mine_repository(
    spec: RepoSpec,
    cfg: MineConfig,
    outcome: RepoOutcome,
    last_head: Optional[str] = None,
    repo: Optional[pygit2.Repository] = None,
) -> Iterator[pa.RecordBatch]:
    """Clone `spec` (unless `repo` is given) and yield commit rows; see module doc."""
    t0 = time.monotonic()
    deadline = t0 + cfg.repo_time_budget_s
    # Objects of a fresh clone were hashed by the pack indexer when received; re-hashing every blob
    # on each read costs ~25% of the walk.
    pygit2.settings.enable_strict_hash_verification(False)
    workdir = None
    try:
        if repo is None:
            pygit2.settings.server_connect_timeout = int(min(cfg.repo_time_budget_s, 60) * 1000)
            pygit2.settings.server_timeout = int(min(cfg.repo_time_budget_s, 300) * 1000)
            repo, workdir = clone_bare(spec, scratch_root(cfg.scratch_dir), deadline, cfg.max_repo_bytes)
        yield from _walk(repo, spec, cfg, outcome, last_head, deadline)
    except MiningError as e:
        outcome.status = "failed" if outcome.commits == 0 else "partial"
        outcome.error(e.stage, e.reason, e.message)
    finally:
        outcome.seconds = time.monotonic() - t0
        if workdir is not None:
            remove_clone(workdir)


def _walk(
    repo: pygit2.Repository,
    spec: RepoSpec,
    cfg: MineConfig,
    outcome: RepoOutcome,
    last_head: Optional[str],
    deadline: float,
) -> Iterator[pa.RecordBatch]:
    try:
        if repo.head_is_unborn or repo.is_empty:
            outcome.status = "empty"
            outcome.error("open", "empty", "repository has no commits on its default branch")
            return
        head = repo.head.peel(pygit2.Commit)
    except MiningError:
        raise
    except Exception as e:
        raise MiningError("open", "corrupt", f"cannot resolve HEAD: {e}") from None
    outcome.head = str(head.id)
    try:
        outcome.license = spec.license or detect_repo_license(repo, head.tree)
    except Exception as e:  # a broken license blob must not lose the repository
        outcome.license = spec.license
        outcome.error("open", "license_unreadable", str(e))

    walker = repo.walk(head.id, SortMode.TOPOLOGICAL | SortMode.TIME)
    if last_head and last_head != outcome.head:
        try:
            walker.hide(pygit2.Oid(hex=last_head))
        except (KeyError, ValueError, pygit2.GitError):
            outcome.error("walk", "history_rewritten", f"previous HEAD {last_head} is gone; mining the whole history")
    elif last_head == outcome.head:
        outcome.status = "ok"
        return

    buf = _Columns(cfg.arrow_batch_rows, cfg.arrow_batch_bytes)
    blobs = _BlobReader(repo)
    since = cfg.since.timestamp() if cfg.since else None
    until = cfg.until.timestamp() if cfg.until else None
    status = "ok"
    try:
        for commit in walker:
            parent_ids = commit.parent_ids
            if len(parent_ids) > 1:
                outcome.merges_skipped += 1
                continue
            ct = commit.commit_time
            if (since is not None and ct < since) or (until is not None and ct > until):
                continue
            if cfg.max_commits is not None and outcome.commits >= cfg.max_commits:
                break
            if time.monotonic() > deadline:
                status = "partial"
                outcome.error(
                    "walk",
                    "time_budget_exceeded",
                    f"stopped after {outcome.commits} commits at {commit.id}; older history not mined",
                )
                break
            outcome.commits += 1
            for row, nbytes in _commit_rows(blobs, commit, spec, cfg, outcome):
                buf.add(row, nbytes)
                outcome.rows += 1
                outcome.bytes += nbytes
                if buf.full():
                    batch, dropped = buf.flush()
                    outcome.bytes -= dropped
                    yield batch
    except pygit2.GitError as e:
        status = "partial"
        outcome.error("walk", "corrupt", f"walk failed after {outcome.commits} commits: {e}")
    except KeyError as e:  # a missing commit/tree object
        status = "partial"
        outcome.error("walk", "corrupt", f"missing object after {outcome.commits} commits: {e}")
    batch, dropped = buf.flush()
    outcome.bytes -= dropped
    if batch is not None:
        yield batch
    outcome.status = status


def _commit_rows(
    blobs: _BlobReader,
    commit: pygit2.Commit,
    spec: RepoSpec,
    cfg: MineConfig,
    outcome: RepoOutcome,
) -> Iterator[tuple[dict, int]]:
    sha = str(commit.id)
    parent_ids = commit.parent_ids
    if parent_ids:
        parent = str(parent_ids[0])
        diff = blobs.repo[parent_ids[0]].tree.diff_to_tree(commit.tree)
    else:
        parent = None
        diff = commit.tree.diff_to_tree(swap=True)
    n_files = len(diff)
    too_many = n_files > cfg.max_files_per_commit
    if not too_many:
        diff.find_similar(flags=DiffFind.FIND_RENAMES)
        n_files = len(diff)
    message = decode_message(commit.raw_message, commit.message_encoding)
    common = {
        "commit": sha,
        "parent": parent,
        "repo": spec.name,
        "repos": spec.name,
        "subject": subject_of(message),
        "message": message,
        "license": outcome.license,
        "author_time": _epoch_us(commit.author.time),
        "committer_time": _epoch_us(commit.commit_time),
        "author_id": author_id(commit.author.raw_email, cfg.author_salt),
        "repo_url": spec.url,
        "commit_files": n_files,
        "stars": spec.stars,
    }
    for delta in diff.deltas:
        status = _STATUS.get(delta.status_char(), "M")
        old_path = delta.old_file.path if status != "A" else None
        new_path = delta.new_file.path if status != "D" else None
        path = new_path if new_path is not None else old_path
        row = dict(common)
        row.update(
            old_file=old_path,
            new_file=new_path,
            change_type=status,
            lang=detect_language(path),
            row_id=row_id(spec.name, sha, path),
        )
        if too_many:
            row["skip_reason"] = "commit_too_many_files"
            yield row, 0
            continue
        yield row, _fill_contents(blobs, delta, row, cfg)


def _fill_contents(blobs: _BlobReader, delta, row: dict, cfg: MineConfig) -> int:
    """Load both sides, apply the file limits and compute the patch; returns content bytes emitted."""
    old_f, new_f = delta.old_file, delta.new_file
    has_old, has_new = row["old_file"] is not None, row["new_file"] is not None
    if (has_old and old_f.mode == _MODE_COMMIT) or (has_new and new_f.mode == _MODE_COMMIT):
        row["skip_reason"] = "submodule"
        return 0
    if (has_old and old_f.mode == _MODE_LINK) or (has_new and new_f.mode == _MODE_LINK):
        row["skip_reason"] = "symlink"
        return 0
    try:
        old_blob = blobs.old_side(old_f.id) if has_old else None
        new_blob = blobs.new_side(new_f.id) if has_new else None
    except KeyError:
        row["skip_reason"] = "missing_object"
        return 0
    old_size = old_blob.size if old_blob is not None else None
    new_size = new_blob.size if new_blob is not None else None
    row["old_size"] = old_size
    row["new_size"] = new_size
    cap = cfg.max_file_bytes
    if (old_size is not None and old_size > cap) or (new_size is not None and new_size > cap):
        row["skip_reason"] = "too_large"
        return 0
    if (old_blob is not None and old_blob.is_binary) or (new_blob is not None and new_blob.is_binary):
        row["skip_reason"] = "binary"
        return 0
    # Blobs go into the batch as buffers; UTF-8 is validated per batch (see _Columns.flush).
    row["old_contents"] = old_blob
    row["new_contents"] = new_blob
    patch = pygit2.Patch.create_from(
        old_blob,
        new_blob,
        old_as_path=row["old_file"] or row["new_file"],
        new_as_path=row["new_file"] or row["old_file"],
        context_lines=cfg.diff_context_lines,
    )
    _ctx, added, removed = patch.line_stats
    row["lines_added"] = added
    row["lines_removed"] = removed
    if cfg.include_diff:
        text = patch.data
        if not text and row["change_type"] == "R":
            # libgit2 gives no patch for a pure rename; write git's rename header instead.
            text = (f"diff --git a/{row['old_file']} b/{row['new_file']}\nsimilarity index 100%\n"
                    f"rename from {row['old_file']}\nrename to {row['new_file']}\n").encode("utf-8", "surrogateescape")
        row["diff"] = text
    return (old_size or 0) + (new_size or 0)


def outcome_time() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)

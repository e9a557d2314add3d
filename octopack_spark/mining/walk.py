"""Walk a repository's default branch and turn every non-merge commit into per-file change rows.

Three pure steps, each callable alone (Spark only wires them, see mining/job.py):
  open_repository  local path: opened in place (no copy, no demand for a complete object graph);
                   URL: a bare clone in the clone cache (mining/clone.py), fetched when already there
  plan_repository  HEAD, licence, and the list of non-merge commits to mine (mining/changes.py)
  mine_commits     rows for any slice of that list: a big history is split over several tasks and
                   the rows are identical to a single walk, because each commit's rows depend on that
                   commit alone
`mine_repository` runs the three for one repository (tests, small repositories). Batches are Arrow
record batches in the commits schema, bounded in rows and bytes; errors go into a `RepoOutcome`.
"""

from __future__ import annotations

import functools
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

import numpy as np
import pyarrow as pa
import pygit2

from octopack_spark.config import MineConfig
from octopack_spark.governance.secrets_fast import scan_buffer, scan_text_fast
from octopack_spark.licenses import detect_license
from octopack_spark.mining.changes import FileChange, GitCommandError, commit_changes, list_commits
from octopack_spark.mining.clone import MiningError, open_repository
from octopack_spark.mining.identity import author_id, row_id
from octopack_spark.mining.languages import ambiguous_extensions, detect_language
from octopack_spark.mining.sources import RepoSpec
from octopack_spark.redact import redact_text, redact_url
from octopack_spark.schema import COMMITS_SCHEMA, content_sizes

_MODE_COMMIT = 0o160000  # gitlink (submodule)
_MODE_LINK = 0o120000  # symlink
_STATUS = {"A": "A", "M": "M", "D": "D", "R": "R", "T": "M", "C": "A"}
_PATCH_FLAGS = pygit2.enums.DiffOption.SKIP_BINARY_CHECK
_MAX_ERRORS = 50  # per outcome; the rest are counted in one summary error


@dataclass
class RepoOutcome:
    repo: str
    repo_url: str
    status: str = "failed"  # ok, partial, empty, failed
    head: Optional[str] = None
    commits: int = 0
    merges_skipped: int = 0
    rows: int = 0
    rows_skipped: int = 0  # rows with a skip_reason (no contents); for mine's all-skipped guard
    bytes: int = 0
    seconds: float = 0.0
    license: Optional[str] = None
    errors: list[dict] = field(default_factory=list)
    errors_dropped: int = 0
    stopped_at: Optional[int] = None  # index in the mined slice where the time budget stopped the walk

    def __post_init__(self) -> None:
        self.repo_url = redact_url(self.repo_url)  # a token in a clone URL never reaches a table or log

    def error(self, stage: str, reason: str, message: str) -> None:
        if len(self.errors) >= _MAX_ERRORS:
            self.errors_dropped += 1
            return
        self.errors.append({"stage": stage, "reason": reason, "message": redact_text(message)[:2000]})

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


# Commit times are whatever the commit object says: git accepts any 64-bit number of seconds, but the
# timestamp columns (Arrow/Parquet micros, Spark, Python datetime, DuckDB) hold years 1 to 9999 only. A
# time outside is clamped to that range instead of failing the whole batch of rows (it overflowed int64
# micros and cost every row of the task).
_MIN_EPOCH_S = -62_135_596_800  # 0001-01-01T00:00:00Z
_MAX_EPOCH_S = 253_402_300_799  # 9999-12-31T23:59:59Z


def _epoch_us(seconds: int) -> int:
    return min(max(int(seconds), _MIN_EPOCH_S), _MAX_EPOCH_S) * 1_000_000


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
        # commits 1.1: the sizes ft's rules need, so that ft reads no contents for them
        texts.update(content_sizes(texts["old_contents"], texts["new_contents"]))
        arrays = [texts[f.name] if f.name in texts else pa.array(self.cols[f.name], type=f.type)
                  for f in COMMITS_SCHEMA]
        batch = pa.RecordBatch.from_arrays(arrays, schema=COMMITS_SCHEMA)
        self._reset()
        return batch, removed


class _LangBuffers:
    """One `_Columns` per language, bounded together: every batch holds one language, so the writer
    appends it to that language's partition without splitting (see mining/writer.py)."""

    def __init__(self, max_rows: int, max_bytes: int):
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.by_lang: dict[Optional[str], _Columns] = {}
        self.n = 0
        self.nbytes = 0

    def add(self, row: dict, nbytes: int) -> None:
        cols = self.by_lang.get(row["lang"])
        if cols is None:
            cols = self.by_lang[row["lang"]] = _Columns(self.max_rows, self.max_bytes)
        cols.add(row, nbytes)
        self.n += 1
        self.nbytes += nbytes

    def full(self) -> bool:
        return self.n >= self.max_rows or self.nbytes >= self.max_bytes

    def flush(self) -> Iterator[tuple[pa.RecordBatch, int]]:
        for cols in self.by_lang.values():
            batch, dropped = cols.flush()
            if batch is not None:
                yield batch, dropped
        self.by_lang.clear()
        self.n = 0
        self.nbytes = 0


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
    """SPDX expression from every licence file at the root (octopack_spark/licenses.py)."""
    blobs = {e.name: e.id for e in tree if e.type_str == "blob"}
    return detect_license(blobs, lambda name: repo[blobs[name]].data[:300_000].decode("utf-8", "replace"))


def path_text(raw: bytes) -> str:
    """A tree path as text. UTF-8 paths are kept as they are; any other bytes are written the way git
    quotes them (`"r\\351sum\\351.py"`: C escapes, octal for non-ASCII bytes, in double quotes), so the
    path is stored losslessly in a UTF-8 column and the row is kept."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out = ['"']
    for b in raw:
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append({0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f",
                        0x0D: "\\r"}.get(b, f"\\{b:03o}"))
    out.append('"')
    return "".join(out)


def commit_limit(spec: RepoSpec, cfg: MineConfig) -> Optional[int]:
    """The tighter of mine.max_commits and the repository's own max_commits (repos file)."""
    limits = [x for x in (cfg.max_commits, spec.max_commits) if x]
    return min(limits) if limits else None


# (repository a row names, its licence, `repos`: every repository holding the commit, comma-separated)
Attribution = tuple[RepoSpec, Optional[str], str]


@dataclass
class RepoPlan:
    """What `plan_repository` decided: mine `commits` (newest first) of `head`, excluding `base`."""

    git_dir: str
    head: str
    base: Optional[str]
    commits: list[str]


def resolve_head(repo: pygit2.Repository, spec: RepoSpec, outcome: RepoOutcome) -> Optional[str]:
    """HEAD's commit id (None for an empty repository: outcome `empty`); sets outcome.head and the
    licence (the repos file's, else detected at HEAD's root)."""
    try:
        if repo.head_is_unborn or repo.is_empty:
            outcome.status = "empty"
            outcome.error("open", "empty", "repository has no commits on its default branch")
            return None
        head_commit = repo.head.peel(pygit2.Commit)
    except Exception as e:
        raise MiningError("open", "corrupt", f"cannot resolve HEAD: {e}") from None
    outcome.head = str(head_commit.id)
    try:
        outcome.license = spec.license or detect_repo_license(repo, head_commit.tree)
    except Exception as e:  # a broken license blob must not lose the repository
        outcome.license = spec.license
        outcome.error("open", "license_unreadable", str(e))
    return outcome.head


def plan_repository(
    repo: pygit2.Repository,
    git_dir: str,
    spec: RepoSpec,
    cfg: MineConfig,
    outcome: RepoOutcome,
    last_head: Optional[str] = None,
    head: Optional[str] = None,
) -> Optional[RepoPlan]:
    """Resolve HEAD (or take the pinned `head`), detect the licence and list the commits to mine.
    Returns None when there is nothing to mine (empty repository, or HEAD unchanged since `last_head`)."""
    if head is None:
        head = resolve_head(repo, spec, outcome)
        if head is None:
            return None
    else:
        outcome.head = head
    if last_head == head:
        outcome.status = "ok"
        return None
    base = None
    if last_head:
        try:
            repo[last_head]
            base = last_head
        except (KeyError, ValueError):
            outcome.error("walk", "history_rewritten", f"previous HEAD {last_head} is gone; mining the whole history")
    try:
        commits, outcome.merges_skipped = list_commits(
            git_dir, head, base,
            since=cfg.since.timestamp() if cfg.since else None,
            until=cfg.until.timestamp() if cfg.until else None,
            max_commits=commit_limit(spec, cfg),
        )
    except GitCommandError as e:
        raise MiningError("walk", "corrupt", str(e)) from None
    return RepoPlan(git_dir=git_dir, head=head, base=base, commits=commits)


def mine_repository(
    spec: RepoSpec,
    cfg: MineConfig,
    outcome: RepoOutcome,
    last_head: Optional[str] = None,
) -> Iterator[pa.RecordBatch]:
    """Open `spec`, plan and mine its whole new history in this process; see module doc."""
    t0 = time.monotonic()
    deadline = t0 + cfg.repo_time_budget_s
    try:
        with open_repository(spec, cfg, deadline) as (repo, git_dir):
            plan = plan_repository(repo, git_dir, spec, cfg, outcome, last_head)
            if plan is not None:
                yield from mine_commits(repo, plan.git_dir, spec, cfg, plan.commits, outcome, deadline)
    except MiningError as e:
        outcome.status = "failed" if outcome.commits == 0 else "partial"
        outcome.error(e.stage, e.reason, e.message)
    finally:
        outcome.seconds = time.monotonic() - t0


def mine_commits(
    repo: pygit2.Repository,
    git_dir: str,
    spec: RepoSpec,
    cfg: MineConfig,
    shas: list[str],
    outcome: RepoOutcome,
    deadline: float,
    attribute: Optional[Callable[[str], Attribution]] = None,
) -> Iterator[pa.RecordBatch]:
    """Rows of the commits `shas` (any slice of a plan), as bounded Arrow batches. Sets
    outcome.status to ok, or partial when a commit could not be read or the time budget ran out
    (then `outcome.stopped_at` is the index in `shas` of the first commit not mined). `attribute`
    (fork networks, mining/forks.py) gives per commit the repository a row names, its licence and the
    `repos` value; without it every row is `spec`'s."""
    # Objects were hashed when they entered the repository; re-hashing every blob costs ~25% of the walk.
    pygit2.settings.enable_strict_hash_verification(False)
    buf = _LangBuffers(cfg.arrow_batch_rows, cfg.arrow_batch_bytes)
    blobs = _BlobReader(repo)
    status = "ok"
    outcome.stopped_at = None
    done = 0
    for sha, changes, note in commit_changes(git_dir, shas):
        if time.monotonic() > deadline:
            status = "partial"
            outcome.stopped_at = done
            outcome.error("walk", "time_budget_exceeded",
                          f"stopped after {outcome.commits} commits at {sha}; the next run continues from there")
            break
        done += 1
        if changes is None:
            status = "partial"
            outcome.error("walk", "corrupt", f"commit {sha} cannot be listed: {note}")
            continue
        if note:
            outcome.error("walk", "renames_unavailable", f"commit {sha}: {note}")
        try:
            commit = repo[sha]
            rows = list(_commit_rows(blobs, commit, changes, spec, cfg, outcome,
                                     attribute(sha) if attribute is not None else None))
        except (KeyError, pygit2.GitError) as e:
            status = "partial"
            outcome.error("walk", "corrupt", f"commit {sha} cannot be read: {e}")
            continue
        outcome.commits += 1
        for row, nbytes in rows:
            buf.add(row, nbytes)
            outcome.rows += 1
            outcome.rows_skipped += row.get("skip_reason") is not None
            outcome.bytes += nbytes
            if buf.full():
                for batch, dropped in buf.flush():
                    outcome.bytes -= dropped
                    yield batch
    for batch, dropped in buf.flush():
        outcome.bytes -= dropped
        yield batch
    outcome.status = status


_LANG_SCAN_BYTES = 4096  # the signals (includes, class, namespace, @interface) come early; the rules cost per byte


@functools.lru_cache(maxsize=1)
def _ambiguous_suffixes() -> tuple[str, ...]:
    return tuple(ambiguous_extensions())


def _ambiguous(path: str) -> bool:
    return path.endswith(_ambiguous_suffixes())


def _inplace_files(changes: list[FileChange]) -> int:
    """Distinct paths the commit modified in place (old path == new path; ft.context's inplace_files)."""
    return len({ch.new_path for ch in changes
                if ch.status not in ("A", "D") and ch.old_path is not None and ch.old_path == ch.new_path})


@functools.lru_cache(maxsize=64)
def _redacted_url(url: str) -> str:
    """redact_url once per repository, not once per commit (six regular expressions each time)."""
    return redact_url(url)


def _message_secrets(message: str) -> Optional[list[dict]]:
    """commits 1.1 `secrets` structs of a commit message (None when it holds none)."""
    return [f.to_dict("message") for f in scan_text_fast(message)] or None


def _add_content_secrets(row: dict, new_blob: pygit2.Blob, old_blob: Optional[pygit2.Blob]) -> None:
    """Adds new_contents' secrets (kind, span; never the value) to the row's `secrets`. Only the new side
    is scanned: the old side is an earlier commit's new side, whose row already names them. The scan
    works on the blob's bytes; only lines around a prefilter hit are decoded (governance/secrets_fast.py)."""
    found = scan_buffer(new_blob)
    if found and (old_blob is None or _is_utf8(old_blob)):  # else _Columns drops both sides (not_utf8)
        row["secrets"] = [f.to_dict("new_contents") for f in found] + (row["secrets"] or [])


def _commit_rows(
    blobs: _BlobReader,
    commit: pygit2.Commit,
    changes: list[FileChange],
    spec: RepoSpec,
    cfg: MineConfig,
    outcome: RepoOutcome,
    attribution: Optional[Attribution] = None,
) -> Iterator[tuple[dict, int]]:
    sha = str(commit.id)
    parent_ids = commit.parent_ids
    message = decode_message(commit.raw_message, commit.message_encoding)
    n_files = len(changes)
    too_many = n_files > cfg.max_files_per_commit
    repos, license = spec.name, outcome.license
    if attribution is not None:  # a fork network's commit: its first member, every member holding it
        spec, license, repos = attribution
    common = {
        "commit": sha,
        "parent": str(parent_ids[0]) if parent_ids else None,
        "repo": spec.name,
        "repos": repos,
        "subject": subject_of(message),
        "message": message,
        "license": license,
        "author_time": _epoch_us(commit.author.time),
        "committer_time": _epoch_us(commit.commit_time),
        "author_id": author_id(commit.author.raw_email, cfg.author_salt),
        "repo_url": _redacted_url(spec.url),
        "commit_files": n_files,
        "stars": spec.stars,
        "inplace_files": _inplace_files(changes),
        # the message's secrets, on every row of the commit; new_contents' are added per row (_fill_contents)
        "secrets": _message_secrets(message) if cfg.secrets_scan else None,
    }
    for ch in changes:
        status = _STATUS.get(ch.status, "M")
        old_path = path_text(ch.old_path) if ch.old_path is not None and status != "A" else None
        new_path = path_text(ch.new_path) if ch.new_path is not None and status != "D" else None
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
        nbytes = _fill_contents(blobs, ch, row, cfg)
        if _ambiguous(path):
            # .h, .m, .pl, .v, ...: the extension alone does not say; the contents do.
            blob = row.get("new_contents")
            if blob is None:
                blob = row.get("old_contents")
            if blob is not None:
                row["lang"] = detect_language(path, bytes(memoryview(blob)[:_LANG_SCAN_BYTES]))
        yield row, nbytes


def _fill_contents(blobs: _BlobReader, ch: FileChange, row: dict, cfg: MineConfig) -> int:
    """Load both sides, apply the file limits and compute the patch; returns content bytes emitted."""
    has_old, has_new = row["old_file"] is not None, row["new_file"] is not None
    if (has_old and ch.old_mode == _MODE_COMMIT) or (has_new and ch.new_mode == _MODE_COMMIT):
        row["skip_reason"] = "submodule"
        return 0
    if (has_old and ch.old_mode == _MODE_LINK) or (has_new and ch.new_mode == _MODE_LINK):
        row["skip_reason"] = "symlink"
        return 0
    try:
        old_blob = blobs.old_side(ch.old_id) if has_old else None
        new_blob = blobs.new_side(ch.new_id) if has_new else None
    except (KeyError, ValueError, pygit2.GitError):
        # A blob the repository lacks (partial clone, damaged mirror): the row stays, without contents.
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
    if cfg.secrets_scan and new_blob is not None:
        _add_content_secrets(row, new_blob, old_blob)
    patch = pygit2.Patch.create_from(
        old_blob,
        new_blob,
        old_as_path=row["old_file"] or row["new_file"],
        new_as_path=row["new_file"] or row["old_file"],
        context_lines=cfg.diff_context_lines,
        flag=_PATCH_FLAGS,  # both sides were checked for binary contents above
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

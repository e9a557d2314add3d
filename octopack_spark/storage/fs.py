"""One small filesystem layer over local paths and S3 (s3://, s3a://), used by every job outside Spark.

Spark reads and writes `s3a://` itself; everything else (manifests, commits of staged files, state,
readers) goes through `Storage`, built on pyarrow's filesystems with boto3 for the objects that must
be written whole in one request (manifests).
"""

from __future__ import annotations

import io
import os
import posixpath
import secrets
from dataclasses import dataclass
from typing import Iterable, Optional

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs as pafs

from octopack_spark.config import StorageConfig
from octopack_spark.errors import UserFacingError
from octopack_spark.storage.s3 import S3Settings, boto3_client, pyarrow_s3fs, resolve_s3

S3_SCHEMES = ("s3://", "s3a://", "s3n://")


class StorageError(UserFacingError):
    """Object storage could not be read or written; the message names the URI and the cause."""


def is_s3(uri: str) -> bool:
    return uri.startswith(S3_SCHEMES)


def normalize(uri: str) -> str:
    """A dataset or file URI in the form `Storage.list_files` returns: S3 URIs as given (no trailing
    '/'), local paths absolute, so relative paths such as `out/run` compare with listed files."""
    if is_s3(uri):
        return uri.rstrip("/")
    return os.path.abspath(uri)


def relative_to(root: str, uri: str) -> str:
    """`uri` relative to the directory `root` (either may be a relative local path)."""
    r, u = normalize(root), normalize(uri)
    if u != r and not u.startswith(r.rstrip("/") + "/"):
        raise ValueError(f"{uri} is not under {root}")
    return u[len(r):].lstrip("/")


def to_s3a(uri: str) -> str:
    """The URI Spark should use (s3a:// for object storage, an absolute path otherwise)."""
    for s in S3_SCHEMES:
        if uri.startswith(s):
            return "s3a://" + uri[len(s):]
    return os.path.abspath(uri)


def to_s3(uri: str) -> str:
    for s in S3_SCHEMES:
        if uri.startswith(s):
            return "s3://" + uri[len(s):]
    return uri


def join(uri: str, *parts: str) -> str:
    if is_s3(uri):
        return posixpath.join(uri.rstrip("/"), *parts)
    return os.path.join(uri, *parts)


def bucket_key(uri: str) -> tuple[str, str]:
    rest = to_s3(uri)[len("s3://"):]
    bucket, _, key = rest.partition("/")
    return bucket, key


def local_tree_bytes(path: str) -> int:
    """Bytes of the files under a local directory (links not followed; files that vanish meanwhile skipped)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def create_temp_file(directory: str, prefix: str = ".tmp-") -> tuple[int, str]:
    """A new, uniquely named file in `directory`, opened for writing: (fd, path).

    Unlike `tempfile.mkstemp` (always 0600) the file gets the mode any new file gets, 0666 minus the umask
    (and the folder's default ACL), so a manifest, `_log` record or data card written through a temporary
    name and renamed ends with the same mode as the Parquet files beside it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = os.path.join(directory, f"{prefix}{secrets.token_hex(8)}")
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


@dataclass
class FileInfo:
    uri: str
    size: int


class Storage:
    """Filesystem operations on URIs, local or S3. Create with `Storage.for_uri(uri, cfg)`."""

    def __init__(self, s3: Optional[S3Settings] = None):
        self._s3 = s3
        self._s3fs = None
        self._boto = None
        self._local = pafs.LocalFileSystem()

    @classmethod
    def for_config(cls, cfg: Optional[StorageConfig] = None) -> "Storage":
        return cls(resolve_s3(cfg))

    # ------------------------------------------------------------------ plumbing
    @property
    def s3(self) -> S3Settings:
        if self._s3 is None:
            self._s3 = resolve_s3()
        return self._s3

    def _fs(self, uri: str) -> tuple[pafs.FileSystem, str]:
        if is_s3(uri):
            if self._s3fs is None:
                self._s3fs = pyarrow_s3fs(self.s3)
            b, k = bucket_key(uri)
            return self._s3fs, f"{b}/{k}".rstrip("/")
        return self._local, os.path.abspath(uri)

    def _uri(self, original: str, path: str) -> str:
        if is_s3(original):
            scheme = original.split("://", 1)[0]
            return f"{scheme}://{path}"
        return path

    @property
    def boto(self):
        if self._boto is None:
            self._boto = boto3_client(self.s3)
        return self._boto

    def pyarrow_filesystem(self, uri: str) -> tuple[pafs.FileSystem, str]:
        """(filesystem, path) for pyarrow.dataset / parquet readers."""
        return self._fs(uri)

    def _wrap(self, op: str, uri: str, e: Exception) -> StorageError:
        hint = ""
        if is_s3(uri):
            ep = self.s3.endpoint_url or "AWS"
            hint = f" (endpoint {ep}; check AWS_ENDPOINT_URL and credentials)"
        return StorageError(f"cannot {op} {uri}: {e}{hint}")

    # ------------------------------------------------------------------ queries
    def exists(self, uri: str) -> bool:
        fs, p = self._fs(uri)
        try:
            return fs.get_file_info(p).type != pafs.FileType.NotFound
        except OSError as e:
            raise self._wrap("check", uri, e) from e

    def is_dir(self, uri: str) -> bool:
        fs, p = self._fs(uri)
        try:
            return fs.get_file_info(p).type == pafs.FileType.Directory
        except OSError as e:
            raise self._wrap("check", uri, e) from e

    def list_files(self, uri: str, suffix: str = "", recursive: bool = True) -> list[FileInfo]:
        """Files under `uri` (sorted), skipping names that start with '_' or '.' (Spark markers,
        staging) at any level below `uri`."""
        fs, p = self._fs(uri)
        try:
            info = fs.get_file_info(pafs.FileSelector(p, recursive=recursive, allow_not_found=True))
        except OSError as e:
            raise self._wrap("list", uri, e) from e
        out = []
        for f in info:
            if f.type != pafs.FileType.File:
                continue
            rel = f.path[len(p):].lstrip("/")
            if any(part.startswith(("_", ".")) for part in rel.split("/")):
                continue
            if suffix and not f.path.endswith(suffix):
                continue
            out.append(FileInfo(self._uri(uri, f.path), f.size))
        return sorted(out, key=lambda x: x.uri)

    # ------------------------------------------------------------------ reads
    def read_bytes(self, uri: str) -> bytes:
        fs, p = self._fs(uri)
        try:
            with fs.open_input_stream(p) as f:
                return f.read()
        except FileNotFoundError:
            raise
        except OSError as e:
            if "not found" in str(e).lower() or "does not exist" in str(e).lower():
                raise FileNotFoundError(uri) from e
            raise self._wrap("read", uri, e) from e

    def read_text(self, uri: str) -> str:
        return self.read_bytes(uri).decode("utf-8")

    def read_parquet(self, uris: Iterable[str], schema: Optional[pa.Schema] = None) -> pa.Table:
        tables = []
        for u in uris:
            fs, p = self._fs(u)
            try:
                tables.append(pq.read_table(p, filesystem=fs, schema=schema))
            except (OSError, pa.ArrowException) as e:  # a truncated file raises ArrowInvalid: name the file
                raise self._wrap("read", u, e) from e
        if not tables:
            return schema.empty_table() if schema is not None else pa.table({})
        return pa.concat_tables(tables, promote_options="default")

    # ------------------------------------------------------------------ writes
    def mkdirs(self, uri: str) -> None:
        if is_s3(uri):
            return  # prefixes need no creation
        os.makedirs(uri, exist_ok=True)

    def write_bytes_atomic(self, uri: str, data: bytes) -> None:
        """Write a whole object so readers see the old or the new bytes, never a part.

        Local: temp file + fsync + rename. S3: one boto3 PutObject (atomic per object)."""
        if is_s3(uri):
            b, k = bucket_key(uri)
            try:
                self.boto.put_object(Bucket=b, Key=k, Body=data)
            except Exception as e:
                raise self._wrap("write", uri, e) from e
            return
        d = os.path.dirname(os.path.abspath(uri))
        os.makedirs(d, exist_ok=True)
        fd, tmp = create_temp_file(d)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, uri)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def write_text_atomic(self, uri: str, text: str) -> None:
        self.write_bytes_atomic(uri, text.encode("utf-8"))

    def create_exclusive(self, uri: str, data: bytes) -> bool:
        """Create `uri` with `data` only if it does not exist; False when it already does.

        Local: O_CREAT|O_EXCL. S3: a conditional PutObject (If-None-Match: *), which S3 and the
        compatible servers answer with 412 when the key exists."""
        if is_s3(uri):
            b, k = bucket_key(uri)
            try:
                self.boto.put_object(Bucket=b, Key=k, Body=data, IfNoneMatch="*")
                return True
            except Exception as e:
                code = getattr(e, "response", {}).get("Error", {}).get("Code", "")
                if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                    return False
                raise self._wrap("write", uri, e) from e
        os.makedirs(os.path.dirname(os.path.abspath(uri)), exist_ok=True)
        try:
            fd = os.open(uri, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return True

    def write_parquet(self, uri: str, table: pa.Table) -> None:
        """Write one Parquet file in one piece (built in memory: for small tables such as errors/state)."""
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        self.write_bytes_atomic(uri, buf.getvalue())

    def move(self, src: str, dst: str) -> None:
        """Move one file. Local: rename. S3: server-side copy then delete (idempotent if retried)."""
        if is_s3(src) != is_s3(dst):
            raise StorageError(f"cannot move between local and object storage: {src} -> {dst}")
        if is_s3(src):
            sb, sk = bucket_key(src)
            db, dk = bucket_key(dst)
            try:
                self.boto.copy({"Bucket": sb, "Key": sk}, db, dk)
                self.boto.delete_object(Bucket=sb, Key=sk)
            except Exception as e:
                raise self._wrap("move", src, e) from e
            return
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.replace(src, dst)

    def delete(self, uri: str) -> None:
        fs, p = self._fs(uri)
        try:
            info = fs.get_file_info(p)
            if info.type == pafs.FileType.Directory:
                fs.delete_dir(p)
            elif info.type == pafs.FileType.File:
                fs.delete_file(p)
        except OSError as e:
            raise self._wrap("delete", uri, e) from e

    def ensure_bucket(self, uri: str) -> None:
        """Fail early with a clear message when the bucket is missing or unreachable."""
        if not is_s3(uri):
            return
        b, _ = bucket_key(uri)
        try:
            self.boto.head_bucket(Bucket=b)
        except Exception as e:
            raise self._wrap("access bucket of", uri, e) from e

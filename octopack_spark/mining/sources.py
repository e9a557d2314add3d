"""Repository sources: parse the repos list, refuse unsafe transports, derive stable repository names.

Clone safety: only https, ssh (including scp-like `user@host:path`), git and local paths under an
allowed root are accepted. Git's remote-helper syntax (`ext::`, `fd::`, any `<helper>::<address>`)
can run arbitrary commands, so it is refused before anything touches the network or the disk.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional
from urllib.parse import urlsplit


class UnsafeSourceError(ValueError):
    """A repository source that is refused; `reason` is a short code for the errors table."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class ReposFileError(ValueError):
    """The repos file cannot be read (missing, wrong columns, bad values)."""


@dataclass(frozen=True)
class RepoSpec:
    url: str  # as given by the user
    name: str = ""  # stable repository name used in row ids ("owner/name")
    license: Optional[str] = None
    stars: Optional[int] = None
    # Newest N non-merge commits of this repository only (repos file column; mine.max_commits caps all).
    max_commits: Optional[int] = None
    # Filled by validate_source: "remote" (clone URL) or "local" (absolute path).
    kind: str = ""
    location: str = ""

    def to_dict(self) -> dict:
        return {
            "url": self.url,
            "name": self.name,
            "license": self.license,
            "stars": self.stars,
            "max_commits": self.max_commits,
            "kind": self.kind,
            "location": self.location,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "RepoSpec":
        return cls(**{k: d.get(k) for k in ("url", "name", "license", "stars", "max_commits", "kind", "location")})


@dataclass
class SourceProblem:
    spec: RepoSpec
    reason: str
    message: str


@dataclass
class SourceList:
    specs: list[RepoSpec] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)


_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_SCP = re.compile(r"^(?:(?P<user>[^@/\s]+)@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>(?!//)[^\s]+)$")
_REMOTE_SCHEMES = {"https", "ssh", "git", "git+ssh", "ssh+git"}


def _is_under(path: str, roots: Iterable[str]) -> bool:
    for r in roots:
        root = os.path.realpath(os.path.abspath(os.path.expanduser(r)))
        if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def validate_source(
    url: str,
    allowed_roots: Iterable[str] = (".",),
    allowed_schemes: Iterable[str] = ("https", "ssh", "git", "file", "local"),
) -> tuple[str, str]:
    """Return ("remote", clone_url) or ("local", absolute_path); raise UnsafeSourceError otherwise."""
    allowed = {s.lower() for s in allowed_schemes}
    u = url.strip()
    if not u:
        raise UnsafeSourceError("empty_source", "empty repository source")
    if any(ord(c) < 32 for c in u):
        raise UnsafeSourceError("bad_source", f"control characters in repository source {u!r}")
    if u.startswith("-"):
        raise UnsafeSourceError("bad_source", f"repository source {u!r} looks like a command-line option")
    if _HELPER.match(u):
        helper = u.split("::", 1)[0]
        raise UnsafeSourceError(
            "refused_transport",
            f"refused transport '{helper}::' in {u!r}: remote helpers can run commands; "
            "only https, ssh, git and local paths are allowed",
        )
    parts = urlsplit(u)
    scheme = parts.scheme.lower()
    if scheme and len(scheme) > 1:  # (a one-letter scheme would be a Windows drive)
        if scheme == "file":
            return _local(parts.path, url, allowed_roots, allowed)
        if scheme not in _REMOTE_SCHEMES:
            raise UnsafeSourceError(
                "refused_transport",
                f"refused scheme '{scheme}://' in {u!r}; allowed: https, ssh, git and local paths",
            )
        canonical = "ssh" if "ssh" in scheme else scheme
        if canonical not in allowed:
            raise UnsafeSourceError("refused_transport", f"scheme '{scheme}' is disabled by mine.allowed_schemes")
        if not parts.hostname:
            raise UnsafeSourceError("bad_source", f"no host in repository URL {u!r}")
        if parts.hostname.startswith("-"):
            raise UnsafeSourceError("bad_source", f"host of {u!r} looks like a command-line option")
        return "remote", u
    m = _SCP.match(u)
    if m and not os.path.exists(u) and "/" not in m.group("host"):
        if "ssh" not in allowed:
            raise UnsafeSourceError("refused_transport", "ssh sources are disabled by mine.allowed_schemes")
        if m.group("host").startswith("-"):
            raise UnsafeSourceError("bad_source", f"host of {u!r} looks like a command-line option")
        return "remote", u
    return _local(u, url, allowed_roots, allowed)


def _local(path: str, url: str, roots: Iterable[str], allowed: set[str]) -> tuple[str, str]:
    if "local" not in allowed and "file" not in allowed:
        raise UnsafeSourceError("refused_transport", "local repositories are disabled by mine.allowed_schemes")
    p = os.path.realpath(os.path.abspath(os.path.expanduser(path)))
    roots = list(roots)
    if not _is_under(p, roots):
        shown = ", ".join(os.path.realpath(os.path.abspath(os.path.expanduser(r))) for r in roots) or "(none)"
        raise UnsafeSourceError(
            "outside_allowed_root",
            f"local repository {url!r} resolves to {p}, which is not under an allowed root ({shown}); "
            "add its parent to mine.allowed_roots",
        )
    return "local", p


def derive_name(url: str) -> str:
    """A stable, human-readable repository name: "owner/name" on GitHub, "host/path" elsewhere,
    the directory name for a local path."""
    u = url.strip().rstrip("/")
    parts = urlsplit(u)
    if parts.scheme and len(parts.scheme) > 1 and parts.scheme.lower() != "file":
        host = (parts.hostname or "").lower()
        path = parts.path.strip("/")
    else:
        m = _SCP.match(u)
        if m and not os.path.exists(u) and "/" not in m.group("host") and not parts.scheme:
            host, path = m.group("host").lower(), m.group("path").strip("/")
        else:
            local = parts.path if parts.scheme.lower() == "file" else u
            base = os.path.basename(os.path.normpath(os.path.abspath(os.path.expanduser(local))))
            return base[:-4] if base.endswith(".git") and len(base) > 4 else base
    if path.endswith(".git"):
        path = path[:-4]
    if host in ("github.com", "www.github.com"):
        return path
    return f"{host}/{path}" if path else host


def _clean_license(v) -> Optional[str]:
    if v is None:
        return None
    s = str(v).strip()
    if not s or s.lower() in ("nan", "none", "null"):
        return None
    return s.lower()


def _clean_stars(v, where: str) -> Optional[int]:
    if v is None:
        return None
    s = str(v).strip()
    if not s or s.lower() in ("nan", "none", "null"):
        return None
    try:
        f = float(s)
    except ValueError:
        raise ReposFileError(f"{where}: stars must be a number, got {v!r}") from None
    if f < 0 or f != int(f):
        raise ReposFileError(f"{where}: stars must be a non-negative integer, got {v!r}")
    return int(f)


def read_repos_file(path: str) -> list[RepoSpec]:
    """Read a repos list: .txt (one URL/path a line, '#' comments), .csv or .parquet with columns
    url[, name, license, stars, max_commits]."""
    p = Path(path)
    if not p.is_file():
        raise ReposFileError(f"repos file not found: {path}")
    suffix = p.suffix.lower()
    rows: list[dict] = []
    if suffix in (".csv", ".tsv"):
        with p.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ",")
            if not reader.fieldnames or "url" not in [c.strip() for c in reader.fieldnames]:
                raise ReposFileError(f"{path}: CSV needs a header with a 'url' column, got {reader.fieldnames}")
            for row in reader:
                rows.append({(k or "").strip(): v for k, v in row.items()})
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(p)
        except Exception as e:  # pyarrow raises several types for corrupt files
            raise ReposFileError(f"{path}: not a readable Parquet file: {e}") from e
        if "url" not in table.column_names:
            raise ReposFileError(f"{path}: Parquet needs a 'url' column, got {table.column_names}")
        rows = table.to_pylist()
    else:
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise ReposFileError(f"{path}: not UTF-8 text: {e}") from e
        for line in text.splitlines():
            s = line.strip()
            if s and not s.startswith("#"):
                rows.append({"url": s})
    specs = []
    for i, row in enumerate(rows, start=1):
        where = f"{path} row {i}"
        url = row.get("url")
        if url is None or not str(url).strip():
            raise ReposFileError(f"{where}: empty url")
        name = row.get("name")
        specs.append(
            RepoSpec(
                url=str(url).strip(),
                name=str(name).strip() if name is not None and str(name).strip() else "",
                license=_clean_license(row.get("license")),
                stars=_clean_stars(row.get("stars"), where),
                max_commits=_clean_stars(row.get("max_commits"), where + " (max_commits)") or None,
            )
        )
    return specs


def resolve_sources(
    specs: Iterable[RepoSpec],
    allowed_roots: Iterable[str] = (".",),
    allowed_schemes: Iterable[str] = ("https", "ssh", "git", "file", "local"),
) -> SourceList:
    """Validate every source, derive names, drop exact duplicates and make names unique."""
    out = SourceList()
    seen_sources: set[str] = set()
    used_names: dict[str, str] = {}
    roots = list(allowed_roots)
    for spec in specs:
        name = spec.name or derive_name(spec.url)
        try:
            kind, location = validate_source(spec.url, roots, allowed_schemes)
        except UnsafeSourceError as e:
            # A refused source keeps its text as name, so the errors table shows what was given.
            shown = spec.name or (name if e.reason == "outside_allowed_root" else spec.url)
            out.problems.append(SourceProblem(RepoSpec(spec.url, shown, spec.license, spec.stars, spec.max_commits),
                                              e.reason, str(e)))
            continue
        if location in seen_sources:
            continue  # the same repository listed twice: mine it once
        seen_sources.add(location)
        if name in used_names and used_names[name] != location:
            # Two different sources derive the same name: keep names unique and stable.
            name = f"{name}-{hashlib.sha1(location.encode()).hexdigest()[:8]}"
        used_names[name] = location
        out.specs.append(RepoSpec(spec.url, name, spec.license, spec.stars, spec.max_commits, kind, location))
    return out

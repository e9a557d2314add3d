"""Deterministic generator of hostile (and good) repositories for the mining fuzz test.

Every repository is written by one `git fast-import` run (fast: ~10 ms a repository), then damaged on
disk when its kind says so. The generator records what an honest miner must produce: the set of
(commit, path) rows of every commit that was generated, and which blobs were removed, so the test can
check that every row is there or that its loss is explained by a recorded reason.

Kinds (`Repo.kind`):
  good            plain ASCII paths and messages, a few commits (rows and contents must match exactly)
  bytes_paths     random bytes in path components (non-UTF-8, control characters, quotes, spaces, '-')
  bytes_message   random bytes in messages, odd encoding headers, odd author names, NUL bytes
  deep_tree       one file 200-400 directories deep
  huge_commit     a commit with more files than mine.max_files_per_commit, and one with a big file
  modes           symlinks, gitlinks (submodules without .gitmodules) and executables
  odd_times       timestamps far in the future and at the epoch, odd time zones
  missing_blob    loose objects, some blobs deleted (rows kept: skip_reason missing_object)
  corrupt_blob    loose objects, some blobs overwritten with garbage
  partial_clone   `git clone --filter=blob:none` whose promisor remote is gone
  missing_tree    a tree object deleted (that commit and its child cannot be listed)
  missing_commit  a parent commit object deleted (the history cannot be listed)
  corrupt_pack    pack file truncated or its index removed
  bad_ref         the default branch holds garbage, points to a missing object, to a blob, or loops
  unborn          HEAD names a branch that does not exist (other branches do)
  empty           `git init` and nothing else (bare or not)
  not_a_repo      a folder of random files, a file, a git folder with a garbage HEAD
  missing_path    a path that does not exist
  gitfile_out     `.git` file pointing at a repository outside the allowed root
  gitlink_dir_out `.git` symlink to a git directory outside the allowed root
  alternates_out  objects/info/alternates naming an object store outside the allowed root
  promisor_cmd    a promisor remote whose upload-pack is a command, and core.fsmonitor / diff.external
                  commands (none may ever run)
  refused_url     a source that is refused before anything runs (ext::, a '-' option, control chars)
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import zlib
from dataclasses import dataclass, field
from typing import Optional

GIT_ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C",
               GIT_TERMINAL_PROMPT="0")

# Kinds whose rows must all be present (with skip reasons where a blob is missing or unreadable).
ROWS_EXACT = {"good", "bytes_paths", "bytes_message", "deep_tree", "huge_commit", "modes", "odd_times",
              "missing_blob", "corrupt_blob", "partial_clone", "promisor_cmd"}
HOSTILE_KINDS = [
    "bytes_paths", "bytes_paths", "bytes_message", "bytes_message", "deep_tree", "huge_commit", "modes",
    "odd_times", "missing_blob", "corrupt_blob", "partial_clone", "missing_tree", "missing_commit",
    "corrupt_pack", "bad_ref", "unborn", "empty", "not_a_repo", "missing_path", "gitfile_out",
    "gitlink_dir_out", "alternates_out", "promisor_cmd", "refused_url",
]


@dataclass
class Repo:
    kind: str
    source: str  # what goes into the repos list
    name: str = ""  # the name mine derives (directory name)
    # (commit sha, raw path bytes) of every generated change, and the contents of each side
    rows: dict[tuple[str, bytes], dict] = field(default_factory=dict)
    commits: list[str] = field(default_factory=list)  # generated commit shas, oldest first
    removed_blobs: set[str] = field(default_factory=set)
    note: str = ""


def _git(*args: str, cwd: Optional[str] = None, input: Optional[bytes] = None, check: bool = True) -> bytes:
    r = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, env=GIT_ENV)
    if check and r.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {r.stderr.decode('utf-8', 'replace')}")
    return r.stdout


def _quote(path: bytes) -> bytes:
    """A path for fast-import: C-style quoted, every byte outside printable ASCII as octal."""
    out = bytearray(b'"')
    for b in path:
        if b in (0x22, 0x5C) or b < 0x20 or b >= 0x7F:
            out += b"\\%03o" % b
        else:
            out.append(b)
    return bytes(out + b'"')


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class _Stream:
    """Builds a fast-import stream of a linear history on refs/heads/main."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.parts: list[bytes] = []
        self.files: dict[bytes, tuple[str, bytes]] = {}  # path -> (mode, contents)
        self.commits: list[dict] = []  # per commit: {"changes": [(op, path, mode, data)], "mark": n}
        self.clock = 1_600_000_000

    def commit(self, changes: list[tuple], message: bytes = b"Update", author: bytes = b"A U Thor <a@example.com>",
               when: Optional[bytes] = None, encoding: Optional[bytes] = None) -> None:
        mark = len(self.commits) + 1
        self.clock += 3600
        when = when or b"%d +0000" % self.clock
        p = [b"commit refs/heads/main\n", b"mark :%d\n" % mark, b"author " + author + b" " + when + b"\n",
             b"committer C O Mitter <c@example.com> " + when + b"\n"]
        if encoding:
            p.append(b"encoding " + encoding + b"\n")
        p.append(b"data %d\n" % len(message) + message + b"\n")
        if mark > 1:
            p.append(b"from :%d\n" % (mark - 1))
        applied = []
        for op, path, mode, data in changes:
            if op == "D":
                if path not in self.files:
                    continue
                p.append(b"D " + _quote(path) + b"\n")
                del self.files[path]
            else:
                if mode == "160000":
                    p.append(b"M 160000 " + data + b" " + _quote(path) + b"\n")
                else:
                    p.append(b"M " + mode.encode() + b" inline " + _quote(path) + b"\n")
                    p.append(b"data %d\n" % len(data) + data + b"\n")
                self.files[path] = (mode, data)
            applied.append((op, path, mode, data))
        self.parts.append(b"".join(p))
        self.commits.append({"changes": applied, "mark": mark})

    def stream(self) -> bytes:
        return b"reset refs/heads/main\n" + b"".join(self.parts) + b"done\n"


def _text(rng: random.Random, lines: int = 6) -> bytes:
    words = ["alpha", "beta", "gamma", "delta", "return", "value", "index", "count", "node", "item"]
    return "".join(f"{rng.choice(words)}_{rng.randrange(10**6)} = {rng.randrange(10**9)}\n"
                   for _ in range(lines)).encode()


def _ascii_path(rng: random.Random, depth: int = 2) -> bytes:
    exts = [".py", ".js", ".go", ".rs", ".c", ".java", ".md", ".txt", ""]
    dirs = [f"d{rng.randrange(5)}" for _ in range(rng.randrange(depth + 1))]
    return "/".join(dirs + [f"f{rng.randrange(10**6)}{rng.choice(exts)}"]).encode()


def _byte_component(rng: random.Random) -> bytes:
    while True:
        n = rng.randint(1, 12)
        comp = bytes(rng.choice([b for b in range(1, 256) if b != 0x2F]) for _ in range(n))
        if comp not in (b".", b"..") and comp.lower() != b".git":
            return comp


def _byte_path(rng: random.Random) -> bytes:
    return b"/".join(_byte_component(rng) for _ in range(rng.randint(1, 3)))


def _history(rng: random.Random, kind: str, s: _Stream) -> None:
    """The commits of a repository of `kind` (linear, no merges; deletions never share a commit with
    additions, so rename detection cannot fold two rows into one)."""
    n = rng.randint(1, 9)
    for i in range(n):
        changes: list[tuple] = []
        if i > 0 and s.files and rng.random() < 0.2:
            for path in rng.sample(sorted(s.files), k=min(len(s.files), rng.randint(1, 2))):
                changes.append(("D", path, None, None))
        else:
            for _ in range(rng.randint(1, 4)):
                if s.files and rng.random() < 0.4:
                    path = rng.choice(sorted(s.files))
                    if s.files[path][0] in ("160000", "120000"):
                        continue
                else:
                    path = _byte_path(rng) if kind == "bytes_paths" else _ascii_path(rng)
                    if path in s.files or any(path.startswith(f + b"/") or f.startswith(path + b"/")
                                              for f in s.files):
                        continue
                changes.append(("M", path, "100644", _text(rng, rng.randint(3, 12))))
        if kind == "bytes_message":
            msg = bytes(rng.randrange(256) for _ in range(rng.randint(0, 80)))
            enc = rng.choice([None, b"ISO-8859-1", b"bogus-encoding-x", b"UTF-16", b"utf-8"])
            author = rng.choice([b"\xff\xfe Name <odd@example.com>", b"NoMail <>", b"A U Thor <a@example.com>"])
            s.commit(changes, msg, author=author, encoding=enc)
        else:
            s.commit(changes, f"Change {i}: {rng.choice(['fix', 'add', 'refactor'])} things".encode())
    if kind == "deep_tree":
        depth = rng.randint(200, 400)
        path = b"/".join([b"d%d" % (i % 7) for i in range(depth)] + [b"deep.py"])
        s.commit([("M", path, "100644", b"x = 1\n")], b"A deep file")
    elif kind == "huge_commit":
        base = b"many%d" % rng.randrange(100)
        s.commit([("M", base + b"/f%04d.py" % i, "100644", b"v = %d\n" % i) for i in range(rng.randint(130, 400))],
                 b"Add very many files")
        s.commit([("M", b"big.txt", "100644", (b"0123456789abcdef" * 4096) * rng.randint(2, 8))], b"A big file")
    elif kind == "modes":
        s.commit([("M", b"link", "120000", b"../../../../etc/passwd"),
                  ("M", b"sub", "160000", hashlib.sha1(b"x%d" % rng.randrange(99)).hexdigest().encode()),
                  ("M", b"run.sh", "100755", b"#!/bin/sh\necho hi\n")], b"Links, a submodule, a script")
    elif kind == "odd_times":
        for when in (b"0 +0000", b"99999999999 -1200", b"10000000000000 +1400", b"1 +9959"):
            s.commit([("M", _ascii_path(rng), "100644", _text(rng))], b"Odd time " + when, when=when)


def _fast_import(path: str, s: _Stream, loose: bool, bare: bool = True) -> list[str]:
    os.makedirs(path, exist_ok=True)
    _git("init", "-q", "--bare" if bare else "--quiet", "-b", "main", path)
    git_dir = path if bare else os.path.join(path, ".git")
    marks = os.path.join(git_dir, "fi-marks")
    args = ["--git-dir=" + git_dir]
    args += ["-c", f"fastimport.unpackLimit={1_000_000 if loose else 0}"]
    _git(*args, "fast-import", "--quiet", "--date-format=raw-permissive", "--export-marks=" + marks, input=s.stream())
    by_mark = {}
    with open(marks) as f:
        for line in f:
            m, sha = line.split()
            by_mark[int(m[1:])] = sha
    os.remove(marks)
    return [by_mark[c["mark"]] for c in s.commits]


def _record_rows(repo: Repo, s: _Stream, shas: list[str]) -> None:
    repo.commits = shas
    for c, sha in zip(s.commits, shas):
        for op, path, mode, data in c["changes"]:
            repo.rows[(sha, path)] = {"op": op, "mode": mode, "data": data}


def _loose_path(git_dir: str, sha: str) -> str:
    return os.path.join(git_dir, "objects", sha[:2], sha[2:])


def build(kind: str, path: str, rng: random.Random, outside: str) -> Repo:
    """Create one repository of `kind` at `path` (outside: a folder outside the allowed root)."""
    name = os.path.basename(path)
    repo = Repo(kind, path, name)
    if kind == "missing_path":
        return repo
    if kind == "refused_url":
        repo.source = rng.choice(["ext::sh -c touch% /tmp/octopack-fuzz-pwned", "fd::17", "-uhello",
                                  "https://exa\x01mple.com/x.git", "file:///etc", "ftp://example.com/r.git"])
        repo.name = ""
        return repo
    if kind == "not_a_repo":
        choice = rng.randrange(3)
        if choice == 0:
            os.makedirs(path)
            with open(os.path.join(path, "README"), "wb") as f:
                f.write(bytes(rng.randrange(256) for _ in range(200)))
        elif choice == 1:
            with open(path, "wb") as f:
                f.write(b"not a repository\n")
        else:
            _git("init", "-q", "--bare", path)
            with open(os.path.join(path, "HEAD"), "wb") as f:
                f.write(bytes(rng.randrange(1, 256) for _ in range(30)))
        repo.note = ["dir", "file", "garbage HEAD"][choice]
        return repo
    if kind == "empty":
        bare = rng.random() < 0.5
        _git("init", "-q", *(["--bare"] if bare else []), path)
        return repo
    if kind in ("gitfile_out", "gitlink_dir_out", "alternates_out"):
        target = os.path.join(outside, name + "-target.git")
        s = _Stream(rng)
        _history(rng, "good", s)
        _fast_import(target, s, loose=False)
        if kind == "gitfile_out":
            os.makedirs(path)
            with open(os.path.join(path, ".git"), "w") as f:
                f.write(f"gitdir: {target}\n")
        elif kind == "gitlink_dir_out":
            os.makedirs(path)
            os.symlink(target, os.path.join(path, ".git"))
        else:
            s2 = _Stream(rng)
            _history(rng, "good", s2)
            _fast_import(path, s2, loose=False)
            with open(os.path.join(path, "objects", "info", "alternates"), "w") as f:
                f.write(os.path.join(target, "objects") + "\n")
        return repo

    s = _Stream(rng)
    base_kind = kind if kind in ("bytes_paths", "bytes_message", "deep_tree", "huge_commit", "modes",
                                 "odd_times") else "good"
    _history(rng, base_kind, s)
    renamed = None
    if kind == "promisor_cmd":
        # a rename with an edit: rename detection must read the old blob, which will be missing, so git
        # would ask the promisor remote for it
        old = sorted(p for p, (m, _d) in s.files.items() if m == "100644")
        if not old:
            s.commit([("M", b"seed.py", "100644", _text(rng))], b"Seed")
            old = [b"seed.py"]
        renamed = s.files[old[0]][1]
        s.commit([("D", old[0], None, None), ("M", old[0] + b".moved", "100644", renamed + b"tail = 1\n")],
                 b"Move a file")
    if kind in ("missing_tree", "missing_commit") and len(s.commits) < 3:
        for i in range(3 - len(s.commits)):
            s.commit([("M", _ascii_path(rng), "100644", _text(rng))], b"Pad %d" % i)
    loose = kind in ("missing_blob", "corrupt_blob", "missing_tree", "missing_commit", "promisor_cmd")
    bare = rng.random() < 0.5 and kind != "partial_clone"

    if kind == "partial_clone":
        src = os.path.join(outside, name + "-origin.git")
        shas = _fast_import(src, s, loose=False)
        _git("--git-dir=" + src, "config", "uploadpack.allowFilter", "true")
        _git("clone", "-q", "--bare", "--no-local", "--filter=blob:none", "file://" + src, path)
        shutil.rmtree(src)  # the promisor remote is gone: missing blobs stay missing
        _record_rows(repo, s, shas)
        have = set(_git("--git-dir=" + path, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)",
                        check=False).split())
        repo.removed_blobs = {blob_sha(v["data"]) for v in repo.rows.values()
                              if v["op"] != "D" and v["mode"] not in ("160000",)} - {x.decode() for x in have}
        return repo

    shas = _fast_import(path, s, loose=loose, bare=bare)
    _record_rows(repo, s, shas)
    git_dir = path if bare else os.path.join(path, ".git")

    if kind in ("missing_blob", "corrupt_blob"):
        blobs = sorted({blob_sha(v["data"]) for v in repo.rows.values() if v["op"] == "M"})
        victims = rng.sample(blobs, k=max(1, len(blobs) // 3))
        for b in victims:
            p = _loose_path(git_dir, b)
            if not os.path.exists(p):
                continue
            if kind == "missing_blob":
                os.remove(p)
            else:
                os.chmod(p, 0o644)
                with open(p, "wb") as f:
                    f.write(rng.choice([b"garbage", zlib.compress(b"blob 99\0short"), b""]))
            repo.removed_blobs.add(b)
    elif kind == "missing_tree":
        victim = shas[rng.randrange(1, len(shas))]
        tree = _git("--git-dir=" + git_dir, "rev-parse", victim + "^{tree}").decode().strip()
        os.remove(_loose_path(git_dir, tree))
        repo.note = f"tree of {victim} removed"
    elif kind == "missing_commit":
        victim = shas[rng.randrange(0, len(shas) - 1)]
        os.remove(_loose_path(git_dir, victim))
        repo.note = f"commit {victim} removed"
    elif kind == "corrupt_pack":
        pack_dir = os.path.join(git_dir, "objects", "pack")
        pack = next(f for f in os.listdir(pack_dir) if f.endswith(".pack"))
        how = rng.randrange(3)
        p = os.path.join(pack_dir, pack)
        if how == 0:
            size = os.path.getsize(p)
            with open(p, "r+b") as f:
                f.truncate(max(12, size // 2))
        elif how == 1:
            os.remove(p[:-5] + ".idx")
        else:
            with open(p, "r+b") as f:
                f.seek(12)
                f.write(bytes(rng.randrange(256) for _ in range(max(1, os.path.getsize(p) - 40))))
        repo.note = ["truncated", "idx removed", "scrambled"][how]
    elif kind == "bad_ref":
        how = rng.randrange(5)
        ref = os.path.join(git_dir, "refs", "heads", "main")
        with open(ref, "w") as f:
            f.write(["garbage\n", "0" * 39 + "1\n", blob_sha(next(iter(repo.rows.values()))["data"] or b"") + "\n",
                     "ref: refs/heads/main\n", "ref: ../../../../etc/passwd\n"][how])
        repo.note = ["garbage", "missing object", "a blob", "loop", "escaping symref"][how]
    elif kind == "unborn":
        with open(os.path.join(git_dir, "HEAD"), "w") as f:
            f.write("ref: refs/heads/nothing-here\n")
    elif kind == "promisor_cmd":
        marker = os.path.join(outside, name + "-PWNED")
        repo.note = marker
        _git("--git-dir=" + git_dir, "config", "remote.origin.url", outside)
        _git("--git-dir=" + git_dir, "config", "remote.origin.promisor", "true")
        _git("--git-dir=" + git_dir, "config", "remote.origin.partialclonefilter", "blob:none")
        _git("--git-dir=" + git_dir, "config", "remote.origin.uploadpack", f"touch {marker}; false")
        _git("--git-dir=" + git_dir, "config", "extensions.partialClone", "origin")
        _git("--git-dir=" + git_dir, "config", "core.repositoryformatversion", "1")
        _git("--git-dir=" + git_dir, "config", "core.fsmonitor", f"touch {marker}; :")
        _git("--git-dir=" + git_dir, "config", "diff.external", f"touch {marker}; :")
        # a blob the history needs is "missing": git would ask the promisor for it
        victim = blob_sha(renamed)
        os.remove(_loose_path(git_dir, victim))
        repo.removed_blobs.add(victim)
    return repo


def generate(root: str, outside: str, n_hostile: int = 200, n_good: int = 20, seed: int = 12) -> list[Repo]:
    """`n_hostile` repositories of the hostile kinds (each kind at least once) and `n_good` good ones
    under `root`; targets of links out of the root go under `outside`."""
    rng = random.Random(seed)
    kinds = list(HOSTILE_KINDS)
    while len(kinds) < n_hostile:
        kinds.append(rng.choice(HOSTILE_KINDS))
    kinds = kinds[:n_hostile] + ["good"] * n_good
    rng.shuffle(kinds)
    repos = []
    for i, kind in enumerate(kinds):
        r = random.Random(rng.randrange(2**32))
        repos.append(build(kind, os.path.join(root, f"r{i:03d}-{kind}"), r, outside))
    return repos

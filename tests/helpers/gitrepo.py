"""Build small real Git repositories with pygit2 inside tests (no fixtures checked in)."""

from __future__ import annotations

from typing import Optional, Union

import pygit2

Contents = Union[bytes, str, None]


class RepoBuilder:
    """A non-bare repository whose commits are made from {path: contents} snapshots of changes.

    `commit({"a.py": "x"})` adds/modifies, `{"a.py": None}` deletes, `renames={"old": "new"}` moves.
    Times are explicit so tests are deterministic.
    """

    def __init__(self, path: str, branch: str = "main"):
        self.path = path
        self.repo = pygit2.init_repository(path, bare=False, initial_head=branch)
        self.branch = branch
        self.files: dict[str, bytes] = {}
        self.clock = 1_700_000_000

    def _sig(self, name: str, email: str, t: Optional[int]) -> pygit2.Signature:
        return pygit2.Signature(name, email, t if t is not None else self.clock, 0)

    def _tree(self, files: dict[str, bytes]) -> pygit2.Oid:
        # Build nested trees from flat paths.
        root: dict = {}
        for path, data in files.items():
            parts = path.split("/")
            cur = root
            for p in parts[:-1]:
                cur = cur.setdefault(p, {})
            cur[parts[-1]] = data

        def write(node: dict) -> pygit2.Oid:
            tb = self.repo.TreeBuilder()
            for name in sorted(node):
                v = node[name]
                if isinstance(v, dict):
                    tb.insert(name, write(v), pygit2.enums.FileMode.TREE)
                else:
                    tb.insert(name, self.repo.create_blob(v), pygit2.enums.FileMode.BLOB)
            return tb.write()

        return write(root)

    def commit(
        self,
        changes: dict[str, Contents],
        message: Union[str, bytes] = "Update files",
        renames: Optional[dict[str, str]] = None,
        parents: Optional[list[pygit2.Oid]] = None,
        author: tuple[str, str] = ("Ada Lovelace", "ada@example.com"),
        time: Optional[int] = None,
        encoding: Optional[str] = None,
        ref: Optional[str] = "HEAD",
    ) -> pygit2.Oid:
        self.clock += 60
        for old, new in (renames or {}).items():
            self.files[new] = self.files.pop(old)
        for p, c in changes.items():
            if c is None:
                self.files.pop(p, None)
            else:
                self.files[p] = c.encode() if isinstance(c, str) else c
        tree = self._tree(self.files)
        if parents is None:
            parents = [] if self.repo.head_is_unborn else [self.repo.head.target]
        sig = self._sig(*author, time)
        if isinstance(message, bytes):
            # pygit2 takes str messages; write raw bytes (e.g. Latin-1) through the ODB.
            return self._raw_commit(tree, parents, sig, message, encoding, ref)
        oid = self.repo.create_commit(ref, sig, sig, message, tree, parents, encoding) if encoding else \
            self.repo.create_commit(ref, sig, sig, message, tree, parents)
        return oid

    def _raw_commit(self, tree, parents, sig, message: bytes, encoding, ref) -> pygit2.Oid:
        lines = [f"tree {tree}".encode()]
        lines += [f"parent {p}".encode() for p in parents]
        ident = f"{sig.name} <{sig.email}> {sig.time} +0000".encode()
        lines.append(b"author " + ident)
        lines.append(b"committer " + ident)
        if encoding:
            lines.append(b"encoding " + encoding.encode())
        raw = b"\n".join(lines) + b"\n\n" + message
        oid = self.repo.odb.write(pygit2.enums.ObjectType.COMMIT, raw)
        if ref == "HEAD":
            self.repo.references.create(f"refs/heads/{self.branch}", oid, force=True)
        return oid

    def branch_from(self, name: str, at: pygit2.Oid) -> None:
        self.repo.references.create(f"refs/heads/{name}", at, force=True)

    def set_head(self, oid: pygit2.Oid) -> None:
        self.repo.references.create(f"refs/heads/{self.branch}", oid, force=True)

"""Small real repositories used by the mining tests (built with pygit2 at test time)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

import pygit2

from tests.helpers.gitrepo import RepoBuilder

MIT_TEXT = """MIT License

Copyright (c) 2024 Test

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
"""

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@dataclass
class RichRepo:
    path: str
    commits: dict[str, str] = field(default_factory=dict)  # label -> sha
    merge: str = ""


def build_rich_repo(path: str) -> RichRepo:
    """Several languages, a rename, a delete, a binary, a too-large file, a merge, a Latin-1 message,
    a Latin-1 file and a commit touching many files."""
    b = RepoBuilder(path)
    out = RichRepo(path)
    out.commits["root"] = str(b.commit(
        {
            "src/app.py": "def main():\n    return 1\n",
            "web/index.js": "function hello() {\n  return 'hi';\n}\nmodule.exports = hello;\n",
            "README.md": "# Demo\n",
            "LICENSE": MIT_TEXT,
            "Dockerfile": "FROM python:3.11\n",
            "lib/gen.rs.in": "fn gen() {}\n",
        },
        "Initial commit of the demo",
    ))
    out.commits["binary"] = str(b.commit(
        {"src/app.py": "def main():\n    return 2\n", "assets/logo.png": PNG_BYTES},
        "Add logo and return two",
    ))
    out.commits["rename"] = str(b.commit(
        {"web/main.js": "function hello() {\n  return 'hello';\n}\nmodule.exports = hello;\n"},
        "Rename index.js to main.js",
        renames={"web/index.js": "web/main.js"},
    ))
    out.commits["delete_big"] = str(b.commit(
        {"README.md": None, "data/big.txt": "x" * 5000 + "\n"},
        "Remove readme and add big data file",
    ))
    base = b.repo.head.target
    # A side branch and a merge (the merge itself is skipped; its parents' changes are mined).
    feature = b.commit({"src/feature.go": "package main\n\nfunc Feature() int { return 3 }\n"},
                       "Add Go feature", parents=[base], ref=None)
    out.commits["feature"] = str(feature)
    b.files.pop("src/feature.go")  # the side branch's file is not on main until the merge
    out.commits["main_side"] = str(b.commit({"src/app.py": "def main():\n    return 3\n"}, "Return three"))
    b.files["src/feature.go"] = b"package main\n\nfunc Feature() int { return 3 }\n"
    merge = b.commit({}, "Merge branch 'feature'", parents=[b.repo.head.target, feature])
    out.merge = str(merge)
    out.commits["latin1"] = str(b.commit(
        {"docs/caf\u00e9.txt": b"caf\xe9 au lait\n", "src/app.py": "def main():\n    return 4\n"},
        "R\u00e9sum\u00e9 of changes".encode("latin-1"),
        encoding="ISO-8859-1",
    ))
    out.commits["many"] = str(b.commit({f"gen/f{i}.c": f"int f{i}(void) {{ return {i}; }}\n" for i in range(7)},
                                       "Generate seven C files"))
    return out


def git(path: str, *args: str) -> bytes:
    return subprocess.run(["git", "-C", path, *args], check=True, capture_output=True).stdout


def git_changes(path: str, sha: str) -> list[tuple[str, str, str]]:
    """(status, old_path, new_path) of a commit as the git CLI sees it (rename detection on)."""
    out = git(path, "diff-tree", "-r", "-M", "--root", "--no-commit-id", "-z", "--name-status", sha)
    parts = out.split(b"\0")
    res = []
    i = 0
    while i < len(parts) and parts[i]:
        st = parts[i].decode()
        if st.startswith("R"):
            res.append(("R", parts[i + 1].decode(), parts[i + 2].decode()))
            i += 3
        else:
            p = parts[i + 1].decode()
            res.append((st[0], p, p))
            i += 2
    return res


def make_empty_repo(path: str) -> str:
    pygit2.init_repository(path, bare=True)
    return path


def make_corrupt_repo(path: str) -> str:
    """A repository whose tree object was deleted from the object store."""
    b = RepoBuilder(path)
    b.commit({"a.py": "x = 1\n"}, "First file")
    b.commit({"a.py": "x = 2\n"}, "Second version")
    tree = str(b.repo.head.peel(pygit2.Commit).tree.id)
    obj = os.path.join(path, ".git", "objects", tree[:2], tree[2:])
    os.chmod(obj, 0o644)
    os.remove(obj)
    return path

"""False positives of the secrets detector on ordinary source files of real repositories.

    .venv/bin/python benchmarks/secrets_fp_bench.py [--corpus /work/corpus] [--files 10000]

Reads source files (by extension, at most 200 KB each) of HEAD of every bare repository under --corpus,
round-robin over the repositories until --files are taken, runs `find_secrets` on each, and prints the
share of files with at least one finding, per kind, and the flagged files (path and kind, never the text).
These repositories are public projects: a finding is counted as a false positive (test fixtures with
fake keys are counted too, so the figure is an upper bound).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter

import pygit2

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from octopack_spark.governance.secrets import find_secrets  # noqa: E402

EXTENSIONS = {".py", ".js", ".ts", ".mjs", ".java", ".kt", ".rb", ".go", ".rs", ".c", ".h", ".cc", ".cpp", ".cls",
              ".cs", ".php", ".sh", ".svelte", ".yml", ".yaml", ".json", ".toml", ".xml", ".properties", ".erb",
              ".tcl", ".lua", ".groovy", ".md"}
MAX_BYTES = 200_000


def source_blobs(git_dir: str):
    """(path, text) of HEAD's source files, in tree order."""
    repo = pygit2.Repository(git_dir)
    stack = [("", repo.head.peel(pygit2.Commit).tree)]
    while stack:
        prefix, tree = stack.pop()
        for e in tree:
            path = prefix + e.name
            if e.id not in repo:  # a mirror may lack objects (partial clone): skip them
                continue
            if e.type_str == "tree":
                stack.append((path + "/", repo[e.id]))
            elif e.type_str == "blob" and os.path.splitext(e.name)[1].lower() in EXTENSIONS:
                blob = repo[e.id]
                if blob.size <= MAX_BYTES and not blob.is_binary:
                    yield path, blob.data.decode("utf-8", "replace")


def take_files(corpus: str, n: int):
    gens = [(name, source_blobs(os.path.join(corpus, name))) for name in sorted(os.listdir(corpus))]
    taken = 0
    while gens and taken < n:
        for name, gen in list(gens):
            item = next(gen, None)
            if item is None:
                gens.remove((name, gen))
                continue
            taken += 1
            yield name, *item
            if taken >= n:
                return


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/work/corpus")
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--show", type=int, default=40, help="flagged files to list")
    args = ap.parse_args()
    t0 = time.monotonic()
    files = flagged = nbytes = 0
    kinds: Counter = Counter()
    per_repo: Counter = Counter()
    shown = []
    for repo, path, text in take_files(args.corpus, args.files):
        files += 1
        per_repo[repo] += 1
        nbytes += len(text)
        found = find_secrets(text)
        if found:
            flagged += 1
            kinds.update({f.kind for f in found})
            shown.append(f"  {repo}:{path}: {', '.join(sorted({f.kind for f in found}))}")
    secs = time.monotonic() - t0
    print(f"files {files} from {len(per_repo)} repositories ({dict(per_repo)}), {nbytes / 1e6:.1f} MB, {secs:.1f} s")
    print(f"flagged {flagged} = {flagged / max(files, 1):.3%} of files; by kind {dict(kinds)}")
    print("\n".join(shown[:args.show]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

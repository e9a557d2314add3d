"""Lay out real files with ambiguous extensions for tests/mining/test_languages.py (run by hand; nothing
it writes is committed).

Each source is a bare Git repository of a public project (e.g. fetched with the search tool into
/work/.mirror/<owner>+<name>/repo); files are copied from HEAD to OUT/<Language>/<owner>+<name>__<path>.
The label is the project's language for that part of its tree (chosen below by path prefix), so a
mislabel in the table shows as a miss, not as a silent pass.

    python tests/data/languages/build_real_corpus.py --mirrors /work/.mirror --out /tmp/ambiguous
    OCTOPACK_AMBIGUOUS_CORPUS=/tmp/ambiguous pytest -q -s tests/mining/test_languages.py
"""
import argparse
import os
import re
import subprocess

# (repository, path regex, language); at most MAX_PER_SOURCE files per row, spread evenly over the sorted list.
SOURCES = [
    ("redis/redis", r"^src/[^/]+\.h$", "C"),
    ("google/leveldb", r"\.h$", "C++"),
    ("POV-Ray/povray", r"^source/.*\.h$", "C++"),
    ("AFNetworking/AFNetworking", r"\.h$", "Objective-C"),
    ("AFNetworking/AFNetworking", r"\.m$", "Objective-C"),
    ("rasmusbergpalm/DeepLearnToolbox", r"\.m$", "Matlab"),
    ("brendangregg/FlameGraph", r"\.pl$", "Perl"),
    ("alliedmodders/sourcemod", r"\.pl$", "Perl"),
    ("mthom/scryer-prolog", r"\.pl$", "Prolog"),
    ("alexforencich/verilog-ethernet", r"\.v$", "Verilog"),
    ("uwplse/verdi", r"\.v$", "Coq"),
    ("alliedmodders/sourcemod", r"^plugins/include/.*\.inc$", "SourcePawn"),
    ("POV-Ray/povray", r"^distribution/include/.*\.inc$", "POV-Ray SDL"),
    ("SalesforceFoundation/NPSP", r"\.cls$", "Apex"),
    ("VBA-tools/VBA-Web", r"\.cls$", "Visual Basic"),
]
MAX_PER_SOURCE = 60


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirrors", required=True, help="folder with <owner>+<name>/repo bare repositories")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    for repo, pattern, lang in SOURCES:
        git_dir = os.path.join(a.mirrors, repo.replace("/", "+"), "repo")
        names = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "--name-only", "HEAD"],
                               check=True, capture_output=True, text=True).stdout.splitlines()
        picked = sorted(n for n in names if re.search(pattern, n))
        if len(picked) > MAX_PER_SOURCE:
            step = len(picked) / MAX_PER_SOURCE
            picked = [picked[int(i * step)] for i in range(MAX_PER_SOURCE)]
        dest = os.path.join(a.out, lang)
        os.makedirs(dest, exist_ok=True)
        for n in picked:
            data = subprocess.run(["git", "--git-dir", git_dir, "show", f"HEAD:{n}"], check=True,
                                  capture_output=True).stdout
            with open(os.path.join(dest, repo.replace("/", "+") + "__" + n.replace("/", "__")), "wb") as f:
                f.write(data)
        print(f"{repo:35s} {lang:14s} {len(picked):4d} files")


if __name__ == "__main__":
    main()

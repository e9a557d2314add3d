"""mine_repository against real repositories built in the test, checked against the git CLI."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess

import pyarrow as pa
import pytest

from octopack_spark.config import MineConfig
from octopack_spark.mining.identity import row_id
from octopack_spark.mining.sources import RepoSpec, resolve_sources
from octopack_spark.mining.walk import RepoOutcome, decode_message, mine_repository, path_text
from octopack_spark.schema import COMMITS_SCHEMA
from tests.helpers.sample_repos import (
    build_rich_repo,
    git,
    git_changes,
    make_corrupt_repo,
    make_empty_repo,
)


def _spec(path: str, root: str, **kw) -> RepoSpec:
    src = resolve_sources([RepoSpec(path, **kw)], allowed_roots=[root])
    assert not src.problems, src.problems
    return src.specs[0]


def _mine(spec: RepoSpec, cfg: MineConfig, last_head=None):
    outcome = RepoOutcome(spec.name, spec.url)
    batches = list(mine_repository(spec, cfg, outcome, last_head))
    for b in batches:
        assert b.schema.equals(COMMITS_SCHEMA)
    rows = pa.Table.from_batches(batches, schema=COMMITS_SCHEMA).to_pylist() if batches else []
    return rows, outcome


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    root = tmp_path_factory.mktemp("repos")
    repo = build_rich_repo(str(root / "demo"))
    cfg = MineConfig(max_file_bytes=1000, max_files_per_commit=6, allowed_roots=[str(root)])
    spec = _spec(repo.path, str(root), license=None, stars=7)
    rows, outcome = _mine(spec, cfg)
    return repo, rows, outcome, spec


def test_outcome_counts(rich):
    repo, rows, outcome, _ = rich
    # 9 commits on main's history: 8 non-merge (incl. the side branch's one) + 1 merge that is skipped.
    assert outcome.status == "ok", outcome.errors
    assert outcome.commits == 8
    assert outcome.merges_skipped == 1
    assert outcome.rows == len(rows)
    assert outcome.head == git(repo.path, "rev-parse", "HEAD").decode().strip()
    assert outcome.license == "mit"
    assert repo.merge not in {r["commit"] for r in rows}


def test_changes_match_git_cli(rich):
    repo, rows, _, _ = rich
    non_merge = git(repo.path, "rev-list", "--no-merges", "HEAD").decode().split()
    assert sorted({r["commit"] for r in rows}) == sorted(non_merge)
    for sha in non_merge:
        expected = sorted(git_changes(repo.path, sha))
        got = sorted(
            (r["change_type"], r["old_file"] or r["new_file"], r["new_file"] or r["old_file"])
            for r in rows if r["commit"] == sha
        )
        assert got == expected, sha


def test_contents_byte_identical_to_git_show(rich):
    repo, rows, _, _ = rich
    checked = 0
    for r in rows:
        if r["skip_reason"]:
            assert r["old_contents"] is None and r["new_contents"] is None
            continue
        if r["new_file"] is not None:
            assert r["new_contents"].encode("utf-8") == git(repo.path, "show", f"{r['commit']}:{r['new_file']}")
            assert r["new_size"] == len(r["new_contents"].encode())
            checked += 1
        else:
            assert r["new_contents"] is None and r["change_type"] == "D"
        if r["old_file"] is not None:
            assert r["old_contents"].encode("utf-8") == git(repo.path, "show", f"{r['commit']}^:{r['old_file']}")
            checked += 1
        else:
            assert r["old_contents"] is None and r["change_type"] == "A"
    assert checked == 16


def test_change_types_and_skips(rich):
    repo, rows, _, spec = rich
    by = {(r["commit"], r["new_file"] or r["old_file"]): r for r in rows}
    c = repo.commits
    ren = by[(c["rename"], "web/main.js")]
    assert (ren["change_type"], ren["old_file"], ren["new_file"]) == ("R", "web/index.js", "web/main.js")
    assert ren["lang"] == "JavaScript" and ren["lines_added"] == 1 and ren["lines_removed"] == 1
    assert ren["diff"].startswith("diff --git a/web/index.js b/web/main.js")
    dele = by[(c["delete_big"], "README.md")]
    assert dele["change_type"] == "D" and dele["new_file"] is None and dele["old_contents"] == "# Demo\n"
    assert dele["lang"] == "Markdown"
    big = by[(c["delete_big"], "data/big.txt")]
    assert big["skip_reason"] == "too_large" and big["new_size"] == 5001 and big["diff"] is None
    png = by[(c["binary"], "assets/logo.png")]
    assert png["skip_reason"] == "binary" and png["new_contents"] is None and png["lang"] is None
    latin_file = by[(c["latin1"], "docs/caf\u00e9.txt")]
    assert latin_file["skip_reason"] == "not_utf8"
    app = by[(c["latin1"], "src/app.py")]
    assert app["subject"] == "R\u00e9sum\u00e9 of changes"  # decoded through the encoding header
    assert app["old_contents"] == "def main():\n    return 3\n" and app["new_contents"] == "def main():\n    return 4\n"
    many = [r for r in rows if r["commit"] == c["many"]]
    assert len(many) == 7 and all(r["skip_reason"] == "commit_too_many_files" for r in many)
    assert all(r["commit_files"] == 7 and r["lang"] == "C" for r in many)
    root_rows = [r for r in rows if r["commit"] == c["root"]]
    assert all(r["parent"] is None and r["change_type"] == "A" for r in root_rows)
    langs = {r["new_file"]: r["lang"] for r in root_rows}
    assert langs == {"src/app.py": "Python", "web/index.js": "JavaScript", "README.md": "Markdown",
                     "LICENSE": None, "Dockerfile": "Dockerfile", "lib/gen.rs.in": "Rust"}
    feature = by[(c["feature"], "src/feature.go")]
    assert feature["lang"] == "Go" and feature["parent"] == c["delete_big"]


def test_row_metadata(rich):
    repo, rows, _, spec = rich
    for r in rows:
        assert r["row_id"] == row_id(spec.name, r["commit"], r["new_file"] or r["old_file"])
        assert r["repo"] == r["repos"] == "demo"
        assert r["stars"] == 7 and r["license"] == "mit"
        assert "ada" not in r["author_id"] and len(r["author_id"]) == 24
        assert r["author_time"].tzinfo is not None
        assert r["message"].startswith(r["subject"])
    assert len({r["row_id"] for r in rows}) == len(rows)
    t = int(git(repo.path, "show", "-s", "--format=%ct", repo.commits["root"]))
    root = next(r for r in rows if r["commit"] == repo.commits["root"])
    assert root["committer_time"] == dt.datetime.fromtimestamp(t, dt.timezone.utc)


def test_max_commits_since_until(rich, tmp_path):
    repo, _, _, spec = rich
    cfg = MineConfig(max_commits=2, max_files_per_commit=6)
    rows, outcome = _mine(spec, cfg)
    newest = git(repo.path, "rev-list", "--no-merges", "-n", "2", "HEAD").decode().split()
    assert outcome.commits == 2 and sorted({r["commit"] for r in rows}) == sorted(newest)
    ct = int(git(repo.path, "show", "-s", "--format=%ct", repo.commits["rename"]))
    since = dt.datetime.fromtimestamp(ct, dt.timezone.utc)
    rows, outcome = _mine(spec, MineConfig(since=since, until=since))
    assert {r["commit"] for r in rows} == {repo.commits["rename"]}


def test_incremental_from_last_head(rich):
    repo, _, _, spec = rich
    rows, outcome = _mine(spec, MineConfig(), last_head=repo.commits["main_side"])
    # New since main_side: the merge brings in `feature`, plus the two commits after the merge.
    assert {r["commit"] for r in rows} == {repo.commits["feature"], repo.commits["latin1"], repo.commits["many"]}
    rows, outcome = _mine(spec, MineConfig(), last_head=outcome.head)
    assert rows == [] and outcome.status == "ok"


def test_empty_repo(tmp_path):
    spec = _spec(make_empty_repo(str(tmp_path / "empty.git")), str(tmp_path))
    rows, outcome = _mine(spec, MineConfig())
    assert rows == [] and outcome.status == "empty"
    assert [(e["stage"], e["reason"]) for e in outcome.errors] == [("open", "empty")]


def test_corrupt_repo(tmp_path):
    # The head commit's tree is gone: that commit is recorded as an error, the rest of history is kept
    # (a damaged object costs the commit it belongs to, not the repository).
    path = make_corrupt_repo(str(tmp_path / "broken"))
    spec = _spec(path, str(tmp_path))
    rows, outcome = _mine(spec, MineConfig())
    head, root = git(path, "rev-list", "HEAD").decode().split()
    assert outcome.status == "partial"
    assert {r["commit"] for r in rows} == {root}
    # The licence is read from the head tree, which is gone too.
    assert [(e["stage"], e["reason"]) for e in outcome.errors] == [("open", "license_unreadable"), ("walk", "corrupt")]
    assert head in outcome.errors[1]["message"]


def _run_git(cwd, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, env=env).stdout


def test_non_utf8_path_keeps_every_row(tmp_path):
    # A path that is not UTF-8 in the first commit once lost the whole repository.
    work = tmp_path / "latin"
    work.mkdir()
    _run_git(work, "init", "-q", "-b", "main")
    raw = b"r\xe9sum\xe9.py"
    with open(os.path.join(bytes(work), raw), "wb") as f:
        f.write(b"x = 1\n")
    (work / "ok.py").write_text("y = 1\n")
    _run_git(work, "add", "-A")
    _run_git(work, "commit", "-q", "-m", "Add files")
    with open(os.path.join(bytes(work), raw), "wb") as f:
        f.write(b"x = 2\n")
    _run_git(work, "commit", "-q", "-am", "Change the latin-1 file")
    rows, outcome = _mine(_spec(str(work), str(tmp_path)), MineConfig())
    assert outcome.status == "ok", outcome.errors
    assert outcome.commits == 2 and len(rows) == 3
    quoted = '"r\\351sum\\351.py"'
    latin = [r for r in rows if r["new_file"] == quoted]
    assert len(latin) == 2
    assert sorted(r["new_contents"] for r in latin) == ["x = 1\n", "x = 2\n"]
    assert path_text(raw) == quoted and path_text("é.py".encode()) == "é.py"


def test_partial_clone_missing_blobs(tmp_path):
    # A blob-filtered partial clone whose promisor remote is gone: every commit keeps its rows; rows
    # whose blobs are absent say so; the repository is not failed.
    src = tmp_path / "src"
    src.mkdir()
    _run_git(src, "init", "-q", "-b", "main")
    _run_git(src, "config", "uploadpack.allowFilter", "true")
    (src / "small.py").write_text("a = 1\n")
    (src / "big.txt").write_text("big line\n" * 5000)
    _run_git(src, "add", "-A")
    _run_git(src, "commit", "-q", "-m", "Add a small and a big file")
    (src / "big.txt").write_text("big line changed\n" * 5000)
    (src / "small.py").write_text("a = 2\n")
    _run_git(src, "commit", "-q", "-am", "Change both files")
    (src / "other.py").write_text("b = 1\n")
    (src / "big.txt").unlink()
    _run_git(src, "add", "-A")
    _run_git(src, "commit", "-q", "-m", "Delete the big file and add another")
    part = tmp_path / "partial"
    subprocess.run(["git", "clone", "-q", "--bare", "--filter=blob:limit=1k", f"file://{src}", str(part)],
                   check=True, capture_output=True)
    _run_git(part, "remote", "set-url", "origin", str(tmp_path / "gone"))
    shutil.rmtree(src)
    rows, outcome = _mine(_spec(str(part), str(tmp_path)), MineConfig())
    assert outcome.status in ("ok", "partial") and outcome.commits == 3, outcome.errors
    assert len({r["commit"] for r in rows}) == 3
    big = [r for r in rows if "big.txt" in (r["new_file"], r["old_file"])]
    assert len(big) == 3 and all(r["skip_reason"] == "missing_object" for r in big)
    assert all(r["old_contents"] is None and r["new_contents"] is None for r in big)
    small = [r for r in rows if r["new_file"] in ("small.py", "other.py")]
    assert len(small) == 3 and all(r["skip_reason"] is None and r["new_contents"] for r in small)


def test_missing_path_and_limits(tmp_path):
    spec = _spec(str(tmp_path / "nope"), str(tmp_path))
    rows, outcome = _mine(spec, MineConfig())
    assert outcome.status == "failed" and outcome.errors[0]["reason"] == "not_found"
    repo = build_rich_repo(str(tmp_path / "r"))
    spec = _spec(repo.path, str(tmp_path))
    rows, outcome = _mine(spec, MineConfig(max_repo_bytes=200))
    assert rows == [] and (outcome.errors[0]["stage"], outcome.errors[0]["reason"]) == ("clone", "repo_too_large")
    rows, outcome = _mine(spec, MineConfig(repo_time_budget_s=1e-6))
    assert rows == [] and outcome.status == "failed"
    assert outcome.errors[0]["reason"] == "timeout"


def test_decode_message_fallbacks():
    assert decode_message("caf\u00e9".encode(), None) == "caf\u00e9"
    assert decode_message(b"caf\xe9", None) == "caf\u00e9"  # not UTF-8, no header: Latin-1
    assert decode_message(b"caf\xe9", "ISO-8859-1") == "caf\u00e9"
    assert decode_message("caf\u00e9".encode(), "bogus-enc") == "caf\u00e9"


def test_git_cli_available():
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0


def test_ambiguous_extensions_by_content_and_dual_licence(tmp_path):
    from tests.helpers.gitrepo import RepoBuilder

    b = RepoBuilder(str(tmp_path / "mixed"))
    b.commit({
        "LICENSE-MIT": "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy "
                       "of this software and associated documentation files (the \"Software\"), to deal in the "
                       "Software without restriction, including without limitation the rights to use, copy, modify, "
                       "merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit "
                       "persons to whom the Software is furnished to do so, subject to the following conditions:\n\n"
                       "The above copyright notice and this permission notice shall be included in all copies or "
                       "substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT "
                       "WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF "
                       "MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE "
                       "AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN "
                       "AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE "
                       "SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.\n",
        "include/widget.h": "#pragma once\nnamespace ui {\nclass Widget {\n public:\n  virtual ~Widget();\n};\n}\n",
        "include/plain.h": "#ifndef PLAIN_H\n#define PLAIN_H\nint add(int a, int b);\n#endif\n",
        "src/View.m": "#import <Foundation/Foundation.h>\n@interface View : NSObject\n@end\n",
    }, "Add headers")
    rows, outcome = _mine(_spec(b.path, str(tmp_path)), MineConfig())
    langs = {r["new_file"]: r["lang"] for r in rows}
    assert langs["include/widget.h"] == "C++"
    assert langs["include/plain.h"] == "C"
    assert langs["src/View.m"] == "Objective-C"
    assert outcome.license == "mit"


def test_gitfile_and_alternates_out_of_the_allowed_root_are_refused(tmp_path):
    outside = tmp_path / "outside"
    secret = build_rich_repo(str(outside / "secret"))
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    # A work tree whose .git is a gitfile pointing outside.
    linked = allowed / "linked"
    linked.mkdir()
    (linked / ".git").write_text(f"gitdir: {secret.path}/.git\n")
    rows, o = _mine(_spec(str(linked), str(allowed)), MineConfig(allowed_roots=[str(allowed)]))
    assert rows == [] and o.status == "failed"
    assert (o.errors[0]["stage"], o.errors[0]["reason"]) == ("validate", "outside_allowed_root")
    # A bare repository inside that borrows every object from outside through alternates.
    borrow = allowed / "borrow.git"
    subprocess.run(["git", "init", "-q", "--bare", str(borrow)], check=True)
    (borrow / "objects" / "info").mkdir(parents=True, exist_ok=True)
    (borrow / "objects" / "info" / "alternates").write_text(f"{secret.path}/.git/objects\n")
    head = git(secret.path, "rev-parse", "HEAD").decode().strip()
    subprocess.run(["git", "--git-dir", str(borrow), "update-ref", "refs/heads/main", head], check=True)
    subprocess.run(["git", "--git-dir", str(borrow), "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
    rows, o = _mine(_spec(str(borrow), str(allowed)), MineConfig(allowed_roots=[str(allowed)]))
    assert rows == [] and o.status == "failed"
    assert (o.errors[0]["stage"], o.errors[0]["reason"]) == ("validate", "outside_allowed_root")
    assert "alternates" in o.errors[0]["message"]
    # With a root that holds both the repository and what it links to, it is mined.
    rows, o = _mine(_spec(str(borrow), str(tmp_path)), MineConfig(allowed_roots=[str(tmp_path)]))
    assert o.status == "ok" and rows


def test_commits_1_1_columns_match_their_definitions(rich):
    """old_chars, new_chars, same_contents and inplace_files are stored at mining time (commits 1.1); they
    equal what ft computed from the contents and from all rows of a commit (ft.context, the pure twin)."""
    from octopack_spark.ft.context import add_context

    _, rows, _, _ = rich
    table = pa.Table.from_pylist(rows, schema=COMMITS_SCHEMA)
    want_inplace = add_context(table.drop_columns(["inplace_files"])).column("inplace_files").to_pylist()
    assert [r["inplace_files"] for r in rows] == want_inplace
    assert any(n >= 1 for n in want_inplace) and any(n == 0 for n in want_inplace)
    for r in rows:
        for side in ("old", "new"):
            text = r[f"{side}_contents"]
            assert r[f"{side}_chars"] == (None if text is None else len(text))
        both = r["old_contents"] is not None and r["new_contents"] is not None
        assert r["same_contents"] == (r["old_contents"] == r["new_contents"] if both else None)

"""Fork networks and opt-out at mining time (issue 14): a repository and two forks, built with git.

Shared commits are walked once (counted where the walk reads them), `repos` names every repository
holding a commit, and opting out the original removes its forks' copies too.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess

import pyarrow.dataset as ds
import pytest

from octopack_spark.config import MineConfig, PipelineConfig
from octopack_spark.errors import UserFacingError
from octopack_spark.governance.optout import load_optout, parse_entries
from octopack_spark.mining import walk
from octopack_spark.mining.clone import MiningError
from octopack_spark.mining.forks import (group_networks, mine_network_item, network_order, resolve_pending,
                                         root_commits)
from octopack_spark.mining.job import run_mine
from octopack_spark.mining.sources import resolve_sources
from octopack_spark.mining.walk import RepoOutcome, mine_repository
from octopack_spark.storage.fs import Storage
from octopack_spark.storage.manifest import read_manifest, table_file_uris

SHARED, EXTRA = 3, 2


def git(cwd, *args, t=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.com", GIT_COMMITTER_NAME="Ada",
               GIT_COMMITTER_EMAIL="ada@example.com", GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd))
    if t is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{1_700_000_000 + t} +0000"
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo, path, text, msg, t):
    with open(os.path.join(repo, path), "w") as f:
        f.write(text)
    git(repo, "add", path, t=t)
    git(repo, "commit", "-q", "-m", msg, t=t)
    return git(repo, "rev-parse", "HEAD")


def build_network(root) -> dict:
    """orig (3 commits), fork1 = a clone of it, fork2 = a clone plus 2 commits of its own."""
    orig = os.path.join(root, "orig")
    os.makedirs(orig)
    git(orig, "init", "-q", "-b", "main")
    shared = [commit(orig, "app.py", f"x = {i}\n", f"Set x to {i}", t=60 * i) for i in range(SHARED)]
    for name in ("fork1", "fork2"):
        git(root, "clone", "-q", orig, name)
    fork2 = os.path.join(root, "fork2")
    extra = [commit(fork2, "util.py", f"y = {i}\n", f"Add y {i}", t=1000 + 60 * i) for i in range(EXTRA)]
    return {"root": str(root), "orig": orig, "fork1": os.path.join(root, "fork1"), "fork2": fork2,
            "shared": shared, "extra": extra}


@pytest.fixture()
def network(tmp_path):
    return build_network(tmp_path)


class _Collect:
    def __init__(self):
        self.batches = []

    def write(self, batch):
        self.batches.append(batch)


@pytest.fixture()
def walked(monkeypatch):
    """Every commit the walk reads (walk.commit_changes is where a commit's changes are listed)."""
    seen = []
    real = walk.commit_changes

    def counting(git_dir, shas):
        for item in real(git_dir, shas):
            seen.append(item[0])
            yield item

    monkeypatch.setattr(walk, "commit_changes", counting)
    return seen


def _specs(net, stars=True):
    cfg = MineConfig(allowed_roots=[net["root"]])
    from octopack_spark.mining.sources import RepoSpec

    given = [RepoSpec(net[n], stars=(10 if n == "orig" else 1) if stars else None) for n in ("orig", "fork1", "fork2")]
    return cfg, resolve_sources(given, cfg.allowed_roots).specs


def test_same_root_commit_makes_one_network(network):
    roots = {n: root_commits(network[n] + "/.git", "HEAD") for n in ("orig", "fork1", "fork2")}
    assert roots["orig"] == roots["fork1"] == roots["fork2"] == [network["shared"][0]]
    assert group_networks({**roots, "other": ["f" * 40], "lonely": []}) == [
        ["fork1", "fork2", "orig"], ["lonely"], ["other"]]


def test_shared_commits_are_walked_once_and_repos_lists_every_member(network, walked):
    cfg, specs = _specs(network)
    members = network_order(specs)
    assert [s.name for s in members] == ["orig", "fork1", "fork2"]  # most stars first: orig is the primary
    out = _Collect()
    res = mine_network_item({"kind": "network", "members": [s.to_dict() for s in members], "bases": []},
                            cfg, None, out, lambda *a: None)
    # The walk read each of the 5 distinct commits once (3 shared + 2 of fork2), not 3 + 3 + 5 = 11.
    assert sorted(walked) == sorted(network["shared"] + network["extra"])
    assert res.outcome.commits == SHARED + EXTRA
    rows = [r for b in out.batches for r in b.to_pylist()]
    by_commit = {r["commit"]: r for r in rows}
    assert len(rows) == len(by_commit) == SHARED + EXTRA  # one file changed per commit, one row each
    for c in network["shared"]:
        assert by_commit[c]["repos"] == "fork1,fork2,orig"
        assert by_commit[c]["repo"] == "orig"
    for c in network["extra"]:
        assert by_commit[c]["repos"] == "fork2"
        assert by_commit[c]["repo"] == "fork2"
        assert by_commit[c]["repo_url"] == network["fork2"]
    # Per-member counts: the rows naming each member.
    assert {n: o["rows"] for n, o in res.members.items()} == {"orig": SHARED, "fork1": 0, "fork2": EXTRA}
    assert all(o["head"] for o in res.members.values())

    # Without networks the same repositories walk 11 commits; the rows of a member are its own walk's.
    walked.clear()
    alone = {}
    for s in specs:
        o = RepoOutcome(s.name, s.url)
        alone[s.name] = [r for b in mine_repository(s, cfg, o) for r in b.to_pylist()]
    assert len(walked) == 2 * SHARED + SHARED + EXTRA
    net_ids = {r["row_id"] for r in rows}
    assert {r["row_id"] for r in alone["orig"]} <= net_ids  # shared rows keep the primary's row ids
    assert {r["row_id"] for r in alone["fork2"] if r["commit"] in network["extra"]} <= net_ids


def test_a_network_of_one_gives_the_rows_of_a_plain_walk(network, walked):
    cfg, specs = _specs(network)
    orig = specs[0]
    out = _Collect()
    mine_network_item({"kind": "network", "members": [orig.to_dict()], "bases": []}, cfg, None, out, lambda *a: None)
    plain = [r for b in mine_repository(orig, cfg, RepoOutcome(orig.name, orig.url)) for r in b.to_pylist()]
    assert [r for b in out.batches for r in b.to_pylist()] == plain


def test_optout_lists(tmp_path):
    assert parse_entries(["# comment", "alice", "owner:Bob", "carol/proj", "repo:gitlab.com/g/p",
                          "https://github.com/Dan/Thing.git", ""]) == (
        {"alice", "bob"}, {"carol/proj", "gitlab.com/g/p", "dan/thing"})
    f = tmp_path / "optout.txt"
    f.write_text("eve\nfrank/tool\n")
    o = load_optout([str(f)], owners=["Zed"], repos=["x/y"])
    assert o.reason("eve/anything") and o.reason("Frank/Tool") and o.reason("zed/a") and o.reason("X/Y")
    assert o.reason("frank/other") is None and o.reason("eve") is None  # no slash: a local name, no owner
    assert o.reason("local", "https://github.com/eve/thing.git")  # named by its URL too
    with pytest.raises(UserFacingError, match="cannot be read"):
        load_optout([str(tmp_path / "missing.txt")])


# ---------------------------------------------------------------- the mining job (Spark)


def _job_cfg(net, out, **mine):
    repos_file = os.path.join(net["root"], "repos.csv")
    with open(repos_file, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["url", "stars"])
        for n, stars in (("orig", 10), ("fork1", 1), ("fork2", 1), ("other", 5)):
            w.writerow([net[n], stars])
    cfg = PipelineConfig()
    cfg.mine.repos_file = repos_file
    cfg.mine.output = str(out)
    cfg.mine.allowed_roots = [net["root"]]
    for k, v in mine.items():
        setattr(cfg.mine, k, v)
    return cfg


def _rows(out, table="commits"):
    m = read_manifest(Storage(), str(out))
    files = table_file_uris(str(out), m.table(table))
    if not files:
        return []
    part = "hive" if m.table(table).partitioning else None
    return ds.dataset(files, format="parquet", partitioning=part,
                      partition_base_dir=os.path.join(str(out), table)).to_table().to_pylist()


@pytest.fixture()
def job_network(tmp_path):
    net = build_network(tmp_path)
    other = os.path.join(tmp_path, "other")
    os.makedirs(other)
    git(other, "init", "-q", "-b", "main")
    net["other"] = other
    net["other_commit"] = commit(other, "main.go", "package main\n", "Create the tool", t=5)
    return net


@pytest.mark.spark
def test_mine_job_walks_a_network_once_and_resumes_per_member(job_network, tmp_path, spark):
    net = job_network
    out = tmp_path / "out"
    s = run_mine(_job_cfg(net, out), spark=spark)
    assert (s.repos, s.repos_ok, s.commits) == (4, 4, SHARED + EXTRA + 1)  # 6 walked, not 12
    rows = _rows(out)
    by_commit = {}
    for r in rows:
        by_commit.setdefault(r["commit"], []).append(r)
    assert all(len(v) == 1 for v in by_commit.values())
    assert {c: v[0]["repos"] for c, v in by_commit.items()} == {
        **{c: "fork1,fork2,orig" for c in net["shared"]}, **{c: "fork2" for c in net["extra"]},
        net["other_commit"]: "other"}
    assert len({r["row_id"] for r in rows}) == len(rows)
    state = {r["repo"]: r for r in _rows(out, "state")}
    assert {n: (r["status"], r["last_head"]) for n, r in state.items()} == {
        "orig": ("ok", net["shared"][-1]), "fork1": ("ok", net["shared"][-1]), "fork2": ("ok", net["extra"][-1]),
        "other": ("ok", net["other_commit"])}

    # fork1 moves on: only its new commit is mined (fork2's and orig's history is not repeated).
    new = commit(net["fork1"], "app.py", "x = 99\n", "Set x to 99", t=5000)
    again = run_mine(_job_cfg(net, out), spark=spark)
    assert again.commits == 1
    rows = _rows(out)
    assert len(rows) == SHARED + EXTRA + 2
    [r] = [r for r in rows if r["commit"] == new]
    assert (r["repo"], r["repos"]) == ("fork1", "fork1")


@pytest.mark.spark
def test_optout_of_the_original_removes_every_fork(job_network, tmp_path, spark):
    net = job_network
    out = tmp_path / "out"
    listing = tmp_path / "optout.txt"
    listing.write_text("# opted out by its maintainer\nrepo:orig\n")
    s = run_mine(_job_cfg(net, out, optout_lists=[str(listing)]), spark=spark)
    assert (s.repos_opted_out, s.repos_ok, s.commits) == (3, 1, 1)
    rows = _rows(out)
    network = {"orig", "fork1", "fork2"}
    assert {r["commit"] for r in rows} == {net["other_commit"]}
    assert not [r for r in rows if r["repo"] in network or set(r["repos"].split(",")) & network]
    state = {r["repo"]: r["status"] for r in _rows(out, "state")}
    assert state == {"orig": "opted_out", "fork1": "opted_out", "fork2": "opted_out", "other": "ok"}
    reasons = {r["repo"]: r["message"] for r in _rows(out, "errors") if r["reason"] == "opted_out"}
    assert "fork network of orig" in reasons["fork2"]


@pytest.mark.spark
def test_optout_after_mining_needs_a_full_refresh(job_network, tmp_path, spark):
    net = job_network
    out = tmp_path / "out"
    run_mine(_job_cfg(net, out), spark=spark)
    with pytest.raises(UserFacingError, match="full-refresh"):
        run_mine(_job_cfg(net, out, optout_repos=["fork1"]), spark=spark)
    s = run_mine(_job_cfg(net, out, optout_repos=["fork1"], full_refresh=True), spark=spark)
    assert s.repos_opted_out == 3
    assert {r["commit"] for r in _rows(out)} == {net["other_commit"]}


@pytest.mark.spark
def test_a_long_network_history_split_over_tasks_gives_the_rows_of_one_walk(job_network, tmp_path, spark):
    net = job_network
    one = run_mine(_job_cfg(net, tmp_path / "one"), spark=spark)
    split = run_mine(_job_cfg(net, tmp_path / "split", commits_per_task=2), spark=spark)
    assert split.commits == one.commits == SHARED + EXTRA + 1
    key = ("row_id", "repo", "repos", "commit", "new_contents", "license")
    assert sorted(tuple(r[k] for k in key) for r in _rows(tmp_path / "split")) == sorted(
        tuple(r[k] for k in key) for r in _rows(tmp_path / "one"))
    state = {r["repo"]: r["last_head"] for r in _rows(tmp_path / "split", "state")}
    assert state["fork2"] == net["extra"][-1] and state["orig"] == net["shared"][-1]


def test_a_time_budget_stop_leaves_a_network_range_the_next_run_mines(network, monkeypatch):
    cfg, specs = _specs(network)
    members = [s.to_dict() for s in network_order(specs)]
    whole = _Collect()
    mine_network_item({"kind": "network", "members": members, "bases": []}, cfg, None, whole, lambda *a: None)
    calls = []

    class _Clock:  # the walk's clock: past the deadline from the third commit on
        @staticmethod
        def monotonic():
            calls.append(1)
            return 0.0 if len(calls) <= 2 else 1e12

    monkeypatch.setattr(walk, "time", _Clock)
    first = _Collect()
    res = mine_network_item({"kind": "network", "members": members, "bases": []}, cfg, None, first, lambda *a: None)
    monkeypatch.undo()
    assert res.outcome.status == "partial" and res.outcome.commits == 2
    [rg] = json.loads(json.dumps(res.pending))  # as the primary's state row keeps it
    assert (rg["start"], rg["stop"]) == (2, SHARED + EXTRA) and rg["network"]["heads"][0] == network["shared"][-1]
    assert rg["network"]["names"] == ["orig", "fork1", "fork2"] and "members" not in rg["network"]  # no URLs
    specs_by_name = {s.name: s for s in specs}
    gone = resolve_pending(rg, {n: s for n, s in specs_by_name.items() if n != "fork1"})
    with pytest.raises(MiningError, match="fork1, no longer in the repository list"):
        mine_network_item({"kind": "netslice", "members": gone["network"]["members"], "network": gone["network"],
                           "start": rg["start"], "stop": rg["stop"]}, cfg, None, _Collect(), lambda *a: None)
    rg = resolve_pending(rg, specs_by_name)
    rest = _Collect()
    again = mine_network_item({"kind": "netslice", "members": rg["network"]["members"], "network": rg["network"],
                               "start": rg["start"], "stop": rg["stop"]}, cfg, None, rest, lambda *a: None)
    assert again.outcome.status == "ok" and again.outcome.commits == SHARED + EXTRA - 2
    rows = lambda c: sorted((r["row_id"], r["repos"]) for b in c.batches for r in b.to_pylist())  # noqa: E731
    assert sorted(rows(first) + rows(rest)) == rows(whole)


def test_cli_flags_set_the_optout_and_network_keys(capsys):
    import yaml

    from octopack_spark.cli.main import main

    assert main(["mine", "--optout-list", "lists/optout.txt", "--optout-list", "https://example.org/o.txt",
                 "--optout-owner", "alice", "--optout-repo", "bob/tool", "--no-fork-networks", "--print-config"]) == 0
    mine = yaml.safe_load(capsys.readouterr().out)["mine"]
    assert mine["optout_lists"] == ["lists/optout.txt", "https://example.org/o.txt"]
    assert (mine["optout_owners"], mine["optout_repos"], mine["fork_networks"]) == (["alice"], ["bob/tool"], False)
    assert mine["optout_stack_logins"] is True

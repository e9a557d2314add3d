"""Fork networks: repositories that share a root commit are mined together, each shared commit once.

Detection (driver, `mining/job.py` step `networks`): the root commits (`git rev-list --max-parents=0
HEAD`) of every repository to mine, read in place for a local path and by a `probe` task (which clones
into the clone cache) for a URL, plus the roots earlier runs recorded; repositories sharing any root are
one network (union-find). Members are ordered by stars (most first), then name: the first is the
network's *primary*.

Mining (one task per network, `mine_network_item`): every member is opened as usual (local in place,
URL through the clone cache); an empty scratch repository borrows all their objects through
`objects/info/alternates` (nothing is copied), and the union of the members' new commits is listed once
(`git rev-list head1 head2 ... ^base1 ^base2 ...`, bases = every member's last mined HEAD). For each member
`git rev-list head_i --not bases` says which of those commits it holds (a bit mask per commit). A commit's
rows name as `repo` its first member in network order that holds it (the primary for shared history, the
fork for a fork's own commits), with that member's licence, stars and URL; `row_id` is computed from that
`repo` as for any repository; `repos` lists every member holding it, sorted. A network of one member gives
exactly the rows of a plain walk. A long union is split into slices like any history (the plan file holds
`sha mask` per line), and a time budget's unmined range is recorded on the primary's state row with the
network needed to mine it again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pygit2

from octopack_spark.mining.changes import GitCommandError, _git_env, git_base_args, list_commits
from octopack_spark.mining.clone import MiningError, open_repository, scratch_root
from octopack_spark.mining.sources import RepoSpec
from octopack_spark.mining.walk import RepoOutcome, commit_limit, mine_commits, resolve_head


def rev_list(git_dir: str, args: Sequence[str]) -> list[str]:
    """Commit ids git prints for `rev-list <args>` (one per line)."""
    proc = subprocess.run(git_base_args(git_dir) + ["rev-list", *args, "--"], capture_output=True, env=_git_env())
    if proc.returncode != 0:
        raise GitCommandError(f"git rev-list failed: {proc.stderr.decode('utf-8', 'replace').strip()[:500]}")
    return proc.stdout.decode("ascii").split()


def root_commits(git_dir: str, head: str) -> list[str]:
    """The root commits (no parent) reachable from `head`, sorted."""
    return sorted(rev_list(git_dir, ["--max-parents=0", head]))


def probe(spec: RepoSpec, cfg, deadline: float) -> tuple[Optional[str], list[str]]:
    """(HEAD, root commits) of a repository: opened in place (local) or through the clone cache (URL).
    (None, []) for an empty one."""
    with open_repository(spec, cfg, deadline) as (repo, git_dir):
        if repo.head_is_unborn or repo.is_empty:
            return None, []
        head = str(repo.head.peel(pygit2.Commit).id)
        return head, root_commits(git_dir, head)


def group_networks(roots: dict[str, Iterable[str]]) -> list[list[str]]:
    """Repositories (names) sharing any root commit, grouped (union-find); groups and members sorted by
    name, repositories without roots alone."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_root: dict[str, str] = {}
    for name in sorted(roots):
        parent.setdefault(name, name)
        for r in roots[name]:
            other = by_root.setdefault(r, name)
            a, b = find(name), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for name in sorted(parent):
        groups.setdefault(find(name), []).append(name)
    return sorted(groups.values())


def network_order(specs: Iterable[RepoSpec]) -> list[RepoSpec]:
    """Members in network order: most stars first (the upstream, usually), then name; the first is the
    primary."""
    return sorted(specs, key=lambda s: (-(s.stars or 0), s.name))


@contextlib.contextmanager
def network_store(git_dirs: Sequence[str], scratch: Optional[str] = None) -> Iterator[tuple[pygit2.Repository, str]]:
    """A scratch bare repository that reads every member's objects through alternates (no copy)."""
    tmp = tempfile.mkdtemp(prefix="octopack-network-", dir=scratch)
    try:
        store = os.path.join(tmp, "network.git")
        pygit2.init_repository(store, bare=True)
        with open(os.path.join(store, "objects", "info", "alternates"), "w", encoding="utf-8") as f:
            for gd in git_dirs:
                f.write(os.path.realpath(os.path.join(gd, "objects")) + "\n")
        repo = pygit2.Repository(store)
        try:
            yield repo, store
        finally:
            repo.free()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def member_masks(git_dir: str, heads: Sequence[Optional[str]], bases: Sequence[str], commits: Sequence[str]) -> list[int]:
    """Per commit of `commits`, a bit mask of the members (index in `heads`) whose head reaches it."""
    index = {c: i for i, c in enumerate(commits)}
    masks = [0] * len(commits)
    nots = [f"^{b}" for b in bases]
    for bit, head in enumerate(heads):
        if head is None:
            continue
        for c in rev_list(git_dir, [head, *nots]):
            i = index.get(c)
            if i is not None:
                masks[i] |= 1 << bit
    return masks


class Attributor:
    """sha -> (spec, licence, repos) for the rows of a network's commits; counts commits per member."""

    def __init__(self, members: Sequence[RepoSpec], licenses: dict[str, Optional[str]], masks: dict[str, int]):
        self.members = list(members)
        self.licenses = licenses
        self.masks = masks
        self.commits: dict[str, int] = {}
        self._cache: dict[int, tuple] = {}

    def __call__(self, sha: str):
        mask = self.masks.get(sha) or 1  # (a commit no head reaches cannot be listed; the primary then)
        got = self._cache.get(mask)
        if got is None:
            idx = [i for i in range(len(self.members)) if mask >> i & 1] or [0]
            first = self.members[idx[0]]
            got = self._cache[mask] = (first, self.licenses.get(first.name),
                                       ",".join(sorted(self.members[i].name for i in idx)))
        self.commits[got[0].name] = self.commits.get(got[0].name, 0) + 1
        return got


def _count_batch(batch: pa.RecordBatch, counts: dict[str, dict]) -> None:
    """Rows, skipped rows and content bytes per `repo` of one batch (the per-member state counts)."""
    t = pa.Table.from_batches([batch])
    sizes = pc.add(pc.fill_null(pc.binary_length(t["old_contents"]), 0), pc.fill_null(pc.binary_length(t["new_contents"]), 0))
    skipped = pc.is_valid(t["skip_reason"])
    for repo in pc.unique(t["repo"]).to_pylist():
        sel = pc.equal(t["repo"], repo)
        c = counts.setdefault(repo, {"rows": 0, "rows_skipped": 0, "bytes": 0})
        c["rows"] += pc.sum(pc.cast(sel, pa.int64())).as_py() or 0
        c["rows_skipped"] += pc.sum(pc.cast(pc.and_(sel, skipped), pa.int64())).as_py() or 0
        c["bytes"] += pc.sum(pc.filter(sizes, sel)).as_py() or 0


@dataclass
class NetworkItemResult:
    outcome: RepoOutcome  # the network as a whole: status, errors, commits walked
    members: dict[str, dict]  # name -> that member's outcome dict (head, licence, counts)
    split: Optional[dict] = None
    pending: Optional[list] = None


def _member_limit(members: Sequence[RepoSpec], cfg) -> Optional[int]:
    limits = [x for x in (commit_limit(s, cfg) for s in members) if x]
    return min(limits) if limits else None


def persisted(net: dict) -> dict:
    """A network as a state row's `pending` keeps it: member names, not their URLs (which may hold
    credentials); the next run takes the members from its own repository list (`resolve_pending`)."""
    return {"names": [m["name"] for m in net["members"]], "heads": net["heads"], "bases": net["bases"],
            "licenses": net["licenses"]}


def resolve_pending(rg: dict, specs_by_name: dict[str, RepoSpec]) -> dict:
    """A pending range of a network with its members' specs from this run's repository list; a member no
    longer listed is named in `missing` (the range then stays pending)."""
    if "network" not in rg or "names" not in rg["network"]:
        return rg
    net = dict(rg["network"])
    names = net.pop("names")
    net["missing"] = [n for n in names if n not in specs_by_name]
    net["members"] = [specs_by_name[n].to_dict() if n in specs_by_name else {"name": n, "url": ""} for n in names]
    return {**rg, "network": net}


def start_stop(d: dict) -> str:
    return f"[{d['start']}, {d['stop']})"


def _list_union(git_dir: str, heads: Sequence[Optional[str]], bases: Sequence[str], members: Sequence[RepoSpec],
                cfg) -> tuple[list[str], list[int], int]:
    """(commits of the network to mine, newest first; their member masks; merges skipped). The same
    arguments give the same list, so a slice can list it again."""
    try:
        shas, merges = list_commits(
            git_dir, [h for h in heads if h], bases, since=cfg.since.timestamp() if cfg.since else None,
            until=cfg.until.timestamp() if cfg.until else None, max_commits=_member_limit(members, cfg))
        return shas, member_masks(git_dir, heads, bases, shas), merges
    except GitCommandError as e:
        raise MiningError("walk", "corrupt", str(e)) from None


def mine_network_item(d: dict, cfg, storage, writer, plan_uri_for) -> NetworkItemResult:
    """Mine one network work item in a task: kind `network` (open, plan the union, mine it when short;
    a long one comes back as `split`) or `netslice` (commits [start, stop) of that plan). Rows go to
    `writer`; MiningError and the rest are the caller's to turn into an outcome."""
    members = [RepoSpec.from_dict(m) for m in d["members"]]
    primary = members[0]
    outcome = RepoOutcome(primary.name, primary.url)
    per = {s.name: RepoOutcome(s.name, s.url) for s in members}
    res = NetworkItemResult(outcome, {}, None, [])
    deadline = time.monotonic() + cfg.repo_time_budget_s
    counts: dict[str, dict] = {}
    if d["kind"] == "netslice" and d["network"].get("missing"):
        raise MiningError("walk", "network_member_missing",
                          f"range {start_stop(d)} of the fork network of {primary.name} needs "
                          f"{', '.join(d['network']['missing'])}, no longer in the repository list; it stays pending")
    with contextlib.ExitStack() as stack:
        opened = [stack.enter_context(open_repository(s, cfg, deadline)) for s in members]
        repo, git_dir = stack.enter_context(network_store([g for _r, g in opened], scratch_root(cfg.scratch_dir)))
        if d["kind"] == "network":
            heads = []
            for s, (r, _g) in zip(members, opened):
                heads.append(resolve_head(r, s, per[s.name]))
            licenses = {s.name: per[s.name].license for s in members}
            bases = []
            for b in d.get("bases") or []:
                try:
                    repo[b]
                    bases.append(b)
                except (KeyError, ValueError):
                    outcome.error("walk", "history_rewritten", f"previous HEAD {b} is gone; mining without it")
            live = [h for h in heads if h is not None]
            start = 0
            if not live or set(live) <= set(bases):
                shas, masks = [], []
                if not live:
                    outcome.status = "empty"
            else:
                shas, masks, outcome.merges_skipped = _list_union(git_dir, heads, bases, members, cfg)
            net = {"members": [s.to_dict() for s in members], "heads": heads, "bases": bases, "licenses": licenses}
            if len(shas) > cfg.commits_per_task:
                uri = plan_uri_for(primary.name, ",".join(h or "" for h in heads))
                storage.write_bytes_atomic(uri, "\n".join(f"{c} {m:x}" for c, m in zip(shas, masks)).encode("ascii"))
                res.split = {**net, "n": len(shas), "plan_uri": uri}
                shas, masks = [], []
            if outcome.status != "empty":
                outcome.status = "ok"
        else:
            net = d["network"]
            heads, bases, licenses = net["heads"], net["bases"], net["licenses"]
            for s, h in zip(members, heads):
                per[s.name].head, per[s.name].license = h, licenses.get(s.name)
            start, stop = d["start"], d["stop"]
            if d.get("plan_uri"):
                lines = storage.read_text(d["plan_uri"]).split("\n")[start:stop]
                shas = [x.split(" ")[0] for x in lines]
                masks = [int(x.split(" ")[1], 16) for x in lines]
            else:  # a range a time budget left: the same arguments list the same commits
                shas, masks, _merges = _list_union(git_dir, heads, bases, members, cfg)
                shas, masks = shas[start:stop], masks[start:stop]
            outcome.status = "ok"
        attribute = Attributor(members, licenses, dict(zip(shas, masks)))
        if shas:
            for batch in mine_commits(repo, git_dir, primary, cfg, shas, outcome, deadline, attribute=attribute):
                _count_batch(batch, counts)
                writer.write(batch)
            if outcome.stopped_at is not None:
                res.pending.append({"network": persisted(net), "head": net["heads"][0], "base": None,
                                    "start": start + outcome.stopped_at, "stop": start + len(shas)})
    for s in members:
        o = per[s.name]
        if o.status != "empty":
            o.status = outcome.status if outcome.status != "empty" else "empty"
        c = counts.get(s.name, {})
        o.commits = attribute.commits.get(s.name, 0)
        o.rows, o.rows_skipped, o.bytes = c.get("rows", 0), c.get("rows_skipped", 0), c.get("bytes", 0)
        res.members[s.name] = o.to_dict()
    outcome.rows = sum(c["rows"] for c in counts.values())
    outcome.bytes = sum(c["bytes"] for c in counts.values())
    return res

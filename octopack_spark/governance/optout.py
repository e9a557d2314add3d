"""Opt-out lists for mining: repositories and owners whose code must not reach any published table.

A list is a text file or an https URL the user gives (`mine.optout_lists`, `--optout-list`), one entry a
line, `#` comments and blank lines ignored:

    alice                               an owner (no slash): every repository `alice/*`
    owner:alice                         the same, explicitly
    alice/project                       one repository, by its name (`owner/name` on GitHub)
    repo:gitlab.com/group/project       one repository, explicitly (names of other hosts hold slashes)
    https://github.com/alice/project    one repository, by URL (named as `octopack mine` names sources)

Inline entries: `mine.optout_owners`, `mine.optout_repos` (`--optout-owner`, `--optout-repo`); the 44
GitHub logins that opted out of The Stack v1.2 (`ft/filters/words.py:OPTOUT_LOGINS`) are added while
`mine.optout_stack_logins` is true (the default). Names and owners compare case-insensitively (GitHub's
are). A repository's owner is the first part of a name that has a slash (`alice` of `alice/project`); a
name without one (a local directory) has no owner. `mining/job.py` applies the lists before anything is
cloned, and again over fork networks (mining/forks.py): one opted-out member removes the whole network.
Pure Python; reading a URL is the only I/O besides files.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass, field
from typing import Iterable, Optional

from octopack_spark.errors import UserFacingError

_URL_TIMEOUT_S = 60
_MAX_LIST_BYTES = 64 * 1024**2


class OptOutListError(UserFacingError, ValueError):
    """An opt-out list that cannot be read; nothing is mined then (a silent empty list would publish)."""


@dataclass(frozen=True)
class OptOut:
    owners: frozenset[str] = field(default_factory=frozenset)
    repos: frozenset[str] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return bool(self.owners or self.repos)

    def reason(self, name: str, url: str = "") -> Optional[str]:
        """Why `name` (or the repository at `url`) is opted out, or None."""
        from octopack_spark.mining.sources import derive_name

        names = {name.lower()}
        if url:
            try:
                names.add(derive_name(url).lower())
            except Exception:  # noqa: BLE001 - an odd URL is judged by its name alone
                pass
        for n in sorted(names):
            if n in self.repos:
                return f"repository {n!r} is on an opt-out list"
            owner = owner_of(n)
            if owner is not None and owner in self.owners:
                return f"owner {owner!r} is on an opt-out list"
        return None


def owner_of(name: str) -> Optional[str]:
    """`alice` of `alice/project`; None for a name without a slash (a local directory)."""
    if "/" not in name:
        return None
    return name.split("/", 1)[0].lower() or None


def parse_entries(lines: Iterable[str]) -> tuple[set[str], set[str]]:
    """(owners, repository names) from list lines (see module doc)."""
    from octopack_spark.mining.sources import derive_name

    owners, repos = set(), set()
    for raw in lines:
        s = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith(("http://", "https://")) else raw.strip()
        if not s or s.startswith("#"):
            continue
        low = s.lower()
        if low.startswith("owner:"):
            owners.add(s[6:].strip().lower())
        elif low.startswith("repo:"):
            repos.add(s[5:].strip().strip("/").lower())
        elif "://" in s or (s.startswith("git@") and ":" in s):
            repos.add(derive_name(s).lower())
        elif "/" in s:
            repos.add(s.strip("/").removesuffix(".git").lower())
        else:
            owners.add(low)
    owners.discard("")
    repos.discard("")
    return owners, repos


def read_list(source: str) -> list[str]:
    """Lines of one opt-out list: a local file, or an https URL (fetched once, on the driver)."""
    if source.startswith(("https://", "http://")):
        if not source.startswith("https://"):
            raise OptOutListError(f"opt-out list {source!r}: only https URLs are read")
        try:
            with urllib.request.urlopen(source, timeout=_URL_TIMEOUT_S) as r:  # noqa: S310 - https only
                data = r.read(_MAX_LIST_BYTES + 1)
        except Exception as e:  # noqa: BLE001 - any failure: refuse to mine without the list
            raise OptOutListError(f"opt-out list {source} cannot be read: {e}") from None
        if len(data) > _MAX_LIST_BYTES:
            raise OptOutListError(f"opt-out list {source} is over {_MAX_LIST_BYTES} bytes")
        return data.decode("utf-8", "replace").splitlines()
    try:
        with open(source, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError as e:
        raise OptOutListError(f"opt-out list {source} cannot be read: {e}") from None


def load_optout(lists: Iterable[str] = (), owners: Iterable[str] = (), repos: Iterable[str] = (),
                stack_logins: bool = False) -> OptOut:
    """Every entry of the lists plus the inline ones (and The Stack's opted-out logins when asked)."""
    all_owners, all_repos = parse_entries([f"owner:{o}" for o in owners] + [f"repo:{r}" for r in repos])
    if stack_logins:
        from octopack_spark.ft.filters.words import OPTOUT_LOGINS

        all_owners |= {o.lower() for o in OPTOUT_LOGINS}
    for src in lists:
        o, r = parse_entries(read_list(src))
        all_owners |= o
        all_repos |= r
    return OptOut(frozenset(all_owners), frozenset(all_repos))


def optout_from_config(mc) -> OptOut:
    """The opt-out of a MineConfig (`mine.optout_*`)."""
    return load_optout(mc.optout_lists, mc.optout_owners, mc.optout_repos, mc.optout_stack_logins)

"""Rows for the CommitPackFT tests: `good_row()` passes every rule; tests change one field at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from octopack_spark.config import load_config
from octopack_spark.ft.config import FilterConfig, FtConfig
from octopack_spark.ft.row import FtRow

OLD = "def get(url):\n    return fetch(url)\n"
NEW = "def get(url, retries=3):\n    for _ in range(retries):\n        return fetch(url)\n"


def good_fields(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = dict(
        row_id="r" + "0" * 31,
        commit="a" * 40,
        parent="b" * 40,
        repo="octo/widgets",
        repos="octo/widgets",
        old_file="src/client.py",
        new_file="src/client.py",
        change_type="M",
        old_contents=OLD,
        new_contents=NEW,
        subject="Add retry loop around fetch calls",
        message="Add retry loop around fetch calls\n\nThe server drops connections under load.\n",
        lang="Python",
        license="mit",
        skip_reason=None,
        commit_files=1,
        repo_langs=["Python", "Markdown"],
        inplace_files=1,
        n_tokens=120,
        nl_lang="en",
        nl_score=0.93,
        message_nl_lang="en",
        message_nl_score=0.95,
    )
    d.update(over)
    return d


def good_row(**over: Any) -> FtRow:
    return FtRow.from_mapping(good_fields(**over))


def fcfg(**over: Any) -> FilterConfig:
    return FilterConfig(**over)


def ft_config(**over: Any) -> FtConfig:
    return FtConfig(**over)


def commits_record(i: int, **over: Any) -> dict[str, Any]:
    """A full COMMITS_SCHEMA record (for Arrow/Spark tests), good by default."""
    t = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=i)
    d = good_fields(row_id=f"{i:032x}", commit=f"{i:040x}")
    for k in ("repo_langs", "inplace_files", "n_tokens", "nl_lang", "nl_score", "message_nl_lang", "message_nl_score"):
        d.pop(k)
    d.update(
        author_time=t, committer_time=t, author_id="u1", diff=None, lines_added=2, lines_removed=1,
        old_size=len(OLD), new_size=len(NEW), repo_url="https://example.invalid/octo/widgets", stars=5,
    )
    d.update(over)
    return d


__all__ = ["good_row", "good_fields", "fcfg", "ft_config", "commits_record", "load_config", "OLD", "NEW"]

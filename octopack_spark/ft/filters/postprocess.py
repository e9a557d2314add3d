"""Post-processing of licenses_optout_langs.py (spec §1): The Stack v1.2 opt-out.

The license part of that script (first repo found in a license table) is the mining job's license
detection plus `license_allowlist`; the language part is `known_extension` with the dot fix.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow


@functools.lru_cache(maxsize=16)
def _owners(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


def optout(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Drop a row whose only repository belongs to an opted-out owner (a fork elsewhere keeps it)."""
    repos = {r.strip() for r in (row.repos or row.repo).split(",") if r.strip()}
    if len(repos) == 1:
        owner = next(iter(repos)).split("/", 1)[0].lower()
        if owner in _owners(tuple(cfg.optout_owners)):
            return drop("optout")
    return KEEP

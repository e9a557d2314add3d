"""The over-removal guard of `octopack ft` and `octopack mine` (pure: no Spark, no storage).

A run whose output is empty, or in which one rule removes nearly every row that reaches it, is far
more often a wrong input or a wrong setting (a licence column all `unknown`, a tokenizer that counts
every file as too long) than a result anyone wants to publish. The jobs call these checks before they
publish; a problem is one line for the user, naming the flag that accepts it.
"""

from __future__ import annotations

from typing import Iterable, Optional, Protocol


class GuardSettings(Protocol):
    max_rule_share: float
    min_rows: int
    allow_empty: bool
    allow_over_removal: bool


def _get(step, name: str):
    return step[name] if isinstance(step, dict) else getattr(step, name)


def empty_output_problem(rows_in: int, rows_out: int, settings: GuardSettings) -> Optional[str]:
    """A line when `rows_in` (at least settings.min_rows) rows gave no output row, else None."""
    if settings.allow_empty or rows_out > 0 or rows_in < max(settings.min_rows, 1):
        return None
    return (f"ft removed all {rows_in:,} input rows: the output would be empty, so nothing was published "
            "(check the input and the filter settings; pass --allow-empty or --set ft.guard.allow_empty=true "
            "to publish an empty dataset)")


def over_removal_problem(steps: Iterable, settings: GuardSettings) -> Optional[str]:
    """A line naming the first rule that removed more than settings.max_rule_share of the rows that reached
    it (at least settings.min_rows of them), else None. `steps`: funnel steps (ft.stats.Step or dicts)."""
    if settings.allow_over_removal:
        return None
    for s in steps:
        if _get(s, "kind") != "rule":
            continue
        reached, dropped = _get(s, "rows_in"), _get(s, "rows_dropped")
        if reached >= max(settings.min_rows, 1) and dropped / reached > settings.max_rule_share:
            name = _get(s, "name")
            return (f"ft rule {name!r} removed {dropped:,} of the {reached:,} rows that reached it "
                    f"({dropped / reached:.1%}, more than ft.guard.max_rule_share={settings.max_rule_share:g}), so "
                    f"nothing was published (check its settings or --disable {name}; pass --allow-over-removal to "
                    "publish anyway)")
    return None


def ft_output_problem(steps: Iterable, rows_in: int, rows_out: int, settings: GuardSettings) -> Optional[str]:
    """The guard's verdict on an ft run: an empty output is reported as such (and --allow-empty accepts it
    whichever rule emptied it); otherwise a rule that removed more than the configured share."""
    if rows_out == 0 and rows_in > 0:
        return empty_output_problem(rows_in, rows_out, settings)
    return over_removal_problem(steps, settings)


def mine_all_skipped_problem(rows: int, rows_skipped: int, allow: bool) -> Optional[str]:
    """A line when every mined row was skipped (no row has contents), else None."""
    if allow or rows == 0 or rows_skipped < rows:
        return None
    return (f"mine skipped every one of its {rows:,} rows (binary, too large, not UTF-8, ...: no row has file "
            "contents; see the skip_reason column); pass --allow-all-skipped to accept this")

"""The filter funnel: rows and bytes in / dropped / out per rule and per stage, in pipeline order.

Built from first-failure counts (`drop_reason` of the scored table), so a row counts once, at the
first rule that drops it: the numbers are those of applying the rules one after another, as the
paper's scripts did. Pure: ft.job feeds it aggregates; tests feed it dicts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Optional

import pyarrow as pa

from octopack_spark.ft.filters.pipeline import STAGES, reason_order, reason_stage
from octopack_spark.ft.tables import STATS_SCHEMA


@dataclass
class Step:
    kind: str  # "stage" or "rule"
    stage: str
    name: str
    position: int
    rows_in: int
    rows_out: int
    rows_dropped: int
    bytes_in: int
    bytes_out: int
    bytes_dropped: int
    seconds: Optional[float] = None

    def to_dict(self) -> dict:
        return asdict(self)


def build_funnel(total_rows: int, total_bytes: int, dropped: dict[str, tuple[int, int]],
                 seconds: Optional[dict[str, float]] = None, active: Optional[Iterable[str]] = None) -> list[Step]:
    """Stage and rule steps in order. `dropped`: reason -> (rows, bytes) of first failures; `seconds`:
    reason or stage name -> seconds; `active`: reasons to list (default: all; a reason with drops is
    always listed). Unknown reasons (none expected) are appended under stage "other"."""
    seconds = seconds or {}
    stage_of = reason_stage()
    order = reason_order()
    listed = set(active) if active is not None else set(order)
    names = [r for r in order if r in listed or r in dropped] + sorted(set(dropped) - set(order))
    steps: list[Step] = []
    rows, byts = total_rows, total_bytes
    stage_names = [s.name for s in STAGES] + ["other"]
    pos = 0
    for stage in stage_names:
        members = [r for r in names if stage_of.get(r, "other") == stage]
        if not members:
            continue
        s_rows, s_bytes = rows, byts
        rule_steps = []
        for r in members:
            n, b = dropped.get(r, (0, 0))
            pos += 1
            rule_steps.append(Step("rule", stage, r, pos, rows, rows - n, n, byts, byts - b, b, seconds.get(r)))
            rows, byts = rows - n, byts - b
        st_sec = seconds.get(stage)
        if st_sec is None:
            parts = [s.seconds for s in rule_steps if s.seconds is not None]
            st_sec = sum(parts) if parts else None
        steps.append(Step("stage", stage, stage, pos - len(members), s_rows, rows, s_rows - rows, s_bytes, byts,
                          s_bytes - byts, st_sec))
        steps.extend(rule_steps)
    return steps


def _mb(b: int) -> str:
    return f"{b / 1e6:,.2f}"


def render_funnel(steps: list[Step], total_rows: int, total_bytes: int, kept_rows: int, kept_bytes: int,
                  show_zero_rules: bool = False) -> str:
    """A fixed-width table for the terminal (stages in upper case, their rules indented)."""
    head = f"{'stage / rule':<34}{'rows in':>11}{'dropped':>11}{'rows out':>11}{'MB in':>11}{'MB dropped':>12}{'seconds':>10}"
    lines = [f"CommitPackFT funnel: {total_rows:,} rows ({_mb(total_bytes)} MB) -> {kept_rows:,} rows "
             f"({_mb(kept_bytes)} MB)", head, "-" * len(head)]
    for s in steps:
        if s.kind == "rule" and s.rows_dropped == 0 and not show_zero_rules:
            continue
        label = s.name.upper() if s.kind == "stage" else "  " + s.name
        sec = "" if s.seconds is None else f"{s.seconds:.2f}"
        lines.append(f"{label:<34}{s.rows_in:>11,}{s.rows_dropped:>11,}{s.rows_out:>11,}{_mb(s.bytes_in):>11}"
                     f"{_mb(s.bytes_dropped):>12}{sec:>10}")
    lines.append("-" * len(head))
    lines.append(f"{'KEPT':<34}{'':>11}{'':>11}{kept_rows:>11,}{_mb(kept_bytes):>11}")
    return "\n".join(lines)


def stats_rows(total_rows: int, total_bytes: int, kept_rows: int, kept_bytes: int, steps: list[Step],
               lang_in: dict[str, tuple[int, int]], lang_out: dict[str, tuple[int, int]],
               seconds_total: Optional[float]) -> pa.Table:
    """The flat `stats` table: one total row, the funnel steps, rows per language before/after."""
    recs = [dict(kind="total", stage=None, name="total", position=0, rows_in=total_rows, rows_out=kept_rows,
                 rows_dropped=total_rows - kept_rows, bytes_in=total_bytes, bytes_out=kept_bytes,
                 bytes_dropped=total_bytes - kept_bytes, seconds=seconds_total)]
    recs += [s.to_dict() for s in steps]
    for kind, d in (("lang_in", lang_in), ("lang_out", lang_out)):
        for i, (lang, (n, b)) in enumerate(sorted(d.items(), key=lambda kv: (-kv[1][0], kv[0]))):
            recs.append(dict(kind=kind, stage=None, name=lang, position=i, rows_in=None, rows_out=n, rows_dropped=None,
                             bytes_in=None, bytes_out=b, bytes_dropped=None, seconds=None))
    return pa.Table.from_pylist(recs, schema=STATS_SCHEMA)

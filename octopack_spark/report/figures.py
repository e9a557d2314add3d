"""The report's charts, as Vega-Lite specs built with Altair from small, already aggregated rows.

One renderer for every summary picture of the project: `octopack report` puts these specs into its HTML
page (drawn in the browser by the Vega bundle inlined there) and turns the same specs into PNGs with
vl-convert (no browser, no network); `ft/report.py` uses them for the data card's two PNGs.
Every function takes plain rows (lists of dicts) and returns an Altair chart; none reads files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

WIDTH = 640
BLUE, ORANGE, GREY = "#3b7dd8", "#d8843b", "#9aa3ad"


@dataclass
class Figure:
    """One chart of the report: `key` names its PNG and its element in the page."""

    key: str
    title: str
    caption: str
    chart: Any  # an Altair chart

    def spec(self) -> dict:
        return self.chart.to_dict()


def _alt():
    import altair as alt

    return alt


def _empty(title: str, message: str):
    """A chart that says there is nothing to draw (a log scale cannot show zero rows)."""
    alt = _alt()
    return alt.Chart(alt.Data(values=[{"text": message}])).mark_text(size=14).encode(
        text="text:N").properties(title=title, width=WIDTH, height=60)


def _log_scale():
    """Log axis from below 1, so a count of 1 still draws a visible bar."""
    return _alt().Scale(type="log", domainMin=0.5)


def _series_order(rows: Sequence[dict]) -> list[str]:
    present = {r["series"] for r in rows}
    return [s for s in ("mined", "kept") if s in present] + sorted(present - {"mined", "kept"})


def _height(n: int, per_bar: int = 16) -> int:
    return max(60, per_bar * n)


def _grouped_bars(rows: Sequence[dict], key: str, title: str, log: bool, colors: list[str]):
    """Horizontal bars of `rows` per `key`, one bar per series, largest first (languages, repositories)."""
    alt = _alt()
    rows = [r for r in rows if r["rows"] > 0]
    if not rows:
        return _empty(title, "no rows")
    series = _series_order(rows)
    n_keys = len({r[key] for r in rows})
    x = alt.X("rows:Q", scale=_log_scale(), stack=None, title="rows") if log else \
        alt.X("rows:Q", stack=None, title="rows")
    return alt.Chart(alt.Data(values=list(rows))).mark_bar().encode(
        y=alt.Y(f"{key}:N", sort=alt.EncodingSortField("rows", op="max", order="descending"), title=None),
        x=x,
        yOffset=alt.YOffset("series:N", sort=series),
        color=alt.Color("series:N", sort=series, scale=alt.Scale(range=colors), title=None),
        tooltip=[f"{key}:N", "series:N", alt.Tooltip("rows:Q", format=",")],
    ).properties(title=title, width=WIDTH, height=_height(n_keys, 10 + 8 * len(series)))


def languages_chart(rows: Sequence[dict], title: str = "Rows per language (log scale)"):
    """rows: {lang, rows, series} with series e.g. "mined" / "kept"; every language, largest first."""
    return _grouped_bars(rows, "lang", title, log=True, colors=[BLUE, ORANGE, GREY])


def funnel_chart(stages: Sequence[dict], rules: Sequence[dict], title: str = "Filter funnel (log scale)"):
    """stages: {name, rows} in pipeline order, the input first; rules: {name, stage, dropped}. Two panels:
    rows left after each stage, and the rows each rule dropped (a row counts for its first failed rule)."""
    alt = _alt()
    order = [s["name"] for s in stages]
    left = alt.Chart(alt.Data(values=[dict(s, step=i) for i, s in enumerate(stages) if s["rows"] > 0])).encode(
        y=alt.Y("name:N", sort=order, title=None),
        x=alt.X("rows:Q", scale=_log_scale(), stack=None, title="rows remaining after the stage"),
        tooltip=["name:N", alt.Tooltip("rows:Q", format=",")],
    )
    remaining = (left.mark_bar(color=ORANGE) + left.mark_text(align="left", dx=3).encode(
        text=alt.Text("rows:Q", format=","))).properties(title=title, width=WIDTH, height=_height(len(stages)))
    dropped = [r for r in rules if r["dropped"] > 0]
    if not dropped:
        return remaining
    rule_order = [r["name"] for r in dropped]
    by_rule = alt.Chart(alt.Data(values=list(dropped))).encode(
        y=alt.Y("name:N", sort=rule_order, title=None),
        x=alt.X("dropped:Q", scale=_log_scale(), stack=None, title="rows dropped by the rule"),
        color=alt.Color("stage:N", sort=order, title="stage"),
        tooltip=["name:N", "stage:N", alt.Tooltip("dropped:Q", format=",")],
    )
    drops = (by_rule.mark_bar() + by_rule.mark_text(align="left", dx=3, color="black").encode(
        text=alt.Text("dropped:Q", format=","))).properties(
        title="Rows dropped per rule (log scale)", width=WIDTH, height=_height(len(dropped)))
    return alt.vconcat(remaining, drops).resolve_scale(color="independent")


def commits_over_time_chart(rows: Sequence[dict], title: str = "Commits per month"):
    """rows: {month: "YYYY-MM-01", commits, series}."""
    alt = _alt()
    if not rows:
        return _empty(title, "no commits")
    # Bars, not lines: a month without commits stays empty instead of being bridged. Kept <= mined, so
    # the two series overlay rather than stack.
    return alt.Chart(alt.Data(values=list(rows))).mark_bar(opacity=0.8).encode(
        x=alt.X("month:T", timeUnit="yearmonth", title="month"),
        y=alt.Y("commits:Q", stack=None, title="commits"),
        color=alt.Color("series:N", sort=_series_order(rows), scale=alt.Scale(range=[BLUE, ORANGE]), title=None),
        tooltip=[alt.Tooltip("month:T", timeUnit="yearmonth"), "series:N", alt.Tooltip("commits:Q", format=",")],
    ).properties(title=title, width=WIDTH, height=260)


def top_repos_chart(rows: Sequence[dict], title: str = "Top repositories by rows"):
    """rows: {repo, rows, series}."""
    return _grouped_bars(rows, "repo", title, log=False, colors=[BLUE, ORANGE])


def row_size_chart(rows: Sequence[dict], title: str = "Row size: bytes of the file before + after (log bins)"):
    """rows: {lo, hi, rows, series}: a histogram over log-spaced byte bins [lo, hi)."""
    alt = _alt()
    if not rows:
        return _empty(title, "no rows")
    return alt.Chart(alt.Data(values=list(rows))).mark_bar(opacity=0.7, binSpacing=0).encode(
        x=alt.X("lo:Q", scale=_log_scale(), title="bytes (old + new file)"),
        x2="hi:Q",
        y=alt.Y("rows:Q", stack=None, title="rows"),
        y2=alt.datum(0),
        color=alt.Color("series:N", sort=_series_order(rows), scale=alt.Scale(range=[BLUE, ORANGE]), title=None),
        tooltip=["series:N", alt.Tooltip("lo:Q", format=",.0f", title="from bytes"),
                 alt.Tooltip("hi:Q", format=",.0f", title="to bytes"), alt.Tooltip("rows:Q", format=",")],
    ).properties(title=title, width=WIDTH, height=260)


def cluster_sizes_chart(rows: Sequence[dict], title: str = "Duplicate cluster sizes (log scale)"):
    """rows: {kind, size, clusters}: how many duplicate groups of each size each dedup step found."""
    alt = _alt()
    if not rows:
        return _empty(title, "no duplicates found")
    return alt.Chart(alt.Data(values=list(rows))).mark_bar().encode(
        x=alt.X("size:O", title="rows in the cluster (survivor included)"),
        xOffset="kind:N",
        y=alt.Y("clusters:Q", scale=_log_scale(), stack=None, title="clusters"),
        color=alt.Color("kind:N", title="dedup step"),
        tooltip=["kind:N", "size:O", alt.Tooltip("clusters:Q", format=",")],
    ).properties(title=title, width=WIDTH, height=260)


def pass_at_k_chart(rows: Sequence[dict], title: str = "HumanEvalPack pass@k (%)"):
    """rows: {task, language, metric, value} with value in percent; one panel per metric."""
    alt = _alt()
    if not rows:
        return _empty(title, "no scores")
    metrics = sorted({r["metric"] for r in rows}, key=lambda m: int(m.split("@")[1]))
    languages = list(dict.fromkeys(r["language"] for r in rows))  # the order given (the paper's)
    base = alt.Chart(alt.Data(values=list(rows))).encode(
        x=alt.X("language:N", sort=languages, title=None, axis=alt.Axis(labelAngle=0)),
        xOffset="task:N",
        y=alt.Y("value:Q", scale=alt.Scale(domain=[0, 100]), stack=None, title="%"),
        color=alt.Color("task:N", title="task"),
        tooltip=["metric:N", "task:N", "language:N", alt.Tooltip("value:Q", format=".1f")],
    )
    labels = base.mark_text(dy=-4, fontSize=9).encode(text=alt.Text("value:Q", format=".1f"))
    return (base.mark_bar() + labels).properties(width=max(240, 80 * len(languages)), height=240).facet(
        column=alt.Column("metric:N", sort=metrics, title=None)).properties(title=title)


def status_chart(rows: Sequence[dict], title: str = "Executed samples by outcome"):
    """rows: {stage, status, samples}: eval's error kinds per task and language."""
    alt = _alt()
    if not rows:
        return _empty(title, "no samples")
    return alt.Chart(alt.Data(values=list(rows))).mark_bar().encode(
        y=alt.Y("stage:N", title=None),
        x=alt.X("samples:Q", stack="normalize", title="share of samples", axis=alt.Axis(format="%")),
        color=alt.Color("status:N", title="outcome"),
        tooltip=["stage:N", "status:N", alt.Tooltip("samples:Q", format=",")],
    ).properties(title=title, width=WIDTH, height=_height(len({r["stage"] for r in rows})))


def to_png(chart, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes, rendered by vl-convert (bundled Vega, no browser or network)."""
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_dict(), scale=scale, vl_version=vegalite_version())


def vegalite_version() -> str:
    """vl-convert's name for the Vega-Lite version Altair writes ("v6_4")."""
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_version_for_vl_convert()

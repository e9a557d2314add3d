"""`octopack report`: one self-contained HTML page, plus the same figures as PNGs, for a run folder.

>>> from octopack_spark.report import build_report
>>> written = build_report("out/quickstart")            # doctest: +SKIP
>>> written.html, [p.name for p in written.pngs]        # doctest: +SKIP

See docs/report.md for what each kind of run shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from octopack_spark.errors import UserFacingError

REPORT_NAME = "report.html"


@dataclass
class ReportFiles:
    html: Path
    pngs: list[Path] = field(default_factory=list)
    figures: int = 0


def default_output(run: Path) -> Path:
    """report.html in the run folder; for an eval result file, <name>.report.html beside it."""
    if run.is_file():
        return run.with_name(run.name[: -len(".json")] + ".report.html" if run.name.endswith(".json")
                             else run.name + ".report.html")
    return run / REPORT_NAME


def build_report(run_dir: Union[str, Path], output: Optional[Union[str, Path]] = None, png: bool = True,
                 top_repos: int = 25) -> ReportFiles:
    """Write the HTML report of `run_dir` (an ft, mine or eval output, or a folder holding several) to
    `output` (default: see default_output) and each figure as `<output stem>.<section>.<figure>.png`
    beside it. Returns the paths written."""
    from octopack_spark.report.collect import collect, find_runs
    from octopack_spark.report.figures import to_png
    from octopack_spark.report.page import render_page

    run = Path(run_dir)
    if not run.exists():
        raise UserFacingError(f"{run}: no such run folder or result file")
    sections = [collect(kind, path, top_repos) for kind, path in find_runs(run)]
    out = Path(output) if output else default_output(run)
    if out.suffix.lower() not in (".html", ".htm"):
        raise UserFacingError(f"--output {out}: the report is an HTML file; give a name ending in .html")
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.name[: -len(out.suffix)]
    written = ReportFiles(html=out, figures=sum(len(s.figures) for s in sections))
    out.write_text(render_page(sections, f"octopack report: {run.resolve().name}"), encoding="utf-8")
    if png:
        for sec in sections:
            for fig in sec.figures:
                path = out.with_name(f"{stem}.{sec.kind}.{fig.key}.png")
                path.write_bytes(to_png(fig.chart))
                written.pngs.append(path)
    return written

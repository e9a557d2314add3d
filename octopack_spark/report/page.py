"""The report page: one self-contained HTML file (Vega, Vega-Lite and Vega-Embed inlined, data inside the
specs), so it opens offline and can be mailed or archived as it is."""

from __future__ import annotations

import html
import json
from typing import Sequence

from octopack_spark.report.collect import Section
from octopack_spark.report.figures import vegalite_version

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1000px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table.facts { border-collapse: collapse; margin: .5em 0 1em; }
table.facts td { padding: .15em .8em .15em 0; } table.facts td:first-child { color: #666; }
.figure { margin: 1.5em 0; } .figure p.caption { color: #555; margin: .2em 0 .6em; }
.note { color: #7a5b00; background: #fff8e0; padding: .4em .8em; border-radius: 4px; }
"""

# Each figure is drawn into its own element; data-rendered / data-error let a reader (or a test) see the outcome.
SCRIPT = """
for (const fig of OCTOPACK_FIGURES) {
  const el = document.getElementById(fig.id);
  vegaEmbed(el, fig.spec, {renderer: "svg", actions: false})
    .then(() => { el.dataset.rendered = "1"; })
    .catch((err) => { el.dataset.error = String(err); console.error("figure " + fig.id + ": " + err); });
}
"""


def _script_json(value) -> str:
    """JSON safe inside <script>: no `</` can close the element early."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _section_html(index: int, sec: Section, figure_ids: list[tuple[str, dict]]) -> list[str]:
    title = {"ft": "CommitPackFT build (octopack ft)", "mine": "Mined commits (octopack mine)",
             "eval": "HumanEvalPack evaluation (octopack eval)"}[sec.kind]
    out = [f'<section class="run" data-kind="{sec.kind}">', f"<h2>{html.escape(title)}</h2>",
           f"<p><code>{html.escape(sec.source)}</code></p>", '<table class="facts">']
    out += [f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in sec.facts]
    out.append("</table>")
    out += [f'<p class="note">{html.escape(n)}</p>' for n in sec.notes]
    for fig in sec.figures:
        fid = f"fig-{index}-{fig.key}"
        figure_ids.append((fid, fig.spec()))
        out += [f'<div class="figure"><h3>{html.escape(fig.title)}</h3>',
                f'<p class="caption">{html.escape(fig.caption)}</p>',
                f'<div class="vega-figure" id="{fid}" data-figure="{fig.key}"></div></div>']
    return out + ["</section>"]


def render_page(sections: Sequence[Section], title: str) -> str:
    import vl_convert

    figure_specs: list[tuple[str, dict]] = []
    body: list[str] = []
    for i, sec in enumerate(sections):
        body += _section_html(i, sec, figure_specs)
    bundle = vl_convert.javascript_bundle(vl_version=vegalite_version())
    figures_js = _script_json([{"id": fid, "spec": spec} for fid, spec in figure_specs])
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>", f"<style>{STYLE}</style>",
        f"<script>\n{bundle.replace('</script', '<' + chr(92) + '/script')}\n</script>",  # Vega, inlined
        "</head>", "<body>", f"<h1>{html.escape(title)}</h1>",
        *body,
        f"<script>\nconst OCTOPACK_FIGURES = {figures_js};\n{SCRIPT}</script>",
        "</body>", "</html>", "",
    ])

"""The page is self-contained: the Vega bundle and every spec inline, nothing loaded from elsewhere."""

from __future__ import annotations

import re

from octopack_spark.report import figures as fg
from octopack_spark.report.collect import Section
from octopack_spark.report.page import render_page


def test_page_inlines_everything_and_escapes_script_ends():
    chart = fg.top_repos_chart([{"repo": "evil</script><script>alert(1)//", "rows": 3, "series": "mined"}])
    sec = Section("mine", "/data/<run>", facts=[("rows", "3")],
                  figures=[fg.Figure("top_repositories", "Top", "caption", chart)])
    page = render_page([sec], "t")
    assert page.count('class="vega-figure"') == 1 and 'data-figure="top_repositories"' in page
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?https?:""", page)
    assert "vegaEmbed" in page and len(page) > 500_000  # the Vega / Vega-Lite / Vega-Embed bundle itself
    assert "</script><script>alert" not in page and "&lt;run&gt;" in page

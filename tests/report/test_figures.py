"""The report's charts: Vega-Lite specs from small rows, log scales where counts span decades, PNGs."""

from __future__ import annotations

from octopack_spark.report import figures as fg

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _walk(node):
    """Every dict inside a spec (concat, layer and facet specs nest)."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def test_languages_every_language_on_a_log_scale_with_one_row_visible():
    rows = [{"lang": f"L{i}", "rows": 10 ** (i % 5), "series": "mined"} for i in range(40)]
    rows.append({"lang": "L0", "rows": 1, "series": "kept"})
    spec = fg.languages_chart(rows).to_dict()
    assert len({v["lang"] for v in spec["data"]["values"]}) == 40  # all of them, no top-N cut
    x = spec["encoding"]["x"]
    assert x["scale"]["type"] == "log" and x["scale"]["domainMin"] < 1 and x["stack"] is None
    assert spec["encoding"]["color"]["sort"] == ["mined", "kept"]


def test_funnel_has_stages_and_only_the_rules_that_dropped_rows():
    stages = [{"name": "input", "rows": 1000}, {"name": "sql1", "rows": 10}, {"name": "filters1", "rows": 1}]
    rules = [{"name": "license_not_allowed", "stage": "sql1", "dropped": 990},
             {"name": "message_merge", "stage": "sql1", "dropped": 0},
             {"name": "verb_start", "stage": "filters1", "dropped": 9}]
    spec = fg.funnel_chart(stages, rules).to_dict()
    names = {row["name"] for d in _walk(spec) if isinstance(d.get("values"), list) for row in d["values"]}
    names |= {row["name"] for rows in spec.get("datasets", {}).values() for row in rows}
    assert {"sql1", "filters1", "license_not_allowed", "verb_start"} <= names and "message_merge" not in names
    x_scales = [d["x"]["scale"]["type"] for d in _walk(spec) if isinstance(d.get("x"), dict) and "scale" in d["x"]]
    assert len(x_scales) >= 2 and set(x_scales) == {"log"}


def test_each_chart_renders_to_png_including_empty_inputs():
    charts = [
        fg.languages_chart([]), fg.funnel_chart([{"name": "input", "rows": 0}], []),
        fg.commits_over_time_chart([{"month": "2024-01-01", "commits": 3, "series": "mined"}]),
        fg.commits_over_time_chart([]), fg.top_repos_chart([{"repo": "a/b", "rows": 2, "series": "mined"}]),
        fg.row_size_chart([{"lo": 100, "hi": 178, "rows": 4, "series": "mined"}]),
        fg.cluster_sizes_chart([{"kind": "near (MinHash)", "size": 3, "clusters": 1}]), fg.cluster_sizes_chart([]),
        fg.pass_at_k_chart([{"task": "HumanEvalSynthesize", "language": "Python", "metric": "pass@1", "value": 46.2}]),
        fg.status_chart([{"stage": "x", "status": "passed", "samples": 3}]),
    ]
    for chart in charts:
        png = fg.to_png(chart, scale=1)
        assert png[:8] == PNG_MAGIC and len(png) > 1000

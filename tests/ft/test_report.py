from octopack_spark.ft.report import plot_funnel, plot_languages, render_card
from octopack_spark.ft.stats import build_funnel


def stats(rows_out=3):
    steps = build_funnel(10, 1000, {"wip": (7, 700)})
    return {
        "rows_in": 10, "bytes_in": 1000, "rows_out": rows_out, "bytes_out": 300, "seconds": 2.0, "rows_per_second": 5,
        "input": "/in", "created": "now", "code_version": "x", "config_hash": "abc",
        "token_counter": "chars/3.5", "langid_model": "lid.176.ftz", "nl_languages_allowed": ["en"],
        "funnel": [s.to_dict() for s in steps],
        "languages_out": {"Python": {"rows": 2, "bytes": 200}, "Go": {"rows": 1, "bytes": 100}} if rows_out else {},
        "licenses_out": {"mit": 3} if rows_out else {},
        "steps": {"near_dedup": {"rows_in": 3, "clusters": 0, "params": {"threshold": 0.75}},
                  "decontaminate": {"rows_in": 4, "contaminated": 1, "by_reason": {"exact:Python/0:test": 1}}},
    }


def test_card_sections_and_values():
    card = render_card(stats(), title="T")
    assert card.startswith("---\n") and "# T" in card
    assert "**3 samples** in **2 languages**" in card
    assert "| Python | 2 | 0.00 |" in card
    assert "| wip | 10 | 7 | 3 |" in card
    assert "approximate" in card  # the chars fallback is called out
    assert "near_dedup" in card and "threshold=0.75" in card
    assert "`exact:Python/0:test` 1" in card and "contaminated 1" in card
    assert "languages.png" in card and "funnel.png" in card
    assert "`subject` (paper)" in card


def test_card_without_rows_or_plots():
    card = render_card(stats(rows_out=0), plots=False)
    assert "**0 samples**" in card and ".png" not in card


def test_plots_are_png():
    for png in (plot_languages(stats()), plot_funnel(stats()), plot_languages(stats(rows_out=0))):
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000

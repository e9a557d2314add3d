from octopack_spark.ft.stats import build_funnel, render_funnel, stats_rows


def test_funnel_counts_chain_and_stage_totals():
    dropped = {"license_not_allowed": (10, 1000), "message_merge": (5, 500), "exact_commit_dup": (3, 300),
               "token_length": (20, 4000), "near_dup": (2, 100)}
    steps = build_funnel(100, 10_000, dropped, seconds={"token_length": 1.5, "sql2": 2.0})
    rules = [s for s in steps if s.kind == "rule"]
    # each rule starts where the previous ended
    for a, b in zip(rules, rules[1:]):
        assert b.rows_in == a.rows_out and b.bytes_in == a.bytes_out
    assert rules[-1].rows_out == 100 - 40 and rules[-1].bytes_out == 10_000 - 5900
    by = {(s.kind, s.name): s for s in steps}
    assert by[("stage", "sql1")].rows_dropped == 15 and by[("stage", "sql1")].rows_in == 100
    assert by[("stage", "sql2")].seconds == 2.0
    assert by[("rule", "token_length")].seconds == 1.5 and by[("stage", "filters1")].seconds == 1.5
    assert by[("rule", "license_not_allowed")].rows_out == 90
    assert [s.position for s in steps if s.kind == "rule"] == sorted(s.position for s in steps if s.kind == "rule")


def test_funnel_lists_only_active_rules_plus_any_with_drops():
    steps = build_funnel(10, 10, {"wip": (1, 1)}, active=["license_not_allowed"])
    assert [s.name for s in steps if s.kind == "rule"] == ["license_not_allowed", "wip"]


def test_unknown_reason_is_reported_not_lost():
    steps = build_funnel(10, 10, {"mystery": (4, 4)})
    assert steps[-1].name == "mystery" and steps[-1].stage == "other" and steps[-1].rows_out == 6


def test_render_and_table():
    steps = build_funnel(100, 2_000_000, {"wip": (1, 1000)})
    text = render_funnel(steps, 100, 2_000_000, 99, 1_999_000)
    assert "wip" in text and "FILTERS2" in text and "KEPT" in text and "license_not_allowed" not in text
    t = stats_rows(100, 2_000_000, 99, 1_999_000, steps, {"Python": (100, 2_000_000)}, {"Python": (99, 1_999_000)}, 3.0)
    kinds = t.column("kind").to_pylist()
    assert kinds[0] == "total" and kinds.count("lang_in") == 1 and "rule" in kinds
    assert t.column("rows_out").to_pylist()[0] == 99


def test_empty_input():
    steps = build_funnel(0, 0, {})
    assert all(s.rows_in == 0 and s.rows_dropped == 0 for s in steps)
    assert "0 rows" in render_funnel(steps, 0, 0, 0, 0)

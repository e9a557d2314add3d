from octopack_spark.ft.filters.pipeline import (
    ANNOTATION_STEPS,
    RULES,
    STAGES,
    active_rules,
    all_rule_names,
    evaluate,
    first_reason,
    reason_order,
)
from tests.ft.rows import fcfg, good_row


def test_good_row_passes_every_rule():
    assert evaluate(good_row(), fcfg()) == []


def test_rule_names_unique_and_stages_known():
    names = all_rule_names()
    assert len(names) == len(set(names))
    stages = {s.name for s in STAGES}
    assert {r.stage for r in RULES} <= stages
    assert {v[0] for v in ANNOTATION_STEPS.values()} <= stages


def test_order_follows_spec():
    order = reason_order()
    # SQL step 1 < exact dedup (SQL step 2) < single-file (SQL 4-5) < pre-scrape < filters1 < filters2 < dedup
    assert order.index("message_merge") < order.index("exact_commit_dup") < order.index("not_single_file_commit")
    assert order.index("trivial_message") < order.index("old_too_long") < order.index("token_length")
    assert order.index("hex_subject") < order.index("cherry_pick") < order.index("few_words")
    assert order.index("few_words") < order.index("exact_content_dup") < order.index("decontaminated") < order.index("near_dup")
    f1 = [r.name for r in RULES if r.stage == "filters1"]
    assert f1[:3] == ["old_too_long", "new_empty", "unchanged"]


def test_all_failures_recorded_first_one_wins():
    row = good_row(license="gpl-3.0", subject="wip", message="wip\n")
    reasons = evaluate(row, fcfg())
    assert reasons[0] == "license_not_allowed"
    assert {"message_blocklist", "subject_length", "wip"} <= set(reasons)
    assert first_reason(reasons) == "license_not_allowed"
    assert first_reason(["near_dup", "few_words"]) == "few_words"
    assert first_reason([]) is None


def test_disabled_rules_are_not_evaluated():
    cfg = fcfg(disabled=["license_not_allowed", "near_dup"])
    assert "license_not_allowed" not in {r.name for r in active_rules(cfg)}
    assert evaluate(good_row(license="gpl-3.0"), cfg) == []


def test_unknown_disabled_name_is_an_error():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown rule name"):
        fcfg(disabled=["no_such_rule"])

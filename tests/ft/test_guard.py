"""The over-removal guard's checks (octopack_spark.ft.guard), without Spark."""

from octopack_spark.ft.config import GuardConfig
from octopack_spark.ft.guard import (
    empty_output_problem,
    ft_output_problem,
    mine_all_skipped_problem,
    over_removal_problem,
)
from octopack_spark.ft.stats import build_funnel


def _funnel(rows_in: int, dropped: dict[str, int]):
    return build_funnel(rows_in, rows_in * 10, {k: (v, v * 10) for k, v in dropped.items()})


def test_a_rule_removing_99_percent_is_reported_in_one_line():
    steps = _funnel(1000, {"license_not_allowed": 995})
    msg = over_removal_problem(steps, GuardConfig())
    assert msg and "license_not_allowed" in msg and "995" in msg and "1,000" in msg and "\n" not in msg
    assert "--allow-over-removal" in msg and "nothing was published" in msg
    assert ft_output_problem(steps, 1000, 5, GuardConfig()) == msg


def test_a_rule_under_the_share_passes_and_the_share_is_of_the_rows_reaching_it():
    # 500 rows reach the second rule; it drops 490 of them (98 %): under 0.99.
    steps = _funnel(1000, {"license_not_allowed": 500, "message_length": 490})
    assert over_removal_problem(steps, GuardConfig()) is None
    assert "message_length" in over_removal_problem(steps, GuardConfig(max_rule_share=0.9))


def test_allow_over_removal_lets_it_through():
    steps = _funnel(1000, {"license_not_allowed": 999})
    assert over_removal_problem(steps, GuardConfig(allow_over_removal=True)) is None


def test_empty_output_is_reported_and_allow_empty_lets_it_through():
    steps = _funnel(200, {"license_not_allowed": 200})
    msg = ft_output_problem(steps, 200, 0, GuardConfig())
    assert msg.startswith("ft removed all 200 input rows") and "--allow-empty" in msg and "\n" not in msg
    assert ft_output_problem(steps, 200, 0, GuardConfig(allow_empty=True)) is None


def test_small_inputs_and_empty_inputs_are_not_judged():
    # Under min_rows rows an empty result is ordinary (the paper keeps ~1 % of commits).
    assert ft_output_problem(_funnel(8, {"license_not_allowed": 8}), 8, 0, GuardConfig()) is None
    assert ft_output_problem(_funnel(0, {}), 0, 0, GuardConfig()) is None
    assert empty_output_problem(8, 0, GuardConfig(min_rows=1)) is not None


def test_dict_steps_from_stats_json_work_too():
    steps = [s.to_dict() for s in _funnel(1000, {"license_not_allowed": 999})]
    assert "license_not_allowed" in over_removal_problem(steps, GuardConfig())


def test_mine_all_skipped():
    assert mine_all_skipped_problem(0, 0, False) is None  # nothing new to mine is fine
    assert mine_all_skipped_problem(10, 9, False) is None
    msg = mine_all_skipped_problem(10, 10, False)
    assert "every one of its 10 rows" in msg and "--allow-all-skipped" in msg
    assert mine_all_skipped_problem(10, 10, True) is None

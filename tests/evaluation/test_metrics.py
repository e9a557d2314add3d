import math

import pytest

from evaluation.metrics import counts_from_verdicts, mean_pass_at_k, pass_at_k, pass_at_ks, valid_ks


@pytest.mark.parametrize(
    "n,c,k,expected",
    [
        (5, 0, 1, 0.0),
        (5, 5, 1, 1.0),
        (5, 2, 1, 0.4),  # c/n
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (20, 1, 10, 0.5),  # 1 - C(19,10)/C(20,10) = 1 - 10/20
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5)
        (4, 1, 4, 1.0),  # n - c < k: every draw of 4 contains the pass
        (20, 7, 1, 0.35),
        (1, 1, 1, 1.0),
        (1, 0, 1, 0.0),
    ],
)
def test_pass_at_k_hand_computed(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_matches_binomial_formula_everywhere():
    for n in range(1, 16):
        for c in range(0, n + 1):
            for k in range(1, n + 1):
                exact = 1.0 - math.comb(n - c, k) / math.comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12), (n, c, k)


def test_pass_at_k_rejects_bad_input():
    with pytest.raises(ValueError, match="undefined"):
        pass_at_k(5, 1, 10)
    with pytest.raises(ValueError, match="more passing"):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 0)


def test_mean_over_problems_and_valid_ks():
    counts = [(20, 0), (20, 20), (20, 10)]
    assert mean_pass_at_k(counts, 1) == pytest.approx((0 + 1 + 0.5) / 3)
    # pass@10 with c=10 of 20: 1 - C(10,10)/C(20,10) = 1 - 1/184756
    assert mean_pass_at_k(counts, 10) == pytest.approx((0 + 1 + (1 - 1 / 184756)) / 3)
    assert valid_ks([(20, 1), (5, 1)], [1, 10, 100]) == [1]
    res = pass_at_ks([(2, 1), (2, 0)], [1, 2, 10])
    assert set(res) == {"pass@1", "pass@2"}
    assert res["pass@1"] == pytest.approx(0.25)
    assert res["pass@2"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        mean_pass_at_k([], 1)


def test_counts_from_verdicts():
    assert counts_from_verdicts({"a": [True, False, True], "b": [False]}) == [(3, 2), (1, 0)]

"""Unbiased pass@k (Chen et al. 2021), as the OctoPack paper reports it.

For one problem with n samples of which c pass, pass@k = 1 - C(n-c, k) / C(n, k): the chance that k samples
drawn without replacement contain at least one pass. The product form below avoids huge binomials.
The benchmark score is the mean over problems.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples (out of n, c correct) passes."""
    if n < 0 or c < 0 or k < 1:
        raise ValueError(f"pass_at_k needs n >= 0, c >= 0, k >= 1 (got n={n}, c={c}, k={k})")
    if c > n:
        raise ValueError(f"more passing samples than samples (n={n}, c={c})")
    if k > n:
        raise ValueError(f"pass@{k} is undefined with only {n} samples")
    if n - c < k:
        return 1.0
    prod = 1.0
    # 1 - prod_{i=n-c+1}^{n} (1 - k/i)
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean pass@k over problems given (n, c) per problem."""
    if not counts:
        raise ValueError("no problems to average over")
    return sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)


def valid_ks(counts: Sequence[tuple[int, int]], ks: Iterable[int]) -> list[int]:
    """The ks that every problem has enough samples for (the harness drops pass@k when n < k)."""
    if not counts:
        return []
    n_min = min(n for n, _ in counts)
    return sorted({k for k in ks if 1 <= k <= n_min})


def pass_at_ks(counts: Sequence[tuple[int, int]], ks: Iterable[int]) -> dict[str, float]:
    """{"pass@1": ..., "pass@10": ...} for the ks that are defined for these counts."""
    return {f"pass@{k}": mean_pass_at_k(counts, k) for k in valid_ks(counts, ks)}


def counts_from_verdicts(verdicts: Mapping[str, Sequence[bool]]) -> list[tuple[int, int]]:
    """(n, c) per problem from {task_id: [passed per sample]}, in the mapping's order."""
    return [(len(v), sum(bool(x) for x in v)) for v in verdicts.values()]

"""Intervals against scipy and statsmodels (independent implementations) and published values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from fairloop.stats import (
    clopper_pearson_interval,
    newcombe_difference_interval,
    proportion_interval,
    ratio_interval,
    wilson_interval,
)

counts = st.integers(min_value=1, max_value=2_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(counts, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@settings(max_examples=200, deadline=None)
def test_wilson_equals_scipy(kn: tuple[int, int], level: float) -> None:
    k, n = kn
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    low, high = wilson_interval([k], [n], level)
    assert low[0] == pytest.approx(expected.low, abs=1e-12)
    assert high[0] == pytest.approx(expected.high, abs=1e-12)


@given(counts)
@settings(max_examples=100, deadline=None)
def test_clopper_pearson_equals_scipy(kn: tuple[int, int]) -> None:
    k, n = kn
    expected = stats.binomtest(k, n).proportion_ci(method="exact")
    low, high = clopper_pearson_interval([k], [n])
    # scipy finds the bounds with a root finder (xtol 2e-12); ours are beta quantiles
    assert low[0] == pytest.approx(expected.low, abs=1e-10)
    assert high[0] == pytest.approx(expected.high, abs=1e-10)


def test_empty_denominator_gives_nan() -> None:
    for method in ("wilson", "clopper-pearson"):
        low, high = proportion_interval([0, 1], [0, 2], method=method)  # type: ignore[arg-type]
        assert np.isnan(low[0]) and np.isnan(high[0])
        assert not np.isnan(low[1])


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="wilson"):
        proportion_interval([1], [2], method="wald")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
    ],
)
def test_newcombe_published_values(
    k1: int, n1: int, k2: int, n2: int, low: float, high: float
) -> None:
    lo, hi = newcombe_difference_interval([k1], [n1], [k2], [n2])
    assert lo[0] == pytest.approx(low, abs=5e-5)
    assert hi[0] == pytest.approx(high, abs=5e-5)


two_groups = st.tuples(counts, counts)


@given(two_groups)
@settings(max_examples=200, deadline=None)
def test_newcombe_equals_statsmodels(groups: tuple[tuple[int, int], tuple[int, int]]) -> None:
    (k1, n1), (k2, n2) = groups
    expected = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    lo, hi = newcombe_difference_interval([k1], [n1], [k2], [n2])
    assert lo[0] == pytest.approx(expected[0], abs=1e-10)
    assert hi[0] == pytest.approx(expected[1], abs=1e-10)


@given(two_groups)
@settings(max_examples=200, deadline=None)
def test_katz_ratio_equals_statsmodels_when_counts_positive(
    groups: tuple[tuple[int, int], tuple[int, int]],
) -> None:
    (k1, n1), (k2, n2) = groups
    if 0 in (k1, k2, n1 - k1, n2 - k2):  # a zero cell: the Haldane correction applies
        return
    expected = confint_proportions_2indep(k1, n1, k2, n2, method="log", compare="ratio")
    lo, hi = ratio_interval([k1], [n1], [k2], [n2])
    assert lo[0] == pytest.approx(expected[0], rel=1e-10)
    assert hi[0] == pytest.approx(expected[1], rel=1e-10)


def test_ratio_with_zero_count_uses_haldane_correction() -> None:
    # 0/20 against 5/20: add 0.5 to each cell -> 0.5/21 against 5.5/21; the estimate is 0,
    # so the interval starts at 0
    lo, hi = ratio_interval([0], [20], [5], [20])
    log_r = np.log((0.5 / 21) / (5.5 / 21))
    se = np.sqrt(1 / 0.5 - 1 / 21 + 1 / 5.5 - 1 / 21)
    z = stats.norm.ppf(0.975)
    assert lo[0] == 0.0
    assert hi[0] == pytest.approx(np.exp(log_r + z * se))
    lo, hi = ratio_interval([5], [20], [0], [20])  # estimate infinite
    assert lo[0] == pytest.approx(np.exp(np.log((5.5 / 21) / (0.5 / 21)) - z * se))
    assert hi[0] == np.inf
    both_zero = ratio_interval([0], [20], [0], [20])
    assert np.isnan(both_zero[0][0])


def test_ratio_interval_with_a_full_cell_is_not_degenerate() -> None:
    lo, hi = ratio_interval([3], [3], [7], [7])  # ratio 1, but not known exactly
    assert lo[0] < 1 < hi[0]


@given(two_groups)
@settings(max_examples=200, deadline=None)
def test_ratio_interval_contains_its_estimate(
    groups: tuple[tuple[int, int], tuple[int, int]],
) -> None:
    (k1, n1), (k2, n2) = groups
    lo, hi = ratio_interval([k1], [n1], [k2], [n2])
    if k1 == 0 and k2 == 0:
        return
    ratio = (k1 / n1) / (k2 / n2) if k2 else np.inf
    assert lo[0] <= ratio * (1 + 1e-12)
    assert hi[0] >= ratio * (1 - 1e-12)


def test_wilson_coverage_by_simulation() -> None:
    """Over many binomial draws the 95% Wilson interval covers the true p about 95% of the time."""
    rng = np.random.default_rng(7)
    for p, n in ((0.1, 50), (0.5, 200), (0.03, 400)):
        k = rng.binomial(n, p, size=20_000)
        low, high = wilson_interval(k, np.full_like(k, n))
        coverage = np.mean((low <= p) & (p <= high))
        assert 0.92 < coverage < 0.975, (p, n, coverage)


def test_newcombe_coverage_by_simulation() -> None:
    rng = np.random.default_rng(11)
    p1, p2, n1, n2 = 0.3, 0.2, 120, 80
    k1 = rng.binomial(n1, p1, 20_000)
    k2 = rng.binomial(n2, p2, 20_000)
    low, high = newcombe_difference_interval(k1, n1, k2, n2)
    coverage = np.mean((low <= p1 - p2) & (p1 - p2 <= high))
    assert 0.93 < coverage < 0.97


def test_ratio_interval_of_tiny_effective_counts_is_wide_without_a_warning() -> None:
    # effective counts of a group under a heavy design effect (k / deff, n / deff): the
    # spread is huge, so the interval is [0, inf) and no overflow warning escapes
    low, high = ratio_interval([2.86e-05], [1.64e-03], [7.16e-06], [2.65e-04], 0.95)
    assert low[0] == pytest.approx(0.0, abs=1e-12)
    assert high[0] == np.inf

"""Hypothesis tests against scipy's implementations and hand computation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from fairloop.stats import fisher_exact_pvalue, homogeneity_pvalue, two_proportion_pvalue

small = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(st.lists(st.tuples(small, small), min_size=1, max_size=20))
@settings(max_examples=150, deadline=None)
def test_fisher_equals_scipy(tables: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    k1 = [a[0] for a, _ in tables]
    n1 = [a[1] for a, _ in tables]
    k2 = [b[0] for _, b in tables]
    n2 = [b[1] for _, b in tables]
    ours = fisher_exact_pvalue(k1, n1, k2, n2)
    for i, ((a, na), (c, nc)) in enumerate(tables):
        expected = stats.fisher_exact([[a, na - a], [c, nc - c]]).pvalue
        assert ours[i] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_z_test_matches_hand_computation() -> None:
    # 30/100 against 50/100: pooled 0.4, se = sqrt(0.4*0.6*(2/100))
    p, test = two_proportion_pvalue([30], [100], [50], [100])
    z = (0.3 - 0.5) / np.sqrt(0.4 * 0.6 * 0.02)
    assert test[0] == "z"
    assert p[0] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)


def test_small_counts_use_fisher() -> None:
    p, test = two_proportion_pvalue([1], [10], [7], [10])
    assert test[0] == "fisher"
    assert p[0] == pytest.approx(stats.fisher_exact([[1, 9], [7, 3]]).pvalue)


def test_degenerate_and_empty() -> None:
    p, test = two_proportion_pvalue([0, 5, 3], [50, 5, 0], [0, 5, 1], [50, 5, 4])
    assert p[0] == 1.0 and p[1] == 1.0
    assert np.isnan(p[2]) and test[2] == ""


def test_z_test_size_by_simulation() -> None:
    """Under the null the test rejects at about its nominal 5% rate."""
    rng = np.random.default_rng(3)
    k1 = rng.binomial(200, 0.3, 20_000)
    k2 = rng.binomial(300, 0.3, 20_000)
    p, _ = two_proportion_pvalue(k1, 200, k2, 300)
    assert 0.04 < np.mean(p < 0.05) < 0.06


@given(st.lists(small, min_size=2, max_size=8))
@settings(max_examples=100, deadline=None)
def test_homogeneity_equals_scipy(groups: list[tuple[int, int]]) -> None:
    k = np.array([g[0] for g in groups])
    n = np.array([g[1] for g in groups])
    ours = homogeneity_pvalue(k, n, np.zeros(len(groups), dtype=int))[0]
    if k.sum() in (0, n.sum()):
        assert ours == 1.0
        return
    table = np.column_stack([k, n - k])
    expected = stats.chi2_contingency(table, correction=False).pvalue
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-14)


def test_homogeneity_many_sets_at_once() -> None:
    k = [10, 20, 30, 5, 5]
    n = [100, 100, 100, 50, 50]
    p = homogeneity_pvalue(k, n, [0, 0, 0, 1, 1])
    assert p[0] == pytest.approx(
        stats.chi2_contingency([[10, 90], [20, 80], [30, 70]], correction=False).pvalue
    )
    assert p[1] == pytest.approx(1.0)

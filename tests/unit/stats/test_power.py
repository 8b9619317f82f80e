"""Power and sample sizes of the gap test, against statsmodels' power functions."""

from __future__ import annotations

import numpy as np
import pytest

from fairloop.stats import gap_power, gap_sample_size, rate_sample_size

proportion = pytest.importorskip("statsmodels.stats.proportion")

ALTERNATIVES = ("two-sided", "larger", "smaller")


def _cases(seed: int, count: int) -> list[tuple[float, float, int, float, float]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        rate = float(rng.uniform(0.02, 0.9))
        diff = float(rng.uniform(-min(rate, 0.3) + 0.005, min(1 - rate, 0.3)))
        out.append((diff, rate, int(rng.integers(20, 5_000)), float(rng.uniform(0.2, 20)),
                    float(rng.choice([0.01, 0.05, 0.1]))))  # fmt: skip
    return out


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_power_equals_statsmodels(alternative: str) -> None:
    for diff, rate, n, ratio, alpha in _cases(1, 200):
        expected = proportion.power_proportions_2indep(
            diff, rate, n, ratio=ratio, alpha=alpha, alternative=alternative,
            return_results=False,
        )  # fmt: skip
        got = gap_power(diff, rate, n, ratio=ratio, alpha=alpha, alternative=alternative)  # type: ignore[arg-type]
        assert abs(float(got) - float(expected)) < 1e-6


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_sample_size_gives_the_power_asked(alternative: str) -> None:
    """The size found has statsmodels' power equal to the one asked; one-sided it is
    statsmodels' closed form, and two-sided never more (that form leaves the far tail out)."""
    for diff, rate, _, ratio, alpha in _cases(2, 200):
        if (alternative == "larger" and diff < 0) or (alternative == "smaller" and diff > 0):
            diff = -diff
            if not 0 <= rate + diff <= 1:
                continue
        for power in (0.5, 0.8, 0.9):
            n = float(gap_sample_size(diff, rate, power, ratio=ratio, alpha=alpha,
                                      alternative=alternative))  # type: ignore[arg-type]  # fmt: skip
            achieved = proportion.power_proportions_2indep(
                diff, rate, n, ratio=ratio, alpha=alpha, alternative=alternative,
                return_results=False,
            )  # fmt: skip
            assert abs(float(achieved) - power) < 1e-6
            closed = proportion.samplesize_proportions_2indep_onetail(
                diff, rate, power, ratio=ratio, alpha=alpha, alternative=alternative
            )
            if alternative == "two-sided":
                assert n <= closed + 1e-6  # the far tail adds power: never more cases
            else:
                assert abs(n - closed) < 1e-6 * max(closed, 1)


def test_rate_sample_size_equals_statsmodels() -> None:
    for rate in (0.02, 0.1, 0.5, 0.83):
        for half in (0.01, 0.03, 0.1):
            for alpha in (0.01, 0.05):
                expected = proportion.samplesize_confint_proportion(rate, half, alpha=alpha)
                assert abs(float(rate_sample_size(rate, half, alpha=alpha)) - expected) < 1e-6


def test_a_hand_computed_case() -> None:
    """Equal groups, 10% against 15%, two-sided 5%: the textbook pooled z-test form."""
    from math import sqrt

    from scipy.stats import norm

    p1, p2, n = 0.15, 0.10, 700
    pooled = (p1 + p2) / 2
    null, alt = sqrt(2 * pooled * (1 - pooled)), sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    z = norm.ppf(0.975)
    expected = norm.cdf((0.05 * sqrt(n) - z * null) / alt) + norm.cdf(
        (-0.05 * sqrt(n) - z * null) / alt
    )
    assert abs(float(gap_power(0.05, 0.10, n)) - expected) < 1e-12


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: gap_power(0.5, 0.7, 100), "must both lie in"),
        (lambda: gap_power(0.05, 0.1, 100, ratio=0), "ratio"),
        (lambda: gap_power(0.05, 0.1, 100, alpha=1.5), "alpha"),
        (lambda: gap_power(0.05, 0.1, 100, alternative="up"), "alternative"),  # type: ignore[arg-type]
        (lambda: gap_sample_size(0.0, 0.1, 0.8), "must not be 0"),
        (lambda: gap_sample_size(-0.05, 0.1, 0.8, alternative="larger"), "its sign"),
        (lambda: gap_sample_size(0.05, 0.1, 1.2), "power must lie"),
        (lambda: rate_sample_size(0.1, 0), "half_width"),
    ],
)
def test_bad_arguments_are_named(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]

"""Power and sample sizes of the gap test between two rates (the pooled z-test).

The gap between a group's rate ``p1`` and another's ``p2`` is tested, as fairloop tests it,
with the pooled two-proportion z-test: under no gap the variance uses the pooled rate, under
the gap each rate's own. With ``n1`` cases in the group and ``n2 = ratio * n1`` in the other,
``diff = p1 - p2``, the pooled rate ``pp = (p1 + ratio p2) / (1 + ratio)`` and::

    s0 = sqrt(pp (1 - pp) (1 + 1 / ratio))          (per sqrt(n1), under no gap)
    s1 = sqrt(p1 (1 - p1) + p2 (1 - p2) / ratio)     (per sqrt(n1), under the gap)
    power = Phi((diff sqrt(n1) - z s0) / s1) [+ Phi((-diff sqrt(n1) - z s0) / s1), two-sided]

with ``z`` the normal quantile of ``1 - alpha / 2`` (two-sided) or ``1 - alpha``; this is
statsmodels' ``power_proportions_2indep`` (both tails counted when two-sided, as statsmodels'
normal power does). The sample size inverts it exactly, far tail included, by a fixed point
(``n1 = ((z s0 + Phi^-1(power - far) s1) / |diff|)^2``), which statsmodels' closed form
``samplesize_proportions_2indep_onetail`` leaves out. Both assume independent cases drawn at
random: clustered reviewers or selective review need the design effect applied to ``n1``.
Only :mod:`scipy.special` is used.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Alternative", "gap_power", "gap_sample_size", "rate_sample_size"]

FloatArray = NDArray[np.float64]
Alternative = Literal["two-sided", "larger", "smaller"]


def _quantile(alpha: float, alternative: Alternative) -> float:
    from scipy import special

    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1. Got {alpha!r}.")
    if alternative not in ("two-sided", "larger", "smaller"):
        raise ValueError(
            f"alternative must be 'two-sided', 'larger' or 'smaller'. Got {alternative!r}."
        )
    tail = alpha / 2 if alternative == "two-sided" else alpha
    return float(-special.ndtri(tail))


def _spreads(
    diff: FloatArray, rate: FloatArray, ratio: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The standard deviations per sqrt(n1) of the gap: under no gap, and under the gap."""
    p1 = rate + diff
    if np.any((p1 < 0) | (p1 > 1) | (rate < 0) | (rate > 1)):
        raise ValueError("rate and rate + diff must both lie in [0, 1].")
    if np.any(ratio <= 0):
        raise ValueError("ratio (the other group's cases per case of the group) must be > 0.")
    pooled = (p1 + ratio * rate) / (1 + ratio)
    null = np.sqrt(pooled * (1 - pooled) * (1 + 1 / ratio))
    alt = np.sqrt(p1 * (1 - p1) + rate * (1 - rate) / ratio)
    return null, alt


def gap_power(
    diff: ArrayLike,
    rate: ArrayLike,
    n: ArrayLike,
    *,
    ratio: ArrayLike = 1.0,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> FloatArray:
    """Power of the pooled z-test to find a gap ``diff`` between a group's rate and another's.

    Parameters
    ----------
    diff : array-like
        The gap to detect: the group's rate less the other's.
    rate : array-like
        The other group's rate.
    n : array-like
        Cases in the group (the metric's denominator: for a false positive rate, the cases
        whose truth is negative).
    ratio : array-like, default=1.0
        Cases in the other group per case in the group.
    alpha : float, default=0.05
        The test's level.
    alternative : {"two-sided", "larger", "smaller"}, default="two-sided"
        The alternative: two-sided counts both tails.

    Returns
    -------
    ndarray of float
        The probability that the test rejects no gap at level ``alpha``.

    Examples
    --------
    >>> round(float(gap_power(0.05, 0.10, 180, ratio=2400 / 180)), 3)
    0.556
    """
    from scipy import special

    d, p2, size, r = (np.asarray(v, dtype=np.float64) for v in (diff, rate, n, ratio))
    z = _quantile(alpha, alternative)
    null, alt = _spreads(d, p2, r)
    shift = d * np.sqrt(size)
    with np.errstate(divide="ignore", invalid="ignore"):
        larger = special.ndtr((shift - z * null) / alt)
        smaller = special.ndtr((-shift - z * null) / alt)
    if alternative == "larger":
        out: FloatArray = np.asarray(larger, dtype=np.float64)
    elif alternative == "smaller":
        out = np.asarray(smaller, dtype=np.float64)
    else:
        out = np.asarray(larger + smaller, dtype=np.float64)
    return out


def gap_sample_size(
    diff: ArrayLike,
    rate: ArrayLike,
    power: float,
    *,
    ratio: ArrayLike = 1.0,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> FloatArray:
    """Cases the group needs for the test to find a gap ``diff`` with a given power.

    The exact inverse of :func:`gap_power` in ``n`` (not rounded: take the ceiling for
    whole cases), the far tail of a two-sided test included.

    Parameters
    ----------
    diff, rate, ratio, alpha, alternative
        As :func:`gap_power` takes them. A one-sided alternative needs a gap of its sign.
    power : float
        The wanted power, above the level ``alpha`` and below 1.

    Returns
    -------
    ndarray of float
        Cases in the group (``ratio`` times as many in the other).

    Examples
    --------
    >>> int(np.ceil(gap_sample_size(0.05, 0.10, 0.8)))  # as many cases in the other group
    686
    """
    from scipy import special

    d, p2, r = (np.asarray(v, dtype=np.float64) for v in (diff, rate, ratio))
    tail = alpha if alternative != "two-sided" else alpha / 2
    if not tail < power < 1:
        raise ValueError(f"power must lie between the level ({tail:g}) and 1. Got {power!r}.")
    if np.any(d == 0):
        raise ValueError("diff must not be 0: no sample finds a gap of nothing.")
    if (alternative == "larger" and np.any(d < 0)) or (alternative == "smaller" and np.any(d > 0)):
        raise ValueError(f"A {alternative!r} alternative needs a gap of its sign.")
    z = _quantile(alpha, alternative)
    null, alt = _spreads(d, p2, r)
    size = np.abs(d)
    far = np.zeros(np.broadcast(d, p2, r).shape)
    n = np.zeros_like(far)
    for _ in range(50):  # the far tail is tiny: two or three steps settle it
        n = ((z * null + special.ndtri(power - far) * alt) / size) ** 2
        if alternative != "two-sided":
            break
        updated = special.ndtr((-size * np.sqrt(n) - z * null) / alt)
        if np.allclose(updated, far, rtol=0, atol=1e-15):
            break
        far = updated
    out: FloatArray = np.asarray(n, dtype=np.float64)
    return out


def rate_sample_size(rate: ArrayLike, half_width: ArrayLike, *, alpha: float = 0.05) -> FloatArray:
    """Cases a rate needs for a normal (Wald) interval of a given half-width.

    ``n = p (1 - p) (z / half_width)^2``, statsmodels' ``samplesize_confint_proportion``.

    Examples
    --------
    >>> round(float(rate_sample_size(0.1, 0.03)), 1)
    384.1
    """
    p, w = np.asarray(rate, dtype=np.float64), np.asarray(half_width, dtype=np.float64)
    if np.any(w <= 0):
        raise ValueError("half_width must be > 0.")
    z = _quantile(alpha, "two-sided")
    out: FloatArray = p * (1 - p) * (z / w) ** 2
    return out

"""Confidence intervals for proportions, their differences and their ratios.

Every function takes arrays of counts and returns arrays, so intervals for all the
groups of an audit come from one call. Entries with a zero denominator give NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairloop.vocabulary import CIMethod

__all__ = [
    "ZERO_CELL_CORRECTION",
    "clopper_pearson_interval",
    "newcombe_difference_interval",
    "normal_quantile",
    "normal_upper_tail",
    "proportion_interval",
    "ratio_interval",
    "wilson_interval",
]

FloatArray = NDArray[np.float64]
Interval = tuple[FloatArray, FloatArray]

#: Added to every cell of a 2x2 table with a zero cell before the Katz ratio interval
#: (Haldane-Anscombe).
ZERO_CELL_CORRECTION = 0.5


def normal_quantile(confidence_level: float) -> float:
    """The two-sided standard normal quantile of a confidence level (1.96 for 0.95).

    Examples
    --------
    >>> round(normal_quantile(0.95), 4)
    1.96
    """
    from scipy import special

    return float(special.ndtri(0.5 + 0.5 * confidence_level))


def normal_upper_tail(z: ArrayLike) -> FloatArray:
    """The standard normal upper tail ``P(Z > z)``: a one-sided p-value.

    Examples
    --------
    >>> round(float(normal_upper_tail(1.6448536269514722)), 4)
    0.05
    """
    from scipy import special

    return np.asarray(special.ndtr(-np.asarray(z, dtype=np.float64)), dtype=np.float64)


def _counts(k: ArrayLike, n: ArrayLike) -> tuple[FloatArray, FloatArray]:
    k_arr = np.asarray(k, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.float64)
    return np.broadcast_arrays(k_arr, n_arr)  # type: ignore[return-value]


def wilson_interval(k: ArrayLike, n: ArrayLike, confidence_level: float = 0.95) -> Interval:
    """Wilson score interval for k successes in n trials (no continuity correction).

    Matches ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.

    Parameters
    ----------
    k, n : array_like of int
        Successes and trials.
    confidence_level : float, default=0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : ndarray
        Interval bounds; NaN where ``n == 0``.

    Examples
    --------
    >>> low, high = wilson_interval([3], [10])
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.1078, 0.6032)
    """
    k_arr, n_arr = _counts(k, n)
    z = normal_quantile(confidence_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k_arr / n_arr
        denom = 2 * (n_arr + z**2)
        center = (2 * n_arr * p + z**2) / denom
        delta = z / denom * np.sqrt(4 * n_arr * p * (1 - p) + z**2)
        low = np.where(k_arr == 0, 0.0, center - delta)
        high = np.where(k_arr == n_arr, 1.0, center + delta)
    empty = n_arr == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def clopper_pearson_interval(
    k: ArrayLike, n: ArrayLike, confidence_level: float = 0.95
) -> Interval:
    """Clopper-Pearson ("exact") interval from quantiles of the beta distribution.

    Equals ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")`` up to the
    tolerance of scipy's root finder (about 1e-12).

    Parameters
    ----------
    k, n : array_like of int
        Successes and trials.
    confidence_level : float, default=0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : ndarray
        Interval bounds; NaN where ``n == 0``.

    Examples
    --------
    >>> low, high = clopper_pearson_interval([0], [10])
    >>> float(low[0]), round(float(high[0]), 4)
    (0.0, 0.3085)
    """
    from scipy import special

    k_arr, n_arr = _counts(k, n)
    alpha = 1 - confidence_level
    # beta quantiles (scipy.stats.beta.ppf(q, a, b) is betaincinv(a, b, q)); the ends
    # where a parameter is 0 are set below
    with np.errstate(divide="ignore", invalid="ignore"):
        low = special.betaincinv(k_arr, n_arr - k_arr + 1, alpha / 2)
        high = special.betaincinv(k_arr + 1, n_arr - k_arr, 1 - alpha / 2)
    low = np.where(k_arr == 0, 0.0, low)
    high = np.where(k_arr == n_arr, 1.0, high)
    empty = n_arr == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def proportion_interval(
    k: ArrayLike,
    n: ArrayLike,
    *,
    method: CIMethod = "wilson",
    confidence_level: float = 0.95,
) -> Interval:
    """Interval for a proportion by the named method.

    Parameters
    ----------
    k, n : array_like of int
        Successes and trials.
    method : {"wilson", "clopper-pearson"}, default="wilson"
        Interval method.
    confidence_level : float, default=0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : ndarray
        Interval bounds; NaN where ``n == 0``.
    """
    if method == "wilson":
        return wilson_interval(k, n, confidence_level)
    if method == "clopper-pearson":
        return clopper_pearson_interval(k, n, confidence_level)
    raise ValueError(f"method must be 'wilson' or 'clopper-pearson'. Got {method!r} instead.")


def newcombe_difference_interval(
    k1: ArrayLike,
    n1: ArrayLike,
    k2: ArrayLike,
    n2: ArrayLike,
    confidence_level: float = 0.95,
) -> Interval:
    """Newcombe's hybrid score interval for the difference p1 - p2 of independent proportions.

    Method 10 of Newcombe (1998), built from the two Wilson intervals::

        low  = d - sqrt((p1 - l1)**2 + (u2 - p2)**2)
        high = d + sqrt((u1 - p1)**2 + (p2 - l2)**2)

    Parameters
    ----------
    k1, n1, k2, n2 : array_like of int
        Successes and trials of the two groups.
    confidence_level : float, default=0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : ndarray
        Interval bounds; NaN where either denominator is zero.

    Examples
    --------
    Newcombe (1998), table II, example (a): 56/70 against 48/80.

    >>> low, high = newcombe_difference_interval([56], [70], [48], [80])
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.0524, 0.3339)
    """
    k1_arr, n1_arr = _counts(k1, n1)
    k2_arr, n2_arr = _counts(k2, n2)
    l1, u1 = wilson_interval(k1_arr, n1_arr, confidence_level)
    l2, u2 = wilson_interval(k2_arr, n2_arr, confidence_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = k1_arr / n1_arr
        p2 = k2_arr / n2_arr
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def ratio_interval(
    k1: ArrayLike,
    n1: ArrayLike,
    k2: ArrayLike,
    n2: ArrayLike,
    confidence_level: float = 0.95,
) -> Interval:
    """Log-scale (Katz) interval for the ratio p1 / p2 of independent proportions.

    ``exp(log(r) ± z * sqrt(1/k1 - 1/n1 + 1/k2 - 1/n2))``. Where any cell of the
    2x2 table is zero, 0.5 is added to every cell (Haldane-Anscombe: numerators + 0.5,
    denominators + 1) for the standard error. The interval always holds the estimate:
    its lower bound is 0 when ``k1 == 0`` and its upper bound infinite when ``k2 == 0``.

    Parameters
    ----------
    k1, n1, k2, n2 : array_like of int
        Successes and trials of the two groups.
    confidence_level : float, default=0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : ndarray
        Interval bounds; NaN where either denominator is zero or both numerators are.

    Examples
    --------
    >>> low, high = ratio_interval([20], [100], [40], [100])
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.3158, 0.7918)
    """
    k1_arr, n1_arr = _counts(k1, n1)
    k2_arr, n2_arr = _counts(k2, n2)
    z = normal_quantile(confidence_level)
    zero = (k1_arr == 0) | (k2_arr == 0) | (k1_arr == n1_arr) | (k2_arr == n2_arr)
    a = np.where(zero, k1_arr + ZERO_CELL_CORRECTION, k1_arr)
    b = np.where(zero, n1_arr + 2 * ZERO_CELL_CORRECTION, n1_arr)
    c = np.where(zero, k2_arr + ZERO_CELL_CORRECTION, k2_arr)
    d = np.where(zero, n2_arr + 2 * ZERO_CELL_CORRECTION, n2_arr)
    # effective counts far below one (a heavy design effect) give a huge spread: the
    # bounds are then 0 and infinity, reached without an overflow warning
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_ratio = np.log((a / b) / (c / d))
        se = np.sqrt(1 / a - 1 / b + 1 / c - 1 / d)
        low = np.where(k1_arr == 0, 0.0, np.exp(log_ratio - z * se))
        high = np.where(k2_arr == 0, np.inf, np.exp(log_ratio + z * se))
    invalid = (n1_arr == 0) | (n2_arr == 0) | ((k1_arr == 0) & (k2_arr == 0))
    return np.where(invalid, np.nan, low), np.where(invalid, np.nan, high)

"""Tests against a tolerance: is a gap wholly outside an interval, not merely non-zero.

A flag claims that a gap is at least the effect floor, and a policy verdict that a measure
lies outside a tolerance. Both are tests of an *interval* null hypothesis
``low <= measure <= high``, made of two one-sided Miettinen-Nurminen score tests
(as statsmodels' ``score_test_proportions_2indep``, element by element), one at each
bound. The score test's variance comes from the maximum-likelihood proportions under the
null, so it is never zero where a bound differs from 0, even when a group has no event.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["interaction_pvalue", "margin_pvalue"]

FloatArray = NDArray[np.float64]

#: Scales on which a reviewer's group gap is compared with other reviewers' gap.
INTERACTION_SCALES: tuple[str, ...] = (
    "difference",
    "log ratio",
    "log complement ratio",
    "log odds",
    "log distance from one half",
)


def _restricted_mle(
    k1: FloatArray, n1: FloatArray, k2: FloatArray, n2: FloatArray, value: FloatArray,
    compare: str,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    """Maximum-likelihood (p1, p2) under ``p1 - p2 = value`` or ``p1 / p2 = value``.

    The closed forms of Miettinen and Nurminen (1985) and Farrington and Manning (1990),
    element by element, so every bound may differ (statsmodels takes one bound per call).
    """
    n, k = n1 + n2, k1 + k2
    pooled = k / n
    if compare == "diff":
        b3 = n
        b2 = (n1 + 2 * n2) * value - n - k
        b1 = (k2 * value - n - 2 * k2) * value + k
        b0 = k2 * value * (1 - value)
        q = (b2 / (3 * b3)) ** 3 - b1 * b2 / (6 * b3**2) + b0 / (2 * b3)
        r = np.sign(q) * np.sqrt((b2 / (3 * b3)) ** 2 - b1 / (3 * b3))
        r = np.where(r == 0, 1e-300, r)
        angle = (np.pi + np.arccos(np.clip(q / r**3, -1.0, 1.0))) / 3
        p2 = 2 * r * np.cos(angle) - b2 / (3 * b3)
        p2 = np.where(value == 0, pooled, p2)
        return p2 + value, p2
    a = n * value
    b = -(n1 * value + k1 + n2 + k2 * value)
    p2 = (-b - np.sqrt(np.maximum(b**2 - 4 * a * k, 0.0))) / (2 * a)
    p2 = np.where(value == 1, pooled, p2)
    return p2 * value, p2


def _one_sided(
    k1: FloatArray, n1: FloatArray, k2: FloatArray, n2: FloatArray, value: FloatArray,
    compare: str, alternative: str,
) -> FloatArray:  # fmt: skip
    """One-sided Miettinen-Nurminen score p-values; 1.0 where the statistic is undefined.

    Equals statsmodels' ``score_test_proportions_2indep(..., correction=True)`` (tested).
    """
    from scipy import special

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q1, q2 = _restricted_mle(k1, n1, k2, n2, value, compare)
        scale = 1.0 if compare == "diff" else value**2
        var = (q1 * (1 - q1) / n1 + scale * q2 * (1 - q2) / n2) * (n1 + n2) / (n1 + n2 - 1)
        gap = k1 / n1 - k2 / n2 - value if compare == "diff" else k1 / n1 - value * k2 / n2
        z = gap / np.sqrt(var)
    z = np.where(alternative == "larger", z, -z)
    p = special.ndtr(-z)
    # no variance under the null: the observed gap is then the null's own (no evidence)
    return np.where(np.isnan(p), 1.0, p)


def margin_pvalue(
    k1: ArrayLike,
    n1: ArrayLike,
    k2: ArrayLike,
    n2: ArrayLike,
    *,
    low: float | ArrayLike | None,
    high: float | ArrayLike | None,
    compare: str = "diff",
) -> FloatArray:
    """p-value of the interval null ``low <= measure <= high`` for two independent proportions.

    The measure is ``p1 - p2`` (``compare="diff"``) or ``p1 / p2`` (``"ratio"``). Each
    finite bound gets a one-sided Miettinen-Nurminen score test (evidence that the
    measure lies above ``high``, or below ``low``). With both bounds the smaller one-sided
    p-value is doubled, so that the direction of a claimed gap is controlled too (as a
    two-sided test is); with one bound it is used as it is. With ``low = high = 0`` on
    the difference this is the two-sided score test of equal proportions.

    Parameters
    ----------
    k1, n1, k2, n2 : array_like of int
        Successes and trials of the two groups.
    low, high : float, array_like or None
        The bounds of the null interval (None: unbounded on that side).
    compare : {"diff", "ratio"}, default="diff"
        The measure.

    Returns
    -------
    ndarray
        p-values; NaN where either group is empty.

    Examples
    --------
    30/100 against 10/100: a 20-point gap is clearly beyond a 5-point floor,
    a 1-point gap is not.

    >>> p = margin_pvalue([30, 11], [100, 100], [10, 10], [100, 100], low=-0.05, high=0.05)
    >>> [round(float(x), 4) for x in p]
    [0.007, 1.0]
    """
    k1_a, n1_a, k2_a, n2_a = (np.asarray(a, dtype=np.float64) for a in (k1, n1, k2, n2))
    k1_a, n1_a, k2_a, n2_a = np.broadcast_arrays(k1_a, n1_a, k2_a, n2_a)
    shape = k1_a.shape
    valid = (n1_a > 0) & (n2_a > 0)
    out = np.full(shape, np.nan)
    if not valid.any():
        return out
    a, b, c, d = (x[valid] for x in (k1_a, n1_a, k2_a, n2_a))
    sides = []
    if high is not None:
        hi = np.broadcast_to(np.asarray(high, dtype=np.float64), shape)[valid]
        sides.append(_one_sided(a, b, c, d, hi, compare, "larger"))
    if low is not None:
        lo = np.broadcast_to(np.asarray(low, dtype=np.float64), shape)[valid]
        sides.append(_one_sided(a, b, c, d, lo, compare, "smaller"))
    if not sides:
        raise ValueError("margin_pvalue needs at least one bound (low or high).")
    p = np.minimum.reduce(sides)
    out[valid] = np.minimum(1.0, 2 * p) if len(sides) == 2 else p
    return out


def scale_gaps(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """The gap between two proportions on each of the five :data:`INTERACTION_SCALES`.

    Each proportion gets the Agresti-Caffo adjustment (one success and one failure
    added), so no variance is ever zero. The scales: difference, log ratio, log ratio of
    the complements (sign turned: fewer non-events is a larger gap), log odds, and log
    distance from one half (sign turned; defined only where both proportions lie below
    one half).

    Returns
    -------
    estimate, variance : ndarray of shape (5, ...)
        The gap ``p1 - p2`` on each scale and its delta-method variance.
    defined : ndarray of bool, shape (5, ...)
        Where the scale applies.
    """
    from scipy import special

    k1_a, n1_a, k2_a, n2_a = (np.asarray(a, dtype=np.float64) for a in (k1, n1, k2, n2))
    t1, m1, t2, m2 = k1_a + 1.0, n1_a + 2.0, k2_a + 1.0, n2_a + 2.0
    p1, p2 = t1 / m1, t2 / m2
    below = (p1 < 0.5) & (p2 < 0.5)
    h1, h2 = np.where(below, 0.5 - p1, 1.0), np.where(below, 0.5 - p2, 1.0)
    estimate = np.stack(
        [
            p1 - p2,
            np.log(p1) - np.log(p2),
            np.log1p(-p2) - np.log1p(-p1),
            special.logit(p1) - special.logit(p2),
            np.log(h2) - np.log(h1),
        ]
    )
    variance = np.stack(
        [
            p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2,
            1 / t1 - 1 / m1 + 1 / t2 - 1 / m2,
            1 / (m1 - t1) - 1 / m1 + 1 / (m2 - t2) - 1 / m2,
            1 / t1 + 1 / (m1 - t1) + 1 / t2 + 1 / (m2 - t2),
            p1 * (1 - p1) / (m1 * h1**2) + p2 * (1 - p2) / (m2 * h2**2),
        ]
    )
    defined = np.stack([np.ones_like(below)] * 4 + [below])
    return estimate, variance, defined


def gap_difference_pvalue(
    estimate: FloatArray,
    variance: FloatArray,
    other_estimate: FloatArray,
    other_variance: FloatArray,
    defined: NDArray[np.bool_],
    *,
    margin: float = 0.0,
) -> FloatArray:
    """Intersection-union test that one gap exceeds another on every scale.

    The arrays have the scales on their first axis (:func:`scale_gaps`). The direction
    is that of the difference scale; each scale gives a one-sided z-test of
    ``gap - other gap`` in that direction (on the difference scale it must exceed
    ``margin``); the p-value is the largest of them (Berger 1982), doubled for the
    direction. Scales not ``defined`` are left out.
    """
    from scipy import special

    diff = estimate - other_estimate
    se = np.sqrt(variance + other_variance)
    direction = np.where(diff[0] >= 0, 1.0, -1.0)
    z = direction * diff / se
    z[0] = (direction * diff[0] - margin) / se[0]
    z = np.where(defined, z, np.inf)
    return np.asarray(np.minimum(1.0, 2 * special.ndtr(-z).max(axis=0)), dtype=np.float64)


def interaction_pvalue(
    k: ArrayLike, n: ArrayLike, *, margin: float = 0.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Whether one unit's gap between two groups differs from others', on every scale.

    ``k`` and ``n`` have a last axis of four cells: the unit in the group (a), the unit
    outside it (b), the others in it (c) and the others outside it (d). The interaction
    ``(a - b) - (c - d)`` is tested on the five :data:`INTERACTION_SCALES`
    (:func:`scale_gaps`, :func:`gap_difference_pvalue`): small only when the unit's gap
    exceeds the others' on every scale, so a unit that differs from the others in the
    same way for every group does not show: by a constant (difference), by a factor (a
    share caught: log ratio), by a factor on the cases left alone (a strict reviewer who
    turns down a share of the rest: log complement ratio), on the odds scale, or by
    mixing in coin-flip noise (the distance from one half shrinks by a factor).

    Parameters
    ----------
    k, n : array_like of shape (..., 4)
        Events and trials of cells a, b, c, d.
    margin : float, default=0.0
        Smallest difference-scale interaction that counts.

    Returns
    -------
    estimate, se, p_value : ndarray
        The difference-scale interaction (unadjusted proportions), its standard error
        (adjusted), and the p-value.

    Examples
    --------
    A reviewer who overturns 40% of one group's cases and 20% of the rest, where others
    overturn 20% and 20%:

    >>> est, se, p = interaction_pvalue([[160, 160, 2000, 4000]], [[400, 800, 10000, 20000]])
    >>> round(float(est[0]), 2), float(p[0]) < 1e-4
    (0.2, True)

    A reviewer who overturns twice as often as others in both groups (a strict reviewer
    where the model errs more for the group) is not flagged, although the difference in
    differences is 5 points:

    >>> est, se, p = interaction_pvalue([[80, 80, 2000, 2000]], [[400, 800, 20000, 40000]])
    >>> round(float(est[0]), 2), round(float(p[0]), 2)
    (0.05, 1.0)
    """
    k_a = np.asarray(k, dtype=np.float64)
    n_a = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(n_a > 0, k_a / n_a, np.nan)
        estimate = (raw * np.array([1.0, -1.0, -1.0, 1.0])).sum(axis=-1)
        own, own_var, own_ok = scale_gaps(k_a[..., 0], n_a[..., 0], k_a[..., 1], n_a[..., 1])
        other, other_var, other_ok = scale_gaps(k_a[..., 2], n_a[..., 2], k_a[..., 3], n_a[..., 3])
        p = gap_difference_pvalue(own, own_var, other, other_var, own_ok & other_ok,
                                  margin=margin)  # fmt: skip
    undefined = (n_a <= 0).any(axis=-1)
    return (
        np.where(undefined, np.nan, estimate),
        np.where(undefined, np.nan, np.sqrt(own_var[0] + other_var[0])),
        np.where(undefined, np.nan, p),
    )

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
from scipy import special

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


def interaction_pvalue(
    k: ArrayLike, n: ArrayLike, *, margin: float = 0.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Whether one unit's gap between two groups differs from everyone else's, on every scale.

    ``k`` and ``n`` have a last axis of four cells: the unit in the group (a), the unit
    outside it (b), the others in it (c) and the others outside it (d). The interaction
    ``(a - b) - (c - d)`` is estimated on five scales (:data:`INTERACTION_SCALES`): the
    difference of proportions, the log ratio, the log ratio of the complements, the log
    odds and the log distance from one half, each with the Agresti-Caffo adjustment (one
    success and one failure added to every cell), so no variance is ever zero. The
    p-value is an intersection-union test (Berger 1982): the largest of the one-sided
    p-values in the direction of the difference-scale estimate, doubled for the
    direction. It is small only when the unit's gap exceeds the others' on every scale,
    so a unit that differs from the others in the same way for every group does not show:
    by a constant (difference), by a factor (a share caught: log ratio), by a factor on
    the cases left alone (a strict reviewer who turns down a share of the rest: log
    complement ratio), on the odds scale, or by mixing in coin-flip noise (the distance
    from one half shrinks by a factor). The last scale is used only where every cell lies
    below one half. On the difference scale the interaction must also exceed ``margin``.

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
    sign = np.array([1.0, -1.0, -1.0, 1.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(n_a > 0, k_a / n_a, np.nan)
        estimate = (raw * sign).sum(axis=-1)
        kt, nt = k_a + 1.0, n_a + 2.0  # Agresti-Caffo: one success and one failure per cell
        pt = kt / nt
        diff = (pt * sign).sum(axis=-1)
        diff_var = (pt * (1 - pt) / nt).sum(axis=-1)
        log_ratio = (np.log(pt) * sign).sum(axis=-1)
        log_ratio_var = (1 / kt - 1 / nt).sum(axis=-1)
        log_comp = -(np.log1p(-pt) * sign).sum(axis=-1)  # fewer non-events is a larger gap
        log_comp_var = (1 / (nt - kt) - 1 / nt).sum(axis=-1)
        log_odds = (special.logit(pt) * sign).sum(axis=-1)
        log_odds_var = (1 / kt + 1 / (nt - kt)).sum(axis=-1)
        below_half: NDArray[np.bool_] = np.asarray((pt < 0.5).all(axis=-1))
        half = np.where(below_half[..., None], 0.5 - pt, 1.0)
        log_half = -(np.log(half) * sign).sum(axis=-1)  # nearer one half is a larger gap
        log_half_var = (pt * (1 - pt) / (nt * half**2)).sum(axis=-1)
    direction = np.where(diff >= 0, 1.0, -1.0)
    z = np.stack(
        [
            (direction * diff - margin) / np.sqrt(diff_var),
            direction * log_ratio / np.sqrt(log_ratio_var),
            direction * log_comp / np.sqrt(log_comp_var),
            direction * log_odds / np.sqrt(log_odds_var),
            np.where(below_half, direction * log_half / np.sqrt(log_half_var), np.inf),
        ]
    )
    one_sided = special.ndtr(-z)
    p = np.minimum(1.0, 2 * one_sided.max(axis=0))
    undefined = (n_a <= 0).any(axis=-1)
    return (
        np.where(undefined, np.nan, estimate),
        np.where(undefined, np.nan, np.sqrt(diff_var)),
        np.where(undefined, np.nan, p),
    )

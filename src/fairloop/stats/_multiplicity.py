"""Multiple-testing control for what the user is shown.

Three procedures, each for one kind of claim:

:func:`bh`
    Benjamini-Hochberg q-values, for verdicts checked against a tolerance (every group of
    every rule, or of the four-fifths check), all of which are shown.
:func:`focused_bh`
    Focused BH (Katsevich, Sabatti and Bogomolov 2023): the Benjamini-Hochberg idea
    applied to the flags *shown* after a filter (pruning of explained subgroups), so
    the false discovery rate holds for the filtered list, not for the family before it.
:func:`holm`
    Holm's step-down adjustment (family-wise error), for claims that name a person.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["bh", "focused_bh", "holm"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def bh(p: ArrayLike) -> FloatArray:
    """Benjamini-Hochberg q-values, as ``scipy.stats.false_discovery_control`` computes them.

    NaN entries are left out of the family and stay NaN. Computed here (the step-up
    minimum of ``p_(i) m / i``, capped at 1) rather than through ``scipy.stats``, whose
    import alone costs a third of a second of every command.

    Examples
    --------
    >>> bh([0.01, float("nan"), 0.04, 0.03]).round(3).tolist()
    [0.03, nan, 0.04, 0.04]
    """
    values = np.asarray(p, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    tested = ~np.isnan(values)
    if tested.any():
        family = values[tested]
        order = np.argsort(family, kind="stable")
        ranked = family[order] * family.size / np.arange(1, family.size + 1)
        adjusted = np.empty_like(family)
        adjusted[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
        out[tested] = adjusted
    return out


def holm(p: ArrayLike) -> FloatArray:
    """Holm-adjusted p-values (family-wise error control under any dependence).

    NaN entries are left out of the family and stay NaN.

    Examples
    --------
    >>> [round(float(x), 3) for x in holm([0.01, 0.04, 0.03, np.nan])]
    [0.03, 0.06, 0.06, nan]
    """
    p_a = np.asarray(p, dtype=np.float64)
    out = np.full(p_a.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p_a))
    m = valid.size
    if m == 0:
        return out
    order = valid[np.argsort(p_a[valid], kind="stable")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p_a[order])
    out[order] = np.minimum(1.0, adjusted)
    return out


def focused_bh(
    p: ArrayLike, shown: Callable[[BoolArray], BoolArray], q: float
) -> tuple[BoolArray, float]:
    """Focused BH: the largest threshold whose filtered rejections keep the estimated FDP <= q.

    For a threshold ``t``, ``R(t)`` rejects every hypothesis with ``p <= t`` and the
    filter keeps ``shown(R(t))``. The estimated false discovery proportion of what is
    shown is ``m * t / |shown(R(t))|``; the procedure takes the largest ``t`` (among the
    p-values) where that is at most ``q``. With the identity filter this is
    Benjamini-Hochberg.

    Parameters
    ----------
    p : array_like of float
        The p-values of the family (NaN: not tested, never rejected).
    shown : callable
        The filter: a boolean mask of rejections -> the boolean mask shown (a subset).
    q : float
        Target false discovery rate of the shown set.

    Returns
    -------
    shown : ndarray of bool
        The hypotheses shown.
    threshold : float
        The p-value threshold chosen (0.0 when nothing is shown).

    Examples
    --------
    With the identity filter it is Benjamini-Hochberg:

    >>> mask, t = focused_bh([0.001, 0.01, 0.02, 0.5], lambda r: r, 0.05)
    >>> mask.tolist(), t
    ([True, True, True, False], 0.02)

    A filter that shows one representative of the three rejections needs a stricter
    threshold:

    >>> keep_first = lambda r: r & (np.arange(4) == np.argmax(r))
    >>> mask, t = focused_bh([0.001, 0.01, 0.02, 0.5], keep_first, 0.05)
    >>> mask.tolist(), t
    ([True, False, False, False], 0.01)
    """
    p_a = np.asarray(p, dtype=np.float64)
    tested = ~np.isnan(p_a)
    m = int(tested.sum())
    nothing = np.zeros(p_a.shape, dtype=bool)
    if m == 0:
        return nothing, 0.0
    candidates = np.unique(p_a[tested])[::-1]
    sizes = np.searchsorted(np.sort(p_a[tested]), candidates, side="right")
    # |shown(R(t))| <= |R(t)|, so only thresholds where BH itself would reject qualify
    candidates = candidates[m * candidates <= q * sizes]
    for t in candidates:
        mask = shown(tested & (p_a <= t))
        count = int(mask.sum())
        if count and m * t <= q * count:
            return mask, float(t)
    return nothing, 0.0

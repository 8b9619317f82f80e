"""Vectorised hypothesis tests on counts: two proportions and homogeneity across groups."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["fisher_exact_pvalue", "homogeneity_pvalue", "two_proportion_pvalue"]

FloatArray = NDArray[np.float64]

#: Cochran's rule: the z-test is used only when every expected cell count is at least this.
MIN_EXPECTED_COUNT = 5.0
#: Tables whose probability is within this relative tolerance of the observed one count as
#: "as extreme" (the tolerance R's fisher.test uses against floating-point ties).
_FISHER_RELATIVE_TOLERANCE = 1e-7
#: Upper bound on grid cells evaluated at once by the vectorised Fisher test.
_FISHER_CHUNK_CELLS = 2_000_000


def _as_int_arrays(*arrays: ArrayLike) -> list[NDArray[np.int64]]:
    out = np.broadcast_arrays(*(np.asarray(a, dtype=np.int64) for a in arrays))
    return [np.ascontiguousarray(a).ravel() for a in out]


def fisher_exact_pvalue(k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike) -> FloatArray:
    """Two-sided Fisher exact test of p1 == p2 for many 2x2 tables at once.

    The p-value sums the hypergeometric probabilities of every table with the
    observed margins that is no more likely than the observed one, as
    ``scipy.stats.fisher_exact`` does.

    Parameters
    ----------
    k1, n1, k2, n2 : array_like of int
        Successes and trials of the two groups.

    Returns
    -------
    ndarray
        p-values; NaN where either group is empty.

    Examples
    --------
    >>> round(float(fisher_exact_pvalue([1], [10], [7], [10])[0]), 6)
    0.019767
    """
    k1_a, n1_a, k2_a, n2_a = _as_int_arrays(k1, n1, k2, n2)
    total = n1_a + n2_a
    successes = k1_a + k2_a
    low = np.maximum(0, n1_a - (total - successes))
    high = np.minimum(n1_a, successes)
    width = high - low + 1
    out = np.full(k1_a.shape, np.nan)
    valid = (n1_a > 0) & (n2_a > 0)
    order = np.argsort(np.where(valid, width, 0), kind="stable")
    order = order[valid[order]]
    start = 0
    while start < order.size:
        stop = start + 1
        while stop < order.size and (stop - start + 1) * width[order[stop]] <= _FISHER_CHUNK_CELLS:
            stop += 1
        idx = order[start:stop]
        grid = low[idx, None] + np.arange(int(width[idx].max()))[None, :]
        inside = grid <= high[idx, None]
        log_pmf = _hypergeom_logpmf(grid, total[idx, None], successes[idx, None], n1_a[idx, None])
        log_obs = _hypergeom_logpmf(k1_a[idx], total[idx], successes[idx], n1_a[idx])
        threshold = log_obs[:, None] + np.log1p(_FISHER_RELATIVE_TOLERANCE)
        keep = inside & (log_pmf <= threshold)
        pmf = np.where(keep, np.exp(log_pmf), 0.0)
        out[idx] = np.minimum(1.0, pmf.sum(axis=1))
        start = stop
    return out


def two_proportion_pvalue(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike
) -> tuple[FloatArray, NDArray[np.str_]]:
    """Two-sided test of p1 == p2: the pooled z-test, or Fisher's exact test for small counts.

    Fisher's exact test is used where any expected cell count of the 2x2 table is
    below 5 (Cochran's rule); the pooled two-proportion z-test elsewhere. Counts may be
    effective (non-integer) counts of clustered cases; Fisher's test then takes them
    rounded.

    Parameters
    ----------
    k1, n1, k2, n2 : array_like of int
        Successes and trials of the two groups.

    Returns
    -------
    p_value : ndarray
        p-values; NaN where either group is empty.
    test : ndarray of str
        ``"z"`` or ``"fisher"`` per entry (``""`` where no test was possible).

    Examples
    --------
    >>> p, test = two_proportion_pvalue([30, 1], [100, 10], [50, 7], [100, 10])
    >>> [round(float(x), 4) for x in p], [str(t) for t in test]
    ([0.0039, 0.0198], ['z', 'fisher'])
    """
    from scipy import special

    k1_a, n1_a, k2_a, n2_a = (
        np.ascontiguousarray(a, dtype=np.float64).ravel()
        for a in np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (k1, n1, k2, n2)))
    )
    total = n1_a + n2_a
    successes = k1_a + k2_a
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = successes / total
        expected = np.minimum.reduce(
            [n1_a * pooled, n1_a * (1 - pooled), n2_a * pooled, n2_a * (1 - pooled)]
        )
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1_a + 1 / n2_a))
        zstat = (k1_a / n1_a - k2_a / n2_a) / se
        p_z = 2 * special.ndtr(-np.abs(zstat))
    valid = (n1_a > 0) & (n2_a > 0)
    degenerate = valid & ((successes == 0) | (successes == total))
    small = valid & ~degenerate & (expected < MIN_EXPECTED_COUNT)
    p = np.where(valid, p_z, np.nan)
    p = np.where(degenerate, 1.0, p)
    if small.any():
        p[small] = fisher_exact_pvalue(
            *(np.rint(a[small]).astype(np.int64) for a in (k1_a, n1_a, k2_a, n2_a))
        )
    test = np.where(small, "fisher", np.where(valid, "z", ""))
    return p, test


def homogeneity_pvalue(
    k: ArrayLike, n: ArrayLike, group_set: ArrayLike, *, n_sets: int | None = None
) -> FloatArray:
    """Chi-square test that a proportion is equal across the groups of each set.

    Pearson's chi-square statistic of the G x 2 table of successes and failures,
    with G - 1 degrees of freedom, computed for many sets of groups at once.

    Parameters
    ----------
    k, n : array_like of int or float
        Successes and trials per group (effective counts of clustered cases may be
        non-integer).
    group_set : array_like of int
        Which set each group belongs to (0 .. S-1); one p-value per set.
    n_sets : int or None, default=None
        Number of sets S (default: the largest index + 1).

    Returns
    -------
    ndarray
        One p-value per set; NaN where fewer than two groups have trials, and 1.0
        where every group has the same all-or-nothing outcome.

    Examples
    --------
    >>> p = homogeneity_pvalue([10, 20, 30], [100, 100, 100], [0, 0, 0])
    >>> round(float(p[0]), 5)
    0.00193
    """
    from scipy import special

    k_f, n_f = (np.asarray(a, dtype=np.float64) for a in (k, n))
    (s_a,) = _as_int_arrays(group_set)
    k_a, n_a = (np.broadcast_to(a, s_a.shape).ravel() for a in (k_f, n_f))
    if n_sets is None:
        n_sets = int(s_a.max()) + 1 if s_a.size else 0
    used = n_a > 0
    k_sum = np.bincount(s_a[used], weights=k_a[used], minlength=n_sets)
    n_sum = np.bincount(s_a[used], weights=n_a[used], minlength=n_sets)
    groups = np.bincount(s_a[used], minlength=n_sets)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = k_sum / n_sum
        p_s = pooled[s_a]
        e1 = n_a * p_s
        e0 = n_a * (1 - p_s)
        terms = np.where(used, (k_a - e1) ** 2 / e1 + ((n_a - k_a) - e0) ** 2 / e0, 0.0)
    chi2 = np.bincount(s_a, weights=np.nan_to_num(terms), minlength=n_sets)
    dof = groups - 1
    with np.errstate(invalid="ignore"):
        p = special.chdtrc(np.maximum(dof, 1), chi2)
    degenerate = (pooled == 0) | (pooled == 1)
    p = np.where(degenerate, 1.0, p)
    return np.where(dof < 1, np.nan, p)


def _hypergeom_logpmf(k: Any, total: Any, good: Any, drawn: Any) -> NDArray[np.float64]:
    """``scipy.stats.hypergeom.logpmf(k, total, good, drawn)``, by scipy's own formula.

    Written with :func:`scipy.special.betaln` (as scipy's distribution computes it) so
    that ``scipy.stats``, slow to import, stays unloaded. Values outside the support are
    not defined here; the caller masks them.
    """
    from scipy.special import betaln

    bad = total - good
    with np.errstate(all="ignore"):
        out = (
            betaln(good + 1, 1) + betaln(bad + 1, 1) + betaln(total - drawn + 1, drawn + 1)
            - betaln(k + 1, good - k + 1) - betaln(drawn - k + 1, bad - drawn + k + 1)
            - betaln(total + 1, 1)
        )  # fmt: skip
    return np.asarray(out, dtype=np.float64)

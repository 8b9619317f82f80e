"""The estimate that ranks units for targeted review: differences the log shows, no more.

Targeted review fills the units with the highest estimated model error rate first. Ranking
on each unit's raw share would chase noise: two units of the same score stratum that differ
only by an attribute with no effect would get different review by chance, and the plan
would create the gap in oversight it is meant to close. So each unit's rate is estimated in
two steps, both on the count cube:

1. **Main effects, tested.** Within each pool (score stratum x context x decision) the
   expected errors of a unit are its reviewed cases times the pool's rate. For each group of
   each sensitive attribute, the errors observed over its units against those expected
   (indirect standardisation) give a ratio ``O / E``, tested with the normal approximation
   ``z = (O - E) / sqrt(sum r p (1 - p))``; ratios whose Holm-adjusted p-value is at least
   ``alpha`` are taken as 1. A unit's *target* is its pool's rate times the ratios of its
   groups (capped at 1).
2. **Empirical Bayes.** Each unit's own share is shrunk toward its target with the weight
   ``r tau^2 / (r tau^2 + t (1 - t))``, where the between-unit variance ``tau^2`` is the
   method-of-moments estimate over every unit, ``max(0, sum(r (p - t)^2 - t (1 - t)) /
   sum r)`` (the beta-binomial moment estimator); a fixed ``prior_cases`` replaces it by
   ``r / (r + prior_cases)``.

Where the log shows no difference, units of a pool share one estimate, and the greedy fill
gives them one review rate (:func:`fairloop.plan._allocate.greedy_fill` shares ties).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from fairloop.stats import holm
from fairloop.stats._intervals import normal_upper_tail

__all__ = ["ranking_rates"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _main_effects(
    codes: Sequence[IntArray],
    errors: FloatArray,
    reviewed: FloatArray,
    expected_rate: FloatArray,
    alpha: float,
) -> FloatArray:
    """Each unit's product of the tested ratios ``O / E`` of its groups."""
    observed, expected, variance = [], [], []
    spread = reviewed * expected_rate * (1 - expected_rate)
    for code in codes:
        size = int(code.max()) + 1 if len(code) else 0
        observed.append(np.bincount(code, errors, size))
        expected.append(np.bincount(code, reviewed * expected_rate, size))
        variance.append(np.bincount(code, spread, size))
    o, e, v = (np.concatenate(parts) for parts in (observed, expected, variance))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(v > 0, (o - e) / np.sqrt(v), 0.0)
        ratio = np.where(e > 0, o / e, 1.0)
    p = np.minimum(2 * normal_upper_tail(np.abs(z)), 1.0)
    kept = holm(p) < alpha
    ratio = np.where(kept, ratio, 1.0)
    factor = np.ones(len(errors))
    start = 0
    for code, obs in zip(codes, observed, strict=True):
        factor *= ratio[start : start + len(obs)][code]
        start += len(obs)
    return factor


def ranking_rates(
    codes: Sequence[IntArray],
    errors: FloatArray,
    reviewed: FloatArray,
    pool_rate: FloatArray,
    *,
    prior_cases: float | None = None,
    alpha: float = 0.05,
) -> tuple[FloatArray, FloatArray, float]:
    """Each unit's ranking estimate, its target, and the between-unit variance used.

    Parameters
    ----------
    codes : sequence of ndarray of int
        Per sensitive attribute, each unit's group (0 to groups - 1).
    errors, reviewed : ndarray
        Each unit's model errors and reviewed cases.
    pool_rate : ndarray
        Each unit's pool rate (already indexed per unit).
    prior_cases : float or None, default=None
        A fixed weight of the target in reviewed cases; ``None`` estimates it (tau^2).
    alpha : float, default=0.05
        Level of the Holm-adjusted tests of the main effects.

    Returns
    -------
    rank : ndarray
    target : ndarray
    tau2 : float
        The between-unit variance (NaN when ``prior_cases`` is given).

    Examples
    --------
    Two groups with the same error rate in one pool share one estimate:

    >>> rank, target, tau2 = ranking_rates([np.array([0, 1])], np.array([20.0, 19.0]),
    ...                                    np.array([100.0, 100.0]), np.array([0.195, 0.195]))
    >>> rank.round(3).tolist(), tau2
    ([0.195, 0.195], 0.0)
    """
    factor = _main_effects(codes, errors, reviewed, pool_rate, alpha)
    target = np.minimum(pool_rate * factor, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(reviewed > 0, errors / reviewed, target)
    noise = target * (1 - target)
    if prior_cases is None:
        seen = reviewed > 0
        excess = np.sum(reviewed[seen] * (own[seen] - target[seen]) ** 2 - noise[seen])
        total = float(reviewed[seen].sum())
        tau2 = max(0.0, float(excess) / total) if total > 0 else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.where(
                reviewed * tau2 + noise > 0, reviewed * tau2 / (reviewed * tau2 + noise), 0.0
            )
    else:
        tau2 = float("nan")
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.where(reviewed + prior_cases > 0, reviewed / (reviewed + prior_cases), 0.0)
    rank: FloatArray = weight * own + (1 - weight) * target
    return rank, target, tau2

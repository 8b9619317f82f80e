"""The estimate that ranks units for targeted review: differences the log shows, no more.

Targeted review fills the units with the highest estimated model error rate first. Ranking
on each unit's raw share would chase noise: two units of the same score stratum that differ
only by an attribute with no effect would get different review by chance, and the plan
would create the gap in oversight it is meant to close. So a unit's rate is its pool's
(score stratum x context x decision) times the effects of its groups that the log shows:

* For each group of each sensitive attribute *within each pool*, the errors observed over
  its units against those expected at the pool's rate (indirect standardisation) give a
  ratio ``O / E``, tested with the exact Poisson test (:func:`poisson_pvalue`; a normal
  approximation would keep ratios of a handful of errors where one was expected). Ratios
  whose Holm-adjusted p-value (over every pool, attribute and group) is at least ``alpha``
  are taken as 1.
* A unit's estimate is its pool's rate times the ratios of its groups (capped at 1): the
  attributes' effects are taken to multiply (no interaction between attributes is
  targeted unless ``prior_cases`` is given).
* With ``prior_cases``, each unit's own share is also shrunk toward that estimate, with
  the weight ``r / (r + prior_cases)``.

Where the log shows no difference, units of a pool share one estimate, and the greedy fill
gives them one review rate (:func:`fairloop.plan._allocate.greedy_fill` shares ties).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from fairloop.stats import holm

__all__ = ["effect_cells", "poisson_pvalue", "ranking_rates"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def effect_cells(codes: Sequence[IntArray], pool: IntArray) -> list[IntArray]:
    """Per attribute, each unit's (group, pool) cell as a code (0 to cells - 1)."""
    pools = int(pool.max()) + 1 if len(pool) else 0
    return [
        np.unique(code * pools + pool, return_inverse=True)[1].astype(np.int64) for code in codes
    ]


def poisson_pvalue(observed: FloatArray, expected: FloatArray) -> FloatArray:
    """Two-sided exact Poisson test of counts against their expectations.

    Twice the smaller tail, ``2 min(P(X <= o), P(X >= o))`` for ``X ~ Poisson(e)``, capped
    at 1; 1 where nothing is expected (there is nothing to test).

    Examples
    --------
    >>> poisson_pvalue(np.array([3.0, 10.0, 0.0]), np.array([0.2, 10.0, 0.0])).round(4).tolist()
    [0.0023, 1.0, 1.0]
    """
    from scipy import special

    o = np.rint(observed)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = special.pdtr(o, expected)
        upper = np.where(o > 0, special.pdtrc(o - 1, expected), 1.0)
    p: FloatArray = np.where(expected > 0, np.minimum(1.0, 2 * np.minimum(lower, upper)), 1.0)
    return p


def _effects(
    cells_in: Sequence[IntArray],
    errors: FloatArray,
    reviewed: FloatArray,
    expected_rate: FloatArray,
    alpha: float,
) -> FloatArray:
    """Each unit's product of the tested ratios ``O / E`` of its groups within its pool."""
    cells, observed, expected = [], [], []
    for cell in cells_in:
        size = int(cell.max()) + 1 if len(cell) else 0
        cells.append(cell)
        observed.append(np.bincount(cell, errors, size))
        expected.append(np.bincount(cell, reviewed * expected_rate, size))
    o, e = (np.concatenate(parts).astype(np.float64) for parts in (observed, expected))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(e > 0, o / e, 1.0)
    kept = holm(poisson_pvalue(o, e)) < alpha
    ratio = np.where(kept, ratio, 1.0)
    factor = np.ones(len(errors))
    start = 0
    for cell, obs in zip(cells, observed, strict=True):
        factor *= ratio[start : start + len(obs)][cell]
        start += len(obs)
    return factor


def ranking_rates(
    cells: Sequence[IntArray],
    errors: FloatArray,
    reviewed: FloatArray,
    pool_rate: FloatArray,
    *,
    prior_cases: float | None = None,
    alpha: float = 0.05,
) -> FloatArray:
    """Each unit's ranking estimate (see the module's docstring).

    Parameters
    ----------
    cells : sequence of ndarray of int
        Per sensitive attribute, each unit's (group, pool) cell (:func:`effect_cells`).
    errors, reviewed : ndarray
        Each unit's model errors and reviewed cases.
    pool_rate : ndarray
        Each unit's pool rate (already indexed per unit).
    prior_cases : float or None, default=None
        Shrink each unit's own share toward the estimate with this weight in reviewed
        cases; ``None`` ranks by the pool's rate and the tested effects alone.
    alpha : float, default=0.05
        Level of the Holm-adjusted tests of the groups' effects.

    Returns
    -------
    ndarray

    Examples
    --------
    Two groups with the same error rate in one pool share one estimate:

    >>> cells = effect_cells([np.array([0, 1])], np.array([0, 0]))
    >>> rank = ranking_rates(cells, np.array([20.0, 19.0]), np.array([100.0, 100.0]),
    ...                      np.array([0.195, 0.195]))
    >>> rank.round(3).tolist()
    [0.195, 0.195]
    """
    factor = _effects(cells, errors, reviewed, pool_rate, alpha)
    target = np.minimum(pool_rate * factor, 1.0)
    if prior_cases is None:
        return target
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(reviewed > 0, errors / reviewed, target)
        weight = np.where(reviewed + prior_cases > 0, reviewed / (reviewed + prior_cases), 0.0)
    rank: FloatArray = weight * own + (1 - weight) * target
    return rank

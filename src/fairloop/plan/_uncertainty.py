"""The uncertainty of a plan's group figures: one joint normal law, drawn on the groups.

Every figure of a group under a routing (model errors, errors caught) is a sum over units of
a known coefficient times the unit's error rate, so all of them are linear in the rates.
Each unit's estimate is taken as normal with its variance (:meth:`PlanUnits.spread`):
independent across reviewed units, shared by the units of a pool nobody reviewed (they
take the pool's rate). The figures of every routing and group are then jointly normal, with
covariance ``sum_s sd_s^2 c_s c_s^T`` over the sources ``s`` (a unit, or a pool) of their
coefficient vectors ``c_s``. It is summed on the cube's units once (one bincount per pair of
attribute sets), and the draws are made on the groups: the cost grows with the units, not
with units times draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from fairloop.plan._units import PlanGroups, PlanUnits

__all__ = ["figure_draws", "group_sums"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def group_sums(groups: PlanGroups, values: FloatArray) -> FloatArray:
    """Sums of ``values`` (one per unit) per group of every set, in ``all_groups`` order."""
    return np.concatenate([
        np.bincount(code, values, len(labels))
        for code, labels in zip(groups.codes, groups.labels, strict=True)
    ])  # fmt: skip


def _stacked_codes(groups: PlanGroups) -> list[IntArray]:
    """Each set's group codes offset into the stacked order of :func:`group_sums`."""
    out, start = [], 0
    for code, labels in zip(groups.codes, groups.labels, strict=True):
        out.append(code + start)
        start += len(labels)
    return out


def covariance(units: PlanUnits, groups: PlanGroups, coefficients: FloatArray) -> FloatArray:
    """Covariance of every kind's group sums, shape (kinds x groups, kinds x groups).

    ``coefficients`` is (units, kinds): figure ``k`` of group ``j`` is ``sum over units of
    j of coefficients[u, k] * rate[u]``.
    """
    kinds = coefficients.shape[1]
    stacked = _stacked_codes(groups)
    width = sum(len(labels) for labels in groups.labels)
    dim = kinds * width
    own_sd, pool_sd = units.spread()
    seen = units.estimable
    x = coefficients[seen] * own_sd[seen, None]
    pair = (x[:, :, None] * x[:, None, :]).reshape(len(x), -1)
    kind = np.arange(kinds) * width
    out = np.zeros(dim * dim)
    for first in stacked:
        row = kind[None, :] + first[seen, None]  # (units, kinds)
        for second in stacked:
            col = kind[None, :] + second[seen, None]
            index = (row[:, :, None] * dim + col[:, None, :]).reshape(len(x), -1)
            out += np.bincount(index.ravel(), pair.ravel(), dim * dim)
    matrix = out.reshape(dim, dim)
    unseen = ~seen
    if unseen.any():
        pools = len(units.pool_rate)
        loads = np.zeros((pools, dim))
        for code in stacked:
            for k in range(kinds):
                target = units.pool[unseen] * dim + k * width + code[unseen]
                loads += np.bincount(target, coefficients[unseen, k], pools * dim).reshape(
                    pools, dim
                )
        matrix += (loads * pool_sd[:, None] ** 2).T @ loads
    return matrix


def figure_draws(
    units: PlanUnits,
    groups: PlanGroups,
    coefficients: Sequence[FloatArray],
    count: int,
    seed: int = 0,
) -> FloatArray:
    """Draws of every kind's group sums, shape (count, kinds, groups), centred on zero.

    Add the point figures to centre them. The generator's seed is fixed: the same input
    gives the same intervals.
    """
    stacked = np.column_stack(list(coefficients))
    matrix = covariance(units, groups, stacked)
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    rng = np.random.default_rng(seed)
    draws = rng.standard_normal((count, len(values))) @ root.T
    width = matrix.shape[0] // stacked.shape[1]
    out: FloatArray = draws.reshape(count, stacked.shape[1], width)
    return out

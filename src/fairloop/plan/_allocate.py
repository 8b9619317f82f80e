"""How a plan spends its budget: a random quality sample, floors, then targeted review.

Three routings are compared at the same budget of ``B`` reviewed cases, each as a review
probability ``pi_u`` per unit (:mod:`fairloop.plan._units`):

``quality sample`` (:func:`quality_sample`)
    Every unit of a group is reviewed at random at the group's rate, sized by the power
    of the pooled two-proportion z-test (:func:`fairloop.stats.gap_power`) to detect a
    gap of ``gap`` between the group's rate of each metric and the rest of its attribute
    set's. A unit is sampled at the highest rate any of its groups needs. The sample is
    weighted by ``1 / q`` to stand for every case, so each group's effective size is
    Kish's ``(sum D)^2 / sum(D / q)`` over its units (``D`` the unit's expected cases in
    the metric's denominator); the rates are raised until every group's effective size
    gives the power, or all its cases are sampled. A sample over ``quality_share`` of
    the budget is scaled down, and the power it then has is said.
``floor`` and ``targeted review`` (:func:`targeted_review`)
    What is left is spent where a reviewer is expected to catch most model errors: units
    by their ranking estimate of the error rate (highest first, ties in unit order),
    each filled up to its cases not already sampled (a fractional knapsack of unit cost,
    so no other split of the same budget catches more expected errors by that estimate).
    Before that, every group whose review coverage is below the floor is raised to it
    through its own highest-ranked units.
``score-only`` (:func:`score_only`)
    The best a router that sees only the score can do: the same greedy fill over score
    stratum x model decision, with error rates pooled over every group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.plan._units import PlanGroups, PlanUnits
from fairloop.stats import gap_power, gap_sample_size

__all__ = [
    "Quality",
    "floor_cost",
    "greedy_fill",
    "quality_sample",
    "score_only",
    "targeted_review",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Most rounds of raising sampling rates (each raises the weakest pair short of its power).
_ROUNDS = 400


@dataclass(frozen=True, eq=False)
class Quality:
    """A quality sample: per unit its sampling rate, and per group and metric its precision.

    ``precision`` has one row per (attribute set, group, metric): the group's and the
    rest's expected rate, the gap sized for, the effective cases needed and planned, the
    power planned, the interval half-width of the group's rate, and ``status`` (``ok``,
    ``capped`` when all its cases would not give the power, ``scaled`` when the budget
    scaled the sample down, ``no cases`` when its denominator is empty).
    """

    rate: FloatArray
    precision: pd.DataFrame
    wanted: float
    scale: float


def quality_sample(
    units: PlanUnits,
    groups: PlanGroups,
    metrics: tuple[str, ...],
    *,
    gap: float,
    power: float,
    alpha: float,
    budget: float,
    share: float,
    z: float,
) -> Quality:
    """Size the random quality sample (see the module's docstring).

    Parameters
    ----------
    units, groups
        The plan's units and groups.
    metrics : tuple of str
        Rates of reviewed cases the sample is sized for.
    gap, power, alpha : float
        The gap to detect, the power wanted and the test's level.
    budget : float
        Reviewed cases the whole plan may spend.
    share : float
        Most of ``budget`` the sample may take.
    z : float
        Normal quantile of the intervals' level (for the half-widths).

    Returns
    -------
    Quality
    """
    shares, rates = units.metric_shares(metrics)
    denominators = units.total[:, None] * shares  # expected cases in each metric's denominator
    pairs = [(s, g, m) for s, g in groups.all_groups() for m in range(len(metrics))]
    member = np.stack([groups.codes[s] == g for s, g, _ in pairs])  # pairs x units
    column = np.asarray([m for _, _, m in pairs], dtype=np.int64)
    d = denominators[:, column].T  # pairs x units
    dr = (denominators * rates)[:, column].T
    d_g, d_rest = (d * member).sum(axis=1), (d * ~member).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_g = np.where(d_g > 0, (dr * member).sum(axis=1) / d_g, 0.0)
        p_rest = np.where(d_rest > 0, (dr * ~member).sum(axis=1) / d_rest, 0.0)
    valid = (d_g > 0) & (d_rest > 0)
    diff = np.where(p_rest + gap <= 1, gap, -gap)

    def sizes(q: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Kish effective cases of every pair's group and rest under sampling rates q."""
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.where(d > 0, d / np.where(q > 0, q, np.inf)[None, :], 0.0)
            unsampled = (d > 0) & (q <= 0)[None, :]
            n_g = np.where(
                (unsampled & member).any(axis=1), 0.0, d_g**2 / (spread * member).sum(axis=1)
            )
            n_rest = np.where(
                (unsampled & ~member).any(axis=1), 0.0, d_rest**2 / (spread * ~member).sum(axis=1)
            )
        return np.nan_to_num(n_g), np.nan_to_num(n_rest)  # fmt: skip

    def powers(n_g: FloatArray, n_rest: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = gap_power(
                diff,
                p_rest,
                np.maximum(n_g, 1e-9),
                ratio=np.maximum(n_rest, 1e-9) / np.maximum(n_g, 1e-9),
                alpha=alpha,
            )
        return np.where(valid & (n_g > 0) & (n_rest > 0), out, 0.0)  # fmt: skip

    # start: every group sampled alike at the rate its own size needs (its rest alike)
    q = np.zeros(len(units))
    ratio = np.where(valid, d_rest / np.maximum(d_g, 1e-12), 1.0)
    start = np.where(valid, gap_sample_size(diff, p_rest, power, ratio=ratio, alpha=alpha), 0.0)
    for j in np.flatnonzero(valid):
        q[member[j]] = np.maximum(q[member[j]], min(1.0, start[j] / d_g[j]))
    # every unit has a chance of review, so that every figure can be estimated
    q[q <= 0] = q[q > 0].min() if (q > 0).any() else min(1.0, share * budget / units.total.sum())
    full = powers(*sizes(np.ones(len(units))))
    for _ in range(_ROUNDS):
        n_g, n_rest = sizes(q)
        now = powers(n_g, n_rest)
        # the pairs still short that more sampling can help, weakest first
        short = valid & (now < power - 1e-9) & (n_g > 0) & (n_rest > 0)
        # the smaller side first, unless all its cases are sampled already
        group_first: NDArray[np.bool_] = np.asarray(n_g <= n_rest)
        group_room: NDArray[np.bool_] = np.asarray((member & (q < 1)[None, :]).any(axis=1))
        rest_room: NDArray[np.bool_] = np.asarray((~member & (q < 1)[None, :]).any(axis=1))
        short &= group_room | rest_room
        if not short.any():
            break
        k = int(np.flatnonzero(short)[np.argmin(now[short])])
        grow_group = bool(group_room[k]) if group_first[k] else not bool(rest_room[k])
        factor = _factor(grow_group, n_g[k], n_rest[k], diff[k], p_rest[k], power, alpha)
        grown = member[k] if grow_group else ~member[k]
        if not np.isfinite(factor):  # one side alone cannot: raise both alike
            factor = float(gap_sample_size(diff[k], p_rest[k], power, alpha=alpha,
                                           ratio=n_rest[k] / n_g[k]) / n_g[k])  # fmt: skip
            grown = np.ones(len(units), dtype=bool)
        q[grown] = np.minimum(1.0, q[grown] * max(factor, 1.0 + 1e-6))
    wanted = float(q @ units.total)
    scale = min(1.0, share * budget / wanted) if wanted > 0 else 1.0
    q = q * scale
    n_g, n_rest = sizes(q)
    planned = powers(n_g, n_rest)
    with np.errstate(divide="ignore", invalid="ignore"):
        both = valid & (n_g > 0) & (n_rest > 0)
        ratio = np.where(both, n_rest / np.where(both, n_g, 1.0), 1.0)
        needed = np.where(both, gap_sample_size(diff, p_rest, power, ratio=ratio, alpha=alpha),
                          np.nan)  # fmt: skip
        half = np.where(n_g > 0, z * np.sqrt(p_g * (1 - p_g) / n_g), np.nan)
    rows = []
    for i, (s, g, m) in enumerate(pairs):
        if not valid[i]:
            status = "no cases"
        elif planned[i] >= power - 1e-6:
            status = "ok"
        else:
            status = "capped" if full[i] < power - 1e-6 else "scaled"
        rows.append({
            "attribute_set": " & ".join(groups.sets[s]),
            "group": _label(groups.labels[s][g]),
            "attributes": groups.labels[s][g],
            "metric": metrics[m],
            "rate": p_g[i], "rest_rate": p_rest[i], "gap": gap,
            "needed": needed[i], "planned": n_g[i], "planned_rest": n_rest[i],
            "power": planned[i] if valid[i] else np.nan,
            "half_width": half[i], "status": status,
        })  # fmt: skip
    return Quality(rate=q, precision=pd.DataFrame(rows), wanted=wanted, scale=scale)


def _factor(
    grow_group: bool,
    n_g: float,
    n_rest: float,
    diff: float,
    p_rest: float,
    power: float,
    alpha: float,
) -> float:
    """How much one side of a comparison must grow, the other fixed (inf: never enough).

    Bisection on the logarithm of the factor: the power rises with either side's size.
    """

    def power_at(f: float) -> float:
        a, b = (n_g * f, n_rest) if grow_group else (n_g, n_rest * f)
        return float(gap_power(diff, p_rest, a, ratio=b / a, alpha=alpha))

    if power_at(1e6) < power:
        return float("inf")
    lo, hi = 0.0, float(np.log(1e6))
    for _ in range(60):
        middle = (lo + hi) / 2
        if power_at(float(np.exp(middle))) >= power:
            hi = middle
        else:
            lo = middle
    return float(np.exp(hi))


def _label(attributes: dict[str, str]) -> str:
    return " & ".join(f"{k}={v}" for k, v in attributes.items())


def greedy_fill(
    size: FloatArray, covered: FloatArray, value: FloatArray, budget: float
) -> FloatArray:
    """Cases taken per unit: the highest values first, each up to all its cases.

    ``size`` is each unit's cases and ``covered`` those reviewed already. Units of equal
    value are one block: the block the budget ends in is levelled (water-filling), its
    least-covered units raised first, so that they end at one review rate where the budget
    allows; equal estimates then get equal review whatever the quality sample gave them.

    Examples
    --------
    >>> size = np.array([10.0, 5.0, 5.0])
    >>> greedy_fill(size, np.zeros(3), np.array([0.1, 0.3, 0.3]), 6.0).tolist()
    [0.0, 3.0, 3.0]
    >>> greedy_fill(size, np.array([0.0, 2.0, 0.0]), np.array([0.1, 0.3, 0.3]), 4.0).tolist()
    [0.0, 1.0, 3.0]
    >>> greedy_fill(size, np.zeros(3), np.array([0.1, 0.3, 0.3]), 12.0).tolist()
    [2.0, 5.0, 5.0]
    """
    out = np.zeros_like(size)
    capacity = np.maximum(size - covered, 0.0)
    if not len(size) or budget <= 0:
        return out
    levels, block = np.unique(-value, return_inverse=True)  # highest value first
    room = np.bincount(block, capacity, len(levels))
    ahead = np.concatenate([[0.0], np.cumsum(room)[:-1]])
    full = ahead + room <= budget
    out = np.where(full[block], capacity, 0.0)
    partial = np.flatnonzero(~full & (ahead < budget))
    if len(partial):
        members = np.flatnonzero(block == partial[0])
        out[members] = _level(size[members], covered[members], budget - ahead[partial[0]])
    return out


def _level(size: FloatArray, covered: FloatArray, budget: float) -> FloatArray:
    """Water-filling: raise the least-covered units to one rate, spending ``budget``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(size > 0, covered / size, 1.0)
    order = np.argsort(rate, kind="stable")
    r, n = rate[order], size[order]
    below_n = np.cumsum(n)
    below_rn = np.cumsum(r * n)
    spent_at = r * below_n - below_rn  # cost of raising every unit below r_k to r_k
    k = int(np.searchsorted(spent_at, budget, side="right")) - 1
    level = (budget + below_rn[k]) / below_n[k] if below_n[k] > 0 else 1.0
    level = min(level, 1.0)
    take = np.maximum(level * size - covered, 0.0)
    out: FloatArray = np.minimum(take, np.maximum(size - covered, 0.0))
    return out


def floor_cost(
    units: PlanUnits, groups: PlanGroups, covered: FloatArray, floor: float
) -> tuple[FloatArray, float]:
    """Cases per unit that raise every group's coverage to ``floor``, and their sum.

    ``covered`` is the cases already reviewed per unit. Groups are raised in order, each
    through its highest-ranked units; raising one never lowers another's coverage.
    """
    extra = np.zeros(len(units))
    for s, g in groups.all_groups():
        member = groups.members(s, g)
        have = float((covered + extra)[member].sum())
        deficit = floor * float(units.total[member].sum()) - have
        if deficit <= 1e-9:
            continue
        have_now = covered[member] + extra[member]
        extra[member] += greedy_fill(units.total[member], have_now, units.rank[member], deficit)
    return extra, float(extra.sum())


def targeted_review(
    units: PlanUnits, groups: PlanGroups, quality: FloatArray, floor: float, budget: float
) -> FloatArray:
    """Targeted cases per unit: the floor first, then the highest expected errors caught."""
    sampled = quality * units.total
    extra, spent = floor_cost(units, groups, sampled, floor)
    left = max(budget - sampled.sum() - spent, 0.0)
    rest = greedy_fill(units.total, sampled + extra, units.rank, left)
    return extra + rest


def score_only(units: PlanUnits, budget: float) -> FloatArray:
    """Review probability per unit when routing sees only the score stratum and decision."""
    cell = units.score_cell
    size = int(cell.max()) + 1
    total: FloatArray = np.bincount(cell, units.total, size).astype(np.float64)
    reviewed = np.bincount(cell, units.reviewed, size)
    errors = np.bincount(cell, units.errors, size)
    # a cell nobody reviewed ranks by its units' pooled rate, as the plan's figures take it
    fallback = np.bincount(cell, units.rate * units.total, size) / np.maximum(total, 1e-12)
    rate = np.where(reviewed > 0, errors / np.maximum(reviewed, 1), fallback)
    taken = greedy_fill(total, np.zeros_like(total), rate, budget)
    out: FloatArray = (taken / np.maximum(total, 1e-12))[cell]
    return out

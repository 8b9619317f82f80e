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

#: Rounds of raising groups' sampling rates (each settles the groups short of their power).
_ROUNDS = 60


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


def _kish(denominator: FloatArray, rate: FloatArray, member: NDArray[np.bool_]) -> float:
    """Effective cases of a weighted random sample of the members (Kish)."""
    d = denominator[member]
    q = rate[member]
    if d.sum() <= 0:
        return 0.0
    if np.any((q <= 0) & (d > 0)):
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = float(np.sum(np.where(d > 0, d / np.where(q > 0, q, 1.0), 0.0)))
    return float(d.sum() ** 2 / spread) if spread > 0 else 0.0


def _direction(gap: float, rest: float) -> float:
    """The gap sized for: above the rest's rate, or below when that would pass 1."""
    return gap if rest + gap <= 1 else -gap


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
    q = np.zeros(len(units))
    pairs = [(s, g, m) for s, g in groups.all_groups() for m in range(len(metrics))]
    masks = {(s, g): groups.codes[s] == g for s, g in groups.all_groups()}

    def needs(q_now: FloatArray) -> list[tuple[int, int, int, float, float, float, float]]:
        """Per (set, group, metric): effective cases needed and planned, rates, ratio."""
        out = []
        for s, g, m in pairs:
            member, d, r = masks[s, g], denominators[:, m], rates[:, m]
            d_g, d_rest = d[member].sum(), d[~member].sum()
            p_g = float((d * r)[member].sum() / d_g) if d_g > 0 else 0.0
            p_rest = float((d * r)[~member].sum() / d_rest) if d_rest > 0 else 0.0
            n_g, n_rest = _kish(d, q_now, member), _kish(d, q_now, ~member)
            ratio = n_rest / n_g if n_g > 0 and n_rest > 0 else (d_rest / d_g if d_g > 0 else 1.0)
            if d_g <= 0 or d_rest <= 0:
                out.append((s, g, m, np.nan, n_g, p_g, p_rest))
                continue
            diff = _direction(gap, p_rest)
            needed = float(gap_sample_size(diff, p_rest, power, ratio=ratio, alpha=alpha))
            out.append((s, g, m, needed, n_g, p_g, p_rest))
        return out

    # start: each group sampled uniformly at the rate its own size needs, rest alike
    for s, g, m, needed, _, _, _ in needs(np.ones(len(units))):
        member = masks[s, g]
        d_g = denominators[member, m].sum()
        if np.isfinite(needed) and d_g > 0:
            q[member] = np.maximum(q[member], min(1.0, needed / d_g))
    for _ in range(_ROUNDS):
        raised = False
        for s, g, m, needed, n_g, _, _ in needs(q):
            member = masks[s, g]
            if not np.isfinite(needed) or n_g >= needed * (1 - 1e-9) or np.all(q[member] >= 1):
                continue
            if n_g > 0:
                q[member] = np.minimum(1.0, q[member] * needed / n_g)
            else:  # a unit of the group is not sampled at all: sample every unit alike
                uniform = needed / max(float(denominators[member, m].sum()), 1e-12)
                q[member] = np.maximum(q[member], min(1.0, uniform))
            raised = True
        if not raised:
            break
    wanted = float(q @ units.total)
    scale = min(1.0, share * budget / wanted) if wanted > 0 else 1.0
    q = q * scale
    rows = []
    for s, g, m, needed, n_g, p_g, p_rest in needs(q):
        member = masks[s, g]
        n_rest = _kish(denominators[:, m], q, ~member)
        if not np.isfinite(needed):
            status, planned_power = "no cases", np.nan
        else:
            diff = _direction(gap, p_rest)
            planned_power = (
                float(gap_power(diff, p_rest, n_g, ratio=n_rest / n_g, alpha=alpha))
                if n_g > 0 and n_rest > 0
                else 0.0
            )
            full = _kish(denominators[:, m], np.where(member, 1.0, q), member)
            status = (
                "ok" if n_g >= needed * (1 - 1e-6)
                else "capped" if full < needed * (1 - 1e-6) else "scaled"
            )  # fmt: skip
        half = z * np.sqrt(p_g * (1 - p_g) / n_g) if n_g > 0 else np.nan
        rows.append({
            "attribute_set": " & ".join(groups.sets[s]),
            "group": _label(groups.labels[s][g]),
            "attributes": groups.labels[s][g],
            "metric": metrics[m],
            "rate": p_g, "rest_rate": p_rest, "gap": gap,
            "needed": needed, "planned": n_g, "planned_rest": n_rest, "power": planned_power,
            "half_width": half, "status": status,
        })  # fmt: skip
    return Quality(rate=q, precision=pd.DataFrame(rows), wanted=wanted, scale=scale)


def _label(attributes: dict[str, str]) -> str:
    return " & ".join(f"{k}={v}" for k, v in attributes.items())


def greedy_fill(capacity: FloatArray, value: FloatArray, budget: float) -> FloatArray:
    """Cases taken per unit: the highest values first, each up to its capacity.

    Ties keep the units' order; the last unit taken may be taken in part.

    Examples
    --------
    >>> greedy_fill(np.array([10.0, 5.0, 5.0]), np.array([0.1, 0.3, 0.3]), 12.0).tolist()
    [2.0, 5.0, 5.0]
    """
    order = np.argsort(-value, kind="stable")
    ahead = np.concatenate([[0.0], np.cumsum(capacity[order])[:-1]])
    taken = np.clip(budget - ahead, 0.0, capacity[order])
    out = np.zeros_like(capacity)
    out[order] = taken
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
        room = units.total[member] - covered[member] - extra[member]
        extra[member] += greedy_fill(room, units.rank[member], deficit)
    return extra, float(extra.sum())


def targeted_review(
    units: PlanUnits, groups: PlanGroups, quality: FloatArray, floor: float, budget: float
) -> FloatArray:
    """Targeted cases per unit: the floor first, then the highest expected errors caught."""
    sampled = quality * units.total
    extra, spent = floor_cost(units, groups, sampled, floor)
    room = units.total - sampled - extra
    rest = greedy_fill(room, units.rank, max(budget - sampled.sum() - spent, 0.0))
    return extra + rest


def score_only(units: PlanUnits, budget: float) -> FloatArray:
    """Review probability per unit when routing sees only the score stratum and decision."""
    keys = ["band", "decision"] if "band" in units.keys else ["decision"]
    cell = pd.MultiIndex.from_frame(units.keys[keys].astype(str)).factorize()[0]
    size = int(cell.max()) + 1
    total = np.bincount(cell, units.total, size)
    reviewed = np.bincount(cell, units.reviewed, size)
    errors = np.bincount(cell, units.errors, size)
    # a cell nobody reviewed ranks by its units' pooled rate, as the plan's figures take it
    fallback = np.bincount(cell, units.rate * units.total, size) / np.maximum(total, 1e-12)
    rate = np.where(reviewed > 0, errors / np.maximum(reviewed, 1), fallback)
    taken = greedy_fill(total.astype(np.float64), rate, budget)
    out: FloatArray = (taken / np.maximum(total, 1e-12))[cell]
    return out

"""The review plan: where a human should stay in the loop, at a given review budget.

:func:`review_plan` spends a budget of reviewed cases on a random quality sample sized by
power, a floor of oversight for every group, and targeted review where a reviewer is
expected to catch most model errors (:mod:`fairloop.plan._allocate`), over the units of
score stratum x sensitive group (x context) x model decision (:mod:`fairloop.plan._units`).
It then states what three routings buy at that budget, per group: the log's current
routing, the best routing that sees only the score, and the plan.

For each routing with review probability ``pi_u`` per unit, ``N_u`` cases and model
error rate ``e_u`` (the human's verdict taken as the truth, and a reviewer taken to
correct every error they see)::

    coverage          = sum pi_u N_u / N_g
    errors caught     = sum pi_u N_u e_u
    residual error    = sum (1 - pi_u) N_u e_u / N_g      (model errors left standing)

Intervals come from the joint normal law of every group's figures under every routing, the
normal approximation of each unit's estimate summed on the cube (:mod:`fairloop.plan.
_uncertainty`; a never-reviewed unit shares its pool's), the routings held
fixed, with basic (reverse-percentile) intervals; the comparison of the worst group's residual error
under two routings uses the same draws for both (paired). Groups smaller than the audit's
``min_group_size`` are reported as insufficient and left out of the worst group.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop._plain import json_safe
from fairloop.config import AuditConfig, PlanOptions
from fairloop.cube import CountCube
from fairloop.exceptions import ConfigError
from fairloop.plan._allocate import (
    Quality,
    floor_cost,
    quality_sample,
    score_only,
    targeted_review,
)
from fairloop.plan._uncertainty import figure_draws, group_sums
from fairloop.plan._units import PlanGroups, PlanUnits, plan_groups, plan_units
from fairloop.stats import normal_quantile

__all__ = ["ROUTINGS", "ReviewPlan", "review_plan"]

FloatArray = NDArray[np.float64]

#: The routings a plan compares, in the order they are shown.
ROUTINGS = ("current", "score_only", "plan")
#: Days in each period a budget of cases can be per.
_PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4,
                "year": 365.25}  # fmt: skip
#: Draws of the optimism bootstrap (at least, at most), the standard error of its mean
#: residual optimism it stops at, and its seed (the same input gives the same plan).
_OPTIMISM_MIN_DRAWS = 30
_OPTIMISM_DRAWS = 100
_OPTIMISM_PRECISION = 0.002
_OPTIMISM_SEED = 20_260_101


@dataclass(frozen=True, eq=False)
class ReviewPlan:
    """A review plan and what it buys, beside the current and a score-only routing.

    Attributes
    ----------
    options : PlanOptions
        The options the plan was made with.
    budget_share : float
        Share of cases the plan reviews (every routing compared reviews as many).
    budget_cases : float
        Cases the plan reviews over the log's period.
    floor : float
        The least review coverage of every group the plan holds to.
    units : pandas.DataFrame
        One row per unit (sensitive group, context, score stratum, model decision): its
        cases, reviewed cases, model errors and error rate as the log shows them, and the
        review probability of each routing (``current_rate``, ``score_only_rate``,
        ``review_rate``, the plan's, made of ``quality_rate`` and ``targeted_rate``).
    groups : pandas.DataFrame
        One row per routing and group: cases, coverage, expected model errors, errors
        caught and the residual error rate, with intervals.
    precision : pandas.DataFrame
        What the quality sample gives each group and metric: effective cases, power to
        detect the gap, interval half-width of the rate.
    comparison : dict
        The worst group's residual error rate under each routing, and the plan's
        reduction of it against the current and the score-only routing, with intervals.
    warnings : list of str
        What the plan could not do as asked.
    methods : dict
        The methods and what they assume, named.
    """

    options: PlanOptions
    budget_share: float
    budget_cases: float
    floor: float
    units: pd.DataFrame
    groups: pd.DataFrame
    precision: pd.DataFrame
    comparison: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)
    positive: Any = None
    sensitive: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    score: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible form (every table as a list of records)."""
        out: dict[str, Any] = json_safe({
            "options": self.options.to_dict(),
            "budget_share": self.budget_share,
            "budget_cases": self.budget_cases,
            "floor": self.floor,
            "comparison": self.comparison,
            "groups": self.groups.to_dict("records"),
            "precision": self.precision.to_dict("records"),
            "units": self.units.to_dict("records"),
            "warnings": list(self.warnings),
            "methods": dict(self.methods),
        })  # fmt: skip
        return out

    def routing_table(self) -> dict[str, Any]:
        """The plan as a routing table a production system applies (``routing.schema.json``)."""
        from fairloop.plan._routing import routing_table

        return routing_table(self)

    def write(self, path: str | Path) -> Path:
        """Write the routing table as JSON (``.json``) or TOML (``.toml``); return the path."""
        from fairloop.plan._routing import write_routing

        return write_routing(self.routing_table(), Path(path))

    def summary(self) -> str:
        """A few sentences on what the plan buys, for the command line and notebooks."""
        worst = self.comparison["worst"]
        diff = self.comparison["difference"]["score_only"]
        lines = [
            f"Budget: {self.budget_share:.1%} of cases ({self.budget_cases:,.0f} reviewed); "
            f"floor {self.floor:.1%} coverage for every group.",
        ]
        for routing in ROUTINGS:
            w = worst[routing]
            others = w["candidates"][1:]
            shown = ", ".join(others[:4]) + (" ..." if len(others) > 4 else "")
            tied = (
                f" ({len(others)} other group(s) may be the worst too: {shown})" if others else ""
            )
            lines.append(
                f"  {routing:<10} worst group {w['group']}{tied}: residual error "
                f"{w['residual_rate']:.2%} [{w['ci_low']:.2%}, {w['ci_high']:.2%}]"
            )
        lines.append(
            f"The plan lowers the worst group's residual error by {100 * diff['value']:.1f} "
            f"points [{100 * diff['ci_low']:.1f}, {100 * diff['ci_high']:.1f}] against "
            "score-only routing."
        )
        lines.extend(f"Note: {w}" for w in self.warnings)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        shown = self.groups[self.groups["routing"] == "plan"]
        return "<pre>" + html.escape(self.summary()) + "</pre>" + shown.to_html(index=False)

    def __repr__(self) -> str:
        return f"ReviewPlan(budget_share={self.budget_share:.4f}, units={len(self.units)})"


def _budget_share(
    options: PlanOptions, units: PlanUnits, provenance: Mapping[str, Any]
) -> tuple[float, str]:
    """The budget as a share of cases, and how it was given."""
    total = float(units.total.sum())
    if options.budget is not None:
        return float(options.budget), f"{options.budget:g} of cases"
    if options.cases is not None and options.per is not None:
        period = provenance.get("period") or None
        if not period:
            raise ConfigError(
                "{option} gives the budget per period, which needs the log's time column "
                "(its period): give the budget as a share of cases instead.",
                option="per",
            )
        start = datetime.fromisoformat(str(period["start"]))
        end = datetime.fromisoformat(str(period["end"]))
        days = (end - start).total_seconds() / 86400
        if days <= 0:
            raise ConfigError(
                "The log's cases all share one time, so cases {option} cannot be turned into "
                "a share: give the budget as a share of cases.",
                option="per",
            )
        per_period = total * _PERIOD_DAYS[options.per] / days
        share = options.cases / per_period
        if share > 1:
            raise ConfigError(
                f"{{option}}: {options.cases:,} cases per {options.per} is more than the "
                f"{per_period:,.0f} cases the log has per {options.per}.",
                option="cases",
            )
        return share, f"{options.cases:,} cases per {options.per}"
    reviewed = float(units.reviewed.sum())
    return reviewed / total, "the log's current review share"


def _largest_floor(
    units: PlanUnits, groups: PlanGroups, sampled: FloatArray, room: float, wanted: float
) -> float:
    """The largest floor up to ``wanted`` whose cost fits in ``room`` (bisection)."""
    if floor_cost(units, groups, sampled, wanted)[1] <= room + 1e-6:
        return wanted
    low, high = 0.0, wanted
    for _ in range(40):
        middle = (low + high) / 2
        if floor_cost(units, groups, sampled, middle)[1] <= room + 1e-6:
            low = middle
        else:
            high = middle
    return low


def review_plan(
    cube: CountCube,
    config: AuditConfig,
    *,
    options: PlanOptions | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> ReviewPlan:
    """Plan who should review what at a budget, and state what it buys.

    Parameters
    ----------
    cube : CountCube
        The audit's count cube (its weighting strata are read).
    config : AuditConfig
        The audit's options: groups, ``min_group_size``, the intervals' level, the
        positive decision, and ``config.plan`` unless ``options`` is given.
    options : PlanOptions or None, default=None
        The plan's options (default ``config.plan``).
    provenance : mapping or None, default=None
        The audit's provenance; its ``period`` turns a budget of cases per period into a
        share.

    Returns
    -------
    ReviewPlan
    """
    options = options or config.plan
    provenance = provenance or {}
    units = plan_units(cube, by=options.by, prior_cases=options.prior_cases)
    groups = plan_groups(units, options.depth)
    share, given = _budget_share(options, units, provenance)
    total = float(units.total.sum())
    budget = share * total
    z = normal_quantile(config.confidence_level)
    quality = quality_sample(
        units, groups, options.metrics, gap=options.gap, power=options.power,
        alpha=options.alpha, budget=budget, share=options.quality_share, z=z,
    )  # fmt: skip
    warnings = _quality_warnings(quality, options, total)
    sampled = quality.rate * units.total
    room = budget - float(sampled.sum())
    wanted = options.floor if options.floor is not None else share / 2
    floor = _largest_floor(units, groups, sampled, room, wanted)
    if floor < wanted - 1e-9:
        if options.floor is not None:
            raise ConfigError(
                f"{{option}} {options.floor:g} needs more review than the budget leaves after "
                f"the quality sample; the largest floor this budget allows is {floor:.4f}. "
                "Lower the floor or raise the budget.",
                option="floor",
            )
        warnings.append(
            f"The default floor (half the budget, {wanted:.2%}) does not fit in the budget "
            f"after the quality sample; the plan holds every group to {floor:.2%} instead."
        )

    def choose(seen: PlanUnits) -> dict[str, FloatArray]:
        """The routings chosen from the log's estimates: score-only and the plan."""
        targeted = targeted_review(seen, groups, quality.rate, floor, budget)
        return {
            "score_only": score_only(seen, budget),
            "plan": np.minimum(quality.rate + targeted / seen.total, 1.0),
        }

    rates = {"current": units.reviewed / units.total, **choose(units)}
    plan_rate = rates["plan"]
    table, comparison = _figures(units, groups, rates, config, options.draws, choose,
                                 quality.rate)  # fmt: skip
    frame = units.keys.copy()
    frame["cases"] = units.total.astype(np.int64)
    frame["reviewed"] = units.reviewed.astype(np.int64)
    frame["errors"] = units.errors.astype(np.int64)
    frame["error_rate"] = units.rate
    frame["estimable"] = units.estimable
    frame["current_rate"] = rates["current"]
    frame["score_only_rate"] = rates["score_only"]
    frame["quality_rate"] = quality.rate
    frame["targeted_rate"] = plan_rate - quality.rate
    frame["review_rate"] = plan_rate
    return ReviewPlan(
        options=options,
        budget_share=share,
        budget_cases=budget,
        floor=floor,
        units=frame,
        groups=table,
        precision=quality.precision,
        comparison={**comparison, "budget": given},
        warnings=warnings,
        methods=plan_methods(options, config),
        positive=config.positive,
        sensitive=units.sensitive,
        by=units.by,
        score=config.score,
        provenance={k: provenance.get(k) for k in ("data_sha256", "rows", "period",
                                                   "fairloop_version", "created_at")},
    )  # fmt: skip


def _quality_warnings(quality: Quality, options: PlanOptions, total: float) -> list[str]:
    out = []
    if quality.scale < 1:
        out.append(
            f"The quality sample needs {quality.wanted:,.0f} reviewed cases "
            f"({quality.wanted / total:.1%} of cases) for power {options.power:g} to detect a "
            f"{options.gap:.0%} gap in every group; at most {options.quality_share:.0%} of the "
            "budget goes to it, so it was scaled down: see each group's power."
        )
    capped = quality.precision[quality.precision["status"] == "capped"]
    if len(capped):
        names = sorted(set(capped["group"]))
        out.append(
            f"Even reviewing all their cases would not give power {options.power:g} for "
            f"{len(names)} group(s) ({', '.join(names[:5])}{' ...' if len(names) > 5 else ''})."
        )
    return out


def _figures(
    units: PlanUnits,
    groups: PlanGroups,
    rates: dict[str, FloatArray],
    config: AuditConfig,
    draws: int,
    choose: Callable[[PlanUnits], dict[str, FloatArray]],
    quality: FloatArray,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per routing and group: coverage, errors caught, residual error, with intervals.

    The routings ``choose`` makes from the estimates are corrected for their optimism
    (:func:`_optimism`) before the worst group is found.
    """
    level = config.confidence_level
    tails = (50 * (1 - level), 50 * (1 + level))
    pairs = groups.all_groups()
    sizes = group_sums(groups, units.total)
    ok = sizes >= config.min_group_size
    if not ok.any():
        ok = np.ones_like(ok)

    by_group = partial(group_sums, groups)
    opt_caught, opt_residual = _optimism(units, choose, by_group, sizes)
    # one joint normal law for model errors and every routing's errors caught, per group
    kinds = [units.total, *(rates[r] * units.total for r in ROUTINGS)]
    noise = figure_draws(units, groups, kinds, draws, seed=0)
    model = by_group(units.rate * units.total) + noise[:, 0, :]
    caught_draws = {r: by_group(units.rate * rates[r] * units.total) + noise[:, 1 + i, :]
                    for i, r in enumerate(ROUTINGS)}  # fmt: skip
    residual_draws = {r: (model - caught_draws[r]) / sizes for r in ROUTINGS}
    rows = []
    worst: dict[str, Any] = {}
    worst_draws: dict[str, FloatArray] = {}
    for r in ROUTINGS:
        pi = rates[r]
        caught = by_group(units.rate * pi * units.total) - opt_caught[r]
        residual = by_group(units.rate * (1 - pi) * units.total) / sizes - opt_residual[r]
        errors = by_group(units.rate * units.total)
        covered = by_group(pi * units.total) / sizes
        sampled = by_group(np.minimum(quality, pi) * units.total) / sizes
        c_draw = caught_draws[r] - opt_caught[r]
        r_draw = residual_draws[r] - opt_residual[r]
        c_low, c_high = _basic(c_draw, caught, tails)
        r_low, r_high = _basic(r_draw, residual, tails)
        m_low, m_high = _basic(model, errors, tails)
        for i, (s, g) in enumerate(pairs):
            rows.append({
                "routing": r,
                "attribute_set": " & ".join(groups.sets[s]),
                "group": " & ".join(f"{k}={v}" for k, v in groups.labels[s][g].items()),
                "attributes": groups.labels[s][g],
                "cases": round(float(sizes[i])),
                "status": "ok" if ok[i] else "insufficient",
                "reviewed": float(covered[i] * sizes[i]),
                "coverage": float(covered[i]),
                "quality_coverage": float(sampled[i]) if r == "plan" else np.nan,
                "model_errors": float(errors[i]),
                "model_errors_low": float(m_low[i]), "model_errors_high": float(m_high[i]),
                "errors_caught": float(caught[i]),
                "errors_caught_low": float(c_low[i]), "errors_caught_high": float(c_high[i]),
                "residual_rate": float(residual[i]),
                "optimism": float(opt_residual[r][i]),
                "residual_low": float(r_low[i]), "residual_high": float(r_high[i]),
            })  # fmt: skip
        shown = np.where(ok, residual, -np.inf)
        top = int(np.argmax(shown))
        masked = np.where(ok[None, :], r_draw, -np.inf)
        w_draw = masked.max(axis=1)
        worst_draws[r] = w_draw
        low, high = _basic(w_draw, residual[top], tails)
        names = [row["group"] for row in rows[-len(pairs) :]]
        candidates = [names[j] for j in _worst_set(residual, r_draw, ok, level)]
        worst[r] = {
            "group": names[top],
            "candidates": candidates,
            "residual_rate": float(residual[top]),
            "ci_low": float(low),
            "ci_high": float(high),
            # the first attribute set's groups hold every case once
            "errors_caught": float(caught[: len(groups.labels[0])].sum()),
            "reviewed": float((pi * units.total).sum()),
        }
    difference = {}
    for other in ("current", "score_only"):
        delta = worst_draws[other] - worst_draws["plan"]
        value = worst[other]["residual_rate"] - worst["plan"]["residual_rate"]
        low, high = _basic(delta, value, tails, floor=-np.inf)
        difference[other] = {
            "value": value,
            "ci_low": float(low),
            "ci_high": float(high),
            "excludes_zero": bool(low > 0 or high < 0),
        }
    comparison = {"worst": worst, "difference": difference, "confidence_level": level}
    return pd.DataFrame(rows), comparison


def _optimism(
    units: PlanUnits,
    choose: Callable[[PlanUnits], dict[str, FloatArray]],
    by_group: Callable[[FloatArray], FloatArray],
    sizes: FloatArray,
) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """How much choosing a routing on the estimates flatters its figures, per group.

    A routing chosen to review the units whose estimated error rate is high looks better on
    those estimates than it is: units whose rate is overestimated by chance are reviewed,
    and those underestimated left. The optimism bootstrap (Efron 1983; Harrell's validation
    of a fitted model) measures it: each unit's errors are drawn again, Binomial(r, e) with
    ``e`` its estimate, the routing is chosen again on the drawn estimates, and its figures
    on the drawn estimates less those on ``e`` (the truth of the bootstrap world) are
    averaged: over at least :data:`_OPTIMISM_MIN_DRAWS` draws and at most
    :data:`_OPTIMISM_DRAWS`, stopping once every group's mean residual optimism has a
    standard error below :data:`_OPTIMISM_PRECISION`. The current routing is not chosen from the
    estimates and is not corrected. Returns the optimism of errors caught and of the
    residual error rate, per routing and group.
    """
    rng = np.random.default_rng(_OPTIMISM_SEED)
    caught: dict[str, list[FloatArray]] = {r: [] for r in ROUTINGS}
    residual: dict[str, list[FloatArray]] = {r: [] for r in ROUTINGS}
    reviewed = np.rint(units.reviewed).astype(np.int64)
    truth = np.clip(units.rate, 0.0, 1.0)
    real = truth * units.total
    for done in range(1, _OPTIMISM_DRAWS + 1):
        drawn = units.with_errors(rng.binomial(reviewed, truth).astype(np.float64))
        seen = drawn.rate * units.total
        for r, pi in choose(drawn).items():
            caught[r].append(by_group((seen - real) * pi))
            residual[r].append(by_group((seen - real) * (1 - pi)) / sizes)
        if done >= _OPTIMISM_MIN_DRAWS and done % _OPTIMISM_MIN_DRAWS == 0:
            # stop once every mean is known to within a fifth of a point
            spread = max(
                float(np.std(residual[r], axis=0, ddof=1).max()) for r in residual if residual[r]
            )
            if spread / np.sqrt(done) < _OPTIMISM_PRECISION:
                break
    zero = np.zeros(len(sizes))
    return (
        {r: np.mean(caught[r], axis=0) if caught[r] else zero for r in ROUTINGS},
        {r: np.mean(residual[r], axis=0) if residual[r] else zero for r in ROUTINGS},
    )


def _worst_set(
    point: FloatArray, draws: FloatArray, ok: NDArray[np.bool_], level: float
) -> list[int]:
    """The groups that may be the worst: a confidence set for the largest residual error.

    A group is left out only when some other group's residual error is larger with
    confidence: the one-sided lower bound of their paired difference (normal, its spread
    from the joint draws) is above zero at level ``(1 - level) / (m - 1)`` for ``m``
    groups (Bonferroni), so that the truly worst group is in the set with probability at
    least ``level`` (multiple comparisons with the best, Hsu 1984). The estimated worst
    comes first, then the others by estimate.
    """
    from scipy import special

    shown = np.flatnonzero(ok)
    order = shown[np.argsort(-point[shown], kind="stable")]
    if len(order) < 2:
        return [int(j) for j in order]
    z = float(special.ndtri(1 - (1 - level) / (len(order) - 1)))
    sub = draws[:, order]
    keep = []
    for i, j in enumerate(order):
        gaps = sub - sub[:, [i]]  # every group's residual less this one's, paired
        spread = gaps.std(axis=0)
        lower = point[order] - point[j] - z * spread
        lower[i] = -np.inf
        if not (lower > 0).any():
            keep.append(int(j))
    return keep


def _basic(
    draws: FloatArray, point: Any, tails: tuple[float, float], floor: float = 0.0
) -> tuple[Any, Any]:
    """Basic (reverse-percentile) bootstrap interval ``2 point - q_high, 2 point - q_low``.

    It corrects for the bias of a figure that is not linear in the rates (the worst of
    several groups, which the draws overstate); for a sum it is the percentile interval.
    Bounded below by ``floor`` (errors and their rates are not negative).
    """
    q_low, q_high = np.percentile(draws, tails, axis=0)
    return np.maximum(2 * point - q_high, floor), np.maximum(2 * point - q_low, floor)


def plan_methods(options: PlanOptions, config: AuditConfig) -> dict[str, str]:
    """The plan's methods, named with what they assume."""
    return {
        "units": (
            "score stratum x sensitive group (all attributes jointly) x model decision"
            + (f" x {', '.join(options.by)}" if options.by else "")
            + "; a unit's model error rate is its reviewed cases' override share, which "
            "assumes review within a unit did not depend on whether the model erred; a "
            "unit nobody reviewed takes its stratum's pooled rate times its groups' tested "
            "effects there and is marked not estimable"
        ),
        "quality_sample": (
            f"random review per group sized by the power ({options.power:g}) of the pooled "
            f"two-proportion z-test at level {options.alpha:g} to detect a {options.gap:g} "
            f"gap in {', '.join(options.metrics)} between each group and the rest of its "
            "attribute set (scipy.special; equal to statsmodels' power_proportions_2indep), "
            "on Kish's effective size of the 1/q-weighted sample; assumes independent "
            "cases (clustering by reviewer needs its design effect on top)"
        ),
        "targeted_review": (
            "greedy fill (fractional knapsack) of the units with the highest model error "
            "rate, units of equal estimate levelled to one review rate (water-filling); a "
            "unit's rate is its score "
            "stratum's pooled rate times the effects of its groups within the stratum that "
            "survive Holm-adjusted tests at 0.05 (indirect standardisation; effects of "
            "attributes taken to multiply)"
            + (
                ""
                if options.prior_cases is None
                else f", its own share shrunk toward that with {options.prior_cases:g} pseudo-cases"
            )
            + "; every group first raised to the floor through its own units"
        ),
        "score_only": (
            "the same greedy fill over score stratum x model decision, error rates pooled "
            "over every group: the best routing that sees the score alone"
        ),
        "figures": (
            "errors caught and residual error assume a reviewer corrects every model error "
            "they see (the human's decision is the truth) and that the error rates of the "
            "log hold for the cases to come"
        ),
        "intervals": (
            "figures of the score-only routing and the plan corrected for the optimism of "
            "choosing them on the same estimates (optimism bootstrap, "
            f"{_OPTIMISM_MIN_DRAWS} to {_OPTIMISM_DRAWS} Binomial redraws of every unit's "
            "errors, re-choosing the routing each time, until the mean is known to "
            f"{_OPTIMISM_PRECISION:g}); "
            f"basic (reverse-percentile) intervals ({config.confidence_level:g}) from "
            f"{options.draws:,} draws of the joint normal law of every group's figures under "
            "every routing, from the normal approximation of each unit's estimate (variance "
            "e(1-e)/r, e the ranking estimate; a never-reviewed unit shares its pool's), the "
            "routings held fixed; the worst group's figures and their differences take the "
            "same draws for every routing (paired); the groups that may be the worst form a "
            "confidence set (a group is left out only when another's residual error is "
            "larger with confidence, one-sided and Bonferroni-adjusted: multiple comparisons "
            "with the best)"
        ),
    }

"""The cells a review plan routes: score stratum x sensitive group (x context) x model decision.

A *unit* is every case of one combination of the sensitive attributes' values (jointly),
the context attributes the plan splits by, one score stratum (the weighting strata of the
count cube, when the log has a score) and one model decision. Per unit the cube gives the
cases (``total``), the reviewed cases and, among them, the model's errors as the human
judges them: the cells of the override rate's numerator (:data:`fairloop.vocabulary.METRICS`
is their one home), a decision the reviewer changed.

Each unit's model error rate is estimated from its reviewed cases, which assumes that
within a unit review did not depend on whether the model erred (the assumption of the
post-stratified estimator, :mod:`fairloop.metrics._weighting`). A unit nobody reviewed
takes its ranking estimate: the pooled rate of its *pool* (the same stratum, context and
decision over every group) times the tested effects of its groups there; a pool nobody
reviewed takes its decision's rate over every stratum. Such units are marked not
``estimable``: the random quality sample is what will measure them.

Two estimates serve two purposes:

``rate``
    The unit's own share ``errors / reviewed`` (the ranking estimate where not estimable):
    what the plan's figures use, so that they are the post-stratified estimates.
``rank``
    Its pool's rate times the tested effects of its groups within the pool
    (:mod:`fairloop.plan._ranking`): what ranks units for targeted review, so that neither a
    unit with two reviewed cases and one error nor a difference the log does not show
    decides who is reviewed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.cube import CountCube
from fairloop.exceptions import ConfigError
from fairloop.plan._ranking import effect_cells, ranking_rates
from fairloop.vocabulary import CELL_RULES, CELLS, METRICS, MISSING_GROUP, cell_weights

__all__ = ["DECISIONS", "PlanGroups", "PlanUnits", "plan_groups", "plan_units"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The model's two decisions, as the plan names them.
DECISIONS = ("positive", "negative")
#: The cells of the model's errors as the human judges them: the override rate's numerator.
_ERROR_CELLS = METRICS["override_rate"].numerator
#: The cells of reviewed cases: the override rate's denominator.
_REVIEWED_CELLS = METRICS["override_rate"].denominator


@dataclass(frozen=True, eq=False)
class PlanUnits:
    """The units of a plan and what the log says about each (arrays of one entry per unit).

    ``keys`` holds the unit's attribute values (text), its score stratum (``band``, absent
    without a score) and ``decision``; ``score_from`` and ``score_to`` the stratum's
    edges; ``cells`` the reviewed cases per confusion cell (for the quality sample's
    metric shares); ``pool`` the (stratum, context, decision) pool of each unit.
    """

    keys: pd.DataFrame
    sensitive: tuple[str, ...]
    by: tuple[str, ...]
    total: FloatArray
    reviewed: FloatArray
    errors: FloatArray
    cells: FloatArray
    pool: IntArray
    decision_code: IntArray
    prior_cases: float | None
    rate: FloatArray
    rank: FloatArray
    estimable: NDArray[np.bool_]
    pool_errors: FloatArray
    pool_reviewed: FloatArray
    pool_rate: FloatArray

    def __len__(self) -> int:
        return len(self.total)

    @cached_property
    def effect_cells(self) -> list[IntArray]:
        """Per sensitive attribute, each unit's (group, pool) cell as a code."""
        return effect_cells(_codes(self.keys, self.sensitive), self.pool)

    @cached_property
    def score_cell(self) -> IntArray:
        """Each unit's (score stratum, decision) cell: what a score-only router sees."""
        keys = ["band", "decision"] if "band" in self.keys else ["decision"]
        cell = pd.MultiIndex.from_frame(self.keys[keys].astype(str)).factorize()[0]
        return np.asarray(cell, dtype=np.int64)

    def with_errors(self, errors: FloatArray) -> PlanUnits:
        """The same units had their reviewed cases held ``errors`` model errors instead.

        Every estimate (rates, pools, ranking) is made again; for the bootstrap that
        measures how much choosing a routing on the estimates flatters it.
        """
        estimates = _estimates(self.effect_cells, errors, self.reviewed, self.pool,
                               self.decision_code, self.prior_cases)  # fmt: skip
        out = replace(self, errors=errors, **estimates)
        # the units' keys are the same
        out.__dict__.update(score_cell=self.score_cell, effect_cells=self.effect_cells)
        return out

    def spread(self) -> tuple[FloatArray, FloatArray]:
        """Standard deviations of each unit's rate estimate, and of each pool's.

        The normal approximation ``e (1 - e) / r``: for a unit, ``e`` is its ranking
        estimate (so that a unit whose reviewed cases hold no error still carries its
        uncertainty) and ``r`` its reviewed cases; a unit nobody reviewed takes its pool's
        rate, whose deviation is the pool's.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            own = np.where(self.reviewed > 0, self.rank * (1 - self.rank) / self.reviewed, 0.0)
            pooled = np.where(
                self.pool_reviewed > 0,
                self.pool_rate * (1 - self.pool_rate) / self.pool_reviewed,
                0.0,
            )
        return np.sqrt(np.maximum(own, 0.0)), np.sqrt(np.maximum(pooled, 0.0))

    def metric_shares(self, metrics: Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """Per unit and metric: the share of cases in its denominator, and its rate.

        From the unit's reviewed cases, or its pool's where nobody reviewed it (units x
        metrics; a rate is 0 where the denominator is empty).
        """
        num_w, den_w = cell_weights(list(metrics))
        cells = self.cells
        pooled = np.zeros((len(self.pool_rate), cells.shape[1]))
        np.add.at(pooled, self.pool, cells)
        use = np.where(self.estimable[:, None], cells, pooled[self.pool])
        reviewed = use.sum(axis=1, keepdims=True)
        den = use @ den_w
        num = use @ num_w
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(reviewed > 0, den / reviewed, 0.0)
            rate = np.where(den > 0, num / den, 0.0)
        return share, rate


@dataclass(frozen=True, eq=False)
class PlanGroups:
    """The groups a plan sizes, floors and reports: per attribute set, each unit's group."""

    sets: tuple[tuple[str, ...], ...]
    codes: tuple[IntArray, ...]
    labels: tuple[tuple[dict[str, str], ...], ...]

    def all_groups(self) -> list[tuple[int, int]]:
        """Every (set, group) pair, in order."""
        return [(s, g) for s, labels in enumerate(self.labels) for g in range(len(labels))]

    def members(self, s: int, g: int) -> IntArray:
        """The units of one group."""
        out: IntArray = np.flatnonzero(self.codes[s] == g)
        return out


def plan_units(
    cube: CountCube, *, by: Sequence[str] = (), prior_cases: float | None = None
) -> PlanUnits:
    """The units of a plan from an audit's count cube.

    Parameters
    ----------
    cube : CountCube
        The audit's cube; its weighting strata (:attr:`CountCube.weighting_cube`) are read.
    by : sequence of str, default=()
        Context attributes the units also split by.
    prior_cases : float or None, default=None
        With a number, each unit's own share also enters its ranking estimate, shrunk with
        this weight in reviewed cases (:mod:`fairloop.plan._ranking`).

    Returns
    -------
    PlanUnits
    """
    source = cube.weighting_cube
    unknown = [a for a in by if a not in source.context]
    if unknown:
        raise ConfigError(
            f"{{option}} names {unknown[0]!r}, which is not a context attribute of the audit "
            f"(context: {', '.join(source.context) or 'none'}).",
            option="by",
        )
    band = [source.band] if source.band else []
    keys = [*source.sensitive, *by, *band]
    values, sums = source.marginal_arrays(keys)
    counts = sums[:, : len(CELLS)]
    frames, totals, cell_parts = [], [], []
    for decision, positive in zip(DECISIONS, (True, False), strict=True):
        own = np.asarray([CELL_RULES[c][0] == positive for c in CELLS])
        part = counts * own[None, :]
        frame = pd.DataFrame(
            {k: np.asarray(v, dtype=object) for k, v in zip(keys, values, strict=True)}
        )
        if source.band:
            frame = frame.rename(columns={source.band: "band"})
        frame["decision"] = decision
        frames.append(frame)
        totals.append(part.sum(axis=1))
        cell_parts.append(part * np.asarray([c in _REVIEWED_CELLS for c in CELLS])[None, :])
    frame = pd.concat(frames, ignore_index=True)
    total = np.concatenate(totals)
    cells = np.concatenate(cell_parts)
    keep = total > 0
    frame, total, cells = frame[keep].reset_index(drop=True), total[keep], cells[keep]
    if not len(total):
        raise ConfigError("The log has no cases to plan the review of.", option="budget")
    error_mask = np.asarray([c in _ERROR_CELLS for c in CELLS], dtype=np.float64)
    reviewed = cells.sum(axis=1)
    errors = cells @ error_mask
    if reviewed.sum() == 0:
        raise ConfigError(
            "Nobody reviewed any case of this log, so the model's error rates are unknown "
            "and no review can be planned from it. Review a random sample first.",
            option="budget",
        )
    pool_keys = [*by, *(["band"] if source.band else []), "decision"]
    pool = pd.MultiIndex.from_frame(frame[pool_keys]).factorize()[0].astype(np.int64)
    decision_code = (frame["decision"] == DECISIONS[1]).to_numpy().astype(np.int64)
    score_from, score_to = _edges(frame, source)
    frame["score_from"], frame["score_to"] = score_from, score_to
    return PlanUnits(
        keys=frame,
        sensitive=tuple(source.sensitive),
        by=tuple(by),
        total=total.astype(np.float64),
        reviewed=reviewed,
        errors=errors,
        cells=cells,
        pool=pool,
        decision_code=decision_code,
        prior_cases=prior_cases,
        **_estimates(
            effect_cells(_codes(frame, source.sensitive), pool),
            errors,
            reviewed,
            pool,
            decision_code,
            prior_cases,
        ),
    )


def _codes(keys: pd.DataFrame, sensitive: Sequence[str]) -> list[IntArray]:
    """Per sensitive attribute, each unit's group as a code."""
    return [
        np.asarray(pd.factorize(keys[name].astype(str), sort=True)[0], dtype=np.int64)
        for name in sensitive
    ]


def _estimates(
    cells: Sequence[IntArray],
    errors: FloatArray,
    reviewed: FloatArray,
    pool: IntArray,
    decision_code: IntArray,
    prior_cases: float | None,
) -> dict[str, Any]:
    """Every estimate of :class:`PlanUnits` from the units' errors and reviewed cases."""
    pools = int(pool.max()) + 1
    pool_errors = np.bincount(pool, errors, pools)
    pool_reviewed = np.bincount(pool, reviewed, pools)
    d_err = np.bincount(decision_code, errors, 2)
    d_rev = np.bincount(decision_code, reviewed, 2)
    overall = errors.sum() / reviewed.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        d_rate = np.where(d_rev > 0, d_err / d_rev, overall)
        pool_decision = np.zeros(pools, dtype=np.int64)
        pool_decision[pool] = decision_code
        pool_rate = np.where(pool_reviewed > 0, pool_errors / pool_reviewed, d_rate[pool_decision])
        estimable = reviewed > 0
    rank = ranking_rates(cells, errors, reviewed, pool_rate[pool], prior_cases=prior_cases)
    # a unit nobody reviewed takes its pool's rate times its groups' tested effects there
    rate = np.where(estimable, errors / np.maximum(reviewed, 1), rank)
    # a never-reviewed pool draws from its decision's counts, as its rate is taken from them
    empty = pool_reviewed == 0
    return {
        "rate": rate,
        "rank": rank,
        "estimable": estimable,
        "pool_errors": np.where(empty, d_err[pool_decision], pool_errors).astype(np.float64),
        "pool_reviewed": np.where(empty, d_rev[pool_decision], pool_reviewed).astype(np.float64),
        "pool_rate": pool_rate,
    }


def _edges(frame: pd.DataFrame, cube: CountCube) -> tuple[list[Any], list[Any]]:
    """Each unit's score range ``score_from <= score < score_to`` (None: open, or missing).

    The strata partition the real line: the lowest is open below and the highest above, so
    that a production system routes every score; a unit of missing scores has neither.
    """
    n = len(frame)
    if "band" not in frame or cube.bands is None:
        return [None] * n, [None] * n
    labels = cube.bands.stratum_labels()
    low, _ = cube.bands.edges()
    of = cube.bands.stratum_of()
    starts = [float(low[np.flatnonzero(of == s)[0]]) for s in range(len(labels))]
    lookup: dict[str, tuple[float | None, float | None]] = {}
    for s, label in enumerate(labels):
        lookup[label] = (
            None if s == 0 else starts[s],
            None if s == len(labels) - 1 else starts[s + 1],
        )
    lookup[MISSING_GROUP] = (None, None)
    pairs = [lookup.get(str(b), (None, None)) for b in frame["band"]]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def plan_groups(units: PlanUnits, depth: int) -> PlanGroups:
    """The groups of every set of up to ``depth`` sensitive attributes, per unit."""
    sets: list[tuple[str, ...]] = []
    for size in range(1, min(depth, len(units.sensitive)) + 1):
        sets.extend(combinations(units.sensitive, size))
    codes, labels = [], []
    for attributes in sets:
        index = pd.MultiIndex.from_frame(units.keys[list(attributes)].astype(str))
        code, uniques = index.factorize(sort=True)
        codes.append(np.asarray(code, dtype=np.int64))
        labels.append(tuple(dict(zip(attributes, map(str, k), strict=True)) for k in uniques))
    return PlanGroups(tuple(sets), tuple(codes), tuple(labels))

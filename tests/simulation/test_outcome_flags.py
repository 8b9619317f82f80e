"""Outcome flags, judged against the truth of realistic, independently generated logs.

The generator is written here, apart from fairloop (it never asks fairloop for the truth).
A log is drawn from a table of generating probabilities over *cells*: every combination
of four sensitive attributes (72) times a score value on a grid of 100 (the score is
probability-like; its distribution depends on the attribute ``g``). In each cell:

* the model decides positive when the score exceeds 0.5;
* the outcome is positive with a miscalibrated probability,
  ``expit(1.3 logit(score) + shift)``, the shift set by ``region`` and ``age``: the model
  has real gaps of its own;
* review is selective: 80% of the cases near the threshold, 10% at the extremes, times
  a coverage by group (old cases are fast-tracked: a tenth of that; west ones 1.3 times);
* ten reviewers with Zipf shares (the first few decide most), routed by case: the senior
  ``r00`` takes most of the hard middle cases, ``r01`` the low scores, ``r03`` the west;
* a reviewer overturns a model error with probability ``activity x catch(score)`` and a
  right call with ``activity x spoil(score)`` (both higher near the threshold);
  ``activity`` is a random effect drawn per seed and reviewer, so reviewers differ in how
  much they override (review's effect is clustered by reviewer), while the odds of
  overturning an error rather than a right call are every reviewer's alike, given the
  case, and alike in every group: nobody's overrides prove wrong more often than the
  others' on the same cases.

Review changes gaps in these logs even so: the groups' score mixes differ and old cases
are seldom reviewed, so review lowers everyone else's false negative rate and not theirs
(true widening 8 points for ``age = old``, 4 to 7 points for its subgroups: some flags are
true, many tests sit just within the floor).

The truth is exact: sums of the generating probabilities over cells (never Monte Carlo).
For a group and a rate it gives the model's and the final decisions' gaps to everyone
else; for a reviewer, how much more often their overrides are wrong than the other
reviewers' in the very same cells (attribute combination x score value).

Planted logs add (1) a reviewer, ``r02`` (about 7% of the reviewed cases), who catches
few errors (10%) and overturns many right calls (35%), and (2) a group effect: every
reviewer turns right negatives of ``g = a`` positive with 0.7 more chance, which widens
group a's false positive rate gap by about 12 points (most right negatives have low
scores and are seldom reviewed).

A shown gap flag is false when its true change of gap is within the effect floor, when
the true final gap is not the wider of the two, or when the true final gap has the
other sign than the flag's; a reviewer flag is false when the reviewer's true excess of
wrong overrides is within the floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray

import fairloop

pytestmark = pytest.mark.slow

Floats = NDArray[np.float64]
FLOOR = 0.05  # flags.min_effect: every flag claims an effect beyond it
GAP_RATES = ("false_positive_rate", "false_negative_rate", "selection_rate")
GRID = (np.arange(100) + 0.5) / 100  # the score's values
#: attribute -> (values, shares); the score's distribution depends on g
ATTRIBUTES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "g": (("a", "b", "c"), (0.25, 0.45, 0.30)),
    "sex": (("f", "m"), (0.5, 0.5)),
    "age": (("young", "mid", "old"), (0.3, 0.45, 0.25)),
    "region": (("n", "e", "s", "w"), (0.4, 0.3, 0.2, 0.1)),
}
SCORE_BETA = {"a": (2.4, 2.6), "b": (2.0, 3.0), "c": (3.0, 2.3)}  # score | g ~ Beta on the grid
#: the model's miscalibration: added to 1.3 logit(score) in these groups
OUTCOME_SHIFT = {("region", "w"): -0.5, ("region", "s"): 0.25, ("age", "old"): 0.5}
#: review coverage by group, times the score's (old cases fast-tracked, west ones checked)
REVIEW_FACTOR = {("age", "old"): 0.1, ("region", "w"): 1.3}
REVIEWERS = tuple(f"r{i:02d}" for i in range(10))
SENIOR, BAD = 0, 2  # r00 takes the hard middle cases; r02 is the planted bad reviewer
ROLES: dict[str, Any] = {
    "prediction": "model", "label": "human", "outcome": "outcome", "reviewer": "reviewer",
    "sensitive": list(ATTRIBUTES), "score": "score", "case_id": "case_id",
}  # fmt: skip
ROWS = 15_000
SEEDS = 40


def _expit(x: Any) -> Floats:
    out: Floats = 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
    return out


@dataclass(frozen=True)
class Design:
    """What a log plants: a bad reviewer, and reviewers turning group a's right negatives."""

    bad_reviewer: bool = False
    group_effect: float = 0.0


NULL = Design()
PLANTED = Design(bad_reviewer=True, group_effect=0.7)


class World:
    """The generating probabilities of one log, per cell (attribute combination x score).

    Arrays are ``(C, K)`` (combinations x score values) or ``(J, C, K)`` (reviewers too).
    """

    def __init__(self, design: Design, rng: np.random.Generator) -> None:
        levels = [range(len(values)) for values, _ in ATTRIBUTES.values()]
        self.codes = np.array(list(product(*levels)), dtype=np.int64)  # (C, 4)
        self.share = np.ones(len(self.codes))
        for j, (_, shares) in enumerate(ATTRIBUTES.values()):
            self.share *= np.asarray(shares)[self.codes[:, j]]
        density = np.stack([GRID ** (a - 1) * (1 - GRID) ** (b - 1)
                            for a, b in SCORE_BETA.values()])  # fmt: skip
        self.score_given_g = density / density.sum(axis=1, keepdims=True)
        self.weight = self.share[:, None] * self.score_given_g[self.codes[:, 0]]  # P(cell)
        shift = np.zeros(len(self.codes))
        for (attribute, value), delta in OUTCOME_SHIFT.items():
            shift += delta * self._is(attribute, value)
        logit = np.log(GRID / (1 - GRID))
        self.p_outcome = _expit(1.3 * logit[None, :] + shift[:, None])  # (C, K)
        self.model = GRID > 0.5  # (K,)
        close = np.exp(-(((GRID - 0.5) / 0.15) ** 2))  # 1 at the threshold, 0 far from it
        # selective review: by score, times the group's coverage
        by_score = 0.1 + 0.7 * np.exp(-(((GRID - 0.5) / 0.13) ** 2))
        coverage = np.ones(len(self.codes))
        for (attribute, value), factor in REVIEW_FACTOR.items():
            coverage *= np.where(self._is(attribute, value), factor, 1.0)
        self.review = np.minimum(coverage[:, None] * by_score[None, :], 0.95)  # (C, K)
        # reviewers routed by case: P(reviewer | cell, reviewed), (J, C, K)
        zipf = 1.0 / np.arange(1, len(REVIEWERS) + 1) ** 1.1
        routing = np.tile(zipf[:, None, None], (1, len(self.codes), len(GRID)))
        routing[SENIOR] *= np.where(np.abs(GRID - 0.5) < 0.15, 4.0, 0.4)[None, :]
        routing[1] *= np.where(GRID < 0.35, 2.5, 1.0)[None, :]
        routing[3] *= np.where(self._is("region", "w"), 4.0, 1.0)[:, None]
        self.routing = routing / routing.sum(axis=0)
        # activity: how much each reviewer overrides, a random effect drawn per seed (at
        # most 1.3, so that no chance is clipped at 1 and the odds stay everyone's alike)
        self.activity = np.clip(np.exp(rng.normal(0.0, 0.35, len(REVIEWERS))), 0.5, 1.3)
        shape = (len(REVIEWERS), len(self.codes), len(GRID))
        catch = np.broadcast_to(self.activity[:, None, None] * (0.50 + 0.25 * close), shape)
        spoil = np.broadcast_to(self.activity[:, None, None] * (0.06 + 0.12 * close), shape)
        catch, spoil = catch.copy(), spoil.copy()
        if design.bad_reviewer:
            catch[BAD], spoil[BAD] = 0.10, 0.35
        if design.group_effect:
            right_negative_a = self._is("g", "a")[:, None] & ~self.model[None, :]
            spoil = np.where(right_negative_a[None], spoil + design.group_effect, spoil)
        spoil = np.minimum(spoil, 1.0)
        # chance a reviewer overturns the model, given the outcome (1 or 0)
        self.flip = {
            1: np.where(self.model, spoil, catch),  # outcome 1: the model's 1 was right
            0: np.where(self.model, catch, spoil),
        }

    def _is(self, attribute: str, value: str) -> NDArray[np.bool_]:
        j = list(ATTRIBUTES).index(attribute)
        out: NDArray[np.bool_] = self.codes[:, j] == ATTRIBUTES[attribute][0].index(value)
        return out

    # --- drawing a log -----------------------------------------------------------------
    def draw(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` cases drawn from the cells' probabilities."""
        combo = rng.choice(len(self.codes), n, p=self.share)
        cdf = np.cumsum(self.score_given_g, axis=1)[self.codes[combo, 0]]
        k = np.minimum((rng.random(n)[:, None] > cdf).sum(axis=1), len(GRID) - 1)
        outcome = rng.random(n) < self.p_outcome[combo, k]
        model = self.model[k]
        reviewed = rng.random(n) < self.review[combo, k]
        cum = np.cumsum(self.routing, axis=0)[:, combo, k].T  # (n, J)
        who = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(REVIEWERS) - 1)
        chance = np.where(outcome, self.flip[1][who, combo, k], self.flip[0][who, combo, k])
        human = np.where(rng.random(n) < chance, ~model, model).astype(np.int64)
        frame = pd.DataFrame({
            name: np.asarray(values, dtype=object)[self.codes[combo, j]]
            for j, (name, (values, _)) in enumerate(ATTRIBUTES.items())
        })  # fmt: skip
        frame["score"] = GRID[k]
        frame["model"] = model.astype(np.int64)
        frame["human"] = pd.Series(human).where(reviewed).astype("Int64")
        named = np.asarray(REVIEWERS, dtype=object)[who]
        frame["reviewer"] = pd.Series(np.where(reviewed, named, None), dtype=object)
        frame["outcome"] = outcome.astype(np.int64)
        frame["case_id"] = np.arange(n)
        return frame

    # --- the truth ---------------------------------------------------------------------
    def _final_positive(self, outcome: int) -> Floats:
        """P(final decision positive | cell, outcome), (C, K)."""
        changed = self.review * (self.routing * self.flip[outcome]).sum(axis=0)
        out: Floats = np.where(self.model[None, :], 1.0 - changed, changed)
        return out

    def gaps(self, subgroup: dict[str, str], metric: str) -> tuple[float, float]:
        """The true (model's gap, final decisions' gap) of ``subgroup`` to everyone else."""
        model = np.broadcast_to(self.model[None, :], self.weight.shape).astype(np.float64)
        p = self.p_outcome
        if metric == "false_positive_rate":  # over negative outcomes: decided positive
            population, rates = self.weight * (1 - p), (model, self._final_positive(0))
        elif metric == "false_negative_rate":  # over positive outcomes: decided negative
            population, rates = self.weight * p, (1 - model, 1 - self._final_positive(1))
        elif metric == "selection_rate":
            final = (1 - p) * self._final_positive(0) + p * self._final_positive(1)
            population, rates = self.weight, (model, final)
        else:
            raise ValueError(metric)
        mask = np.ones(len(self.codes), dtype=bool)
        for attribute, value in subgroup.items():
            mask &= self._is(attribute, value)
        out = []
        for rate in rates:
            inside = (population * rate)[mask].sum() / population[mask].sum()
            outside = (population * rate)[~mask].sum() / population[~mask].sum()
            out.append(float(inside - outside))
        return out[0], out[1]

    def reviewer_excess(self, by_band: bool = False) -> Floats:
        """Per reviewer: their share of overrides proved wrong minus the others' on the same
        cases (the same attribute combination and score value; ``by_band``: the same
        attribute combination, model decision and score decile, fairloop's case mix)."""
        reviewed = self.weight * self.review * self.routing  # (J, C, K)
        model_right = np.where(self.model, self.p_outcome, 1 - self.p_outcome)
        spoiled = np.where(self.model, self.flip[1], self.flip[0])  # right calls overturned
        caught = np.where(self.model, self.flip[0], self.flip[1])  # errors overturned
        wrong = reviewed * model_right * spoiled  # expected overrides that proved wrong
        known = wrong + reviewed * (1 - model_right) * caught  # every outcome is known
        if by_band:  # deciles never straddle the threshold: the band fixes the decision
            band = np.minimum((GRID * 10).astype(int), 9)
            wrong = np.stack([wrong[..., band == b].sum(-1) for b in range(10)], -1)
            known = np.stack([known[..., band == b].sum(-1) for b in range(10)], -1)
        others_wrong, others_known = wrong.sum(0) - wrong, known.sum(0) - known
        with np.errstate(divide="ignore", invalid="ignore"):
            others = np.where(others_known > 0, others_wrong / others_known, 0.0)
        out: Floats = (wrong - known * others).sum(axis=(1, 2)) / known.sum(axis=(1, 2))
        return out


# --- auditing many logs ------------------------------------------------------------------
@dataclass
class Summary:
    """What the audits of one design's logs showed, judged against the truth."""

    reviewer_flags: list[list[str]] = field(default_factory=list)  # per log: names flagged
    reviewer_truth: list[Floats] = field(default_factory=list)  # per log: true excess
    gap_false: list[int] = field(default_factory=list)  # per log: false gap flags
    gap_shown: list[int] = field(default_factory=list)  # per log: shown gap flags
    planted_gap_found: list[bool] = field(default_factory=list)
    false_gaps: list[tuple[int, dict[str, str], str, float, float]] = field(
        default_factory=list
    )  # (seed, subgroup, metric, true model gap, true final gap)

    def gap_fdp(self) -> float:
        pairs = zip(self.gap_false, self.gap_shown, strict=True)
        return float(np.mean([f / s if s else 0.0 for f, s in pairs]))

    def share_naming_an_innocent(self) -> float:
        """Share of logs naming a reviewer whose true excess is within the floor."""
        pairs = zip(self.reviewer_flags, self.reviewer_truth, strict=True)
        return float(np.mean([any(t[REVIEWERS.index(r)] <= FLOOR for r in names)
                              for names, t in pairs]))  # fmt: skip


def _false_gap(world: World, subgroup: dict[str, str], metric: str, final_gap: float) -> bool:
    model, final = world.gaps(subgroup, metric)
    return bool(abs(final - model) <= FLOOR or abs(final) <= abs(model)
                or np.sign(final) != np.sign(final_gap))  # fmt: skip


def _audit(log: pd.DataFrame) -> fairloop.AuditResult:
    return fairloop.audit(log, **ROLES)


@cache
def _run(design: Design, seeds: int = SEEDS, rows: int = ROWS) -> Summary:
    summary = Summary()
    for seed in range(seeds):
        rng = np.random.default_rng([seed, 7_281, int(design.bad_reviewer)])
        world = World(design, rng)
        flags = _audit(world.draw(rows, rng)).flags
        flags = flags[flags["source"] == "outcome"]
        reviewer = flags[flags["metric"] == "accuracy"]
        summary.reviewer_flags.append(sorted(s["reviewer"] for s in reviewer["subgroup"]))
        summary.reviewer_truth.append(world.reviewer_excess())
        gaps = flags[flags["metric"].isin(GAP_RATES)]
        false = 0
        for subgroup, metric, value, rest in zip(gaps["subgroup"], gaps["metric"],
                                                 gaps["value"], gaps["complement_value"],
                                                 strict=True):  # fmt: skip
            if _false_gap(world, subgroup, metric, value - rest):
                false += 1
                summary.false_gaps.append((seed, subgroup, metric, *world.gaps(subgroup, metric)))
        summary.gap_false.append(false)
        summary.gap_shown.append(len(gaps))
        summary.planted_gap_found.append(any(
            s == {"g": "a"} and m == "false_positive_rate"
            for s, m in zip(gaps["subgroup"], gaps["metric"], strict=True)
        ))  # fmt: skip
    return summary


# --- the generator's own truth, checked on a large sample (no fairloop) --------------------
def test_the_generator_truth_matches_a_large_sample_and_plants_what_it_says() -> None:
    rng = np.random.default_rng(5)
    world = World(PLANTED, rng)
    log = world.draw(400_000, rng)
    final = log["human"].fillna(log["model"]).astype(int)
    for group, metric, population, positive in (
        ({"g": "a"}, "false_positive_rate", log["outcome"] == 0, True),
        ({"age": "old"}, "false_negative_rate", log["outcome"] == 1, False),
    ):
        ((attribute, value),) = group.items()
        inside = log[attribute] == value
        for index, decision in enumerate((log["model"], final)):
            rate = decision == int(positive)
            sample = rate[inside & population].mean() - rate[~inside & population].mean()
            assert sample == pytest.approx(world.gaps(group, metric)[index], abs=0.01)
    model, final_gap = world.gaps({"g": "a"}, "false_positive_rate")
    assert final_gap - model > 0.10 and abs(final_gap) > abs(model)  # the planted widening
    assert world.reviewer_excess()[BAD] > 0.3  # the planted reviewer, far beyond the floor
    assert np.all(np.delete(world.reviewer_excess(), BAD) < 0)  # the others: better
    # null worlds: nobody's overrides are wrong more often on the same cases; fairloop's
    # coarser case mix (score deciles) leaves less than a point from the routing
    for seed in range(5):
        null = World(NULL, np.random.default_rng(seed))
        assert np.abs(null.reviewer_excess()).max() < 1e-12
        assert np.abs(null.reviewer_excess(by_band=True)).max() < 0.01
        model, final_gap = null.gaps({"age": "old"}, "false_negative_rate")
        assert final_gap - model > FLOOR  # review widens a gap in null logs too


# --- null logs -----------------------------------------------------------------------------
def test_null_logs_rarely_name_a_reviewer_whose_overrides_prove_wrong() -> None:
    """Reviewers differ in how much they override and in case mix (routing by score and
    region), never in how often their overrides prove wrong on like cases."""
    summary = _run(NULL)
    flagged = [(seed, names) for seed, names in enumerate(summary.reviewer_flags) if names]
    # target: at most 5% of logs name anyone (Holm at 0.05 over the reviewer tests);
    # measured: 1 of 40 logs (0.025; seed 16 names r04, 35 overrides compared)
    assert len(flagged) / len(summary.reviewer_flags) <= 0.10, flagged


def test_null_logs_keep_the_false_discovery_proportion_of_gap_flags() -> None:
    """Review widens old cases' false negative rate gap beyond the floor, and many of
    their subgroups' just within it: each shown gap flag is judged by its true change."""
    summary = _run(NULL)
    # target: Focused BH at 0.05; measured: mean FDP 0.000 (0 false of 4 shown, all
    # age=old false_negative_rate)
    assert summary.gap_fdp() <= 0.05 + 0.03, summary.false_gaps


# --- planted logs --------------------------------------------------------------------------
def test_the_planted_bad_reviewer_is_named_and_nobody_else() -> None:
    summary = _run(PLANTED)
    found = np.mean([REVIEWERS[BAD] in names for names in summary.reviewer_flags])
    # measured: power 1.00 (40 of 40 logs); innocent reviewers named in 0 of 40 logs
    assert found >= 0.8
    assert summary.share_naming_an_innocent() <= 0.10, summary.reviewer_flags


def test_a_planted_widening_of_group_a_false_positive_gap_is_found_and_flags_hold() -> None:
    summary = _run(PLANTED)
    # measured: found in 0.85 of logs (34 of 40); mean FDP 0.000 (0 false of N shown)
    assert np.mean(summary.planted_gap_found) >= 0.8
    assert summary.gap_fdp() <= 0.05 + 0.03, summary.false_gaps

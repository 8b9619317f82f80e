"""The review plan against logs whose model errors are known in every cell.

The logs come from :mod:`plan_logs` (which never imports fairloop): review routed by the
score alone, group B's model erring far more than A's in two score bands far from the
threshold, sex without effect. From the true error probabilities and each unit's cases
and review probabilities, a group's true residual error rate under a routing is
``sum over its units of cases * (1 - pi) * error / cases of the group``; the plan's
figures and intervals are judged against it, the routings held fixed as the plan's
intervals hold them.

The harder logs (:func:`plan_logs.harder_error_log`) audit four sensitive attributes of which
only ``group`` has an effect (``sex``, ``age`` with 3 values, ``region`` with 4, one of them a
tenth of the cases), route review by the score and the group (B reviewed half as often), and
have twelve reviewers who judge differently, three of them most of the cases.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fairloop

sys.path.insert(0, str(Path(__file__).parent))
from plan_logs import decision_of, harder_error_log, known_error_log, score_band

ROLES: dict[str, Any] = {
    "prediction": "pred",
    "label": "label",
    "sensitive": ["group", "sex"],
    "score": "score",
    "reviewer": "reviewer",
    "case_id": "case_id",
    "positive": 1,
}
GROUPS = ("group=A", "group=B", "sex=F", "sex=M")
SEEDS = tuple(range(8))
N = 40_000
#: the harder logs: four sensitive attributes, only ``group`` with an effect
HARD_ATTRIBUTES = ("group", "sex", "age", "region")
NO_EFFECT = ("sex", "age", "region")
HARD_SEEDS = tuple(range(4))


@dataclass(frozen=True)
class Run:
    """One seed's log, its truth, its plan and the true residual error per routing and group."""

    seed: int
    frame: pd.DataFrame
    truth: dict[tuple[str, int, str], float]
    plan: Any
    residual: dict[str, dict[str, float]]


def _band(score_from: Any) -> int:
    """The band index of a unit from its lower edge (the lowest band has none)."""
    return 0 if pd.isna(score_from) else round(float(score_from) * 10)


def _true_error(units: pd.DataFrame, truth: dict[tuple[str, int, str], float]) -> np.ndarray:
    keys = zip(units["group"], units["score_from"].map(_band), units["decision"], strict=True)
    return np.asarray([truth[(str(g), b, str(d))] for g, b, d in keys])


def true_residual(
    units: pd.DataFrame,
    truth: dict[tuple[str, int, str], float],
    rate: str,
    attributes: tuple[str, ...] = ("group", "sex"),
) -> dict[str, float]:
    """Per group of each attribute set: true residual error rate under a routing's rates."""
    left = units["cases"] * (1 - units[rate]) * _true_error(units, truth)
    out = {}
    for attribute in attributes:
        for value, part in units.groupby(attribute):
            out[f"{attribute}={value}"] = float(left[part.index].sum() / part["cases"].sum())
    return out


def _run(seed: int, *, hard: bool = False) -> Run:
    if hard:
        frame, truth = harder_error_log(N, seed=seed)
        roles, attributes = {**ROLES, "sensitive": list(HARD_ATTRIBUTES)}, HARD_ATTRIBUTES
    else:
        frame, truth = known_error_log(N, seed=seed)
        roles, attributes = ROLES, ("group", "sex")
    plan = fairloop.audit(frame, **roles).review_plan()
    residual = {
        routing: true_residual(plan.units, truth, rate, attributes)
        for routing, rate in (("plan", "review_rate"), ("score_only", "score_only_rate"))
    }
    return Run(seed, frame, truth, plan, residual)


@pytest.fixture(scope="module")
def runs() -> list[Run]:
    return [_run(seed) for seed in SEEDS]


@pytest.fixture(scope="module")
def hard_runs() -> list[Run]:
    return [_run(seed, hard=True) for seed in HARD_SEEDS]


def _rows(run: Run, routing: str) -> pd.DataFrame:
    groups = run.plan.groups
    return groups[groups["routing"] == routing].set_index("group")


# --- the units line up with the truth ---------------------------------------------------
def test_units_are_the_cells_of_the_log_and_the_figures_their_sums() -> None:
    frame, truth = known_error_log(N, seed=100)
    plan = fairloop.audit(frame, **ROLES).review_plan()
    units = plan.units
    assert set(units["decision"]) == {"positive", "negative"}
    bands = units["score_from"].map(_band)
    assert (units["decision"] == bands.map(decision_of)).all()
    assert set(zip(units["group"], bands, units["decision"], strict=True)) == set(truth)
    counted = (
        frame.assign(band=score_band(frame["score"]))
        .groupby(["group", "sex", "band"])
        .size()
        .rename("counted")
    )
    mine = units.assign(band=bands).set_index(["group", "sex", "band"])["cases"]
    joined = pd.concat([mine, counted], axis=1)
    assert (joined["cases"] == joined["counted"]).all(), joined[
        joined["cases"] != joined["counted"]
    ]
    # every routing spends the log's current review share
    share = frame["label"].notna().mean()
    assert plan.budget_share == pytest.approx(share)
    for rate in ("current_rate", "score_only_rate", "review_rate"):
        assert (units[rate] * units["cases"]).sum() / units["cases"].sum() == pytest.approx(share)
    # the plan's point residuals are the sums its docstring states, over the unit estimates,
    # less the optimism of choosing the routing on those estimates (its own column)
    rows = plan.groups[plan.groups["routing"] == "plan"].set_index("group")
    left = units["cases"] * (1 - units["review_rate"]) * units["error_rate"]
    for attribute in ("group", "sex"):
        for value, part in units.groupby(attribute):
            row = rows.loc[f"{attribute}={value}"]
            expected = left[part.index].sum() / part["cases"].sum() - row["optimism"]
            assert row["residual_rate"] == pytest.approx(expected)
            assert row["status"] == "ok"


def test_the_same_input_gives_the_same_plan() -> None:
    frame, _ = known_error_log(N, seed=3)
    result = fairloop.audit(frame, **ROLES)
    first, second = result.review_plan(), result.review_plan()
    again = fairloop.audit(frame.copy(), **ROLES).review_plan()
    for other in (second, again):
        pd.testing.assert_frame_equal(first.units, other.units, check_exact=True)
        pd.testing.assert_frame_equal(first.groups, other.groups, check_exact=True)
        assert first.comparison == other.comparison


# --- what the plan buys, against the truth ----------------------------------------------
@pytest.mark.slow
def test_the_plan_truly_lowers_the_worst_groups_residual_error_below_score_only(
    runs: list[Run],
) -> None:
    for run in runs:
        plan = max(run.residual["plan"][g] for g in GROUPS)
        score_only = max(run.residual["score_only"][g] for g in GROUPS)
        assert plan < score_only, (
            f"seed {run.seed}: true worst-group residual {plan:.4f} under the plan, "
            f"{score_only:.4f} under score-only routing"
        )


@pytest.mark.slow
def test_the_difference_against_score_only_excludes_zero(runs: list[Run]) -> None:
    for run in runs:
        diff = run.plan.comparison["difference"]["score_only"]
        assert diff["ci_low"] > 0 and diff["excludes_zero"], (
            f"seed {run.seed}: difference {diff['value']:.4f} "
            f"[{diff['ci_low']:.4f}, {diff['ci_high']:.4f}]"
        )


@pytest.mark.slow
def test_residual_intervals_cover_the_true_residual_error(runs: list[Run]) -> None:
    misses, hits = [], []
    for run in runs:
        rows = _rows(run, "plan")
        for group in GROUPS:
            truth = run.residual["plan"][group]
            low, high = rows.loc[group, ["residual_low", "residual_high"]]
            hits.append(low <= truth <= high)
            if not hits[-1]:
                misses.append(
                    f"seed {run.seed} {group}: {truth:.4f} not in [{low:.4f}, {high:.4f}]"
                )
    coverage = float(np.mean(hits))
    assert coverage >= 0.85, f"coverage {coverage:.1%} of {len(hits)}: " + "; ".join(misses)


@pytest.mark.slow
def test_the_difference_interval_covers_the_true_difference(runs: list[Run]) -> None:
    hits, shown = [], []
    for run in runs:
        truth = max(run.residual["score_only"][g] for g in GROUPS) - max(
            run.residual["plan"][g] for g in GROUPS
        )
        diff = run.plan.comparison["difference"]["score_only"]
        hits.append(diff["ci_low"] <= truth <= diff["ci_high"])
        shown.append(
            f"seed {run.seed}: true {truth:.4f}, estimate {diff['value']:.4f} "
            f"[{diff['ci_low']:.4f}, {diff['ci_high']:.4f}]"
        )
    coverage = float(np.mean(hits))
    assert coverage >= 0.75, f"coverage {coverage:.1%} of {len(hits)} seeds: " + "; ".join(shown)


# --- the quality sample and the attribute without effect --------------------------------
#: Largest gap in review coverage and in true residual error between sex=F and sex=M (sex
#: has no effect). Over seeds 0-99, routings that ignore sex stay far below: score-only at
#: most 1.15 points of coverage and 0.29 of residual error, the current routing 0.99 and 0.32.
SEX_COVERAGE_GAP = 0.02
SEX_RESIDUAL_GAP = 0.005
#: The empirical-Bayes ranking of ce00671 and b80bc6d split the sexes on noise (coverage gap
#: up to 18.2 points, residual gap up to 5.6 over seeds 0-99); ranking by the stratum's rate
#: times the Holm-tested group effects within it keeps both below these bounds.


@pytest.mark.slow
def test_the_quality_sample_gives_both_groups_of_a_two_group_attribute_the_power_asked(
    runs: list[Run],
) -> None:
    for run in runs:
        precision = run.plan.precision
        rows = precision[precision["attribute_set"] == "group"]
        assert set(rows["group"]) == {"group=A", "group=B"}
        asked = run.plan.options.power
        shown = rows[["group", "metric", "power", "planned", "needed", "status"]].to_string()
        assert (rows["status"] == "ok").all(), f"seed {run.seed}:\n{shown}"
        assert (rows["power"] >= asked - 1e-6).all(), f"seed {run.seed}:\n{shown}"
        # the small group is raised to what the comparison needs, not left at its share
        small = rows[rows["group"] == "group=B"]
        assert (small["planned"] >= small["needed"] - 1e-6).all(), f"seed {run.seed}:\n{shown}"
        assert not [w for w in run.plan.warnings if "group=" in w], run.plan.warnings


@pytest.mark.slow
def test_the_plan_reviews_the_sexes_alike(runs: list[Run]) -> None:
    gaps = {}
    for run in runs:
        rows = _rows(run, "plan")
        gaps[run.seed] = abs(rows.loc["sex=F", "coverage"] - rows.loc["sex=M", "coverage"])
    wide = {seed: f"{gap:.2%}" for seed, gap in gaps.items() if gap >= SEX_COVERAGE_GAP}
    assert not wide, f"review coverage gap between sex=F and sex=M per seed: {wide}"


@pytest.mark.slow
def test_the_plan_leaves_the_sexes_alike_truly_in_error(runs: list[Run]) -> None:
    gaps = {}
    for run in runs:
        gaps[run.seed] = abs(run.residual["plan"]["sex=F"] - run.residual["plan"]["sex=M"])
    wide = {seed: f"{gap:.2%}" for seed, gap in gaps.items() if gap >= SEX_RESIDUAL_GAP}
    assert not wide, f"true residual error gap between sex=F and sex=M per seed: {wide}"


# --- a harder log: four attributes, review routed by score and group, a skewed team ------
#: Largest gap in review coverage and in true residual error between two groups of one
#: attribute without effect (sex, age, region) on the harder logs. Over seeds 0-99, routings
#: that ignore those attributes stay below: score-only at most 2.23 points of coverage and
#: 0.69 of residual error (median 1.11 and 0.26), the current routing 2.60 and 0.69.
NO_EFFECT_COVERAGE_GAP = 0.03
NO_EFFECT_RESIDUAL_GAP = 0.01


def _no_effect_gaps(run: Run, column: str) -> dict[str, float]:
    """Per attribute without effect: largest minus smallest of a figure over its groups."""
    if column == "coverage":
        rows = _rows(run, "plan")["coverage"]
        values = {str(g): float(v) for g, v in rows.items()}
    else:
        values = run.residual["plan"]
    out = {}
    for attribute in NO_EFFECT:
        mine = [v for g, v in values.items() if g.startswith(f"{attribute}=")]
        out[attribute] = max(mine) - min(mine)
    return out


@pytest.mark.slow
def test_on_a_harder_log_the_plan_truly_lowers_the_worst_group_and_its_interval_says_so(
    hard_runs: list[Run],
) -> None:
    # over seeds 0-99 the true gain is 0.038-0.073 and the interval's lower end 0.014-0.073
    for run in hard_runs:
        groups = run.residual["plan"]
        assert len(groups) == 11
        plan = max(groups.values())
        score_only = max(run.residual["score_only"].values())
        assert plan < score_only, (
            f"seed {run.seed}: true worst-group residual {plan:.4f} under the plan, "
            f"{score_only:.4f} under score-only routing"
        )
        diff = run.plan.comparison["difference"]["score_only"]
        assert diff["ci_low"] > 0 and diff["excludes_zero"], (
            f"seed {run.seed}: difference {diff['value']:.4f} "
            f"[{diff['ci_low']:.4f}, {diff['ci_high']:.4f}]"
        )


@pytest.mark.slow
def test_on_a_harder_log_the_plan_leaves_groups_without_effect_alike_in_error(
    hard_runs: list[Run],
) -> None:
    # over seeds 0-99 the plan's largest gap is at most 0.88 points (median 0.44)
    wide = {}
    for run in hard_runs:
        for attribute, gap in _no_effect_gaps(run, "residual").items():
            if gap >= NO_EFFECT_RESIDUAL_GAP:
                wide[(run.seed, attribute)] = f"{gap:.2%}"
    assert not wide, f"true residual error gap within an attribute without effect: {wide}"


@pytest.mark.slow
def test_on_a_harder_log_targeted_review_covers_groups_without_effect_alike(
    hard_runs: list[Run],
) -> None:
    # The power-sized quality sample raises small groups by design (region=west, a tenth of
    # the cases, is sampled at about 8% against 4.5-5% for the other regions): what must not
    # differ is the review the plan adds beyond it, which follows the estimated errors.
    wide = {}
    for run in hard_runs:
        units = run.plan.units
        plan = _rows(run, "plan")["coverage"]
        for attribute in NO_EFFECT:
            quality = (units["quality_rate"] * units["cases"]).groupby(units[attribute]).sum()
            cases = units["cases"].groupby(units[attribute]).sum()
            added = [plan[f"{attribute}={g}"] - quality[g] / cases[g] for g in cases.index]
            gap = max(added) - min(added)
            if gap >= NO_EFFECT_COVERAGE_GAP:
                wide[(run.seed, attribute)] = f"{gap:.2%}"
    assert not wide, f"targeted coverage gap within an attribute without effect: {wide}"


@pytest.mark.slow
def test_the_truly_worst_group_is_among_those_the_plan_says_may_be_the_worst(
    runs: list[Run], hard_runs: list[Run]
) -> None:
    # Groups under the plan are near-tied, so the named worst group is often not the truly
    # worst (seeds 0-29: 18 of 30 on the default log, none on the harder one); the set of
    # groups that may be the worst held the truly worst in 30 of 30 seeds on both.
    missed = {}
    for kind, batch in (("default", runs), ("harder", hard_runs)):
        for run in batch:
            truly = max(run.residual["plan"], key=run.residual["plan"].__getitem__)
            shown = run.plan.comparison["worst"]["plan"]["candidates"]
            if truly not in shown:
                missed[(kind, run.seed)] = (truly, shown)
    assert not missed, missed

"""Outcome signals: review that widens a group's gap, and reviewers proved wrong more often.

With an outcome column, what review changed is measured against what actually happened
(:mod:`fairloop.metrics._review_effect`). Two kinds of test become flags:

``review-widens-gap``
    for a group and a rate (false positive rate, false negative rate, selection rate),
    review moved the group's gap to everyone else by more than the effect floor
    ``min_effect``: the paired change of the gap (Agresti-Min intervals with the
    reviewers' design effect), tested two-sided against the floor (null: the change lies
    within plus or minus the floor). A rejected test is shown when the final decisions'
    gap is the wider of the two, the change signed towards it. A two-valued attribute's
    two groups are one test (the gap of one is the other's, negated), kept once, from the
    side whose final rate is the higher. These tests join the subgroup tests' family,
    under the same Focused BH control of the flags shown (nothing explains them away;
    narrowed gaps are filtered out, as Focused BH allows).
``reviewer-outcome``
    a named reviewer's overrides proved wrong more often than the other reviewers' on
    the same case mix (model decision x sensitive groups, and score stratum when the log
    has a score), by more than the floor. A flag names a person, so these tests join
    the reviewer tests' family under Holm's family-wise control.

Both are measured on the cases whose outcome is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairloop.config import AuditConfig
from fairloop.flags._search import TEST_COLUMNS
from fairloop.metrics import OutcomeFigures
from fairloop.stats import normal_upper_tail

__all__ = ["OUTCOME_GAP_TEST", "OUTCOME_REVIEWER_TEST", "gap_tests", "reviewer_outcome_tests"]

#: The test's name for "review widens this group's gap".
OUTCOME_GAP_TEST = "review-widens-gap"
#: The test's name for "this reviewer's overrides prove wrong more often".
OUTCOME_REVIEWER_TEST = "reviewer-outcome"
#: Extra columns the sentences read.
GAP_EXTRA = ["gap_model", "gap_final", "rate_model", "rest_model", "population", "stands_for"]
REVIEWER_EXTRA = ["overrides_known", "wrong"]

#: The cases each rate is measured over, in words.
_POPULATION = {
    "false_positive_rate": "negative",
    "false_negative_rate": "positive",
    "selection_rate": "any",
}


def _floor_pvalue(
    effect: np.ndarray, se: np.ndarray, floor: float, *, two_sided: bool = False
) -> np.ndarray:
    """P-value of ``effect > floor`` (two-sided: ``|effect| > floor``), at the null's edge.

    NaN where the spread is not positive.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(se > 0, se, np.nan)
        size = np.abs(effect) if two_sided else effect
        z = (size - floor) / scale
        far = (size + floor) / scale  # the other edge of the null, for a two-sided claim
    p = normal_upper_tail(np.nan_to_num(z))
    if two_sided:
        p = p + normal_upper_tail(np.nan_to_num(far))
    out: np.ndarray = np.where(np.isfinite(z), np.minimum(p, 1.0), np.nan)
    return out


def _enabled(figures: OutcomeFigures | None, config: AuditConfig) -> bool:
    return figures is not None and config.flags.outcomes


def gap_tests(figures: OutcomeFigures | None, config: AuditConfig) -> pd.DataFrame:
    """One test per group and rate: did review change the group's gap beyond the floor.

    Parameters
    ----------
    figures : OutcomeFigures or None
        The audit's outcome figures (None without an outcome column).
    config : AuditConfig
        The effect floor and the ``flags.outcomes`` switch.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`fairloop.flags._search.TEST_COLUMNS` and :data:`GAP_EXTRA`;
        ``value`` and ``complement_value`` are the final decisions' rates of the group and
        of everyone else, ``difference`` the change of the gap towards the wider of the
        model's and the final gap (positive: review widened it); ``stands_for`` the
        subgroups' conditions each test stands for (a two-valued attribute's twin too).
    """
    if not _enabled(figures, config):
        return pd.DataFrame(columns=[*TEST_COLUMNS, *GAP_EXTRA])
    assert figures is not None  # for the type checker: checked by _enabled
    gaps = figures.gap_changes
    gaps = gaps[(gaps["status"] == "ok") & (gaps["change_se"] > 0)].reset_index(drop=True)
    if gaps.empty:
        return pd.DataFrame(columns=[*TEST_COLUMNS, *GAP_EXTRA])
    # a two-valued attribute set: its two groups' tests are one, kept from one side
    size = gaps.groupby(["attribute_set", "metric"])["group"].transform("size")
    higher = gaps["rate_final"] > gaps["rest_final"]
    tie = (gaps["rate_final"] == gaps["rest_final"]) & (
        gaps.groupby(["attribute_set", "metric"]).cumcount() == 0
    )
    # the conditions each kept test stands for: its own, and its dropped twin's
    stands = [[frozenset(dict(a).items())] for a in gaps["attributes"]]
    keep = ((size != 2) | higher | tie).to_numpy()
    pairs = gaps.groupby(["attribute_set", "metric"]).indices
    for members in pairs.values():
        if len(members) == 2:
            kept, dropped = members if keep[members[0]] else members[::-1]
            stands[kept] = [*stands[kept], *stands[dropped]]
    gaps = gaps[keep].reset_index(drop=True)
    stands = [c for c, k in zip(stands, keep, strict=True) if k]
    n, n_rest = gaps["n"].to_numpy(float), gaps["n_rest"].to_numpy(float)
    final, rest = gaps["rate_final"].to_numpy(float), gaps["rest_final"].to_numpy(float)
    widening = gaps["widening"].to_numpy(float)
    se = gaps["change_se"].to_numpy(float)
    return pd.DataFrame({
        "source": "outcome",
        "subgroup": [dict(a) for a in gaps["attributes"]],
        "depth": [len(a) for a in gaps["attributes"]],
        "metric": gaps["metric"].to_numpy(),
        "n": gaps["n"].astype(np.int64).to_numpy(),
        "numerator": np.rint(final * n).astype(np.int64),
        "denominator": n.astype(np.int64),
        "complement_numerator": np.rint(rest * n_rest).astype(np.int64),
        "complement_denominator": n_rest.astype(np.int64),
        "value": final,
        "complement_value": rest,
        "overall_value": (final * n + rest * n_rest) / (n + n_rest),
        "difference": widening,
        "difference_ci_low": gaps["widening_ci_low"].to_numpy(float),
        "difference_ci_high": gaps["widening_ci_high"].to_numpy(float),
        "ratio": np.nan,
        "p_value": _floor_pvalue(
            gaps["change"].to_numpy(float), se, config.flags.min_effect, two_sided=True
        ),
        "test": OUTCOME_GAP_TEST,
        "design_effect": gaps["design_effect"].to_numpy(float),
        "effective_scale": 1.0,
        "gap_model": gaps["gap_model"].to_numpy(float),
        "gap_final": gaps["gap_final"].to_numpy(float),
        "rate_model": gaps["rate_model"].to_numpy(float),
        "rest_model": gaps["rest_model"].to_numpy(float),
        "population": [_POPULATION[m] for m in gaps["metric"]],
        "stands_for": stands,
    })  # fmt: skip


def reviewer_outcome_tests(figures: OutcomeFigures | None, config: AuditConfig) -> pd.DataFrame:
    """One test per named reviewer: are their overrides wrong more often than others'.

    Parameters
    ----------
    figures : OutcomeFigures or None
        The audit's outcome figures.
    config : AuditConfig
        The reviewer column, the effect floor, thresholds and the ``flags.outcomes``
        switch: a reviewer needs ``min_denominator`` overrides compared.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`fairloop.flags._search.TEST_COLUMNS` and
        :data:`REVIEWER_EXTRA`; ``metric`` is ``accuracy`` (of the reviewer's overrides,
        against the outcome), ``value`` the reviewer's share of overrides proved right,
        ``complement_value`` the share the other reviewers' would give on the same case
        mix, ``difference`` their difference (negative: wrong more often).
    """
    if not _enabled(figures, config) or config.reviewer is None:
        return pd.DataFrame(columns=[*TEST_COLUMNS, *REVIEWER_EXTRA])
    assert figures is not None  # for the type checker: checked by _enabled
    table = figures.reviewers
    # every named reviewer's overrides proved right, for the flag's "overall" figure
    overall = 1 - table["wrong"].sum() / max(float(table["overrides_known"].sum()), 1.0)
    min_den = max(config.flags.min_denominator or config.min_denominator, 1)
    table = table[(table["compared"] >= min_den) & (table["se"] > 0)].reset_index(drop=True)
    if table.empty:
        return pd.DataFrame(columns=[*TEST_COLUMNS, *REVIEWER_EXTRA])
    compared = table["compared"].to_numpy(float)
    expected = table["expected_share"].to_numpy(float)
    excess = table["difference"].to_numpy(float)  # wrong share minus expected
    right, others = 1 - (expected + excess), 1 - expected
    wrong = table["wrong"].to_numpy(float)
    known = table["overrides_known"].to_numpy(float)
    return pd.DataFrame({
        "source": "outcome",
        "subgroup": [{config.reviewer: str(r)} for r in table["reviewer"]],
        "depth": 1,
        "metric": "accuracy",
        "n": compared.astype(np.int64),
        "numerator": np.rint(right * compared).astype(np.int64),
        "denominator": compared.astype(np.int64),
        "complement_numerator": np.rint(others * compared).astype(np.int64),
        "complement_denominator": compared.astype(np.int64),
        "value": right,
        "complement_value": others,
        "overall_value": overall,
        "difference": -excess,
        "difference_ci_low": -table["difference_ci_high"].to_numpy(float),
        "difference_ci_high": -table["difference_ci_low"].to_numpy(float),
        "ratio": np.nan,
        "p_value": _floor_pvalue(excess, table["se"].to_numpy(float), config.flags.min_effect),
        "test": OUTCOME_REVIEWER_TEST,
        "design_effect": 1.0,
        "effective_scale": 1.0,
        "overrides_known": known.astype(np.int64),
        "wrong": wrong.astype(np.int64),
    })  # fmt: skip

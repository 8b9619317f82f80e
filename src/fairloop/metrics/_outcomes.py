"""The model's and the final decisions measured against what actually happened.

With an outcome column the cube holds two more count cubes (:class:`fairloop.cube.Outcomes`)
in which the outcome plays the human's part: a case whose outcome is known counts as
"reviewed". Every metric of reviewed cases (accuracy, error rates, precision ...) is then
computed on them exactly as against the human's decision, with the same intervals, and
the same tests and weighting of selection: outcomes are often known only for some cases
(a loan's repayment only where it was granted), and when knowing the outcome depends on
the decision, the figures of cases with a known outcome are weighted to stand for every
case (post-stratified by sensitive group x model decision), or carry the plain warning.

The rows join the audit's metrics table with ``truth = "outcome"`` and ``decision`` =
``model`` (the model's decision) or ``final`` (the human's where a human reviewed the
case, the model's otherwise); the audit's own rows are ``truth = "human"``, ``decision =
"model"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from fairloop.config import AuditConfig
from fairloop.cube import CountCube, Outcomes
from fairloop.metrics._groups import attribute_sets, group_table
from fairloop.metrics._rates import compute_rates, metrics_frame, weighted_rates
from fairloop.metrics._review_effect import gap_changes, review_effect, reviewer_effect
from fairloop.metrics._selection import Selection, diagnose_selection, with_notes
from fairloop.metrics._weighting import Weighting
from fairloop.vocabulary import CELLS, METRICS, REVIEWED, REVIEWED_CELLS

__all__ = ["DECISIONS", "OUTCOME_METRICS", "OutcomeFigures", "outcome_figures"]

#: The metrics measured against the outcome: those of a decision and a truth. (The review
#: and override rates describe the human, not the truth; the share of cases whose
#: outcome is known is in :attr:`OutcomeFigures.resolved`.)
OUTCOME_METRICS: tuple[str, ...] = (
    "selection_rate",
    "base_rate",
    "accuracy",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "precision",
    "negative_predictive_value",
)

#: The decisions measured: the model's, and the final one (the human's where reviewed).
DECISIONS: tuple[str, ...] = ("model", "final")


@dataclass(frozen=True)
class OutcomeFigures:
    """Metrics against the outcome, and how the outcome's resolution was selected.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Rows like the audit's metrics table, with ``truth = "outcome"`` and ``decision``.
    selection : Selection
        Whether knowing the outcome depends on the model's decision or the group, and
        the estimator chosen for it.
    resolved : pandas.DataFrame
        Per attribute set and group: cases, cases whose outcome is known, and their share.
    review_effect : pandas.DataFrame
        Per group: overrides, the share that proved right, and the accuracy review adds
        (:func:`fairloop.metrics._review_effect.review_effect`).
    gap_changes : pandas.DataFrame
        Per group and rate: the model's and the final decisions' gaps to the complement,
        the change and whether review widens it.
    reviewers : pandas.DataFrame
        Per named reviewer: overrides that proved wrong against the case mix's share.
    """

    metrics: pd.DataFrame
    selection: Selection
    resolved: pd.DataFrame
    review_effect: pd.DataFrame = field(default_factory=pd.DataFrame)
    gap_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    reviewers: pd.DataFrame = field(default_factory=pd.DataFrame)


def outcome_figures(outcomes: Outcomes, config: AuditConfig) -> OutcomeFigures:
    """The model's and the final decisions against the outcome, per group and intersection.

    Parameters
    ----------
    outcomes : Outcomes
        The cube's outcome tables.
    config : AuditConfig
        Intervals, thresholds and the estimator option.

    Returns
    -------
    OutcomeFigures
    """
    sets = attribute_sets(outcomes.model.sensitive, config.max_intersection)
    selection = diagnose_selection(outcomes.model, config, subject="outcome")
    parts = []
    for decision, cube in (("model", outcomes.model), ("final", outcomes.final)):
        rows = _rows(cube, config, selection, sets)
        rows.insert(list(rows.columns).index("metric") + 1, "truth", "outcome")
        rows.insert(list(rows.columns).index("truth") + 1, "decision", decision)
        parts.append(rows)
    joint = outcomes.joint
    return OutcomeFigures(
        pd.concat(parts, ignore_index=True),
        selection,
        _resolved(outcomes.model, sets),
        review_effect=review_effect(joint, config, sets),
        gap_changes=gap_changes(joint, config, sets),
        reviewers=reviewer_effect(joint, config, outcomes.reviewer_strata),
    )


def _rows(
    cube: CountCube, config: AuditConfig, selection: Selection, sets: list[tuple[str, ...]]
) -> pd.DataFrame:
    """One decision's rows, with those of the cases whose outcome is known beside them.

    Weighted for every case when the selection calls for it.
    """
    table = group_table(cube, sets)
    raw = compute_rates(table, config)
    frame = with_notes(metrics_frame(table, raw, OUTCOME_METRICS), selection)
    if selection.estimator == REVIEWED:
        return frame
    weighting = Weighting(cube.without_reviewer(), selection.estimator, tuple(METRICS))
    rates = weighted_rates(raw, weighting.weighted(table.sets), selection.estimator, config)
    weighted = with_notes(metrics_frame(table, rates, OUTCOME_METRICS), selection)
    known = frame[frame["estimator"] == REVIEWED]
    return pd.concat([weighted, known]).sort_index(kind="stable").reset_index(drop=True)


def _resolved(cube: CountCube, sets: list[tuple[str, ...]]) -> pd.DataFrame:
    """Cases, cases whose outcome is known and their share, per group."""
    table = group_table(cube, sets)
    counts = table.counts
    cases = counts.sum(axis=1)
    known = counts[:, [CELLS.index(c) for c in REVIEWED_CELLS]].sum(axis=1)
    with_share = pd.DataFrame(
        {
            "attribute_set": table.set_names[table.set_index],
            "group": table.labels,
            "cases": cases.astype("int64"),
            "known": known.astype("int64"),
        }
    )
    with_share["share_known"] = with_share["known"] / with_share["cases"].where(
        with_share["cases"] > 0
    )
    return with_share

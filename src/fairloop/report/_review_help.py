"""The report's "Does human review help?": the decisions against what actually happened.

For governance officers: plain sentences with intervals, then the tables behind them.
Everything is read from :attr:`fairloop.AuditResult.outcomes`; nothing is computed here
but the words and the multiplicity control of what is called out (Benjamini-Hochberg over
the gap changes shown; Holm over the reviewers, who are named).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from fairloop.report._filters import fmt_ci, fmt_points, fmt_rate, number
from fairloop.stats import bh, holm
from fairloop.vocabulary import METRICS

if TYPE_CHECKING:
    from fairloop._audit import AuditResult

__all__ = ["review_help_view"]


def _gain_sentence(row: dict[str, Any]) -> str:
    """The accuracy review adds, in words, with its interval."""
    gain, low, high = (
        row["accuracy_gain"],
        row["accuracy_gain_ci_low"],
        row["accuracy_gain_ci_high"],
    )
    interval = fmt_ci(low, high, "points")
    if low > 0:
        verdict = f"review raised accuracy by {fmt_points(gain)} {interval}"
    elif high < 0:
        verdict = f"review lowered accuracy by {fmt_points(-gain)[1:]} {interval}"
    else:
        verdict = (
            f"review did not measurably change accuracy ({fmt_points(gain)} {interval}: the "
            "interval includes no change)"
        )
    return (
        f"Where the outcome is known ({row['known']:,} of {row['cases']:,} cases), the model "
        f"was right in {fmt_rate(row['accuracy_model'])} of cases and the final decisions in "
        f"{fmt_rate(row['accuracy_final'])}: {verdict}."
    )


def review_help_view(result: AuditResult, level: float = 0.05) -> dict[str, Any]:
    """The section's view model.

    Parameters
    ----------
    result : AuditResult
        The audit.
    level : float, default=0.05
        The false discovery rate of the gap changes called out, and the family-wise level
        of the reviewers named.

    Returns
    -------
    dict
        ``available`` (the log has an outcome), sentences and tables.
    """
    figures = result.outcomes
    if figures is None:
        return {"available": False}
    effect = figures.review_effect
    everyone = {str(k): v for k, v in effect[effect["group"] == "(all)"].iloc[0].items()}
    sentences = [_gain_sentence(everyone)]
    if everyone["overrides_known"]:
        sentences.append(
            f"Of {everyone['overrides_known']:,} overrides with a known outcome, "
            f"{fmt_rate(everyone['right_share'])} "
            f"{fmt_ci(everyone['right_share_ci_low'], everyone['right_share_ci_high'])} proved "
            "the reviewer right."
        )
    warning = figures.selection.warning()
    blocks = []
    for attribute in result.config.sensitive:
        part = effect[effect["attribute_set"] == attribute]
        rows = [
            {
                "group": str(dict(r["attributes"]).get(attribute, r["group"])),
                "known": r["known"],
                "model": number(r["accuracy_model"]),
                "final": number(r["accuracy_final"]),
                "gain": number(r["accuracy_gain"]),
                "low": number(r["accuracy_gain_ci_low"]),
                "high": number(r["accuracy_gain_ci_high"]),
                "right": number(r["right_share"]),
                "right_low": number(r["right_share_ci_low"]),
                "right_high": number(r["right_share_ci_high"]),
                "overrides": r["overrides_known"],
                "status": r["status"],
            }
            for r in part.to_dict("records")
        ]
        blocks.append({"attribute": attribute, "rows": rows})
    gaps = figures.gap_changes
    gaps = gaps[gaps["status"] == "ok"].copy()
    called: list[dict[str, Any]] = []
    if len(gaps):
        gaps["q_value"] = np.minimum(1.0, bh(gaps["p_value"].fillna(1.0).to_numpy(float)))
        for record in gaps.sort_values("p_value").to_dict("records"):
            r = {str(k): v for k, v in record.items()}
            title = METRICS[r["metric"]].title.lower()
            r["sentence"] = (
                f"Review {'widened' if r['widening'] > 0 else 'narrowed'} the {title} gap of "
                f"{r['group']} from {fmt_points(r['gap_model'])} (model) to "
                f"{fmt_points(r['gap_final'])} (final decisions)."
            )
            r["widens"] = bool(r["q_value"] <= level and r["widening"] > 0)
            called.append(r)
    reviewers = figures.reviewers.copy()
    if len(reviewers):
        reviewers["q_value"] = holm(reviewers["p_value"].fillna(1.0).to_numpy(float))
        reviewers["named"] = reviewers["q_value"] <= level
    return {
        "available": True,
        "sentences": sentences,
        "warning": warning,
        "selection_reason": figures.selection.reason,
        "blocks": blocks,
        "gaps": called,
        "widened": [g for g in called if g["widens"]],
        "reviewers": reviewers.to_dict("records"),
        "named": int(reviewers["named"].sum()) if len(reviewers) else 0,
        "level": level,
        "outcome": result.config.outcome,
    }

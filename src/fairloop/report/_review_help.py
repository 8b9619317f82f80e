"""The report's "Does human review help?": the decisions against what actually happened.

For governance officers: plain sentences with intervals, then the tables behind them.
Everything is read from :attr:`fairloop.AuditResult.outcomes` and the audit's flags of
source ``outcome`` (what is called out is what the flag pipeline shows, under its
false-discovery and family-wise control); nothing is computed here but the words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fairloop.report._filters import fmt_ci, fmt_points, fmt_rate, number
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


def _outcome_flags(result: AuditResult) -> dict[tuple[str, frozenset[Any]], dict[str, Any]]:
    """The audit's flags of source ``outcome``, by metric and subgroup."""
    flags = result.flags
    if flags.empty:
        return {}
    mine = flags[flags["source"] == "outcome"]
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in f.items()} for f in mine.to_dict("records")
    ]
    return {(str(f["metric"]), frozenset(dict(f["subgroup"]).items())): f for f in records}


def review_help_view(result: AuditResult) -> dict[str, Any]:
    """The section's view model.

    Parameters
    ----------
    result : AuditResult
        The audit.

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
    flags = _outcome_flags(result)
    gaps = figures.gap_changes
    gaps = gaps[gaps["status"] == "ok"]
    called: list[dict[str, Any]] = []
    for record in gaps.sort_values("p_value").to_dict("records"):
        r = {str(k): v for k, v in record.items()}
        title = METRICS[r["metric"]].title.lower()
        r["sentence"] = (
            f"Review {'widened' if r['widening'] > 0 else 'narrowed'} the {title} gap of "
            f"{r['group']} from {fmt_points(r['gap_model'])} (model) to "
            f"{fmt_points(r['gap_final'])} (final decisions)."
        )
        flag = flags.get((r["metric"], frozenset(dict(r["attributes"]).items())))
        r["flag"] = flag
        called.append(r)
    reviewer = result.config.reviewer
    reviewers: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in figures.reviewers.to_dict("records")
    ]
    for r in reviewers:
        r["flag"] = flags.get(("accuracy", frozenset({(reviewer, str(r["reviewer"]))})))
    widened = [f for (metric, _), f in flags.items() if metric != "accuracy"]
    named = [f for (metric, _), f in flags.items() if metric == "accuracy"]
    tests = result.tests
    return {
        "available": True,
        "sentences": sentences,
        "warning": warning,
        "selection_reason": figures.selection.reason,
        "blocks": blocks,
        "gaps": called,
        "widened": widened,
        "reviewers": reviewers,
        "named": named,
        "enabled": result.config.flags.enabled and result.config.flags.outcomes,
        "gap_tests": int(tests.get("outcome_gap_tests", 0)),
        "reviewer_tests": int(tests.get("reviewer_tests", 0)),
        "correction": tests.get("correction"),
        "reviewer_correction": tests.get("reviewer_correction"),
        "fdr": result.config.flags.fdr,
        "min_effect": result.config.flags.min_effect,
        "outcome": result.config.outcome,
    }

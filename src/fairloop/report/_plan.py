"""The report's "Review plan": who should review what, beside the current routing.

For governance officers deciding a review budget (evidence for EU AI Act Art. 14(3),
oversight commensurate with the risks, and NIST AI RMF MANAGE 1.3, a documented response):
the plan at the budget of ``config.plan`` (by default the log's current review share) from
:meth:`fairloop.AuditResult.review_plan`, what it buys per group against the current and a
score-only routing, the quality sample's precision and the auditor's sample sizes. Nothing
is computed here but the words and the shape of the tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from fairloop.exceptions import FairloopError
from fairloop.report._filters import fmt_ci, fmt_points, fmt_rate, number
from fairloop.vocabulary import METRICS

if TYPE_CHECKING:
    from fairloop._audit import AuditResult

__all__ = ["plan_view"]

#: Groups named in a sentence before the rest are counted.
_NAMED = 8


def _routing_rows(units: pd.DataFrame) -> list[dict[str, Any]]:
    """Review rates by score stratum and model decision: current, score-only and the plan."""
    keys = [k for k in ("band", "decision") if k in units]
    frame = units.assign(
        current=units["current_rate"] * units["cases"],
        score_only=units["score_only_rate"] * units["cases"],
        plan=units["review_rate"] * units["cases"],
        quality=units["quality_rate"] * units["cases"],
    )
    summed = frame.groupby(keys, sort=True)[["cases", "current", "score_only", "plan",
                                             "quality"]].sum().reset_index()  # fmt: skip
    return [
        {
            "band": str(r.get("band", "all scores")),
            "decision": str(r["decision"]),
            "cases": int(r["cases"]),
            "current": number(r["current"] / r["cases"]),
            "score_only": number(r["score_only"] / r["cases"]),
            "plan": number(r["plan"] / r["cases"]),
            "quality": number(r["quality"] / r["cases"]),
        }
        for r in summed.to_dict("records")
    ]


def _group_rows(groups: pd.DataFrame) -> list[dict[str, Any]]:
    wide = {r: groups[groups["routing"] == r].reset_index(drop=True) for r in
            ("current", "score_only", "plan")}  # fmt: skip
    rows = []
    for i, row in wide["plan"].iterrows():
        entry: dict[str, Any] = {
            "set": row["attribute_set"], "group": row["group"], "cases": int(row["cases"]),
            "status": row["status"],
        }  # fmt: skip
        for r, frame in wide.items():
            other = frame.iloc[int(str(i))]
            entry[r] = {
                "coverage": number(other["coverage"]),
                "quality": number(other["quality_coverage"]),
                "caught": number(other["errors_caught"]),
                "caught_low": number(other["errors_caught_low"]),
                "caught_high": number(other["errors_caught_high"]),
                "residual": number(other["residual_rate"]),
                "low": number(other["residual_low"]),
                "high": number(other["residual_high"]),
            }
        rows.append(entry)
    return rows


def plan_view(result: AuditResult) -> dict[str, Any]:
    """The section's view model (``available`` False, with the reason, when no plan can be made)."""
    try:
        plan = result.review_plan()
    except FairloopError as exc:
        return {"available": False, "reason": str(exc)}
    worst, diff = plan.comparison["worst"], plan.comparison["difference"]
    names = {"current": "the current routing", "score_only": "score-only routing",
             "plan": "the plan"}  # fmt: skip
    sentences = [
        f"At a budget of {fmt_rate(plan.budget_share)} of cases ({plan.budget_cases:,.0f} "
        f"reviewed over the log's period; {plan.comparison['budget']}), with every group "
        f"reviewed at least {fmt_rate(plan.floor)} of the time:"
    ]
    for r in ("current", "score_only", "plan"):
        w = worst[r]
        others = w["candidates"][1:]
        shown = ", ".join(others[:_NAMED]) + (
            f" and {len(others) - _NAMED} more" if len(others) > _NAMED else ""
        )
        close = (
            f" (though {len(others)} other group(s) may be the worst as well: none is "
            f"below another with confidence: {shown})"
            if others
            else ""
        )
        sentences.append(
            f"under {names[r]} the group left with the most model errors is {w['group']}"
            f"{close}, with {fmt_rate(w['residual_rate'])} of its cases wrongly decided after "
            f"review {fmt_ci(w['ci_low'], w['ci_high'])}; {w['errors_caught']:,.0f} model "
            "errors would be caught in all."
        )
    for r in ("score_only", "current"):
        d = diff[r]
        verdict = (
            "lower"
            if d["ci_low"] > 0
            else "higher"
            if d["ci_high"] < 0
            else "not measurably different"
        )
        sentences.append(
            f"Against {names[r]}, the plan's worst group residual error is {verdict}: "
            f"{fmt_points(-d['value'])} {fmt_ci(-d['ci_high'], -d['ci_low'], 'points')}."
        )
    precision = plan.precision
    sizes: list[dict[str, Any]] = []
    for metric in plan.options.metrics:
        table = result.sample_size(metric, gap=plan.options.gap, power=plan.options.power,
                                   alpha=plan.options.alpha)  # fmt: skip
        sizes.extend(
            {
                "metric": METRICS[metric].title,
                "group": r["group"],
                "n": number(r["n"]),
                "power": number(r["power"]),
                "needed": number(r["needed"]),
                "needed_reviewed": number(r["needed_reviewed"]),
                "more": number(r["more_reviewed"]),
                "status": r["status"],
            }
            for r in table.to_dict("records")
            if " & " not in str(r["attribute_set"])
        )
    return {
        "available": True,
        "sentences": sentences,
        "warnings": list(plan.warnings),
        "routing": _routing_rows(plan.units),
        "groups": _group_rows(plan.groups),
        "precision": [
            {
                "group": r["group"],
                "metric": METRICS[str(r["metric"])].title,
                "planned": number(r["planned"]),
                "needed": number(r["needed"]),
                "power": number(r["power"]),
                "half_width": number(r["half_width"]),
                "status": r["status"],
            }
            for r in precision.to_dict("records")
        ],
        "sizes": sizes,
        "gap": plan.options.gap,
        "power": plan.options.power,
        "alpha": plan.options.alpha,
        "methods": plan.methods,
        "units": len(plan.units),
    }

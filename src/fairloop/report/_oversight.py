"""Human oversight and trends, computed on the count cube for the report.

Override rates by group come from the audit's metrics; reviewer-level figures and the
automation-bias indicators from the cube's reviewer key; trends from its window key. Every
rate carries its interval; nothing here reads the rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from fairloop.metrics import compute_rates, group_table, metrics_frame, primary_rows
from fairloop.report._filters import number
from fairloop.report._plots import dot_chart, line_chart
from fairloop.vocabulary import MISSING_GROUP, OVERALL, set_name, token

if TYPE_CHECKING:
    from fairloop._audit import AuditResult
    from fairloop.config import AuditConfig

__all__ = ["TREND_METRICS", "oversight_view", "trends_view"]

TREND_METRICS = ("selection_rate", "false_positive_rate", "false_negative_rate", "override_rate")
#: A reviewer overrides "far less than peers" when the upper end of their override rate's
#: interval is below this share of everyone's override rate (an engineering choice).
LOW_OVERRIDE_SHARE = 0.5
#: Overrides go "mostly" one way when that direction is this many times the other.
DIRECTION_RATIO = 1.5


def _direction(to_good: float | None, to_bad: float | None) -> str:
    """Which way overrides go: "both ways" unless one is DIRECTION_RATIO times the other."""
    if to_good is None or to_bad is None or to_good + to_bad == 0:
        return "–"
    if to_good >= DIRECTION_RATIO * to_bad:
        return "mostly to favourable"
    if to_bad >= DIRECTION_RATIO * to_good:
        return "mostly to unfavourable"
    return "both ways"


def override_directions(config: AuditConfig) -> tuple[str, str]:
    """The metrics of overrides to the favourable and to the unfavourable decision."""
    to_pos, to_neg = "override_to_positive_rate", "override_to_negative_rate"
    return (to_pos, to_neg) if config.favourable_is_positive else (to_neg, to_pos)


def _metric_rows(result: AuditResult, attribute: str, metric: str) -> pd.DataFrame:
    m = primary_rows(result.metrics)
    return m[(m["attribute_set"] == attribute) & (m["metric"] == metric)]


def oversight_view(result: AuditResult, charts: list[dict[str, Any]]) -> dict[str, Any]:
    """Override rates and direction by group, reviewer patterns, automation-bias indicators."""
    config, cube = result.config, result.cube.without_windows()
    groups = []
    for attribute in config.sensitive:
        base = _metric_rows(result, attribute, "override_rate").reset_index(drop=True)
        good, bad = override_directions(config)
        up = _metric_rows(result, attribute, good).reset_index(drop=True)
        down = _metric_rows(result, attribute, bad).reset_index(drop=True)
        rows: list[dict[str, Any]] = []
        for i in range(len(base)):
            to_good, to_bad = number(up.loc[i, "value"]), number(down.loc[i, "value"])
            direction = _direction(to_good, to_bad)
            rows.append(
                {
                    "group": str(dict(base["attributes"].iloc[i]).get(attribute, "")),
                    "reviewed": base.loc[i, "denominator"],
                    "status": base.loc[i, "status"],
                    "override": number(base.loc[i, "value"]),
                    "low": number(base.loc[i, "ci_low"]),
                    "high": number(base.loc[i, "ci_high"]),
                    "to_favourable": to_good,
                    "to_unfavourable": to_bad,
                    "direction": direction,
                }
            )
        if not rows:
            continue
        chart_id = f"fig-{len(charts)}"
        charts.append(
            {
                "id": chart_id,
                "spec": dot_chart(
                    f"Override rate by {attribute}",
                    [r["group"] for r in rows],
                    [
                        {
                            "name": "override to favourable",
                            "values": [number(v) for v in up["value"]],
                            "lows": [number(v) for v in up["ci_low"]],
                            "highs": [number(v) for v in up["ci_high"]],
                        },
                        {
                            "name": "override to unfavourable",
                            "values": [number(v) for v in down["value"]],
                            "lows": [number(v) for v in down["ci_low"]],
                            "highs": [number(v) for v in down["ci_high"]],
                        },
                    ],
                    y_title="share of reviewed cases",
                ),
            }
        )
        groups.append({"attribute": attribute, "rows": rows, "chart": chart_id})
    reviewers: list[dict[str, Any]] = []
    indicators: dict[str, Any] = {}
    table = result.reviewers
    if cube.reviewer is not None and len(table):
        overall = float(table["overrides"].sum() / table["reviewed"].sum())
        enough = (table["reviewed"] >= config.min_denominator).to_numpy()
        never = enough & (table["overrides"] == 0).to_numpy()
        # within case mix: a reviewer handed the easy cases is not taken for a rubber stamp
        adjusted_high = table["adjusted_ci_high"].to_numpy(dtype=float)
        far_less = enough & (adjusted_high < LOW_OVERRIDE_SHARE * overall) & ~never
        for j, row in enumerate(table.to_dict("records")):
            rate = float(row["rate"])
            reviewers.append(
                {
                    "reviewer": str(row["reviewer"]),
                    "reviewed": int(row["reviewed"]),
                    "overrides": int(row["overrides"]),
                    "rate": rate,
                    "low": float(row["ci_low"]),
                    "high": float(row["ci_high"]),
                    "agree": 1 - rate,
                    "expected": number(row["expected_rate"]),
                    "adjusted": number(row["adjusted_rate"]),
                    "adjusted_low": number(row["adjusted_ci_low"]),
                    "adjusted_high": number(row["adjusted_ci_high"]),
                    "insufficient": bool(not enough[j]),
                    "signal": "never overrides"
                    if never[j]
                    else "overrides far less than peers"
                    if far_less[j]
                    else "",
                }
            )
        reviewed = table["reviewed"].to_numpy(dtype=float)
        indicators = {
            "overall_rate": overall,
            "reviewers": len(table),
            "never": int(never.sum()),
            "far_less": int(far_less.sum()),
            "share_of_reviews": float(reviewed[never | far_less].sum() / reviewed.sum()),
            "threshold": LOW_OVERRIDE_SHARE,
        }
    reviewer_flags = []
    if cube.reviewer is not None and len(result.flags):
        for record in result.flags.to_dict("records"):
            if cube.reviewer in (record.get("subgroup") or {}):
                reviewer_flags.append(record)
    return {
        "groups": groups,
        "transitions": _transition_tables(result) if config.many_values else [],
        "reviewers": reviewers,
        "indicators": indicators,
        "reviewer_flags": reviewer_flags,
        "has_reviewer": cube.reviewer is not None,
        "reviewed": cube.n_reviewed,
        "agreement": _agreement_rows(result),
    }


def _agreement_rows(result: AuditResult) -> dict[str, Any]:
    """Agreement between people who judged the same case, per group, and the pairs' spread."""
    table = result.agreement
    if table.empty:
        return {"available": False}
    rows = [
        {
            "group": r["group"],
            "cases": r["cases"],
            "judgments": r["judgments"],
            "observed": number(r["observed_agreement"]),
            "fleiss": number(r["fleiss_kappa"]),
            "fleiss_low": number(r["fleiss_kappa_ci_low"]),
            "fleiss_high": number(r["fleiss_kappa_ci_high"]),
            "gwet": number(r["gwet_ac1"]),
            "gwet_low": number(r["gwet_ac1_ci_low"]),
            "gwet_high": number(r["gwet_ac1_ci_high"]),
            "status": r["status"],
        }
        for r in table.to_dict("records")
        if r["attribute_set"] == "(all)" or r["attribute_set"] in result.config.sensitive
    ]
    pairs = result.reviewer_pairs
    kappas = pairs["cohen_kappa"].dropna() if len(pairs) else pd.Series(dtype=float)
    return {
        "available": True,
        "rows": rows,
        "pairs": len(pairs),
        "pair_median": number(kappas.median()) if len(kappas) else None,
        "pair_low": number(kappas.quantile(0.1)) if len(kappas) else None,
        "pair_high": number(kappas.quantile(0.9)) if len(kappas) else None,
    }


def _transition_tables(result: AuditResult) -> list[dict[str, Any]]:
    """Per sensitive attribute and group: reviewed cases by the model's and the human's value."""
    table = result.transitions
    values = [token(v) for v in result.config.values or ()]
    out = []
    for attribute, part in table.groupby("attribute", sort=False):
        groups = []
        for group, cells in part.groupby("group", sort=True):
            counts = {(m, h): int(n) for m, h, n in zip(cells["model"], cells["human"],
                                                         cells["n"], strict=True)}  # fmt: skip
            seen = [*values, *sorted({*cells["model"], *cells["human"]} - set(values))]
            groups.append({
                "group": str(group),
                "labels": seen,
                "rows": [[m, *(counts.get((m, h), 0) for h in seen)] for m in seen],
                "changed": sum(n for (m, h), n in counts.items() if m != h),
                "reviewed": sum(counts.values()),
            })  # fmt: skip
        out.append({"attribute": str(attribute), "groups": groups})
    return out


def window_series(
    rows: pd.DataFrame, labels: pd.Series, windows: list[str]
) -> list[dict[str, Any]]:
    """One line per group: its value and interval in each window (gaps where it has none).

    Parameters
    ----------
    rows : pandas.DataFrame
        Tidy metric rows of one metric, with a ``window`` column.
    labels : pandas.Series
        Each row's group name (one line per distinct name, in order of appearance).
    windows : list of str
        The windows of the x axis.
    """
    series = []
    for name in dict.fromkeys(labels):
        g = rows[labels == name].set_index("window").reindex(windows)
        series.append(
            {
                "name": str(name),
                "values": [number(v) for v in g["value"]],
                "lows": [number(v) for v in g["ci_low"]],
                "highs": [number(v) for v in g["ci_high"]],
            }
        )
    return series


def trends_view(result: AuditResult, charts: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics by time window, overall and per sensitive group, with intervals."""
    config, cube = result.config, result.cube
    if cube.window is None:
        return {"available": False, "windows": [], "charts": [], "unit": config.window}
    window = cube.window
    sets = [(window,)] + [(window, a) for a in config.sensitive]
    table = group_table(cube, sets)
    frame = metrics_frame(table, compute_rates(table, config), TREND_METRICS)
    keys = frame["attributes"].map(lambda a: a.get(window))
    frame = frame[keys != MISSING_GROUP].assign(window=keys)
    windows = sorted(frame["window"].unique().tolist())
    out = []
    for metric in TREND_METRICS:
        part = frame[frame["metric"] == metric]
        for attribute in (OVERALL, *config.sensitive):
            name = set_name([window] if attribute == OVERALL else [window, attribute])
            rows = part[part["attribute_set"] == name]
            if rows.empty:
                continue
            label = rows["attributes"].map(lambda a, at=attribute: a.get(at, "everyone"))
            series = window_series(rows, label, windows)
            chart_id = f"fig-{len(charts)}"
            title = f"{metric.replace('_', ' ')} by {config.window}" + (
                "" if attribute == OVERALL else f" and {attribute}"
            )
            charts.append({"id": chart_id, "spec": line_chart(title, windows, series)})
            out.append({"metric": metric, "attribute": attribute, "chart": chart_id})
    return {"available": len(windows) > 0, "windows": windows, "charts": out, "unit": config.window}

"""The report's views of how cases reached a human and of the model's score by group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from fairloop.report._filters import number
from fairloop.report._plots import PALETTE, dot_chart, error_bars
from fairloop.vocabulary import REVIEWED, SCORE_METRICS

if TYPE_CHECKING:
    from fairloop._audit import AuditResult

__all__ = ["roc_chart", "roc_curve", "score_view", "selection_view"]

_FACTORS = {"score": "score band", "decision": "model decision", "group": "sensitive group"}


def selection_view(result: AuditResult) -> dict[str, Any]:
    """How cases reached a human: the tests of selection, the estimator and its reason."""
    selection = result.selection
    if selection is None:
        return {"available": False}
    tests = [
        {
            "factor": _FACTORS.get(str(r["factor"]), str(r["factor"])),
            "attribute": str(r["attribute"]),
            "p_value": number(r["p_value"]),
            "lowest": number(r["lowest_rate"]),
            "highest": number(r["highest_rate"]),
            "depends": bool(r["depends"]),
        }
        for r in selection.tests.to_dict("records")
    ]
    left_out = selection.left_out
    reasons = []
    if result.cube.reasons is not None and len(result.cube.reasons):
        table = result.cube.reasons
        for attribute, part in table.groupby("attribute", sort=False):
            wide = part.pivot_table(index="group", columns="reason", values="n", aggfunc="sum",
                                    fill_value=0)  # fmt: skip
            reasons.append({
                "attribute": str(attribute),
                "reasons": [str(c) for c in wide.columns],
                "rows": [[str(g), *(int(v) for v in row)] for g, row in zip(wide.index,
                                                                           wide.to_numpy(),
                                                                           strict=True)],
            })  # fmt: skip
    return {
        "available": True,
        "estimator": selection.estimator,
        "weighted": selection.estimator != REVIEWED,
        "reason": selection.reason,
        "warning": selection.warning(),
        "tests": tests,
        # counts below suppress_below are withheld ("<k"): they are not added up
        "left_out": int(sum(v for v in left_out["cases"] if isinstance(v, int)))
        if len(left_out)
        else 0,
        "left_out_strata": len(left_out),
        "reasons": reasons,
    }


def roc_chart(title: str, curves: list[dict[str, Any]]) -> dict[str, Any]:
    """ROC curves, one line per group, each point with its two intervals, and chance.

    Each curve has ``name``, ``x`` and ``y`` and, optionally, ``x_low``, ``x_high``,
    ``y_low`` and ``y_high`` (the false and true positive rates' interval bounds).
    """
    data: list[dict[str, Any]] = []
    for i, c in enumerate(curves):
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines+markers",
            "name": c["name"],
            "x": c["x"],
            "y": c["y"],
            "line": {"color": PALETTE[i % len(PALETTE)], "shape": "linear"},
            "marker": {"size": 4},
        }
        if "y_low" in c:
            trace["error_y"] = error_bars(c["y"], c["y_low"], c["y_high"])
            trace["error_x"] = error_bars(c["x"], c["x_low"], c["x_high"])
        data.append(trace)
    data.append({"type": "scatter", "mode": "lines", "name": "chance", "x": [0, 1],
                 "y": [0, 1], "line": {"dash": "dot", "color": "#999999"}})  # fmt: skip
    layout = {
        "title": {"text": title, "font": {"size": 15}},
        "height": 380,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 80},
        "xaxis": {"title": {"text": "false positive rate"}, "range": [0, 1]},
        "yaxis": {"title": {"text": "true positive rate"}, "range": [0, 1]},
        "legend": {"orientation": "h", "y": -0.25},
        "template": "plotly_white",
    }
    return {"data": data, "layout": layout}


def roc_curve(name: str, points: pd.DataFrame) -> dict[str, Any]:
    """One group's ROC points with their intervals, for :func:`roc_chart`."""
    out: dict[str, Any] = {"name": name}
    for key, column in (("x", "false_positive_rate"), ("y", "true_positive_rate")):
        out[key] = [number(v) for v in points[column]]
        out[f"{key}_low"] = [number(v) for v in points[f"{column}_ci_low"]]
        out[f"{key}_high"] = [number(v) for v in points[f"{column}_ci_high"]]
    return out


def score_view(result: AuditResult, charts: list[dict[str, Any]]) -> dict[str, Any]:
    """ROC AUC and calibration by group, with their charts (one block per attribute)."""
    if result.calibration.empty:
        return {"available": False, "blocks": []}
    m = result.metrics[result.metrics["metric"].isin(list(SCORE_METRICS))]
    blocks = []
    for attribute in result.config.sensitive:
        part = m[m["attribute_set"] == attribute]
        rows: dict[str, dict[str, Any]] = {}
        for r in part.to_dict("records"):
            group = str(dict(r["attributes"]).get(attribute, r["group"]))
            cells = rows.setdefault(group, {"group": group, "n": r["n"], "cells": {}})["cells"]
            cells[r["metric"]] = {"value": number(r["value"]), "low": number(r["ci_low"]),
                                  "high": number(r["ci_high"]), "status": r["status"]}  # fmt: skip
        calibration = result.calibration[result.calibration["attribute_set"] == attribute]
        bands = list(dict.fromkeys(calibration["band"]))
        series = []
        for name, part in calibration.groupby("group", sort=False):
            g = part.set_index("band").reindex(bands)
            series.append({
                "name": str(name), "x": bands,
                "values": [number(v) for v in g["observed"]],
                "lows": [number(v) for v in g["ci_low"]],
                "highs": [number(v) for v in g["ci_high"]],
                "hover": [f"mean score {v:.3f}" if pd.notna(v) else "" for v in g["mean_score"]],
            })  # fmt: skip
        series.append({"name": "mean score", "x": bands,
                       "values": [number(v) for v in calibration.groupby("band", sort=False)
                                  ["mean_score"].mean().reindex(bands)],
                       "lows": [None] * len(bands), "highs": [None] * len(bands)})  # fmt: skip
        cal_id = f"fig-{len(charts)}"
        charts.append({"id": cal_id, "spec": dot_chart(
            f"Calibration by {attribute}: share decided positive per score band", bands, series,
            y_title="share the human decided positive")})  # fmt: skip
        roc = result.roc[result.roc["attribute_set"] == attribute]
        curves = [roc_curve(str(name), g) for name, g in roc.groupby("group", sort=False)]
        roc_id = f"fig-{len(charts)}"
        charts.append({"id": roc_id, "spec": roc_chart(f"ROC by {attribute}", curves)})
        blocks.append({"attribute": attribute, "rows": list(rows.values()),
                       "calibration_chart": cal_id, "roc_chart": roc_id})  # fmt: skip
    return {"available": True, "blocks": blocks, "metrics": list(SCORE_METRICS)}

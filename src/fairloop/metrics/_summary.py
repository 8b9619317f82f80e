"""The summary figures fairlearn users know, and the four-fifths check, per attribute set."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairloop.metrics._groups import GroupTable
from fairloop.metrics._rates import Rates
from fairloop.stats import bh, margin_pvalue, ratio_interval
from fairloop.vocabulary import INSUFFICIENT_CODE, OK_CODE, STATUS_ORDER, SUPPRESSED_CODE

__all__ = ["FOUR_FIFTHS", "summary_figures"]

#: The EEOC's four-fifths threshold on selection-rate ratios (an engineering screen, not a
#: legal test).
FOUR_FIFTHS = 0.8


#: The metrics each summary figure is read from (their between_groups rows).
_FIGURE_METRICS: dict[str, tuple[str, ...]] = {
    "demographic_parity_difference": ("selection_rate",),
    "demographic_parity_ratio": ("selection_rate",),
    "equal_opportunity_difference": ("true_positive_rate",),
    "equal_opportunity_ratio": ("true_positive_rate",),
    "equalized_odds_difference": ("true_positive_rate", "false_positive_rate"),
    "equalized_odds_ratio": ("true_positive_rate", "false_positive_rate"),
}


def summary_figures(
    table: GroupTable,
    rates: Rates,
    between: pd.DataFrame,
    *,
    confidence_level: float,
    fdr: float,
    favourable_rate: str = "selection_rate",
) -> dict[str, dict[str, Any]]:
    """Named summary figures for each attribute set (each attribute and intersection).

    The differences and ratios are fairlearn's ``between_groups`` figures (max - min,
    min / max) over the groups whose figures are not suppressed; a figure whose highest or
    lowest group has too few cases (status ``insufficient``) is kept, as fairlearn would
    compute it, and named in ``on_insufficient_groups``:
    ``demographic_parity_*`` on selection_rate, ``equal_opportunity_*`` on
    true_positive_rate, ``equalized_odds_*`` the worse of true_positive_rate and
    false_positive_rate.

    Parameters
    ----------
    table : GroupTable
        Stacked group counts.
    rates : Rates
        Metric values per group (all metrics).
    between : pandas.DataFrame
        The ``between_groups`` rows of the disparities, for every metric.
    confidence_level : float
        Level of the ratio intervals in the four-fifths check.
    fdr : float
        False discovery rate of the four-fifths check's failing verdicts, over every group
        of every attribute set (as the policy verdicts).
    favourable_rate : str, default="selection_rate"
        The metric the four-fifths check compares: the share of cases decided favourably
        for the person (``negative_rate`` when the positive value is unfavourable).

    Returns
    -------
    dict
        Attribute-set name -> figures.
    """
    out: dict[str, dict[str, Any]] = {}
    sr = rates.column("selection_rate")
    lookup = {
        (s, m): (d, r)
        for s, m, d, r in zip(between["attribute_set"], between["metric"],
                              between["difference"], between["ratio"], strict=True)
    }  # fmt: skip
    weak = {
        (s, m)
        for s, m, st in zip(between["attribute_set"], between["metric"], between["status"],
                            strict=True)
        if st != STATUS_ORDER[OK_CODE]
    }  # fmt: skip
    nan = (float("nan"), float("nan"))
    for s, rows in enumerate(table.set_slices()):
        if s == 0:
            continue
        name = table.set_name(s)
        dp_d, dp_r = lookup.get((name, "selection_rate"), nan)
        tpr_d, tpr_r = lookup.get((name, "true_positive_rate"), nan)
        fpr_d, fpr_r = lookup.get((name, "false_positive_rate"), nan)
        out[name] = {
            "attributes": list(table.sets[s]),
            "demographic_parity_difference": dp_d,
            "demographic_parity_ratio": dp_r,
            "equal_opportunity_difference": tpr_d,
            "equal_opportunity_ratio": tpr_r,
            "equalized_odds_difference": float(np.fmax(tpr_d, fpr_d)),
            "equalized_odds_ratio": float(np.fmin(tpr_r, fpr_r)),
            "groups_suppressed": int((rates.status[rows, sr] == SUPPRESSED_CODE).sum()),
            "on_insufficient_groups": [
                figure
                for figure, metrics in _FIGURE_METRICS.items()
                if any((name, m) in weak for m in metrics)
            ],
            "four_fifths_rule": _four_fifths(table, rates, rows, confidence_level, favourable_rate),
        }
    _settle_four_fifths(out, fdr=fdr)
    return out


def _four_fifths(
    table: GroupTable, rates: Rates, rows: slice, confidence_level: float, metric: str
) -> dict[str, Any]:
    sr = rates.column(metric)
    idx = np.arange(rows.start, rows.stop)
    ok = idx[rates.status[idx, sr] == OK_CODE]
    not_assessed = [table.label(i) for i in idx[rates.status[idx, sr] == INSUFFICIENT_CODE]]
    result: dict[str, Any] = {
        "threshold": FOUR_FIFTHS, "metric": metric, "not_assessed": not_assessed
    }  # fmt: skip
    if len(ok) < 2 or np.nanmax(rates.value[ok, sr]) <= 0:
        result.update(
            verdict="insufficient",
            passed=None,
            reason="fewer than two groups with enough cases and a favourable decision",
            reference=None,
            lowest_ratio=None,
            groups_below=[],
            groups=[],
        )
        return result
    top = ok[int(np.argmax(rates.value[ok, sr]))]
    k, n, k_top, n_top = rates.versus(ok, np.full(len(ok), top), np.full(len(ok), sr))
    ratios = rates.value[ok, sr] / rates.value[top, sr]
    low, high = ratio_interval(k, n, k_top, n_top, confidence_level)
    # the test of "ratio >= 0.8" for the multiplicity adjustment across every verdict
    p = margin_pvalue(k, n, k_top, n_top, low=FOUR_FIFTHS, high=None, compare="ratio")
    groups: list[dict[str, Any]] = [
        {
            "group": table.label(int(i)),
            "attributes": table.attributes(int(i)),
            "ratio": float(ratios[j]),
            "ratio_ci_low": float(low[j]),
            "ratio_ci_high": float(high[j]),
            "p_value": float(p[j]) if int(i) != int(top) else float("nan"),
            "clearly_below": bool(high[j] < FOUR_FIFTHS),
        }
        for j, i in enumerate(ok)
    ]
    result.update(
        reference=table.attributes(int(top)),
        lowest_ratio=float(ratios.min()),
        groups=groups,
        groups_below=[g for g in groups if g["ratio"] < FOUR_FIFTHS],
    )
    return result


def _settle_four_fifths(summary: dict[str, dict[str, Any]], *, fdr: float) -> None:
    """Give every attribute set's four-fifths check its verdict: pass, fail or insufficient.

    From intervals, as the policy verdicts: a group *fails* when its ratio's interval lies
    wholly below 0.8 and its test (one-sided Miettinen-Nurminen score test of
    ``ratio >= 0.8``) survives Benjamini-Hochberg at ``fdr`` over every group of every
    attribute set; it *passes* when the interval lies wholly at or above 0.8. A set
    fails when any group fails, passes when every assessed group passes, and is
    insufficient otherwise (an interval straddles 0.8, or fewer than two groups are
    large enough). ``passed`` is True, False or None accordingly.

    Parameters
    ----------
    summary : dict
        Attribute-set name -> figures with ``four_fifths_rule``, changed in place.
    fdr : float
        False discovery rate of the failing verdicts.
    """
    checks = [figures["four_fifths_rule"] for figures in summary.values()]
    entries = [g for check in checks for g in check.get("groups", [])]
    q = bh([g["p_value"] for g in entries])
    for g, q_value in zip(entries, q, strict=True):
        g["q_value"] = float(q_value)
        g["verdict"] = (
            "reference"  # the highest-rate group the others are measured against
            if np.isnan(g["p_value"])
            else "fail"
            if g["ratio_ci_high"] < FOUR_FIFTHS and q_value <= fdr
            else "pass"
            if g["ratio_ci_low"] >= FOUR_FIFTHS
            else "insufficient"
        )
    for check in checks:
        groups = check.get("groups", [])
        if not groups:
            continue
        verdicts = {g["verdict"] for g in groups} - {"reference"}
        verdict = (
            "fail" if "fail" in verdicts else "pass" if verdicts == {"pass"} else "insufficient"
        )
        check["verdict"] = verdict
        check["passed"] = {"pass": True, "fail": False}.get(verdict)
        check["reason"] = {
            "fail": f"a group's ratio interval lies wholly below {FOUR_FIFTHS:g} (after "
            "Benjamini-Hochberg over every group's check)",
            "pass": f"every assessed group's ratio interval lies at or above {FOUR_FIFTHS:g}",
            "insufficient": f"a group's ratio interval straddles {FOUR_FIFTHS:g}, or lies below "
            "it but not after adjusting for the number of groups checked",
        }[verdict]

"""The summary figures fairlearn users know, and the four-fifths check, per attribute set."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairloop.metrics._groups import GroupTable
from fairloop.metrics._rates import Rates
from fairloop.stats import ratio_interval

__all__ = ["FOUR_FIFTHS", "summary_figures"]

#: The EEOC's four-fifths threshold on selection-rate ratios (an engineering screen, not a
#: legal test).
FOUR_FIFTHS = 0.8


def summary_figures(
    table: GroupTable, rates: Rates, between: pd.DataFrame, *, confidence_level: float
) -> dict[str, dict[str, Any]]:
    """Named summary figures for each attribute set (each attribute and intersection).

    The differences and ratios are fairlearn's ``between_groups`` figures (max - min,
    min / max) over the groups whose figures are not suppressed:
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
            "groups_suppressed": int((rates.status[rows, sr] == 2).sum()),
            "four_fifths_rule": _four_fifths(table, rates, rows, confidence_level),
        }
    return out


def _four_fifths(
    table: GroupTable, rates: Rates, rows: slice, confidence_level: float
) -> dict[str, Any]:
    sr = rates.column("selection_rate")
    idx = np.arange(rows.start, rows.stop)
    ok = idx[rates.status[idx, sr] == 0]
    not_assessed = [table.label(i) for i in idx[rates.status[idx, sr] == 1]]
    result: dict[str, Any] = {"threshold": FOUR_FIFTHS, "not_assessed": not_assessed}
    if len(ok) < 2 or np.nanmax(rates.value[ok, sr]) <= 0:
        result.update(
            passed=None,
            reason="fewer than two groups with enough cases and a favourable decision",
            reference=None,
            lowest_ratio=None,
            groups_below=[],
        )
        return result
    top = ok[int(np.argmax(rates.value[ok, sr]))]
    k, n = rates.numerator[ok, sr], rates.denominator[ok, sr]
    ratios = rates.value[ok, sr] / rates.value[top, sr]
    low, high = ratio_interval(k, n, rates.numerator[top, sr], rates.denominator[top, sr],
                               confidence_level)  # fmt: skip
    below = [
        {
            "group": table.label(int(i)),
            "attributes": table.attributes(int(i)),
            "ratio": float(ratios[j]),
            "ratio_ci_low": float(low[j]),
            "ratio_ci_high": float(high[j]),
            "clearly_below": bool(high[j] < FOUR_FIFTHS),
        }
        for j, i in enumerate(ok)
        if ratios[j] < FOUR_FIFTHS
    ]
    result.update(
        passed=not below,
        reference=table.attributes(int(top)),
        lowest_ratio=float(ratios.min()),
        groups_below=below,
    )
    return result

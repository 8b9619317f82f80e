"""Policy verdicts: every group of the audit against every configured tolerance, by interval.

A verdict is read from the interval of the measure, never from its point estimate. An
audit gives thousands of verdicts (every group and intersection, every rule), so a
``flag`` also needs its test to survive Benjamini-Hochberg over all of them: the test of
the interval null "the measure lies inside the tolerance" (one-sided
Miettinen-Nurminen score tests at the bounds; for a comparison with the whole population
the bounds are carried to the group-against-complement scale, where the test is made).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.config import PolicyRule
from fairloop.stats import bh, margin_pvalue
from fairloop.vocabulary import FLAG, INSUFFICIENT, OVERALL, PASS

__all__ = ["policy_verdicts"]

VERDICT_COLUMNS = [
    "rule", "metric", "measure", "compare", "min", "max", "attribute_set", "group",
    "attributes", "reference_group", "value", "reference_value", "estimate", "ci_low",
    "ci_high", "difference_ci_low", "difference_ci_high", "n", "p_value", "q_value", "verdict",
    "reason",
]  # fmt: skip
#: How a verdict's multiplicity is controlled, as the methods note and the report say it.
VERDICT_ADJUSTMENT = (
    "a flag needs the measure's interval wholly outside the tolerance and the test of "
    "'inside the tolerance' (one-sided Miettinen-Nurminen score tests at the bounds) to "
    "survive Benjamini-Hochberg over every verdict of every rule; a pass is read from the "
    "group's own interval"
)


def _counts(
    metrics: pd.DataFrame, groups: NDArray[np.object_], metric: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Effective numerator and denominator of a metric per named group (NaN where withheld)."""
    rows = metrics[metrics["metric"] == metric]
    deff = rows["design_effect"].to_numpy(float)
    num = dict(zip(rows["group"], rows["numerator"].to_numpy(float) / deff, strict=True))
    den = dict(zip(rows["group"], rows["denominator"].to_numpy(float) / deff, strict=True))

    def get(table: dict[object, Any], g: object) -> float:
        value = table.get(g)
        return float("nan") if value is None or value is pd.NA else float(value)

    return (
        np.asarray([get(num, g) for g in groups], dtype=float),
        np.asarray([get(den, g) for g in groups], dtype=float),
    )


def _verdict_pvalues(
    rows: pd.DataFrame, rule: PolicyRule, metrics: pd.DataFrame
) -> NDArray[np.float64]:
    """p-value of "the measure lies inside the tolerance" for each group of a rule."""
    compare = "diff" if rule.measure == "difference" else "ratio"
    low = None if rule.min is None else np.full(len(rows), float(rule.min))
    high = None if rule.max is None else np.full(len(rows), float(rule.max))
    if rule.compare == "reference":
        k1, n1 = _counts(metrics, rows["group"].to_numpy(), rule.metric)
        k2, n2 = _counts(metrics, rows["reference_group"].to_numpy(), rule.metric)
    else:
        total = metrics[(metrics["metric"] == rule.metric) & (metrics["group"] == OVERALL)]
        total_k = float(total["numerator"].iloc[0]) if len(total) else np.nan
        total_n = float(total["denominator"].iloc[0]) if len(total) else np.nan
        own = metrics[metrics["metric"] == rule.metric].set_index("group")
        group_n = own["denominator"].reindex(rows["group"]).to_numpy(float)
        group_k = own["numerator"].reindex(rows["group"]).to_numpy(float)
        gap_deff = own["gap_design_effect"].reindex(rows["group"]).to_numpy(float)
        k1, n1 = group_k / gap_deff, group_n / gap_deff
        k2, n2 = (total_k - group_k) / gap_deff, (total_n - group_n) / gap_deff
        with np.errstate(divide="ignore", invalid="ignore"):
            w = group_n / total_n  # the group's share of the denominator

        def to_complement(bound: NDArray[np.float64]) -> NDArray[np.float64]:
            # g - overall = (1 - w)(g - c);  g / overall = r / (w r + 1 - w), r = g / c
            with np.errstate(divide="ignore", invalid="ignore"):
                if compare == "diff":
                    return np.asarray(bound / (1 - w), dtype=np.float64)
                return np.where(1 - bound * w > 0, bound * (1 - w) / (1 - bound * w), np.inf)

        low = None if low is None else to_complement(low)
        high = None if high is None else to_complement(high)
    valid = ~np.isnan(k1) & ~np.isnan(k2) & (n1 > 0) & (n2 > 0)
    p = np.full(len(rows), np.nan)
    if valid.any():
        p[valid] = margin_pvalue(
            k1[valid], n1[valid], k2[valid], n2[valid],
            low=None if low is None else low[valid],
            high=None if high is None else high[valid],
            compare=compare,
        )  # fmt: skip
    return p


def policy_verdicts(
    disparities: pd.DataFrame,
    rules: tuple[PolicyRule, ...],
    metrics: pd.DataFrame,
    *,
    fdr: float,
) -> pd.DataFrame:
    """Give every group a verdict per rule: pass, flag or insufficient evidence.

    ``pass`` when the measure's interval lies inside [min, max], ``flag`` when it lies
    wholly outside and its test survives Benjamini-Hochberg at ``fdr`` over every verdict,
    ``insufficient evidence`` when it straddles a bound, when it lies outside but not
    after that adjustment, when the group is too small (status insufficient or
    suppressed) or when the measure is undefined.
    With ``compare = "reference"`` the reference group itself gets the verdict
    ``reference``: it is what the others are measured against.

    Parameters
    ----------
    disparities : pandas.DataFrame
        The audit's disparity rows for every metric.
    rules : tuple of PolicyRule
        The tolerances.
    metrics : pandas.DataFrame
        The audit's metrics table (the counts the verdicts' tests are made on).
    fdr : float, default=0.05
        False discovery rate of the flag verdicts.

    Returns
    -------
    pandas.DataFrame
        One row per (rule, group).
    """
    parts = []
    for rule in rules:
        rows = disparities[
            (disparities["comparison"] == rule.compare) & (disparities["metric"] == rule.metric)
        ]
        estimate_col = "difference" if rule.measure == "difference" else "ratio"
        estimate = rows[estimate_col].to_numpy(dtype=float)
        low = rows[f"{estimate_col}_ci_low"].to_numpy(dtype=float)
        high = rows[f"{estimate_col}_ci_high"].to_numpy(dtype=float)
        lo_bound = -np.inf if rule.min is None else rule.min
        hi_bound = np.inf if rule.max is None else rule.max
        defined = ~np.isnan(low) & ~np.isnan(high)
        small = rows["status"].to_numpy() != "ok"
        inside = defined & (low >= lo_bound) & (high <= hi_bound)
        outside = defined & ((high < lo_bound) | (low > hi_bound))
        p_value = np.where(small | ~defined, np.nan, _verdict_pvalues(rows, rule, metrics))
        verdict = np.where(
            small | ~defined,
            INSUFFICIENT,
            np.where(inside, PASS, np.where(outside, FLAG, INSUFFICIENT)),
        )
        reason = np.where(
            small,
            "too few cases (status " + rows["status"].astype(str).to_numpy() + ")",
            np.where(
                ~defined,
                "the measure is undefined for this group",
                np.where(
                    inside,
                    "the interval lies inside the tolerance",
                    np.where(outside, "the interval lies wholly outside the tolerance",
                             "the interval straddles a bound of the tolerance"),
                ),
            ),
        )  # fmt: skip
        part = pd.DataFrame(
            {
                "rule": rule.name,
                "metric": rule.metric,
                "measure": rule.measure,
                "compare": rule.compare,
                "min": rule.min,
                "max": rule.max,
                "attribute_set": rows["attribute_set"].to_numpy(),
                "group": rows["group"].to_numpy(),
                "attributes": rows["attributes"].to_numpy(),
                "reference_group": rows["reference_group"].to_numpy(),
                "value": rows["value"].to_numpy(dtype=float),
                "reference_value": rows["reference_value"].to_numpy(dtype=float),
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "difference_ci_low": rows["difference_ci_low"].to_numpy(dtype=float),
                "difference_ci_high": rows["difference_ci_high"].to_numpy(dtype=float),
                "n": rows["n"].to_numpy(),
                "p_value": p_value,
                "q_value": np.nan,
                "verdict": verdict,
                "reason": reason,
            }
        )
        if rule.compare == "reference":
            refs = rows.drop_duplicates("attribute_set")[
                ["attribute_set", "reference_group", "reference", "reference_value", "reference_n"]
            ]
            part = pd.concat(
                [
                    part,
                    pd.DataFrame(
                        {
                            "rule": rule.name, "metric": rule.metric, "measure": rule.measure,
                            "compare": rule.compare, "min": rule.min, "max": rule.max,
                            "attribute_set": refs["attribute_set"].to_numpy(),
                            "group": refs["reference_group"].to_numpy(),
                            "attributes": refs["reference"].to_numpy(),
                            "reference_group": refs["reference_group"].to_numpy(),
                            "value": refs["reference_value"].to_numpy(dtype=float),
                            "reference_value": refs["reference_value"].to_numpy(dtype=float),
                            "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                            "difference_ci_low": np.nan, "difference_ci_high": np.nan,
                            "n": refs["reference_n"].to_numpy(), "p_value": np.nan,
                            "q_value": np.nan, "verdict": "reference",
                            "reason": "the reference group the others are compared with",
                        }
                    ),
                ],
                ignore_index=True,
            )  # fmt: skip
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=VERDICT_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[VERDICT_COLUMNS]
    tested = out["p_value"].notna().to_numpy()
    if tested.any():
        q = bh(out["p_value"].to_numpy(float))
        out["q_value"] = q
        held = (out["verdict"] == FLAG).to_numpy() & ~(q <= fdr)
        out.loc[held, "verdict"] = INSUFFICIENT
        out.loc[held, "reason"] = (
            f"the interval lies outside the tolerance, but not after adjusting for the "
            f"{int(tested.sum()):,} verdicts (Benjamini-Hochberg)"
        )
    return out

"""Policy verdicts: every group of the audit against every configured tolerance, by interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairloop._flag_options import PolicyRule

__all__ = ["VERDICTS", "policy_verdicts"]

#: A verdict is read from the interval of the measure, never from its point estimate.
VERDICTS = ("pass", "flag", "insufficient evidence")

VERDICT_COLUMNS = [
    "rule", "metric", "measure", "compare", "min", "max", "attribute_set", "group",
    "attributes", "reference_group", "value", "reference_value", "estimate", "ci_low",
    "ci_high", "difference_ci_low", "difference_ci_high", "n", "p_value", "verdict", "reason",
]  # fmt: skip


def policy_verdicts(disparities: pd.DataFrame, rules: tuple[PolicyRule, ...]) -> pd.DataFrame:
    """Give every group a verdict per rule: pass, flag or insufficient evidence.

    ``pass`` when the measure's interval lies inside [min, max], ``flag`` when it lies
    wholly outside, ``insufficient evidence`` when it straddles a bound, when the group
    is too small (status insufficient or suppressed) or when the measure is undefined.
    With ``compare = "reference"`` the reference group itself gets the verdict
    ``reference``: it is what the others are measured against.

    Parameters
    ----------
    disparities : pandas.DataFrame
        The audit's disparity rows for every metric.
    rules : tuple of PolicyRule
        The tolerances.

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
        verdict = np.where(
            small | ~defined,
            "insufficient evidence",
            np.where(inside, "pass", np.where(outside, "flag", "insufficient evidence")),
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
                "p_value": rows["p_value"].to_numpy(dtype=float),
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
                            "verdict": "reference",
                            "reason": "the reference group the others are compared with",
                        }
                    ),
                ],
                ignore_index=True,
            )  # fmt: skip
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=VERDICT_COLUMNS)
    return pd.concat(parts, ignore_index=True)[VERDICT_COLUMNS]

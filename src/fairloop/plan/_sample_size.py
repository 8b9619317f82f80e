"""The auditor's sample-size calculator: "to detect a gap of X you need N; you have n".

For a metric and every group of the audit, from the audit's own figures: the group's
estimate and its complement's (everyone else's), the reviewed cases in the metric's
denominator (``n``), and the *effective* cases the audit's gap test uses, the estimate's
denominator over the gap's design effect (weighting for selective review and clustering
by reviewer or case, :mod:`fairloop.metrics._rates`). Then, with the pooled two-proportion
z-test (:func:`fairloop.stats.gap_power`, the test the audit runs):

``power``
    The chance the audit detects a gap of ``gap`` now, at the effective cases it has.
``needed``
    Effective cases the group needs for the power asked, its complement growing in
    proportion: as many reviewed cases in the denominator if they were a simple random
    sample of independent cases.
``needed_reviewed``
    Reviewed cases in the denominator needed if review keeps today's routing and
    reviewers (effective cases grow in proportion to reviewed ones): ``n needed /
    n_effective``.

The gap asked is the group's rate above its complement's (below when that would pass 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairloop.exceptions import ConfigError
from fairloop.stats import gap_power, gap_sample_size
from fairloop.vocabulary import METRICS, reviewed_metric

__all__ = ["SAMPLE_SIZE_COLUMNS", "sample_sizes"]

#: The calculator's columns.
SAMPLE_SIZE_COLUMNS = [
    "attribute_set", "group", "attributes", "metric", "value", "rest_value", "gap", "n",
    "n_effective", "design_effect", "power", "needed", "needed_reviewed", "more_reviewed",
    "status", "sentence",
]  # fmt: skip


def _float(value: object) -> float:
    """A figure as a float; NaN where it is missing (a withheld count is NA)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    return float(value)  # type: ignore[arg-type]


def _shown(metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The rows of one metric the audit shows first: weighted where weighted, else plain."""
    rows = metrics[(metrics["metric"] == metric) & (metrics["truth"] == "human")]
    if "estimator" in rows and (rows["estimator"] != "reviewed").any():
        rows = rows[rows["estimator"] != "reviewed"]
    return rows.drop_duplicates(["attribute_set", "group"])


def _reviewed(metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = metrics[(metrics["metric"] == metric) & (metrics["truth"] == "human")]
    if "estimator" in rows and (rows["estimator"] == "reviewed").any():
        rows = rows[rows["estimator"] == "reviewed"]
    return rows.drop_duplicates(["attribute_set", "group"])


def sample_sizes(
    metrics: pd.DataFrame,
    *,
    metric: str = "false_positive_rate",
    gap: float = 0.10,
    power: float = 0.8,
    alpha: float = 0.05,
    attribute_set: str | None = None,
) -> pd.DataFrame:
    """Reviewed cases each group needs to detect a gap in a metric, and what it has.

    Parameters
    ----------
    metrics : pandas.DataFrame
        The audit's metrics table (:attr:`fairloop.AuditResult.metrics`).
    metric : str, default="false_positive_rate"
        A rate of reviewed cases.
    gap : float, default=0.10
        The gap to detect, as a share (0.10 is 10 points).
    power : float, default=0.8
        The chance of detecting it.
    alpha : float, default=0.05
        The test's level (two-sided).
    attribute_set : str or None, default=None
        Only the groups of this attribute set (``race``, ``race & sex``); default every set.

    Returns
    -------
    pandas.DataFrame
        One row per group (:data:`SAMPLE_SIZE_COLUMNS`); ``sentence`` says it in words.
    """
    if metric not in METRICS or not reviewed_metric(metric):
        known = ", ".join(m for m in METRICS if reviewed_metric(m))
        raise ConfigError(
            f"{{option}} must be a rate of reviewed cases. Got {metric!r}. Known: {known}.",
            option="metric",
        )
    for name, value, high in (("gap", gap, 1.0), ("power", power, 1.0), ("alpha", alpha, 1.0)):
        if not isinstance(value, int | float) or not 0 < value < high:
            raise ConfigError(
                f"{{option}} must be a number between 0 and 1. Got {value!r}.", option=name
            )
    if power <= alpha / 2:
        raise ConfigError(
            f"{{option}} must be above half the level ({alpha / 2:g}). Got {power!r}.",
            option="power",
        )
    shown = _shown(metrics, metric)
    if not len(shown):
        raise ConfigError(
            f"{{option}}: the audit did not compute {metric!r}; add it to the audit's metrics.",
            option="metric",
        )
    overall = shown[shown["attribute_set"] == "(all)"]
    reviewed = _reviewed(metrics, metric).set_index(["attribute_set", "group"])["denominator"]
    groups = shown[shown["attribute_set"] != "(all)"]
    if attribute_set is not None:
        sets = sorted(set(groups["attribute_set"]))
        if attribute_set not in sets:
            raise ConfigError(
                f"{{option}} {attribute_set!r} is not an attribute set of the audit. Known: "
                f"{', '.join(sets)}.",
                option="attribute_set",
            )
        groups = groups[groups["attribute_set"] == attribute_set]
    k_all = _float(overall["numerator"].iloc[0]) if len(overall) else np.nan
    n_all = _float(overall["denominator"].iloc[0]) if len(overall) else np.nan
    k = pd.to_numeric(groups["numerator"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    d = pd.to_numeric(groups["denominator"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    deff = groups["gap_design_effect"].to_numpy(np.float64, na_value=np.nan)
    deff = np.where(np.isfinite(deff), np.maximum(deff, 1.0), 1.0)
    keys = pd.MultiIndex.from_arrays([groups["attribute_set"], groups["group"]])
    n = reviewed.reindex(keys).to_numpy(np.float64, na_value=np.nan)
    rest_k, rest_d = k_all - k, n_all - d
    usable = (
        (groups["status"] == "ok").to_numpy() & np.isfinite(d) & (d > 0) & (rest_d > 0)
        & np.isfinite(n) & (n > 0) & np.isfinite(k)
    )  # fmt: skip
    safe_d = np.where(usable, d, 1.0)
    own = np.where(usable, k / safe_d, np.nan)
    rest = np.where(usable, rest_k / np.where(usable, rest_d, 1.0), 0.5)
    diff = np.where(rest + gap <= 1, gap, -gap)
    n_eff = np.where(usable, safe_d / deff, np.nan)
    ratio = np.where(usable, rest_d / safe_d, 1.0)
    now = np.where(usable, gap_power(diff, rest, np.where(usable, n_eff, 1.0), ratio=ratio,
                                     alpha=alpha), np.nan)  # fmt: skip
    needed = np.where(usable, np.ceil(gap_sample_size(diff, rest, power, ratio=ratio,
                                                      alpha=alpha)), np.nan)  # fmt: skip
    needed_reviewed = np.ceil(n * needed / n_eff)
    title = METRICS[metric].title.lower()
    out = pd.DataFrame({
        "attribute_set": groups["attribute_set"].to_numpy(),
        "group": groups["group"].to_numpy(),
        "attributes": groups["attributes"].to_numpy(),
        "metric": metric, "value": own, "rest_value": np.where(usable, rest, np.nan),
        "gap": gap, "n": n, "n_effective": n_eff, "design_effect": deff, "power": now,
        "needed": needed, "needed_reviewed": needed_reviewed,
        "more_reviewed": np.maximum(0.0, needed_reviewed - n),
        "status": np.where(usable, np.where(now >= power, "enough", "more needed"),
                           "insufficient"),
    })  # fmt: skip
    out["sentence"] = [
        (
            f"To detect a gap of {gap * 100:g} points in the {title} for {g} with power "
            f"{power:g} you need {need:,.0f} reviewed cases in its denominator as a random "
            f"sample ({need_r:,.0f} under today's routing); you have {have:,.0f} (effective "
            f"{eff:,.0f}), which gives power {pw:.2f}."
        )
        if ok
        else f"{g}: too few reviewed cases to say."
        for g, ok, need, need_r, have, eff, pw in zip(
            out["group"], usable, needed, needed_reviewed, n, n_eff, now, strict=True
        )
    ]
    return out.reset_index(drop=True)[SAMPLE_SIZE_COLUMNS]

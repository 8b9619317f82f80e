"""Rates of every metric for every group at once, with intervals and small-group status."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.config import AuditConfig
from fairloop.metrics._clusters import ClusterVariance
from fairloop.metrics._groups import GroupTable
from fairloop.metrics._weighting import WeightedCounts
from fairloop.stats import proportion_interval
from fairloop.vocabulary import (
    ALL_CASES,
    INSUFFICIENT_CODE,
    METRICS,
    OK_CODE,
    REVIEWED,
    STATUS_ORDER,
    SUPPRESSED_CODE,
    cell_weights,
    reviewed_metric,
)

__all__ = ["Rates", "compute_rates", "metrics_frame", "primary_rows", "weighted_rates"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
#: Effective counts of two groups compared: k1, n1, k2, n2.
Counts = tuple[FloatArray, FloatArray, FloatArray, FloatArray]


@dataclass(frozen=True, eq=False)
class Rates:
    """Every metric of every group, as arrays of shape (groups, metrics).

    ``status`` holds indices into :data:`STATUS_ORDER`. ``design_effect`` (of each rate)
    and ``gap_design_effect`` (of each group's gap to its complement) are 1 where cases
    are independent; intervals and tests run on the counts divided by them
    (:mod:`fairloop.metrics._clusters`). ``estimators`` names how each metric is
    estimated; for weighted ones (:mod:`fairloop.metrics._weighting`) the numerator and
    denominator are weighted counts of every case, ``support`` the share of the group's
    cases they cover, and ``weighted_variance`` the (variance, binomial variance) of each
    rate, which comparisons of two groups add.
    """

    names: tuple[str, ...]
    numerator: NDArray[np.float64]
    denominator: NDArray[np.float64]
    n: NDArray[np.int64]
    value: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    status: NDArray[np.int8]
    design_effect: NDArray[np.float64]
    gap_design_effect: NDArray[np.float64]
    variance: ClusterVariance | None = None
    estimators: tuple[str, ...] = ()
    support: NDArray[np.float64] | None = None
    weighted_variance: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None

    @property
    def clusters(self) -> tuple[str, ...]:
        """What the intervals treat as clusters (``"reviewer"``, ``"case"``)."""
        return () if self.variance is None else self.variance.clusters

    def column(self, name: str) -> int:
        """Index of a metric."""
        return self.names.index(name)

    def versus_complement(self, g: IntArray, cols: IntArray) -> Counts:
        """Effective counts (k1, n1, k2, n2) of groups ``g`` against their complements."""
        deff = self.gap_design_effect[g][:, cols]
        k, n = self.numerator[g][:, cols], self.denominator[g][:, cols]
        k_all, n_all = self.numerator[0, cols], self.denominator[0, cols]
        return k / deff, n / deff, (k_all - k) / deff, (n_all - n) / deff

    def versus(self, g: IntArray, h: IntArray, m: IntArray) -> Counts:
        """Effective counts (k1, n1, k2, n2) of group ``g`` against group ``h`` (same set)."""
        shape = np.broadcast_shapes(np.shape(g), np.shape(h), np.shape(m))
        g_f, h_f, m_f = (np.broadcast_to(a, shape).ravel() for a in (g, h, m))
        deff = np.ones(g_f.size) if self.variance is None else self.variance.pair(g_f, h_f, m_f)
        if self.weighted_variance is not None:
            var, binomial = self.weighted_variance
            with np.errstate(divide="ignore", invalid="ignore"):
                both = binomial[g_f, m_f] + binomial[h_f, m_f]
                ratio = np.where(both > 0, (var[g_f, m_f] + var[h_f, m_f]) / both, 1.0)
            weighted = ~np.isnan(var[g_f, m_f])
            deff = np.where(weighted, deff * np.maximum(np.nan_to_num(ratio, nan=1.0), 1.0), deff)
        deff = deff.reshape(shape)
        return (
            self.numerator[g, m] / deff, self.denominator[g, m] / deff,
            self.numerator[h, m] / deff, self.denominator[h, m] / deff,
        )  # fmt: skip


def compute_rates(table: GroupTable, config: AuditConfig) -> Rates:
    """Compute every defined metric for every group with two matrix products.

    Parameters
    ----------
    table : GroupTable
        Stacked group counts.
    config : AuditConfig
        Interval method, confidence level and small-group thresholds.

    Returns
    -------
    Rates
    """
    names = tuple(METRICS)
    num_w, den_w = cell_weights(names)
    numerator = table.counts @ num_w
    denominator = table.counts @ den_w
    n = table.n
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(denominator > 0, numerator / denominator, np.nan)
    variance = (
        ClusterVariance(table.cube, table, names, confidence_level=config.confidence_level)
        if table.cube is not None
        else None
    )
    if variance is not None and not variance.clusters:
        variance = None
    deff = np.ones(numerator.shape) if variance is None else variance.group()
    gap = np.ones(numerator.shape) if variance is None else variance.contrast()
    low, high = proportion_interval(
        numerator, denominator, method=config.ci_method, confidence_level=config.confidence_level
    )
    clustered = deff > 1
    if clustered.any():
        # Korn and Graubard (1998): Clopper-Pearson on the effective counts
        k_low, k_high = proportion_interval(
            numerator[clustered] / deff[clustered], denominator[clustered] / deff[clustered],
            method="clopper-pearson", confidence_level=config.confidence_level,
        )  # fmt: skip
        low[clustered], high[clustered] = k_low, k_high
    insufficient = (
        (n[:, None] < config.min_group_size)
        | (denominator < config.min_denominator)
        | (denominator == 0)
    )
    status = np.where(insufficient, INSUFFICIENT_CODE, OK_CODE).astype(np.int8)
    if config.suppress_below is not None:
        status[suppressed_groups(table, config.suppress_below), :] = SUPPRESSED_CODE
    estimators = tuple(REVIEWED if reviewed_metric(m) else ALL_CASES for m in names)
    return Rates(
        names, numerator.astype(np.float64), denominator.astype(np.float64), n, value, low,
        high, status, deff, gap, variance, estimators,
    )  # fmt: skip


def weighted_rates(
    raw: Rates, weighted: WeightedCounts, estimator: str, config: AuditConfig
) -> Rates:
    """The rates with every metric of reviewed cases estimated for every case.

    Parameters
    ----------
    raw : Rates
        The rates of the reviewed cases as they are (:func:`compute_rates`).
    weighted : WeightedCounts
        The same groups' weighted figures (NaN for metrics of every case).
    estimator : str
        Its name (``post-stratified`` or ``inverse-probability``).
    config : AuditConfig
        Interval method and level.

    Returns
    -------
    Rates
        Weighted counts, values and intervals for the weighted metrics (their design
        effects those of the weighting times the clustering's); status insufficient
        where the raw figure is, or where a decision the metric counts was never
        reviewed for the group (not estimable); the other metrics as in ``raw``.
    """
    cols = np.flatnonzero(~np.isnan(weighted.numerator).all(axis=0))
    numerator, denominator = raw.numerator.copy(), raw.denominator.copy()
    value, low, high = raw.value.copy(), raw.ci_low.copy(), raw.ci_high.copy()
    deff, gap, status = raw.design_effect.copy(), raw.gap_design_effect.copy(), raw.status.copy()
    w_deff, w_gap = weighted.design_effects()
    k, n = weighted.numerator[:, cols], weighted.denominator[:, cols]
    numerator[:, cols], denominator[:, cols] = k, n
    with np.errstate(divide="ignore", invalid="ignore"):
        value[:, cols] = np.where(n > 0, k / n, np.nan)
    deff[:, cols] = raw.design_effect[:, cols] * w_deff[:, cols]
    gap[:, cols] = raw.gap_design_effect[:, cols] * w_gap[:, cols]
    d = deff[:, cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        k_low, k_high = proportion_interval(
            np.where(n > 0, k / d, 0.0), np.where(n > 0, n / d, 0.0),
            method="clopper-pearson", confidence_level=config.confidence_level,
        )  # fmt: skip
    low[:, cols], high[:, cols] = k_low, k_high
    lost = ~weighted.estimable[:, cols]
    value[:, cols] = np.where(lost, np.nan, value[:, cols])
    low[:, cols] = np.where(lost, np.nan, low[:, cols])
    high[:, cols] = np.where(lost, np.nan, high[:, cols])
    part = status[:, cols]
    status[:, cols] = np.where(lost & (part == OK_CODE), INSUFFICIENT_CODE, part)
    estimators = tuple(estimator if j in set(cols) else e for j, e in enumerate(raw.estimators))
    p = value
    with np.errstate(divide="ignore", invalid="ignore"):
        binomial = np.where(denominator > 0, p * (1 - p) / denominator, np.nan)
    variance = np.full(value.shape, np.nan)
    variance[:, cols] = weighted.variance[:, cols]
    return Rates(
        raw.names, numerator, denominator, raw.n, value, low, high, status, deff, gap,
        raw.variance, estimators, weighted.support, (variance, np.nan_to_num(binomial)),
    )  # fmt: skip


def suppressed_groups(table: GroupTable, k: int) -> NDArray[np.bool_]:
    """Choose the groups whose figures are withheld.

    Those smaller than ``k`` (primary suppression), and in any attribute set where that
    leaves exactly one group withheld, the next smallest group too (secondary
    suppression), so that the set's total cannot recover it.

    The protection is per attribute set; figures of other sets (an intersection and its
    margins) can still be combined, which the methods note states.
    """
    n = table.n
    hidden = n < k
    hidden[0] = False  # the whole population is never withheld
    for rows in table.set_slices()[1:]:
        block = np.arange(rows.start, rows.stop)
        if hidden[block].sum() == 1 and len(block) > 1:
            visible = block[~hidden[block]]
            hidden[visible[np.argmin(n[visible])]] = True
    return hidden


def metrics_frame(table: GroupTable, rates: Rates, metrics: tuple[str, ...]) -> pd.DataFrame:
    """The tidy metrics table: one row per (group, metric).

    Suppressed rows keep their identity (attributes, metric, status) and lose every
    figure, their size included.
    """
    cols = [rates.column(m) for m in metrics]
    groups = len(table)
    g = np.repeat(np.arange(groups), len(cols))
    m = np.tile(np.asarray(cols, dtype=np.int64), groups)
    status = rates.status[g, m]
    hidden = status == SUPPRESSED_CODE
    frame = pd.DataFrame(
        {
            "attribute_set": table.set_names[table.set_index[g]],
            "group": table.labels[g],
            "attributes": table.attribute_dicts[g],
            "metric": np.asarray(rates.names, dtype=object)[m],
            "value": np.where(hidden, np.nan, rates.value[g, m]),
            "ci_low": np.where(hidden, np.nan, rates.ci_low[g, m]),
            "ci_high": np.where(hidden, np.nan, rates.ci_high[g, m]),
            # weighted counts (estimates for every case) are shown rounded to cases
            "numerator": pd.array(
                np.rint(np.where(hidden, 0, rates.numerator[g, m])), dtype="Int64"
            ),
            "denominator": pd.array(
                np.rint(np.where(hidden, 0, rates.denominator[g, m])), dtype="Int64"
            ),
            "n": pd.array(np.where(hidden, 0, rates.n[g]), dtype="Int64"),
            "design_effect": np.where(hidden, np.nan, rates.design_effect[g, m]),
            "gap_design_effect": np.where(hidden, np.nan, rates.gap_design_effect[g, m]),
            "status": np.asarray(STATUS_ORDER, dtype=object)[status],
            "estimator": np.asarray(rates.estimators, dtype=object)[m],
            "support": (
                np.where(hidden, np.nan, rates.support[g, m])
                if rates.support is not None
                else np.where(
                    np.asarray(rates.estimators, dtype=object)[m] == ALL_CASES, np.nan, 1.0
                )
            ),
        }
    )
    for column in ("numerator", "denominator", "n"):
        frame.loc[hidden, column] = pd.NA
    return frame


def primary_rows(
    frame: pd.DataFrame, truth: str = "human", decision: str = "model"
) -> pd.DataFrame:
    """The metrics table with one row per (group, metric): the figure flags and verdicts use.

    Where a metric of reviewed cases is weighted to stand for every case, the audit's
    metrics table holds the weighted row first and the reviewed-only row after it
    (``estimator`` says which); this keeps the first. Rows measured against the outcome
    (``truth = "outcome"``) are left out: the audit's figures are the model's decision
    against the human's; ``truth`` and ``decision`` choose others.
    """
    if "truth" in frame:  # one truth and decision: by default the model's against the human's
        frame = frame[(frame["truth"] == truth) & (frame["decision"] == decision)]
    if "estimator" not in frame or frame.empty:
        return frame
    keys = ["attribute_set", "group", "metric"]
    return frame[~frame.duplicated(keys, keep="first")]

"""Rates of every metric for every group at once, with intervals and small-group status."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.config import AuditConfig
from fairloop.metrics._clusters import ClusterVariance
from fairloop.metrics._groups import GroupTable
from fairloop.stats import proportion_interval
from fairloop.vocabulary import (
    INSUFFICIENT_CODE,
    METRICS,
    OK_CODE,
    STATUS_ORDER,
    SUPPRESSED_CODE,
    cell_weights,
)

__all__ = ["Rates", "compute_rates", "metrics_frame"]

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
    (:mod:`fairloop.metrics._clusters`).
    """

    names: tuple[str, ...]
    numerator: NDArray[np.int64]
    denominator: NDArray[np.int64]
    n: NDArray[np.int64]
    value: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    status: NDArray[np.int8]
    design_effect: NDArray[np.float64]
    gap_design_effect: NDArray[np.float64]
    variance: ClusterVariance | None = None

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
        deff = (
            np.ones(g_f.size) if self.variance is None else self.variance.pair(g_f, h_f, m_f)
        ).reshape(shape)
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
    return Rates(names, numerator, denominator, n, value, low, high, status, deff, gap, variance)


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
            "numerator": pd.array(np.where(hidden, 0, rates.numerator[g, m]), dtype="Int64"),
            "denominator": pd.array(np.where(hidden, 0, rates.denominator[g, m]), dtype="Int64"),
            "n": pd.array(np.where(hidden, 0, rates.n[g]), dtype="Int64"),
            "design_effect": np.where(hidden, np.nan, rates.design_effect[g, m]),
            "gap_design_effect": np.where(hidden, np.nan, rates.gap_design_effect[g, m]),
            "status": np.asarray(STATUS_ORDER, dtype=object)[status],
        }
    )
    for column in ("numerator", "denominator", "n"):
        frame.loc[hidden, column] = pd.NA
    return frame

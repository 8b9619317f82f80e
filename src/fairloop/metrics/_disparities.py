"""Disparities between groups, with intervals and tests, computed for all pairs at once.

Three comparisons, as in fairlearn's ``difference``/``ratio`` and beyond:

``reference``
    each group against its attribute set's reference group (configured per
    attribute, else the largest group): difference with Newcombe's hybrid score
    interval, ratio with the Katz log interval, two-proportion test (Fisher's exact
    test for small counts);
``to_overall``
    each group against the whole population. The group is part of the whole, so
    the interval and test come from the group against its complement:
    ``g - overall = (1 - w) (g - c)`` and ``g / overall = r / (w r + 1 - w)`` with
    ``r = g / c`` and ``w`` the group's share of the denominator;
``between_groups``
    the largest against the smallest value in the set (fairlearn's max - min and
    min / max), with the interval for that pair and a chi-square test of equality
    across all the set's groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.config import AuditConfig
from fairloop.metrics._groups import GroupTable
from fairloop.metrics._rates import Rates
from fairloop.stats import (
    homogeneity_pvalue,
    newcombe_difference_interval,
    ratio_interval,
    two_proportion_pvalue,
)
from fairloop.vocabulary import (
    BETWEEN_GROUPS,
    INSUFFICIENT_CODE,
    REFERENCE,
    STATUS_ORDER,
    SUPPRESSED_CODE,
    TO_OVERALL,
)

__all__ = ["disparities_frame", "reference_groups"]

IntArray = NDArray[np.int64]

_COLUMNS = [
    "comparison", "attribute_set", "group", "attributes", "reference_group", "reference",
    "metric", "value", "reference_value", "difference", "difference_ci_low",
    "difference_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high", "p_value", "test",
    "homogeneity_p_value", "n", "reference_n", "status",
]  # fmt: skip


def reference_groups(table: GroupTable, reference: Mapping[str, str]) -> dict[int, int]:
    """Pick the reference group of each attribute set.

    The configured values if every attribute of the set has one, else the largest
    group (the first in sort order on ties).

    Returns
    -------
    dict of int to int
        Attribute set index -> group row.
    """
    out: dict[int, int] = {}
    n = table.n
    for s, rows in enumerate(table.set_slices()):
        if s == 0 or rows.stop == rows.start:
            continue
        attrs = table.sets[s]
        if all(a in reference for a in attrs):
            wanted = tuple(reference[a] for a in attrs)
            match = [i for i in range(rows.start, rows.stop) if table.values[i] == wanted]
            if match:
                out[s] = match[0]
                continue
        out[s] = rows.start + int(np.argmax(n[rows]))
    return out


def _pair_stats(
    k1: NDArray[Any], n1: NDArray[Any], k2: NDArray[Any], n2: NDArray[Any], level: float
) -> dict[str, NDArray[Any]]:
    """Difference, ratio, intervals and test of two groups from their (effective) counts."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(n1 > 0, k1 / n1, np.nan)
        p2 = np.where(n2 > 0, k2 / n2, np.nan)
        ratio = np.where(p2 > 0, p1 / p2, np.nan)
    d_low, d_high = newcombe_difference_interval(k1, n1, k2, n2, level)
    r_low, r_high = ratio_interval(k1, n1, k2, n2, level)
    p, test = two_proportion_pvalue(k1, n1, k2, n2)
    return {
        "p1": p1, "p2": p2, "difference": p1 - p2, "d_low": d_low, "d_high": d_high,
        "ratio": ratio, "r_low": r_low, "r_high": r_high, "p": p.reshape(k1.shape),
        "test": test.reshape(k1.shape),
    }  # fmt: skip


def disparities_frame(
    table: GroupTable, rates: Rates, config: AuditConfig, metrics: tuple[str, ...]
) -> pd.DataFrame:
    """Every comparison of every group for every metric, as a tidy table.

    Parameters
    ----------
    table : GroupTable
        Stacked group counts.
    rates : Rates
        Metric values per group.
    config : AuditConfig
        Reference groups, confidence level and small-group thresholds.
    metrics : tuple of str
        Metrics to report.

    Returns
    -------
    pandas.DataFrame
        Columns: comparison, attribute_set, group, attributes, reference_group,
        reference, metric, value, reference_value, difference, difference_ci_low,
        difference_ci_high, ratio, ratio_ci_low, ratio_ci_high, p_value, test,
        homogeneity_p_value, n, reference_n, status.

    Notes
    -----
    Every row compares ``group`` (``value``) with ``reference_group``
    (``reference_value``): ``difference`` is value - reference_value, and every
    interval and ``p_value`` (``test``) are of that same pair.

    * ``reference``: the group against its set's reference group; ratio is
      group / reference.
    * ``to_overall``: the group against everyone; ratio is group / everyone (the
      interval and test come from the group against its complement).
    * ``between_groups``: the set's highest value (``group``) against its lowest
      (``reference_group``); ratio is lowest / highest, fairlearn's min / max, so it
      is at most 1. The pair is chosen by its values, and its interval and test are
      not adjusted for that choice; ``homogeneity_p_value`` is the chi-square test that
      every group of the set has the same rate.
    """
    cols = np.asarray([rates.column(m) for m in metrics], dtype=np.int64)
    level = config.confidence_level
    refs = reference_groups(table, config.reference)
    groups = np.arange(1, len(table))
    parts = []

    # --- each group against its set's reference group
    ref_of = np.asarray([refs.get(int(s), -1) for s in table.set_index[groups]], dtype=np.int64)
    g = groups[ref_of != groups]
    r = ref_of[ref_of != groups]
    parts.append(_reference_rows(table, rates, cols, g, r, level))

    # --- each group against the whole population, via its complement
    parts.append(_to_overall_rows(table, rates, cols, groups, level, config))

    # --- largest against smallest per set
    parts.append(_between_rows(table, rates, cols, level))
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return frame[_COLUMNS]


def _worst(a: NDArray[np.int8], b: NDArray[np.int8]) -> NDArray[np.int8]:
    return np.maximum(a, b)


def _frame(
    comparison: str,
    table: GroupTable,
    rates: Rates,
    gi: IntArray,
    ri: IntArray,
    mi: IntArray,
    stats: Mapping[str, NDArray[Any]],
    status: NDArray[np.int8],
    reference_n: IntArray,
) -> pd.DataFrame:
    """Rows from flat arrays: group row, reference row (0 = whole population), metric column."""
    flat_status = status.reshape(-1)
    hidden = flat_status == SUPPRESSED_CODE

    def figure(key: str) -> NDArray[np.float64]:
        return np.where(hidden, np.nan, np.asarray(stats[key], dtype=np.float64).reshape(-1))

    frame = pd.DataFrame(
        {
            "comparison": comparison,
            "attribute_set": table.set_names[table.set_index[gi]],
            "group": table.labels[gi],
            "attributes": table.attribute_dicts[gi],
            "reference_group": table.labels[ri],
            "reference": table.attribute_dicts[ri],
            "metric": np.asarray(rates.names, dtype=object)[mi],
            "value": figure("p1"),
            "reference_value": figure("p2"),
            "difference": figure("difference"),
            "difference_ci_low": figure("d_low"),
            "difference_ci_high": figure("d_high"),
            "ratio": figure("ratio"),
            "ratio_ci_low": figure("r_low"),
            "ratio_ci_high": figure("r_high"),
            "p_value": figure("p"),
            "test": np.where(hidden, "", np.asarray(stats["test"]).reshape(-1)),
            "homogeneity_p_value": figure("homogeneity_p")
            if "homogeneity_p" in stats
            else np.full(len(gi), np.nan),
            "n": pd.array(rates.n[gi], dtype="Int64"),
            "reference_n": pd.array(reference_n.reshape(-1), dtype="Int64"),
            "status": np.asarray(STATUS_ORDER, dtype=object)[flat_status],
        }
    )
    frame.loc[hidden, ["n", "reference_n"]] = pd.NA
    return frame


def _flat(g: IntArray, r: IntArray, cols: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Pairs x metrics, flattened pair-major."""
    return np.repeat(g, len(cols)), np.repeat(r, len(cols)), np.tile(cols, len(g))


def _reference_rows(
    table: GroupTable,
    rates: Rates,
    cols: IntArray,
    g: IntArray,
    r: IntArray,
    level: float,
) -> pd.DataFrame:
    stats = _pair_stats(*rates.versus(g[:, None], r[:, None], cols[None, :]), level)
    status = _worst(rates.status[g][:, cols], rates.status[r][:, cols])
    gi, ri, mi = _flat(g, r, cols)
    return _frame(REFERENCE, table, rates, gi, ri, mi, stats, status, rates.n[ri])


def _to_overall_rows(
    table: GroupTable,
    rates: Rates,
    cols: IntArray,
    g: IntArray,
    level: float,
    config: AuditConfig,
) -> pd.DataFrame:
    raw_n1 = rates.denominator[g][:, cols]
    k_all, n_all = rates.numerator[0, cols], rates.denominator[0, cols]
    stats = dict(_pair_stats(*rates.versus_complement(g, cols), level))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(n_all > 0, raw_n1 / n_all, np.nan)  # the group's share of the denominator
        overall = np.broadcast_to(np.where(n_all > 0, k_all / n_all, np.nan), w.shape)
        p1 = np.asarray(stats["p1"], dtype=np.float64)

        def from_complement_ratio(x: NDArray[np.float64]) -> NDArray[np.float64]:
            out: NDArray[np.float64] = np.where(np.isinf(x), 1 / w, x / (w * x + (1 - w)))
            return out

        stats.update(
            p2=overall,
            difference=p1 - overall,
            d_low=(1 - w) * np.asarray(stats["d_low"]),
            d_high=(1 - w) * np.asarray(stats["d_high"]),
            ratio=np.where(overall > 0, p1 / overall, np.nan),
            r_low=from_complement_ratio(np.asarray(stats["r_low"], dtype=np.float64)),
            r_high=from_complement_ratio(np.asarray(stats["r_high"], dtype=np.float64)),
        )
    status = rates.status[g][:, cols].copy()
    few = (n_all - raw_n1) < config.min_denominator
    status[few & (status < SUPPRESSED_CODE)] = INSUFFICIENT_CODE
    gi, ri, mi = _flat(g, np.zeros_like(g), cols)
    return _frame(TO_OVERALL, table, rates, gi, ri, mi, stats, status, rates.n[ri])


def _between_rows(table: GroupTable, rates: Rates, cols: IntArray, level: float) -> pd.DataFrame:
    """Largest against smallest value per (set, metric); one argmax per set, not per group."""
    value = np.where(rates.status == SUPPRESSED_CODE, np.nan, rates.value)[:, cols]
    hi_rows, lo_rows, few_rows, sets = [], [], [], []
    for s, rows in enumerate(table.set_slices()):
        if s == 0 or rows.stop - rows.start < 2:
            continue
        block = value[rows]
        hi_rows.append(rows.start + np.argmax(np.where(np.isnan(block), -np.inf, block), axis=0))
        lo_rows.append(rows.start + np.argmin(np.where(np.isnan(block), np.inf, block), axis=0))
        # fewer than two defined, visible values: there is no gap between groups to report
        few_rows.append((~np.isnan(block)).sum(axis=0) < 2)
        sets.append(s)
    if not sets:
        return pd.DataFrame(columns=_COLUMNS)
    hi, lo = np.vstack(hi_rows), np.vstack(lo_rows)  # (sets, metrics)
    too_few = np.vstack(few_rows)
    mc = np.broadcast_to(cols, hi.shape)
    k1, n1, k2, n2 = rates.versus(hi, lo, mc)
    stats = dict(_pair_stats(k1, n1, k2, n2, level))
    with np.errstate(divide="ignore", invalid="ignore"):
        stats["ratio"] = np.where(stats["p1"] > 0, stats["p2"] / stats["p1"], np.nan)
    stats["r_low"], stats["r_high"] = ratio_interval(k2, n2, k1, n1, level)
    # chi-square test of equality across each set's visible groups
    member = (table.set_index > 0) & (rates.status[:, 0] != SUPPRESSED_CODE)
    position = np.full(len(table.sets), -1, dtype=np.int64)
    position[sets] = np.arange(len(sets))
    member &= position[table.set_index] >= 0
    stats["homogeneity_p"] = np.column_stack(
        [
            homogeneity_pvalue(
                rates.numerator[member, c] / rates.design_effect[member, c],
                rates.denominator[member, c] / rates.design_effect[member, c],
                position[table.set_index[member]], n_sets=len(sets),
            )
            for c in cols
        ]
    )  # fmt: skip
    undefined = np.isnan(np.asarray(stats["p1"], dtype=np.float64)) | too_few
    keys = ("p1", "p2", "difference", "d_low", "d_high", "ratio", "r_low", "r_high", "p",
            "homogeneity_p")  # fmt: skip
    for key in keys:
        stats[key] = np.where(undefined, np.nan, np.asarray(stats[key], dtype=np.float64))
    stats["test"] = np.where(undefined, "", np.asarray(stats["test"]))
    status = _worst(rates.status[hi, mc], rates.status[lo, mc])
    status = np.where(undefined, np.maximum(status, INSUFFICIENT_CODE), status).astype(np.int8)
    return _frame(
        BETWEEN_GROUPS, table, rates, hi.ravel(), lo.ravel(), mc.ravel(), stats, status,
        rates.n[lo.ravel()],
    )  # fmt: skip

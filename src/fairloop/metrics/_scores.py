"""Metrics of the model's score by group: ROC AUC, calibration and a threshold's what-if.

All come from the count cube's score bands (:attr:`CountCube.scores`: per sensitive group
and fine band, the confusion cells and score sums), never from the rows. The truth is
the human's final decision on reviewed cases.

* ``roc_auc``: the Mann-Whitney form, ties within a band counting one half, equal to
  scikit-learn's ``roc_auc_score`` when every distinct score has a band of its own; its
  interval from DeLong's variance (DeLong, DeLong and Clarke-Pearson 1988) computed from
  the bands' placement values, on the logit scale.
* calibration: per score stratum, the observed positive share (Wilson interval) beside
  the mean score; calibration in the large (observed minus mean score); the expected
  calibration error (the reviewed-case-weighted mean absolute gap over strata).
* threshold what-if: selection rate (every case), false positive and false negative
  rate (reviewed cases) per group had the model decided positive at ``score >= t``,
  ``t`` taken at the nearest band edge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.config import AuditConfig
from fairloop.cube import CountCube
from fairloop.metrics._groups import attribute_sets
from fairloop.stats import normal_quantile, proportion_interval
from fairloop.vocabulary import (
    ALL_CASES,
    CELL_RULES,
    CELLS,
    INSUFFICIENT_CODE,
    INVERSE_PROBABILITY,
    OK_CODE,
    POST_STRATIFIED,
    REVIEWED,
    REVIEWED_CELLS,
    STATUS_ORDER,
    group_label,
    set_name,
)

__all__ = ["ScoreFigures", "score_figures", "threshold_table"]

FloatArray = NDArray[np.float64]

#: Reviewed cells the human decided positive, and negative (the truth of score metrics).
_POS_CELLS = tuple(c for c, rule in CELL_RULES.items() if rule[1] and rule[2])
_NEG_CELLS = tuple(c for c, rule in CELL_RULES.items() if rule[1] and rule[2] is False)
_HUMAN_POS = [CELLS.index(c) for c in _POS_CELLS]
_HUMAN_NEG = [CELLS.index(c) for c in _NEG_CELLS]
#: Every cell, and the reviewed cells, of each model decision (positive, negative).
_DECIDED = tuple(
    (tuple(c for c, r in CELL_RULES.items() if r[0] == positive),
     tuple(c for c, r in CELL_RULES.items() if r[0] == positive and r[1]))
    for positive in (True, False)
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class ScoreFigures:
    """Score metrics of every group.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Rows like the audit's metrics table (``roc_auc``, ``calibration_in_the_large``,
        ``expected_calibration_error`` per group), with n, interval and status.
    calibration : pandas.DataFrame
        Per attribute set, group and score stratum: reviewed cases, observed positive
        share with its interval, and mean score.
    roc : pandas.DataFrame
        Per attribute set, group and band edge: the false and true positive rates of the
        rule ``score >= edge`` (the ROC curve's points), each with its interval.
    """

    metrics: pd.DataFrame
    calibration: pd.DataFrame
    roc: pd.DataFrame


def _known(cube: CountCube) -> pd.DataFrame:
    """The score table's rows with a known score."""
    scores = cube.scores
    if scores is None:
        raise ValueError("The audit has no score: name the score column (score=...).")
    return scores[scores["fine"] >= 0]


def _grouped(
    frame: pd.DataFrame, attrs: tuple[str, ...]
) -> tuple[list[tuple[str, ...]], NDArray[np.int64]]:
    """The group of each row of the score table (groups sorted as text)."""
    if not attrs or not len(frame):
        return [()], np.zeros(len(frame), dtype=np.int64)
    # each attribute factorised (sorted as text), combined, as the cube groups its keys
    combined = np.zeros(len(frame), dtype=np.int64)
    uniques = []
    for name in attrs:
        code, values = pd.factorize(frame[name].astype(str), sort=True)
        combined = combined * len(values) + code
        uniques.append(np.asarray(values, dtype=object))
    keys, codes = np.unique(combined, return_inverse=True)
    decoded = []
    remainder = keys.copy()
    for values in reversed(uniques):
        decoded.append(values[remainder % len(values)])
        remainder //= len(values)
    groups = [tuple(str(v) for v in row) for row in zip(*decoded[::-1], strict=True)]
    return groups, codes.astype(np.int64)


def _per_band(
    codes: NDArray[np.int64], fine: NDArray[np.int64], values: FloatArray, groups: int, size: int
) -> FloatArray:
    """A (groups x fine bands) table of the sums of ``values``."""
    table = np.bincount(codes * size + fine, values, groups * size).astype(np.float64)
    out: FloatArray = table.reshape(groups, size)
    return out


def _weights(cube: CountCube, frame: pd.DataFrame, estimator: str) -> pd.DataFrame:
    """Per row of the score table: reviewed cases the human decided positive and negative.

    Weighted as the estimator weights them, with the sums of squared weights (Kish).

    ``reviewed``: every weight 1. ``post-stratified``: cases over reviewed cases of the
    row's stratum (every sensitive attribute jointly x score stratum x model decision);
    a stratum nobody reviewed has weight 0. ``inverse-probability``: the log's ``1 / p``.
    """
    counts = {c: frame[c].to_numpy(dtype=np.float64) for c in CELLS}
    ones = np.ones(len(frame))
    w = dict.fromkeys(CELLS, ones)
    w2 = dict.fromkeys(CELLS, ones)
    if estimator == POST_STRATIFIED and cube.bands is not None:
        keys = frame[list(cube.sensitive)].astype(str).copy()
        keys["stratum"] = cube.bands.stratum_of()[frame["fine"].to_numpy(dtype=np.int64)]
        grouping = [keys[c] for c in keys.columns]
        w, w2 = dict(w), dict(w2)
        for every, reviewed_cells in _DECIDED:  # the weight of the stratum of each decision
            parts = pd.DataFrame({
                "n": sum((counts[c] for c in every), np.zeros(len(frame))),
                "r": sum((counts[c] for c in reviewed_cells), np.zeros(len(frame))),
            }, index=frame.index)  # fmt: skip
            totals = parts.groupby(grouping).transform("sum")
            with np.errstate(divide="ignore", invalid="ignore"):
                weight = np.where(totals["r"] > 0, totals["n"] / totals["r"], 0.0)
            for c in reviewed_cells:
                w[c], w2[c] = weight, weight**2
    elif estimator == INVERSE_PROBABILITY and all(f"w_{c}" in frame for c in REVIEWED_CELLS):
        with np.errstate(divide="ignore", invalid="ignore"):
            w = {c: np.where(counts[c] > 0, frame[f"w_{c}"] / counts[c], 0.0)
                 for c in REVIEWED_CELLS}  # fmt: skip
            w2 = {c: np.where(counts[c] > 0, (frame[f"v_{c}"] + frame[f"w_{c}"]) / counts[c],
                              0.0) for c in REVIEWED_CELLS}  # fmt: skip

    def total(weights: dict[str, NDArray[np.float64]], cells: Sequence[str]) -> FloatArray:
        out: FloatArray = sum((weights[c] * counts[c] for c in cells), np.zeros(len(frame)))
        return out

    reviewed = sum((counts[c] for c in REVIEWED_CELLS), np.zeros(len(frame)))
    out = pd.DataFrame({
        "pos": total(w, _POS_CELLS), "pos2": total(w2, _POS_CELLS),
        "neg": total(w, _NEG_CELLS), "neg2": total(w2, _NEG_CELLS),
    }, index=frame.index)  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(reviewed > 0, (out["pos"] + out["neg"]) / reviewed, 0.0)
    out["score"] = frame["reviewed_score_sum"].to_numpy(dtype=np.float64) * share
    return out


def _summer(codes: NDArray[np.int64], count: int) -> Callable[[FloatArray], FloatArray]:
    """A function summing values by group."""

    def summed(values: FloatArray) -> FloatArray:
        out: FloatArray = np.bincount(codes, values, count).astype(np.float64)
        return out

    return summed


def _effective(total: FloatArray, squares: FloatArray) -> FloatArray:
    """Kish's effective number of cases of weighted counts (the count itself when unweighted)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(squares > 0, total**2 / squares, 0.0)
    return out


def score_figures(
    cube: CountCube, config: AuditConfig, estimator: str = REVIEWED, *, tables: bool = True
) -> ScoreFigures | None:
    """ROC AUC, calibration and the ROC curve of every group of the sensitive attributes.

    Parameters
    ----------
    cube : CountCube
        A cube with score bands (the log has a score).
    config : AuditConfig
        Confidence level and small-group thresholds.
    estimator : str, default="reviewed"
        ``post-stratified`` or ``inverse-probability`` weight the reviewed cases as the
        error rates are weighted (intervals on Kish's effective counts); ``reviewed``
        takes them as they are.
    tables : bool, default=True
        Whether to make the calibration and ROC tables too, or the metrics alone (their
        tables then empty).

    Returns
    -------
    ScoreFigures or None
        None when the cube has no score bands.
    """
    if cube.scores is None or cube.bands is None:
        return None
    bands = cube.bands
    low, _ = bands.edges()
    size = bands.count
    strata = bands.stratum_of()
    merge = np.zeros((size, int(strata.max()) + 1))
    merge[np.arange(size), strata] = 1.0  # fine band -> stratum
    labels = np.asarray(bands.stratum_labels(), dtype=object)
    z = normal_quantile(config.confidence_level)
    metrics, calibration, roc = [], [], []
    known = _known(cube)
    fine = known["fine"].to_numpy(dtype=np.int64)
    counts = known[list(CELLS)].to_numpy(dtype=np.float64)
    weights = _weights(cube, known, estimator)
    for attrs in attribute_sets(cube.sensitive, config.max_intersection):
        groups, codes = _grouped(known, attrs)
        count = len(groups)

        pos, neg, ssum, pos2, neg2 = (
            _per_band(codes, fine, weights[column].to_numpy(float), count, size)
            for column in ("pos", "neg", "score", "pos2", "neg2")
        )
        # DeLong on Kish's effective counts: the weighted bands scaled to the effective size
        with np.errstate(divide="ignore", invalid="ignore"):
            p_scale = _effective(pos.sum(1), pos2.sum(1)) / pos.sum(1)
            n_scale = _effective(neg.sum(1), neg2.sum(1)) / neg.sum(1)
        auc, auc_low, auc_high = _auc(
            pos * np.nan_to_num(p_scale)[:, None], neg * np.nan_to_num(n_scale)[:, None], z
        )
        n = np.bincount(codes, counts[:, _HUMAN_POS + _HUMAN_NEG].sum(axis=1), count)
        raw_pos = np.bincount(codes, counts[:, _HUMAN_POS].sum(axis=1), count)
        small = (n < config.min_group_size) | (
            np.minimum(raw_pos, n - raw_pos) < config.min_denominator
        )
        status = np.where(small | np.isnan(auc), INSUFFICIENT_CODE, OK_CODE)
        base = _Naming(attrs, groups)
        every = np.arange(count)
        # calibration per stratum
        s_pos, s_n, s_sum = pos @ merge, (pos + neg) @ merge, ssum @ merge
        s_eff = _effective(s_n, (pos2 + neg2) @ merge)
        raw_n = _per_band(codes, fine, counts[:, _HUMAN_POS + _HUMAN_NEG].sum(axis=1), count,
                          size) @ merge  # fmt: skip
        with np.errstate(divide="ignore", invalid="ignore"):
            observed = np.where(s_n > 0, s_pos / s_n, np.nan)
            mean_score = np.where(s_n > 0, s_sum / s_n, np.nan)
            o_low, o_high = proportion_interval(
                np.nan_to_num(observed) * s_eff, s_eff, method=config.ci_method,
                confidence_level=config.confidence_level,
            )  # fmt: skip
            total = s_n.sum(axis=1)
            ece = np.where(
                total > 0, np.nansum(s_n * np.abs(observed - mean_score), axis=1) / total, np.nan
            )
            obs_all = np.where(total > 0, s_pos.sum(axis=1) / total, np.nan)
            mean_all = np.where(total > 0, s_sum.sum(axis=1) / total, np.nan)
            eff_all = _effective(total, (pos2 + neg2).sum(axis=1))
            c_low, c_high = proportion_interval(
                np.nan_to_num(obs_all) * eff_all, eff_all, method=config.ci_method,
                confidence_level=config.confidence_level,
            )  # fmt: skip
        cal_status = np.where(n < config.min_group_size, INSUFFICIENT_CODE, OK_CODE)
        names = np.asarray(STATUS_ORDER, dtype=object)
        for metric, value, lo, hi, st in (
            ("roc_auc", auc, auc_low, auc_high, status),
            ("calibration_in_the_large", obs_all - mean_all, c_low - mean_all,
             c_high - mean_all, cal_status),
            ("expected_calibration_error", ece, np.full(count, np.nan), np.full(count, np.nan),
             cal_status),
        ):  # fmt: skip
            metrics.append({**base(every), "metric": np.full(count, metric, dtype=object),
                            "value": value, "ci_low": lo, "ci_high": hi,
                            "n": n.astype(np.int64), "status": names[st]})  # fmt: skip
        if not tables:
            continue
        g_idx, s_idx = np.nonzero(raw_n > 0)
        calibration.append({
            **base(g_idx), "band": labels[s_idx], "n": raw_n[g_idx, s_idx].astype(np.int64),
            "observed": observed[g_idx, s_idx], "ci_low": o_low[g_idx, s_idx],
            "ci_high": o_high[g_idx, s_idx], "mean_score": mean_score[g_idx, s_idx],
        })  # fmt: skip
        # the ROC curve: one point per band edge, from the highest
        edges = np.concatenate([[np.inf], low[::-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            tpr = np.concatenate([np.zeros((count, 1)), np.cumsum(pos[:, ::-1], 1)], 1)
            fpr = np.concatenate([np.zeros((count, 1)), np.cumsum(neg[:, ::-1], 1)], 1)
            tpr = tpr / pos.sum(axis=1, keepdims=True)
            fpr = fpr / neg.sum(axis=1, keepdims=True)
        points = len(edges)
        # each point's interval, on the effective numbers of positives and negatives
        eff_pos = np.repeat(_effective(pos.sum(1), pos2.sum(1)), points)
        eff_neg = np.repeat(_effective(neg.sum(1), neg2.sum(1)), points)
        t_low, t_high = proportion_interval(
            np.nan_to_num(tpr.ravel()) * eff_pos, eff_pos, method=config.ci_method,
            confidence_level=config.confidence_level,
        )  # fmt: skip
        f_low, f_high = proportion_interval(
            np.nan_to_num(fpr.ravel()) * eff_neg, eff_neg, method=config.ci_method,
            confidence_level=config.confidence_level,
        )  # fmt: skip
        roc.append({
            **base(np.repeat(every, points)), "threshold": np.tile(edges, count),
            "true_positive_rate": tpr.ravel(), "true_positive_rate_ci_low": t_low,
            "true_positive_rate_ci_high": t_high, "false_positive_rate": fpr.ravel(),
            "false_positive_rate_ci_low": f_low, "false_positive_rate_ci_high": f_high,
        })  # fmt: skip
    out = _stacked(metrics)
    out["estimator"] = estimator
    if not tables:
        return ScoreFigures(out, pd.DataFrame(), pd.DataFrame())
    return ScoreFigures(out, _stacked(calibration), _stacked(roc))


class _Naming:
    """The columns naming some groups of one attribute set."""

    def __init__(self, attrs: tuple[str, ...], groups: list[tuple[str, ...]]) -> None:
        self.name = set_name(attrs)
        self.labels = np.asarray([group_label(attrs, g) for g in groups], dtype=object)
        self.attributes = np.empty(len(groups), dtype=object)
        self.attributes[:] = [dict(zip(attrs, g, strict=True)) for g in groups]

    def __call__(self, index: NDArray[np.int64]) -> dict[str, Any]:
        return {"attribute_set": np.full(len(index), self.name, dtype=object),
                "group": self.labels[index], "attributes": self.attributes[index]}  # fmt: skip


def _stacked(parts: list[dict[str, Any]]) -> pd.DataFrame:
    """One frame of the columns of every part, in order (one construction, not a concat)."""
    columns = list(parts[0])
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})


def _auc(pos: FloatArray, neg: FloatArray, z: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mann-Whitney AUC of banded counts (rows: groups), DeLong's interval on the logit scale."""
    n_pos, n_neg = pos.sum(axis=1, keepdims=True), neg.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.cumsum(neg, axis=1) - neg
        above = n_pos - np.cumsum(pos, axis=1)
        v10 = (below + 0.5 * neg) / n_neg  # each positive's share of negatives it outranks
        v01 = (above + 0.5 * pos) / n_pos  # each negative's share of positives above it
        auc = (pos * v10).sum(axis=1) / n_pos[:, 0]
        s10 = (pos * (v10 - auc[:, None]) ** 2).sum(axis=1) / np.maximum(n_pos[:, 0] - 1, 1)
        s01 = (neg * (v01 - auc[:, None]) ** 2).sum(axis=1) / np.maximum(n_neg[:, 0] - 1, 1)
        se = np.sqrt(s10 / n_pos[:, 0] + s01 / n_neg[:, 0])
        defined = (n_pos[:, 0] > 0) & (n_neg[:, 0] > 0)
        auc = np.where(defined, auc, np.nan)
        inner = defined & (auc > 0) & (auc < 1) & (se > 0)
        logit = np.log(auc / (1 - auc))
        half = z * se / (auc * (1 - auc))
        low = np.where(inner, 1 / (1 + np.exp(-(logit - half))), auc)
        high = np.where(inner, 1 / (1 + np.exp(-(logit + half))), auc)
    return auc, low, high


def threshold_table(
    cube: CountCube,
    threshold: float,
    config: AuditConfig,
    by: Sequence[str] | None = None,
    estimator: str = REVIEWED,
) -> pd.DataFrame:
    """What each group's rates would be had the model decided positive at ``score >= t``.

    Parameters
    ----------
    cube : CountCube
        A cube with score bands.
    threshold : float
        The threshold ``t`` in [0, 1]; taken at the nearest band edge (the column
        ``threshold_used`` says which).
    config : AuditConfig
        Interval method and level.
    by : sequence of str or None, default=None
        The attribute set; default each sensitive attribute alone.
    estimator : str, default="reviewed"
        How the reviewed cases stand for every case (as :func:`score_figures`); the
        error rates' intervals are then on Kish's effective counts.

    Returns
    -------
    pandas.DataFrame
        Per group and metric (``selection_rate`` of every case; ``false_positive_rate``
        and ``false_negative_rate`` of reviewed cases, weighted by ``estimator``):
        numerator, denominator, value, interval and ``estimator``.
    """
    if cube.scores is None or cube.bands is None:
        raise ValueError("The audit has no score: name the score column (score=...).")
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must lie in [0, 1]. Got {threshold!r} instead.")
    low, _ = cube.bands.edges()
    first = (
        int(np.argmin(np.abs(low - threshold)))
        if cube.bands.exact is None
        else int(np.searchsorted(low, threshold - 1e-12))
    )
    used = float(low[first]) if first < len(low) else float("inf")
    sets = [tuple(by)] if by else [(a,) for a in cube.sensitive]
    rows = []
    known = _known(cube)
    above = known["fine"].to_numpy() >= first
    counts = known[list(CELLS)].to_numpy(dtype=np.float64)
    weights = _weights(cube, known, estimator)
    for attrs in sets:
        groups, codes = _grouped(known, attrs)
        count = len(groups)

        summed = _summer(codes, count)
        every = counts.sum(axis=1)
        pos, pos2 = weights["pos"].to_numpy(float), weights["pos2"].to_numpy(float)
        neg, neg2 = weights["neg"].to_numpy(float), weights["neg2"].to_numpy(float)
        parts = (
            ("selection_rate", summed(every * above), summed(every), summed(every), ALL_CASES),
            ("false_positive_rate", summed(neg * above), summed(neg),
             _effective(summed(neg), summed(neg2)), estimator),
            ("false_negative_rate", summed(pos * ~above), summed(pos),
             _effective(summed(pos), summed(pos2)), estimator),
        )  # fmt: skip
        for metric, k, n, effective, how in parts:
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(n > 0, k / n, np.nan)
            lo, hi = proportion_interval(
                np.nan_to_num(value) * effective, effective, method=config.ci_method,
                confidence_level=config.confidence_level,
            )  # fmt: skip
            for g, values in enumerate(groups):
                rows.append({"attribute_set": set_name(attrs),
                             "group": group_label(attrs, values), "metric": metric,
                             "threshold": threshold, "threshold_used": used,
                             "numerator": float(k[g]), "denominator": float(n[g]),
                             "value": float(value[g]), "ci_low": float(lo[g]),
                             "ci_high": float(hi[g]), "estimator": how})  # fmt: skip
    out = pd.DataFrame(rows)
    order = {m: i for i, (m, *_) in enumerate(parts)} if rows else {}
    if rows:
        out = (
            out.assign(_o=out["metric"].map(order))
            .sort_values(["attribute_set", "group", "_o"], kind="stable")
            .drop(columns="_o")
            .reset_index(drop=True)
        )
    return out

"""Figures for every case from the reviewed ones, when review depends on what the log shows.

Human corrections exist only for reviewed cases, and systems route cases to people by
score, decision or group. A rate computed on the reviewed cases describes those cases;
to estimate it for *every* case, each reviewed case is weighted to stand for the cases
like it that nobody reviewed. Two estimators, both ratio (Hajek) estimators
``p = sum(w y d) / sum(w d)`` over reviewed cases (``d``: in the metric's denominator,
``y``: in its numerator):

``post-stratified``
    Strata are score band x model decision x sensitive group (every sensitive attribute
    jointly); a reviewed case of stratum ``h`` has weight ``N_h / r_h`` (cases over
    reviewed cases). Assumes review is random within each stratum. Variance: stratified
    sampling of ``r_h`` of ``N_h`` cases without replacement, conditional on ``r_h``,
    linearised (Sarndal, Swensson and Wretman 1992, ch. 7 and 10)::

        V = sum_h N_h**2 (1 - r_h / N_h) s_h**2 / r_h / (sum w d)**2

    with ``s_h**2`` the within-stratum variance of ``z = d (y - p)`` (a stratum with one
    reviewed case uses its second moment). A stratum whose cases were never reviewed
    cannot be estimated: its (score band, decision) cell is left out for every group, so
    that groups are compared only where all were reviewed; ``support`` says what share
    of a group's cases the figure covers.
``inverse-probability``
    The log gives each case's review probability ``pi`` by design; weight ``1 / pi``.
    Variance of the Hajek estimator under Poisson sampling::

        V = sum (1 - pi) / pi**2 (y - p)**2 d / (sum w d)**2

A small group (a subgroup of the search, with a context attribute) may have a few
reviewed cases in a rarely reviewed stratum, each standing for dozens; when by chance it
has none, its estimate is extreme and the design-based variance collapses with it. Both
estimators' variances are therefore floored by a *model* variance: the group's cases in
each stratum taken to behave as the stratum's reviewed cases do, with the group's share
of the stratum's cases (known for every case, reviewed or not) setting how much of the
stratum's sampling variance it carries.

Intervals and tests then run on *effective counts*: the weighted counts divided by the
design effect ``V / (p (1 - p) / sum w d)`` (Korn and Graubard 1998), as for clustered
cases (:mod:`fairloop.metrics._clusters`). Everything is a sum over cells of the count
cube, whose score strata are one of its keys.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.cube import CountCube
from fairloop.cube._cube import sorted_unique
from fairloop.vocabulary import (
    CELL_RULES,
    CELLS,
    INVERSE_PROBABILITY,
    MISSING_GROUP,
    REVIEWED_CELLS,
    cell_weights,
)

__all__ = ["WeightedCounts", "Weighting", "weighting_columns"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The cells of each model decision: positive first, then negative.
_HALVES = tuple(
    (
        np.asarray([CELLS.index(c) for c, r in CELL_RULES.items() if r[0] == positive]),
        np.asarray([CELLS.index(c) for c, r in CELL_RULES.items() if r[0] == positive and r[1]]),
    )
    for positive in (True, False)
)


@dataclass(frozen=True, eq=False)
class WeightedCounts:
    """Weighted figures of some groups, arrays of shape (groups, metrics).

    ``numerator`` and ``denominator`` estimate the counts among every case; ``variance``
    is the variance of the rate ``numerator / denominator``; the ``complement_*`` arrays
    are the same for everyone outside the group. ``support`` is the share of the group's
    cases (of the decisions a metric counts) the figure covers; ``estimable`` is False
    where a decision the metric counts was never reviewed for the group's cases.
    """

    numerator: FloatArray
    denominator: FloatArray
    variance: FloatArray
    complement_numerator: FloatArray
    complement_denominator: FloatArray
    complement_variance: FloatArray
    support: FloatArray
    estimable: NDArray[np.bool_]

    def select(self, columns: Sequence[int]) -> WeightedCounts:
        """The same figures for some metrics only (columns in the given order)."""
        cols = list(columns)
        return WeightedCounts(*(getattr(self, f.name)[:, cols] for f in fields(self)))

    def design_effects(self) -> tuple[FloatArray, FloatArray]:
        """Design effects of each rate, and of each gap to the complement (floored at 1).

        Where a rate is 0 or 1 its binomial variance is 0: the effective count is then the
        reviewed denominator's share of the weighted one (Kish's design effect of equal
        weights within the group), taken from ``denominator / variance`` being undefined.
        """
        group = _deff(self.numerator, self.denominator, self.variance)
        p, q = (
            _rate(self.numerator, self.denominator),
            _rate(self.complement_numerator, self.complement_denominator),
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            binomial = p * (1 - p) / self.denominator + q * (1 - q) / self.complement_denominator
            gap = np.where(binomial > 0, (self.variance + self.complement_variance) / binomial, 1)
        return group, np.maximum(np.nan_to_num(gap, nan=1.0), 1.0)


def weighting_columns(weighted: WeightedCounts) -> IntArray:
    """The metric columns that are weighted (those of reviewed cases)."""
    return np.flatnonzero(~np.isnan(weighted.numerator).all(axis=0))


def _rate(k: FloatArray, n: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(n > 0, k / n, np.nan)
    return out


def _deff(k: FloatArray, n: FloatArray, variance: FloatArray) -> FloatArray:
    p = _rate(k, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        binomial = p * (1 - p) / n
        out = np.where(binomial > 0, variance / binomial, 1.0)
    floored: FloatArray = np.maximum(np.nan_to_num(out, nan=1.0), 1.0)
    return floored


class Weighting:
    """Weights for the reviewed cases of a cube, and weighted figures of any groups.

    Parameters
    ----------
    cube : CountCube
        The audit's cube without time windows, with its score strata key when the log has
        a score (and the review-probability sums for ``inverse-probability``).
    estimator : {"post-stratified", "inverse-probability"}
        How the reviewed cases are weighted.
    names : sequence of str
        The metrics (columns of every array); only those of reviewed cases are weighted,
        the others are left as NaN.
    """

    def __init__(self, cube: CountCube, estimator: str, names: Sequence[str]) -> None:
        self.cube = cube
        self.estimator = estimator
        self._use_metrics(names)
        self._counts = cube.column_matrix(CELLS)
        self._strata_keys = [*cube.sensitive, *([cube.band] if cube.band else [])]
        values, self._stratum, size = cube.grouping(self._strata_keys)
        totals = np.stack(
            [np.bincount(self._stratum, self._counts[:, j], size) for j in range(len(CELLS))], 1
        )
        # per stratum and decision: every case, and the reviewed ones
        self._N = np.stack([totals[:, all_].sum(axis=1) for all_, _ in _HALVES], 1)
        self._r = np.stack([totals[:, rev].sum(axis=1) for _, rev in _HALVES], 1)
        joint = (cube.grouping(list(cube.sensitive))[1] if cube.sensitive
                 else np.zeros(len(self._counts), np.int64))  # fmt: skip
        joint_of = np.zeros(size, dtype=np.int64)
        joint_of[self._stratum] = joint
        band = values[-1] if cube.band else np.full(size, "", dtype=object)
        merged, dropped = _collapse(self._N, self._r, joint_of, band, estimator)
        self._eff = merged  # (strata, 2): the effective stratum of each stratum and decision
        units = int(merged.max()) + 1 if merged.size else 0
        # each effective stratum's (score band, decision) cell, where the model pools groups
        band_code = np.unique(band.astype(str), return_inverse=True)[1].astype(np.int64)
        self._cell = np.zeros(units, dtype=np.int64)
        self._cell[merged.ravel()] = (band_code[:, None] * 2 + np.arange(2)[None, :]).ravel()
        self._N_eff = np.bincount(merged.ravel(), self._N.ravel(), units)
        self._r_eff = np.bincount(merged.ravel(), self._r.ravel(), units)
        self._kept = ~dropped & (self._r_eff[merged] > 0)
        self.left_out = _left_out(values, self._strata_keys, cube, self._N, self._r, dropped)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self._N_eff[merged] / np.maximum(self._r_eff[merged], 1)
            self._w = np.where(self._kept, ratio, 0.0)

    def _use_metrics(self, names: Sequence[str]) -> None:
        """The metrics computed: only the weighted ones; the others are left as NaN."""
        self.names = tuple(names)
        num_w, den_w = cell_weights(list(self.names))
        reviewed = [CELLS.index(c) for c in REVIEWED_CELLS]
        self.columns = np.flatnonzero(den_w[[i for i in range(len(CELLS)) if i not in reviewed]]
                                      .sum(axis=0) == 0)  # fmt: skip
        self._num_w = num_w[:, self.columns].astype(np.float64)
        self._den_w = den_w[:, self.columns].astype(np.float64)

    def subset(self, names: Sequence[str]) -> Weighting:
        """The same weighting (strata, weights) for other metrics: fewer are cheaper.

        Parameters
        ----------
        names : sequence of str
            The metrics of every array of :meth:`weighted`.

        Returns
        -------
        Weighting
        """
        out = copy.copy(self)
        out.__dict__.pop("_units", None)  # per-metric sums: made again for these metrics
        out._use_metrics(names)
        return out

    # --- per cube row ----------------------------------------------------------------
    def _row_sums(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Per cube row: weighted numerator and denominator, variance terms, covered cases.

        For ``inverse-probability`` the variance terms are the Poisson sums of
        ``(1 - pi) / pi**2`` over numerator and denominator cells; for
        ``post-stratified`` they are computed per stratum in :meth:`weighted`.
        """
        counts = self._counts
        if self.estimator == INVERSE_PROBABILITY:
            w = np.zeros_like(counts)
            v = np.zeros_like(counts)
            for cell in REVIEWED_CELLS:
                j = CELLS.index(cell)
                w[:, j] = self.cube.cells[f"w_{cell}"].to_numpy(dtype=np.float64)
                v[:, j] = self.cube.cells[f"v_{cell}"].to_numpy(dtype=np.float64)
            return w @ self._num_w, w @ self._den_w, v @ self._num_w, v @ self._den_w
        weights = np.zeros_like(counts)
        for h, (_, rev) in enumerate(_HALVES):
            weights[:, rev] = self._w[self._stratum, h][:, None]
        w = counts * weights
        return w @ self._num_w, w @ self._den_w, np.zeros(0), np.zeros(0)

    def weighted(self, sets: Sequence[tuple[str, ...]]) -> WeightedCounts:
        """Weighted figures of every nonempty group of each attribute set.

        Groups come in the order of :func:`fairloop.metrics.group_table` (set by set,
        groups sorted).

        Parameters
        ----------
        sets : sequence of tuple of str
            Attribute sets (``()`` is the whole population).

        Returns
        -------
        WeightedCounts
        """
        wk, wn, vk, vn = self._row_sums()
        parts = [self._one_set(list(attrs), wk, wn, vk, vn) for attrs in sets]
        k, n, var, ck, cn, cvar, support, estimable = (
            np.concatenate([p[i] for p in parts]) for i in range(8)
        )
        return WeightedCounts(k, n, var, ck, cn, cvar, support, estimable.astype(bool))

    def _one_set(
        self, attrs: list[str], wk: FloatArray, wn: FloatArray, vk: FloatArray, vn: FloatArray
    ) -> tuple[FloatArray, ...]:
        counts = self._counts
        group: IntArray = np.zeros(len(counts), dtype=np.int64)
        size = 1
        if attrs:
            _, group, size = self.cube.grouping(attrs)
        n_group = np.bincount(group, counts.sum(axis=1), size)
        keep = n_group > 0 if attrs else np.ones(size, dtype=bool)
        index = np.cumsum(keep) - 1
        rows = int(keep.sum())

        def per_group(values: FloatArray) -> FloatArray:
            result: FloatArray = _sum_by(group, values, size)[keep]
            return result

        k, n = per_group(wk), per_group(wn)
        k_all, n_all = wk.sum(axis=0), wn.sum(axis=0)
        ck, cn = k_all - k, n_all - n
        # the design's variance, floored by the model variance (see _stratified)
        var, cvar = self._stratified(group, keep, index, k, n, ck, cn)
        if self.estimator == INVERSE_PROBABILITY:
            p_var, p_cvar = self._poisson(k, n, per_group(vk), per_group(vn),
                                          ck, cn, vk.sum(axis=0) - per_group(vk),
                                          vn.sum(axis=0) - per_group(vn))  # fmt: skip
            model_var, model_cvar = self._stratified(group, keep, index, k, n, ck, cn,
                                                     design=False)  # fmt: skip
            var, cvar = np.maximum(p_var, model_var), np.maximum(p_cvar, model_cvar)
        support, estimable = self._support(group, size, keep)
        blank = np.full((rows, len(self.names)), np.nan)
        cols = self.columns
        out = []
        for array in (k, n, var, ck, cn, cvar, support):
            full = blank.copy()
            full[:, cols] = array
            out.append(full)
        est = np.zeros((rows, len(self.names)), dtype=bool)
        est[:, cols] = estimable & (n > 0)
        out.append(est.astype(np.float64))
        return tuple(out)

    @staticmethod
    def _poisson(
        k: FloatArray, n: FloatArray, vk: FloatArray, vn: FloatArray,
        ck: FloatArray, cn: FloatArray, cvk: FloatArray, cvn: FloatArray,
    ) -> tuple[FloatArray, FloatArray]:  # fmt: skip
        def hajek(a: FloatArray, d: FloatArray, va: FloatArray, vd: FloatArray) -> FloatArray:
            p = _rate(a, d)
            with np.errstate(divide="ignore", invalid="ignore"):
                out: FloatArray = ((1 - 2 * p) * va + p**2 * vd) / d**2
            return np.nan_to_num(out, nan=0.0)

        return hajek(k, n, vk, vn), hajek(ck, cn, cvk, cvn)

    @cached_property
    def _units(self) -> dict[str, Any]:
        """What every group's stratified variance shares, computed once.

        Per cube row (both decisions stacked): its reviewed numerator and denominator
        cells, cases and effective stratum; per stratum: the sampling factors, totals and
        the model's pooled rates.
        """
        counts = self._counts
        units = len(self._N_eff)
        big_n, r = self._N_eff, self._r_eff.astype(np.float64)
        kept_unit = np.zeros(units, dtype=bool)
        kept_unit[self._eff[self._kept]] = True
        with np.errstate(divide="ignore", invalid="ignore"):
            fpc = np.where(kept_unit, 1 - r / np.maximum(big_n, 1), 0.0)
            scale = np.where(r >= 2, big_n**2 * fpc / (r * np.maximum(r - 1, 1)), big_n**2 * fpc)
            centre = np.where(r >= 2, 1 / np.maximum(r, 1), 0.0)
        row_a, row_d, row_unit, row_n = [], [], [], []
        for h, (all_, rev) in enumerate(_HALVES):
            mask = np.zeros(len(CELLS))
            mask[rev] = 1.0
            row_a.append((counts * mask) @ self._num_w)
            row_d.append((counts * mask) @ self._den_w)
            row_unit.append(self._eff[self._stratum, h])
            row_n.append(counts[:, all_].sum(axis=1))
        a_rows, d_rows = np.vstack(row_a), np.vstack(row_d)
        unit_rows = np.concatenate(row_unit)
        a_tot = _sum_by(unit_rows, a_rows, units)
        d_tot = _sum_by(unit_rows, d_rows, units)
        # the model's rates: every group alike within a (score band, decision) cell, pooled
        # over the cell's reviewed cases, so that a stratum's few reviewed cases set only
        # how much it varies, not its rates
        cells = int(self._cell.max()) + 1 if units else 0
        pooled_r = np.bincount(self._cell, r * kept_unit, cells)
        pooled_a = _sum_by(self._cell, a_tot * kept_unit[:, None], cells)
        pooled_d = _sum_by(self._cell, d_tot * kept_unit[:, None], cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_case = np.where(pooled_r > 0, 1 / np.maximum(pooled_r, 1e-300), 0.0)
            model_a = pooled_a[self._cell] * (per_case[self._cell] * r)[:, None]
            model_d = pooled_d[self._cell] * (per_case[self._cell] * r)[:, None]
        model_scale = np.where(kept_unit, big_n**2 * fpc / np.maximum(r, 1), 0.0)
        everyone = _model_coefficients(model_a, model_d, r, model_scale, np.ones(units))
        return {
            "a_rows": a_rows, "d_rows": d_rows, "n_rows": np.concatenate(row_n),
            "unit_rows": unit_rows, "units": units, "big_n": big_n, "r": r,
            "scale": scale, "centre": centre, "a_tot": a_tot, "d_tot": d_tot,
            "total": _coefficients(a_tot, d_tot, scale, centre).sum(axis=1),
            "model_a": model_a, "model_d": model_d, "model_scale": model_scale,
            "everyone": everyone, "everyone_total": everyone.sum(axis=1),
        }  # fmt: skip

    def _stratified(
        self,
        group: IntArray,
        keep: NDArray[np.bool_],
        index: IntArray,
        k: FloatArray,
        n: FloatArray,
        ck: FloatArray,
        cn: FloatArray,
        *,
        design: bool = True,
    ) -> tuple[FloatArray, FloatArray]:
        """Stratified variances of each group's rate and its complement's (see the module).

        The larger of the design-based variance (from the group's own reviewed cases) and
        the model variance (the group's cases like its strata's, a stratum's share of
        them known for every case); with ``design=False`` the model variance alone. A
        complement's variance is everyone's less what the group changes in its strata.
        """
        u = self._units
        units = u["units"]
        group_rows = np.concatenate([group, group])
        present = keep[group_rows]
        key = index[group_rows[present]] * units + u["unit_rows"][present]
        pairs, inverse = sorted_unique(key, max(len(n), 1) * units)
        target, unit = pairs // units, pairs % units
        rows = len(n)
        p, q = _rate(k, n), _rate(ck, cn)
        p_t = p[target]
        # the model: the group's share of each stratum's cases
        share = np.bincount(inverse, u["n_rows"][present], len(pairs)) / np.maximum(
            u["big_n"][unit], 1
        )
        args = (u["model_a"][unit], u["model_d"][unit], u["r"][unit], u["model_scale"][unit])
        m_own = _model_coefficients(*args, share)
        m_rest = _model_coefficients(*args, 1 - share)
        var = _by_group(target, m_own[0] + m_own[1] * p_t + m_own[2] * p_t**2, rows)
        delta = np.stack([_by_group(target, u["everyone"][c][unit] - m_rest[c], rows)
                          for c in range(3)])  # fmt: skip
        complement = u["everyone_total"][:, None, :] - delta
        cvar = complement[0] + complement[1] * q + complement[2] * q**2
        if design:
            a = _sum_by(inverse, u["a_rows"][present], len(pairs))
            d = _sum_by(inverse, u["d_rows"][present], len(pairs))
            scale, centre = u["scale"][unit], u["centre"][unit]
            a_tot, d_tot = u["a_tot"][unit], u["d_tot"][unit]
            own = _coefficients(a, d, scale, centre)
            rest = _coefficients(a_tot - a, d_tot - d, scale, centre)
            full = _coefficients(a_tot, d_tot, scale, centre)
            d_var = _by_group(target, own[0] + own[1] * p_t + own[2] * p_t**2, rows)
            d_delta = np.stack([_by_group(target, full[c] - rest[c], rows) for c in range(3)])
            d_complement = u["total"][:, None, :] - d_delta
            d_cvar = d_complement[0] + d_complement[1] * q + d_complement[2] * q**2
            var, cvar = np.maximum(var, d_var), np.maximum(cvar, d_cvar)
        with np.errstate(divide="ignore", invalid="ignore"):
            variance = np.where(n > 0, var / n**2, np.nan)
            cvariance = np.where(cn > 0, cvar / cn**2, np.nan)
        return np.maximum(np.nan_to_num(variance), 0.0), np.maximum(np.nan_to_num(cvariance), 0.0)

    def _support(
        self, group: IntArray, size: int, keep: NDArray[np.bool_]
    ) -> tuple[FloatArray, NDArray[np.bool_]]:
        """Share of each group's cases in kept strata, and whether each metric is estimable.

        The share counts the cases of the decisions a metric counts; a metric is not
        estimable for a group when a decision it counts has no kept case of the group.
        """
        counts = self._counts
        covered, cases = [], []
        for h, (all_, _) in enumerate(_HALVES):
            n_rows = counts[:, all_].sum(axis=1)
            kept_rows = n_rows * self._kept[self._stratum, h]
            covered.append(np.bincount(group, kept_rows, size)[keep])
            cases.append(np.bincount(group, n_rows, size)[keep])
        names = self._den_w.shape[1]
        touches = [(self._den_w[rev].sum(axis=0) > 0) for _, rev in _HALVES]
        cov = sum(np.outer(covered[h], touches[h]) for h in range(2))
        tot = sum(np.outer(cases[h], touches[h]) for h in range(2))
        with np.errstate(divide="ignore", invalid="ignore"):
            support = np.where(tot > 0, cov / tot, np.nan)
        estimable = np.ones((len(covered[0]), names), dtype=bool)
        for h in range(2):
            lost = (cases[h] > 0) & (covered[h] == 0)
            estimable &= ~np.outer(lost, touches[h])
        return np.asarray(support, dtype=np.float64), estimable


def _sum_by(index: IntArray, values: FloatArray, size: int) -> FloatArray:
    """Column-wise sums of ``values`` (rows x metrics) by ``index``, in one bincount."""
    columns = values.shape[1]
    flat = (index[:, None] * columns + np.arange(columns)[None, :]).ravel()
    summed = np.bincount(flat, values.ravel().astype(np.float64), size * columns)
    out: FloatArray = summed.astype(np.float64).reshape(size, columns)
    return out


def _by_group(target: IntArray, values: FloatArray, rows: int) -> FloatArray:
    """Sums of ``values`` (pairs x metrics) by group, ``target`` sorted (as pairs are).

    Each group's pairs are adjacent, so the sums are one ``reduceat`` over the runs.
    """
    out: FloatArray = np.zeros((rows, values.shape[1]), dtype=np.float64)
    if len(target):
        starts = np.flatnonzero(np.concatenate(([True], target[1:] != target[:-1])))
        out[target[starts]] = np.add.reduceat(values, starts, axis=0)
    return out


#: An unreviewed stratum joins its neighbouring band when chance alone explains its zero
#: reviewed cases at least this often, at the neighbour's review rate.
CHANCE = 0.01


def _collapse(
    big_n: FloatArray,
    r: FloatArray,
    joint: IntArray,
    band: NDArray[np.object_],
    estimator: str,
) -> tuple[IntArray, NDArray[np.bool_]]:
    """Effective strata: unreviewed strata merged into a neighbouring band, or dropped.

    A stratum (sensitive group x band x decision) with cases but no reviewed case joins
    the nearest band of the same group and decision that has reviewed cases, when zero
    reviews are plausible at that band's review rate (probability at least
    :data:`CHANCE`): a sparse stratum, not a region review never reaches. Otherwise its
    (band, decision) cell is dropped for every group, so that groups are compared only
    where all were reviewed. ``inverse-probability`` drops nothing (the log's
    probabilities say every case could be reviewed).

    Returns
    -------
    merged : ndarray of shape (strata, 2)
        The effective stratum of each stratum and decision.
    dropped : ndarray of bool, shape (strata, 2)
    """
    size = len(big_n)
    merged = (np.arange(size)[:, None] * 2 + np.arange(2)[None, :]).astype(np.int64)
    dropped = np.zeros((size, 2), dtype=bool)
    if estimator == INVERSE_PROBABILITY:
        return merged, dropped
    order = {b: i for i, b in enumerate(sorted({str(b) for b in band if b != MISSING_GROUP}))}
    position = np.asarray([order.get(str(b), -1) for b in band], dtype=np.int64)
    lost = np.zeros((size, 2), dtype=bool)
    for s, h in zip(*np.nonzero((big_n > 0) & (r == 0)), strict=True):
        mates = np.flatnonzero((joint == joint[s]) & (r[:, h] > 0) & (position >= 0))
        if position[s] >= 0 and mates.size:
            distance = np.abs(position[mates] - position[s])
            nearest = mates[np.lexsort((position[mates], distance))[0]]
            rate = r[nearest, h] / big_n[nearest, h]
            if (1 - rate) ** big_n[s, h] >= CHANCE:
                merged[s, h] = merged[nearest, h]
                continue
        lost[s, h] = True
    # a (band, decision) cell with a stratum left out is left out for every group
    for h in range(2):
        for b in {str(band[s]) for s in np.flatnonzero(lost[:, h])}:
            dropped[[str(x) == b for x in band], h] = True
    return merged, dropped


def _model_coefficients(
    a: FloatArray, d: FloatArray, r: FloatArray, scale: FloatArray, share: FloatArray
) -> FloatArray:
    """Per stratum, the model variance of a group's stratum total of ``z = d (y - p)``.

    The group holds ``share`` of the stratum's cases, and its cases are like the
    stratum's reviewed ones: in the metric's denominator with probability
    ``delta = d / r``, and then in its numerator with probability ``pi = a / d``. Under
    sampling of ``r`` of the stratum's cases the variance is ``scale`` times the
    stratum's population variance of ``z`` on the group's cases (zero elsewhere),
    ``share E[z^2] - (share E[z])^2``, as a quadratic in ``p``. Returns an array
    (3, strata, metrics) of the coefficients of 1, p and p**2.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(r[:, None] > 0, d / np.maximum(r[:, None], 1), 0.0)
        pi = np.where(d > 0, a / np.maximum(d, 1e-300), 0.0)
    q = share[:, None]
    s = scale[:, None]
    qd = q * delta
    return np.stack([
        s * (qd * pi - qd**2 * pi**2),
        s * (-2 * qd * pi + 2 * qd**2 * pi),
        s * (qd - qd**2),
    ])  # fmt: skip


def _coefficients(
    a: FloatArray, d: FloatArray, scale: FloatArray, centre: FloatArray
) -> FloatArray:
    """Per stratum, the variance of the stratum total of ``z = d (y - p)`` as a quadratic in ``p``.

    ``a`` and ``d``: the stratum's reviewed cases in the numerator and denominator (rows x
    metrics). Returns an array (3, rows, metrics) of the coefficients of 1, p and p**2.
    """
    s = scale[:, None]
    c = centre[:, None]
    return np.stack([s * (a - c * a**2), s * (-2 * a + 2 * c * a * d), s * (d - c * d**2)])


def _left_out(
    values: list[NDArray[np.object_]],
    keys: list[str],
    cube: CountCube,
    big_n: FloatArray,
    r: FloatArray,
    dropped: NDArray[np.bool_],
) -> pd.DataFrame:
    """The strata left out, one row per stratum and decision, with its cases.

    Left out: never reviewed, or in a (band, decision) cell where another group's stratum
    was left out.
    """
    rows = []
    for h, decision in enumerate(("positive", "negative")):
        where = np.flatnonzero(dropped[:, h] & (big_n[:, h] > 0))
        for i in where:
            row: dict[str, object] = {key: str(values[j][i]) for j, key in enumerate(keys)}
            row.update(decision=decision, cases=int(big_n[i, h]), reviewed=int(r[i, h]))
            rows.append(row)
    columns = [*keys, "decision", "cases", "reviewed"]
    out = pd.DataFrame(rows, columns=columns)
    if cube.band and cube.band in out:
        out = out.rename(columns={cube.band: "score_band"})
    return out

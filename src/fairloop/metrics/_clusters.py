"""Cases that are not independent: design effects from the cube for clustered logs.

When one reviewer decides many cases, or one case is judged several times, the cases of
a cluster share something (the reviewer's strictness, the case itself), and an interval
that treats every row as independent is too narrow. For the rate ``p = Y / X`` of a
group, the cluster-robust (linearisation, "sandwich") variance is::

    V = C / (C - 1) * sum_c (Y_c - p X_c)**2 / X**2

over the group's C clusters (``Y_c``, ``X_c``: a cluster's numerator and denominator
counts), and for the difference of two rates the same sum over the clusters' residual
differences, so that a reviewer who is strict with both groups cancels out of their gap.
With clusters of two crossed kinds (reviewers and cases) the two-way form of Cameron,
Gelbach and Miller (2011) is used: ``V = V_reviewer + V_case - V_rows``.

The *design effect* is ``V`` over the variance of independent rows (Kish), floored at 1
(clustering never narrows an interval); with few reviewers the part clustering adds,
``deff - 1``, is multiplied by ``(t_{G-1} / z)**2``, as a t quantile would widen it, where G is
the effective number of reviewers (Kish: ``(sum of cluster sizes)**2 / sum of squared
sizes``, the number of reviewers when they decide equal shares, fewer when a few decide
most). Intervals
and tests then run on the effective counts ``k / deff`` and ``n / deff`` (Korn and
Graubard 1998).

Reviewer clusters come from the cube itself (the reviewer is one of its keys) and apply
to the metrics of reviewed cases (the human's decision is what a reviewer shares across
cases); case clusters come from the cube's *case moments* (per combination of the
attributes, the sums over cases of the products of a case's counts in each pair of
cells, made by the one pass when case ids repeat) and apply to every metric. A reviewed
case with no reviewer id is a cluster of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fairloop.cube import CountCube
from fairloop.metrics._groups import GroupTable
from fairloop.stats import normal_quantile
from fairloop.vocabulary import CELLS, METRICS, MISSING_GROUP, cell_weights

__all__ = ["ClusterVariance", "moment_columns"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def moment_columns() -> list[str]:
    """Names of the case-moment columns: ``m_<cell>_<cell>`` for each pair of cells."""
    return [f"m_{a}_{b}" for i, a in enumerate(CELLS) for b in CELLS[i:]]


def _sum_runs(group: IntArray, terms: Sequence[NDArray[Any]], size: int) -> list[FloatArray]:
    """Each (rows, columns) term summed by group, the rows of a group in one run.

    One ``np.add.reduceat`` per term over the runs (not one bincount per column); a group
    of several runs is still summed whole.
    """
    out = [np.zeros((size, t.shape[1])) for t in terms]
    if len(group):
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        owners = group[starts]
        once = len(np.unique(owners)) == len(owners)
        for total, term in zip(out, terms, strict=True):
            runs = np.add.reduceat(term.astype(np.float64, copy=False), starts, axis=0)
            if once:
                total[owners] = runs
            else:
                np.add.at(total, owners, runs)
    return out


class ClusterVariance:
    """Cluster-robust design effects for the groups of a table, their complements and pairs.

    Parameters
    ----------
    cube : CountCube
        The audit's cube (its reviewer key and case moments say what is clustered).
    table : GroupTable
        The groups, summed from ``cube``.
    names : sequence of str
        The metrics (columns of every array).
    confidence_level : float, default=0.95
        Level of the intervals, for the few-clusters correction.
    keep_pairs : bool, default=True
        Keep each group's per-reviewer residuals, which :meth:`pair` needs (a search that
        only compares groups with their complements can do without).
    """

    def __init__(
        self,
        cube: CountCube,
        table: GroupTable,
        names: Sequence[str],
        *,
        confidence_level: float = 0.95,
        keep_pairs: bool = True,
    ) -> None:

        self.table = table
        self.keep_pairs = keep_pairs
        num, den = cell_weights(list(names))
        self.num, self.den = num.astype(np.float64), den.astype(np.float64)
        counts = table.counts.astype(np.float64)
        self.y, self.x = counts @ self.num, counts @ self.den
        yc, self.xc = self.y[0] - self.y, self.x[0] - self.x
        with np.errstate(divide="ignore", invalid="ignore"):
            self.p = np.where(self.x > 0, self.y / self.x, 0.0)
            self.pc = np.where(self.xc > 0, yc / self.xc, 0.0)
        self.z = normal_quantile(confidence_level)
        self.level = confidence_level
        shape = self.p.shape
        moments = cube.case_moments
        self.use_cases = moments is not None and all(a in moments for s in table.sets for a in s)
        reviewed = np.asarray([METRICS[n].population == "reviewed" for n in names])
        self.use_reviewers = cube.reviewer is not None and bool(reviewed.any())
        self.clusters = tuple(
            kind
            for kind, used in (("reviewer", self.use_reviewers), ("case", self.use_cases))
            if used
        )
        # sums of squared cluster residuals, by kind: reviewers (group gg, complement cc,
        # cross gc; C / (C - 1) with C the clusters of the whole population, one factor for
        # every term of a comparison) and cases (case_gg, case_cc; many clusters, none)
        self.gg, self.cc, self.gc = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        self.case_gg, self.case_cc = np.zeros(shape), np.zeros(shape)
        self.corr_g, self.corr = np.ones(shape), np.ones(shape)
        self.df_g, self.df_c = np.full(shape, np.inf), np.full(shape, np.inf)
        self._pairs: dict[int, tuple[IntArray, IntArray, FloatArray]] = {}
        self._run_slices: dict[int, dict[int, slice | IntArray]] = {}
        self.reviewed = reviewed
        self.by_reviewer = np.broadcast_to(reviewed[None, :] & self.use_reviewers, shape)
        self.by_case = np.full(shape, self.use_cases)
        if self.use_reviewers:
            self._reviewers(cube)
        if self.use_cases:
            self.case_gg, self.case_cc = self._cases(cube)

    # ------------------------------------------------------------------ reviewers

    def _reviewers(self, cube: CountCube) -> None:
        reviewer = str(cube.reviewer)
        table, shape = self.table, self.p.shape
        # only the metrics of reviewed cases have reviewer clusters: the sums below run over
        # those columns (R), and those that depend on a denominator alone over each distinct
        # denominator once (D; ``den_of`` maps R's columns to D's)
        cols = np.flatnonzero(self.reviewed)
        self._column_of = np.full(shape[1], -1)
        self._column_of[cols] = np.arange(len(cols))
        num, den = self.num[:, cols], self.den[:, cols]
        dens, den_of = np.unique(den, axis=1, return_inverse=True)
        den_of = np.asarray(den_of).reshape(-1)
        p, pc = self.p[:, cols], self.pc[:, cols]
        size, width = len(table), len(cols)
        # the counts by the sets' attributes and the reviewer alone (band and window keys
        # summed over once): each set's sum below touches those cells only
        cube = cube.summed_to([*{a for attrs in table.sets for a in attrs}, reviewer])
        known = cube.key_values(reviewer) != MISSING_GROUP  # by reviewer code
        position = np.cumsum(known) - 1  # a known reviewer's row in t_y, t_x
        (codes,), sums = cube.marginal_arrays([reviewer], codes=[reviewer])
        cells = sums[:, : len(CELLS)]
        mine = known[codes]
        t_y, t_x, t_d = cells[mine] @ num, cells[mine] @ den, cells[mine] @ dens
        lone_x_all = (cells[~mine] @ den).sum(axis=0)
        lone_y_all = (cells[~mine] @ num).sum(axis=0)
        gg, cc, gc = np.zeros((size, width)), np.zeros((size, width)), np.zeros((size, width))
        n_g, n_c = np.zeros((size, width)), np.zeros((size, width))
        sq_g, sq_c = np.zeros((size, width)), np.zeros((size, width))
        d_n_g, d_n_c = np.zeros((size, dens.shape[1])), np.zeros((size, dens.shape[1]))
        d_sq_g, d_sq_c = np.zeros((size, dens.shape[1])), np.zeros((size, dens.shape[1]))
        # every group's complement holds every reviewer, less the group's part (below)
        whole = (t_y * t_y).sum(0) - 2 * pc * (t_y * t_x).sum(0) + pc**2 * (t_x * t_x).sum(0)
        n_c += (t_x > 0).sum(axis=0)
        sq_c += (t_x * t_x).sum(axis=0)
        for s, keys, sums in _set_marginals(cube, table, reviewer):
            rows = table.set_slices()[s]
            attrs = table.sets[s]
            uniques = [cube.key_values(a) for a in attrs]
            group = _group_of_rows(table, s, keys[:-1], len(sums), uniques)
            keep = group >= 0
            cells = sums[:, : len(CELLS)]
            is_known = known[keys[-1]] & keep
            k = np.flatnonzero(is_known)
            g, r = group[k], position[keys[-1][k]]
            # np.take: a row gather several times faster than fancy indexing
            ck = np.take(cells, k, axis=0)
            gy, gx, gd = ck @ num, ck @ den, ck @ dens
            pg, pcg = np.take(p, g, axis=0), np.take(pc, g, axis=0)
            ty, tx, td = np.take(t_y, r, axis=0), np.take(t_x, r, axis=0), np.take(t_d, r, axis=0)
            a = gy - pg * gx  # the group's residual in reviewer r
            total = ty - pcg * tx
            b = total - (gy - pcg * gx)  # the complement's residual in reviewer r
            # the rows of a group are one run (sorted by the set's attributes): every sum by
            # group is one reduceat over the stacked terms
            summed = _sum_runs(g, [
                a * a, a * b,
                # the complement's sum over every reviewer: all of them, corrected where g is
                b * b - total * total,
                (gd > 0).astype(float),
                # cluster sizes' squares, for the effective number of clusters (Kish)
                gd**2, (td - gd) ** 2 - td**2,
                ((td - gd) <= 0) & (td > 0),
            ], size)  # fmt: skip
            gg += summed[0]
            gc += summed[1]
            cc += summed[2]
            d_n_g += summed[3]
            d_sq_g += summed[4]
            d_sq_c += summed[5]
            d_n_c -= summed[6]
            if self.keep_pairs:
                self._pairs[s] = (g, r, a)
            in_set = np.zeros(size, dtype=bool)
            in_set[rows] = True
            # reviewed cases without a reviewer id: clusters of one
            lone = np.flatnonzero(~known[keys[-1]] & keep)
            ly, lx = _sum_runs(group[lone], [cells[lone] @ num, cells[lone] @ den], size)
            gg += ly * (1 - p) ** 2 + (lx - ly) * p**2
            cly, clx = lone_y_all - ly, lone_x_all - lx
            cc[in_set] += (cly * (1 - pc) ** 2 + (clx - cly) * pc**2)[in_set]
            n_g += lx
            n_c[in_set] += clx[in_set]
            sq_g += lx
            sq_c[in_set] += clx[in_set]
        n_g += d_n_g[:, den_of]
        n_c += d_n_c[:, den_of]
        sq_g += d_sq_g[:, den_of]
        sq_c += d_sq_c[:, den_of]
        cc += whole
        clusters_all = (t_x > 0).sum(axis=0) + lone_x_all  # of the whole population
        x, xc = self.x[:, cols], self.xc[:, cols]
        # the t quantile's degrees of freedom: the effective number of clusters less one,
        # (sum of sizes)^2 / sum of squared sizes, which is C for clusters of equal size
        with np.errstate(divide="ignore", invalid="ignore"):
            eff_g = np.where(sq_g > 0, x**2 / sq_g, n_g)
            eff_c = np.where(sq_c > 0, xc**2 / sq_c, n_c)
        # the columns of other metrics keep no reviewer term (gg, cc, gc zero; df infinite)
        self.corr_g = np.ones(shape)
        self.corr_g[:, cols] = np.where(n_g > 1, n_g / np.maximum(n_g - 1, 1), 1.0)
        corr = np.ones(shape[1])
        corr[cols] = np.where(clusters_all > 1, clusters_all / np.maximum(clusters_all - 1, 1),
                              1.0)  # fmt: skip
        self.corr = np.broadcast_to(corr, shape)
        for name, value in (("gg", gg), ("cc", cc), ("gc", gc)):
            full = np.zeros(shape)
            full[:, cols] = value
            setattr(self, name, full)
        self.df_g, self.df_c = np.full(shape, np.inf), np.full(shape, np.inf)
        self.df_g[:, cols] = np.maximum(eff_g - 1, 1)
        self.df_c[:, cols] = np.maximum(eff_c - 1, 1)

    # ------------------------------------------------------------------ cases

    def _cases(self, cube: CountCube) -> tuple[FloatArray, FloatArray]:
        """Sums of squared case residuals of each group and its complement."""
        moments = cube.case_moments
        assert moments is not None
        table = self.table
        pairs = [(a, b) for i, a in enumerate(CELLS) for b in CELLS[i:]]
        index = {c: i for i, c in enumerate(CELLS)}
        matrices = np.zeros((len(table), len(CELLS), len(CELLS)))
        columns = moment_columns()
        for s, attrs in enumerate(table.sets):
            if attrs:
                grouped = moments.groupby(list(attrs), sort=True)[columns].sum()
                keys = [grouped.index.get_level_values(a).to_numpy(object) for a in attrs]
                group = _group_of_rows(table, s, keys, len(grouped))
                values = grouped.to_numpy(np.float64)
            else:
                group = np.zeros(1, dtype=np.int64)
                values = moments[columns].to_numpy(np.float64).sum(axis=0, keepdims=True)
            keep = group >= 0
            for j, (a, b) in enumerate(pairs):
                column = np.bincount(group[keep], values[keep, j], len(table))
                matrices[:, index[a], index[b]] += column
                if a != b:
                    matrices[:, index[b], index[a]] += column

        def resid(m: FloatArray, rate: FloatArray) -> FloatArray:
            yy = np.einsum("gij,im,jm->gm", m, self.num, self.num)
            yx = np.einsum("gij,im,jm->gm", m, self.num, self.den)
            xx = np.einsum("gij,im,jm->gm", m, self.den, self.den)
            out: FloatArray = np.maximum(yy - 2 * rate * yx + rate**2 * xx, 0.0)
            return out

        return resid(matrices, self.p), resid(matrices[0][None] - matrices, self.pc)

    # ------------------------------------------------------------------ design effects

    def _rows(self, p: FloatArray, x: FloatArray) -> FloatArray:
        """Sum of squared residuals of independent rows: p (1 - p) X."""
        return p * (1 - p) * x

    def _deff(
        self,
        rows: FloatArray,
        reviewer: FloatArray,
        case: FloatArray,
        by_reviewer: NDArray[np.bool_],
        by_case: NDArray[np.bool_],
        df: FloatArray,
    ) -> FloatArray:
        """Design effect from the variances of independent rows, reviewers and cases.

        Two-way, ``V = V_reviewer + V_case - V_rows``, is ``1 + (V_reviewer / V_rows - 1)
        + (V_case / V_rows - 1)``; each kind adds its excess only where it applies, floored
        at 0, and the reviewers' excess is widened by ``(t_{G-1} / z)**2`` (few reviewers).
        """
        from scipy import special

        # Student's t quantile (scipy.stats.t.ppf) without importing scipy.stats
        t = special.stdtrit(np.where(np.isfinite(df), df, 1e9), 0.5 + 0.5 * self.level)
        with np.errstate(divide="ignore", invalid="ignore"):
            rev = np.where(by_reviewer & (rows > 0), reviewer / rows - 1.0, 0.0)
            cas = np.where(by_case & (rows > 0), case / rows - 1.0, 0.0)
        rev = np.maximum(np.nan_to_num(rev), 0.0) * (t / self.z) ** 2
        out: FloatArray = 1.0 + rev + np.maximum(np.nan_to_num(cas), 0.0)
        return out

    def group(self) -> FloatArray:
        """Design effect of each group's rate (groups x metrics)."""
        if not self.clusters:
            return np.ones(self.p.shape)
        rows = self._rows(self.p, self.x)
        return self._deff(rows, self.gg * self.corr_g, self.case_gg, self.by_reviewer,
                          self.by_case, self.df_g)  # fmt: skip

    def contrast(self) -> FloatArray:
        """Design effect of each group's gap to its complement (groups x metrics)."""
        if not self.clusters:
            return np.ones(self.p.shape)
        x, xc = self.x, self.xc
        with np.errstate(divide="ignore", invalid="ignore"):
            rows = self._rows(self.p, x) / x**2 + self._rows(self.pc, xc) / xc**2
            reviewer = self.corr * (self.gg / x**2 + self.cc / xc**2 - 2 * self.gc / (x * xc))
            case = self.case_gg / x**2 + self.case_cc / xc**2
        return self._deff(np.nan_to_num(rows), np.nan_to_num(reviewer), np.nan_to_num(case),
                          self.by_reviewer, self.by_case,
                          np.minimum(self.df_g, self.df_c))  # fmt: skip

    def _runs(self, s: int, owner: IntArray) -> dict[int, slice | IntArray]:
        """The rows of each group of set ``s`` in its kept residuals (a run per group)."""
        cached = self._run_slices.get(s)
        if cached is None:
            starts: list[int] = []
            if len(owner):
                starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]).tolist()
            ends = [*starts[1:], len(owner)]
            pairs = zip(starts, ends, strict=True)
            cached = {int(owner[a]): slice(int(a), int(b)) for a, b in pairs}
            if len(cached) < len(starts):  # a group in several runs: its rows one by one
                cached = {g: np.flatnonzero(owner == g) for g in cached}
            self._run_slices[s] = cached
        return cached

    def pair(self, g: IntArray, h: IntArray, m: IntArray) -> FloatArray:
        """Design effect of the gap between groups ``g`` and ``h`` of one set, metric ``m``."""
        if not self.clusters:
            return np.ones(len(g))
        cross = np.zeros(len(g))
        if self.use_reviewers:
            # the reviewers two groups share are found once per pair of groups, then
            # their residuals' products summed for every metric asked of that pair
            set_of = self.table.set_index
            asked: dict[tuple[int, int], list[int]] = {}
            for i, (a, b, metric) in enumerate(zip(g.tolist(), h.tolist(), m.tolist(),
                                                   strict=True)):  # fmt: skip
                if self.reviewed[metric] and int(set_of[a]) in self._pairs:
                    asked.setdefault((a, b), []).append(i)
            for (a, b), where in asked.items():
                s = int(set_of[a])
                owner, reviewers, resid = self._pairs[s]
                runs = self._runs(s, owner)
                ia, ib = runs.get(a, _EMPTY), runs.get(b, _EMPTY)
                _, ja, jb = np.intersect1d(reviewers[ia], reviewers[ib], assume_unique=True,
                                           return_indices=True)  # fmt: skip
                columns = self._column_of[m[where]]
                cross[where] = np.einsum(
                    "rc,rc->c", resid[ia][ja][:, columns], resid[ib][jb][:, columns]
                )
        p, x = self.p, self.x
        xg, xh = x[g, m], x[h, m]
        with np.errstate(divide="ignore", invalid="ignore"):
            rows = self._rows(p[g, m], xg) / xg**2 + self._rows(p[h, m], xh) / xh**2
            reviewer = self.corr[g, m] * (
                self.gg[g, m] / xg**2 + self.gg[h, m] / xh**2 - 2 * cross / (xg * xh)
            )
            case = self.case_gg[g, m] / xg**2 + self.case_gg[h, m] / xh**2
        return self._deff(np.nan_to_num(rows), np.nan_to_num(reviewer), np.nan_to_num(case),
                          self.by_reviewer[g, m], self.by_case[g, m],
                          np.minimum(self.df_g[g, m], self.df_g[h, m]))  # fmt: skip


_EMPTY = slice(0, 0)


def _set_marginals(
    cube: CountCube, table: GroupTable, reviewer: str
) -> Iterator[tuple[int, list[IntArray], FloatArray]]:
    """Each set's marginal by its attributes and the reviewer (every key as its code).

    The deepest sets are summed from the cube; each, before the next, gives the sets it
    contains that are still to do (summed from its far fewer rows). One marginal and the
    one derived from it are held at a time. Sets without groups in the table are skipped.
    """
    sets = table.sets
    slices = table.set_slices()
    todo = [s for s in range(len(sets)) if slices[s].stop > slices[s].start]
    todo.sort(key=lambda s: -len(sets[s]))
    done: set[int] = set()
    for s in todo:
        if s in done:
            continue
        names = [*sets[s], reviewer]
        codes, sums = cube.marginal_arrays(names, codes=names)
        done.add(s)
        yield s, codes, sums
        for t in todo:
            if t not in done and set(sets[t]) < set(sets[s]):
                done.add(t)
                inner = [*sets[t], reviewer]
                yield t, *cube.coarser_marginal(inner, names, codes, sums)


def _group_of_rows(
    table: GroupTable,
    s: int,
    keys: Sequence[NDArray[Any]],
    size: int,
    uniques: Sequence[NDArray[np.object_]] | None = None,
) -> IntArray:
    """Table row of each of ``size`` marginal rows of set ``s`` (-1 where no such group).

    The rows come sorted by the set's attributes (then by any further key), so each
    combination of values is one run of rows: one look-up per group, not per row.
    ``keys`` are the attributes' values, or their codes when ``uniques`` gives the values.
    """
    if not keys:
        return np.zeros(size, dtype=np.int64)
    rows = table.set_slices()[s]
    lookup = {table.values[i]: i for i in range(rows.start, rows.stop)}
    change = np.zeros(size, dtype=bool)
    change[:1] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(change)
    firsts = [key[starts] for key in keys]
    if uniques is not None:
        firsts = [values[first] for values, first in zip(uniques, firsts, strict=True)]
    groups = [lookup.get(tuple(str(v) for v in combo), -1) for combo in zip(*firsts, strict=True)]
    return np.repeat(np.asarray(groups, dtype=np.int64), np.diff(np.append(starts, size)))

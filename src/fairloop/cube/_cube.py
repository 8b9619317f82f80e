"""CountCube: counts per finest cell, and sums of them over any set of attributes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.cube._bands import ScoreBands
from fairloop.cube._packed import (
    Codes,
    arrow_table,
    is_packed,
    pack_arrow,
    pack_table,
    plain_text,
    unpack_table,
)
from fairloop.vocabulary import CELLS, REVIEWED_CELLS, SCORE_SUMS, WEIGHT_SUMS, value_order

__all__ = ["Agreement", "CountCube", "Outcomes", "WindowStrata", "sorted_unique"]


def sorted_unique(
    codes: NDArray[np.int64], span: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``np.unique(codes, return_inverse=True)`` for codes in ``[0, span)``, without sorting.

    When the span is small against the codes (the cube's combinations of a few
    attributes), marking which codes occur and ranking them is linear; otherwise sort.
    """
    if span <= max(4 * len(codes), 1 << 16):
        seen = np.zeros(span, dtype=bool)
        seen[codes] = True
        rank = np.cumsum(seen) - 1
        return np.flatnonzero(seen).astype(np.int64), rank[codes].astype(np.int64)
    keys, inverse = np.unique(codes, return_inverse=True)
    return keys.astype(np.int64), inverse.astype(np.int64)


class WindowStrata:
    """A cube's strata by time window: given, or made on first use.

    The engine that counted a log's strata by window fetches them only when a window is
    selected, stored or merged; the audit reads the sums over windows.

    Parameters
    ----------
    load : callable
        Returns the strata by window and the reviewers' strata by window (or None).
    """

    def __init__(self, load: Callable[[], tuple[CountCube, CountCube | None]]) -> None:
        self._load: Callable[[], tuple[CountCube, CountCube | None]] | None = load
        self._value: tuple[CountCube, CountCube | None] | None = None

    @classmethod
    def given(cls, strata: CountCube, reviewers: CountCube | None) -> WindowStrata:
        """Strata by window already made."""
        out = cls(lambda: (strata, reviewers))
        out.get()
        return out

    def get(self) -> tuple[CountCube, CountCube | None]:
        """The strata and the reviewers' strata, each with the window key."""
        if self._value is None:
            if self._load is None:  # pragma: no cover - set together
                raise RuntimeError("Strata by window without a way to make them.")
            self._value = self._load()
            self._load = None  # whatever it held (the engine's tables) is let go
        return self._value

    def fields(self) -> dict[str, Any]:
        """The cube fields they give: the sums over windows, and themselves."""
        strata, reviewers = self.get()
        return {"strata": strata.without_windows(),
                "reviewer_strata": _apply(reviewers, lambda c: c.without_windows()),
                "window_strata": self}  # fmt: skip

    def __getstate__(self) -> dict[str, Any]:
        return {"_load": None, "_value": self.get()}


@dataclass(frozen=True, eq=False)
class CountCube:
    """Counts of cases per cell of (sensitive x context attributes) x the six confusion cells.

    Every metric of every group is a ratio of sums over this table; once it is built,
    nothing reads the rows again.

    Parameters
    ----------
    sensitive : tuple of str
        Sensitive attribute names.
    context : tuple of str
        Context attribute names.
    cells : pandas.DataFrame
        One row per observed combination of attribute values (as text), with the
        integer columns of :data:`CELLS` and the float columns ``score_n`` and
        ``score_sum``.
    reviewer : str or None, default=None
        Key column of the reviewer id, when the log names reviewers.
    window : str or None, default=None
        Key column of the time window (its start date as ``YYYY-MM-DD``), when the log
        has a time column; the cube is then the sum of one cube per window.
    case_moments : pandas.DataFrame or None, default=None
        When cases are judged several times (a case id repeats): per combination of the
        attributes, the number of cases (``cases``) and the sums over cases of the
        products of the case's counts in each pair of cells (``m_tp_fp`` ...), for
        intervals that treat a case's judgments as one cluster. Not kept by
        :meth:`window_cube`, :meth:`select_windows` or :meth:`merge` (a case may span
        windows and parts).
    orders : mapping of str to tuple of str, default={}
        The order the input declares for an attribute's values (a pandas ordered
        categorical's); others are shown in natural order (numeric bands by number).
    transitions : pandas.DataFrame or None, default=None
        Reviewed cases by sensitive attribute, group, the model's value and the human's
        value (as text): the transition table of decisions with several values. Kept
        for the audit of this cube's own log (not by windows, merges or the store).
    band : str or None, default=None
        Key column of the score's weighting stratum (a coarse score band, as text): a key
        of the cubes of :attr:`strata` and :attr:`reviewer_strata`, not of the audit's.
    bands : ScoreBands or None, default=None
        How the score was banded.
    scores : pandas.DataFrame or None, default=None
        Counts per sensitive group (and time window, keyed as the cube's) and *fine*
        score band (column ``fine``, -1 where the score is missing): the cells and the
        score sums, for ROC AUC, calibration and threshold what-ifs
        (:mod:`fairloop.metrics._scores`). Windows select and add up as the cells do.
    reasons : pandas.DataFrame or None, default=None
        Reviewed cases per sensitive attribute, group and review reason (attribute,
        group, reason, n), when the log names why each case was reviewed.
    strata : CountCube or None, default=None
        When the log has a score: the same cases by sensitive and context attributes and
        score stratum (key :attr:`band`), summed over reviewers and time windows, for
        the weighted estimates and the tests of selection. Counted by the same pass apart
        from the cells, so that the strata do not multiply the audit's cells.
    reviewer_strata : CountCube or None, default=None
        Likewise by sensitive attributes, reviewer and score stratum: the reviewers'
        case mix.
    agreement : Agreement or None, default=None
        When cases are judged by several people (the case id repeats): how they agreed.
        Kept for the audit of this cube's own log and its record (not by windows or
        merges).
    outcomes : Outcomes or None, default=None
        With an outcome column: the model's and the final decisions against it. Kept for
        the audit of this cube's own log and its record (not by windows or merges).
    window_strata : WindowStrata or None, default=None
        With time windows: both by window too, so that windows select, add up and merge
        with their strata (:meth:`select_windows`, :meth:`merge`, the store). Made on
        first use: the audit itself reads only the sums over windows.

    Columns ``w_<cell>`` and ``v_<cell>`` of ``cells`` (:data:`WEIGHT_SUMS`), when the
    log gives each case's review probability ``p``: the sums of ``1 / p`` and of
    ``(1 - p) / p**2`` over the reviewed cases of each cell.

    Examples
    --------
    >>> cells = pd.DataFrame({"sex": ["F", "M"], "tp": [3, 4], "fp": [1, 0], "fn": [0, 2],
    ...                       "tn": [5, 5], "pu": [1, 1], "nu": [0, 3]})
    >>> cube = CountCube(("sex",), (), cells)
    >>> cube.n_rows
    25
    >>> cube.marginal([])[["tp", "fn"]].to_dict("records")
    [{'tp': 7, 'fn': 2}]
    """

    sensitive: tuple[str, ...]
    context: tuple[str, ...]
    cells: pd.DataFrame
    reviewer: str | None = None
    window: str | None = None
    case_moments: pd.DataFrame | None = field(default=None, repr=False)
    transitions: pd.DataFrame | None = field(default=None, repr=False)
    orders: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    band: str | None = None
    bands: ScoreBands | None = field(default=None, repr=False)
    scores: pd.DataFrame | None = field(default=None, repr=False)
    reasons: pd.DataFrame | None = field(default=None, repr=False)
    strata: CountCube | None = field(default=None, repr=False)
    reviewer_strata: CountCube | None = field(default=None, repr=False)
    window_strata: WindowStrata | None = field(default=None, repr=False)
    outcomes: Outcomes | None = field(default=None, repr=False)
    agreement: Agreement | None = field(default=None, repr=False)
    # derived in __post_init__: per attribute (sorted codes, uniques), and the sums matrix
    _codes: dict[str, tuple[NDArray[np.int64], NDArray[np.object_]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # a part of a cube made here has its columns right already: no conversion
        cells = self.cells.reset_index(drop=True) if self._in_shape() else self._shaped()
        object.__setattr__(self, "cells", cells)
        # each key factorised on first use, then kept: marginals are integer arithmetic
        object.__setattr__(self, "_codes", {})
        if self.case_moments is not None:  # moments recorded before a cell was added: zero
            moments = self.case_moments.copy()
            for i, a in enumerate(CELLS):
                for b in CELLS[i:]:
                    if f"m_{a}_{b}" not in moments:
                        moments[f"m_{a}_{b}"] = 0
            object.__setattr__(self, "case_moments", moments)

    def _in_shape(self) -> bool:
        """Whether the cells hold exactly the columns, in order and type, the cube keeps."""
        weights = [w for w in WEIGHT_SUMS if w in self.cells]
        expected = [*self.keys, *CELLS, *SCORE_SUMS, *weights]
        if list(self.cells.columns) != expected:
            return False
        dtypes = self.cells.dtypes
        return (
            all(dtypes[k] == np.dtype(object) for k in self.keys)
            and all(dtypes[c] == np.dtype(np.int64) for c in CELLS)
            and all(dtypes[c] == np.dtype(np.float64) for c in (*SCORE_SUMS, *weights))
        )

    def _shaped(self) -> pd.DataFrame:
        """The cells with the cube's columns, in order and type (missing counts as zero)."""
        cells = self.cells.copy(deep=False)  # copy on write: the given frame stays as it was
        for name in CELLS:
            cells[name] = cells[name].astype(np.int64) if name in cells else np.int64(0)
        for name in SCORE_SUMS:
            cells[name] = cells[name].astype(np.float64) if name in cells else 0.0
        for name in self.keys:
            cells[name] = cells[name].astype(object)
        weights = [w for w in WEIGHT_SUMS if w in cells]
        for name in weights:
            cells[name] = cells[name].astype(np.float64)
        return cells[[*self.keys, *CELLS, *SCORE_SUMS, *weights]].reset_index(drop=True)

    def _code(self, name: str) -> tuple[NDArray[np.int64], NDArray[np.object_]]:
        """A key's code per cell row and its values in order (computed once)."""
        cached = self._codes.get(name)
        if cached is None:
            column = self.cells[name]
            # each distinct value converted once, not each row (one hashing of the column)
            raw, distinct = pd.factorize(column, use_na_sentinel=False)
            values = [str(v) for v in distinct]
            # groups in their declared or natural order (numeric bands by number), not as
            # text; the reviewer and window keys in text order (dates sort as text)
            order = (
                value_order(values, self.orders.get(name, ()))
                if name in self.attributes
                else sorted(values)
            )
            position = {value: i for i, value in enumerate(order)}
            rank = np.asarray([position[str(v)] for v in distinct], dtype=np.int64)
            code = rank[raw] if len(raw) else np.zeros(0, dtype=np.int64)
            cached = (code, np.asarray(order, dtype=object))
            self._codes[name] = cached
        return cached

    def _sums(self) -> NDArray[np.float64]:
        """The cells then the score sums of every row, as one float matrix (computed once).

        Column-major: a marginal sums it column by column.
        """
        cached: NDArray[np.float64] | None = self.__dict__.get("_sum_matrix")
        if cached is None:
            cached = np.asfortranarray(self.cells[[*CELLS, *SCORE_SUMS]].to_numpy(np.float64))
            object.__setattr__(self, "_sum_matrix", cached)
        return cached

    @property
    def attributes(self) -> tuple[str, ...]:
        """Sensitive then context attribute names."""
        return self.sensitive + self.context

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key column of the cells: the attributes, then the reviewer and window keys."""
        extra = tuple(k for k in (self.reviewer, self.band, self.window) if k)
        return self.attributes + extra

    @property
    def weighted(self) -> bool:
        """Whether the cells hold review-probability weight sums (:data:`WEIGHT_SUMS`)."""
        return WEIGHT_SUMS[0] in self.cells

    def _same(self, cells: pd.DataFrame, **changes: object) -> CountCube:
        """A cube like this one over other cells (keys and extras given by ``changes``)."""
        fields: dict[str, object] = {
            "reviewer": self.reviewer, "window": self.window, "orders": self.orders,
            "band": self.band, "bands": self.bands, "scores": self.scores,
            "reasons": self.reasons, "strata": self.strata,
            "reviewer_strata": self.reviewer_strata, "window_strata": self.window_strata,
            "outcomes": self.outcomes, "agreement": self.agreement,
        }  # fmt: skip
        fields.update(changes)
        return CountCube(self.sensitive, self.context, cells, **fields)  # type: ignore[arg-type]

    @property
    def windows(self) -> list[str]:
        """The time windows counted, in order (empty without a window key)."""
        if self.window is None:
            return []
        return [str(w) for w in self._code(self.window)[1]]

    def _summed_over(
        self, key: str, cache: str, changes: Callable[[], dict[str, object]]
    ) -> CountCube:
        """The same counts summed over one key, made once per cube.

        ``changes`` gives what else the summed cube keeps or drops.
        """
        cached: CountCube | None = self.__dict__.get(cache)
        if cached is None:
            summed = self._cells_by([k for k in self.keys if k != key])
            cached = self._same(summed, **changes())
            object.__setattr__(self, cache, cached)
        return cached

    def _cells_by(self, keys: Sequence[str]) -> pd.DataFrame:
        """The cells summed by some keys (on their integer codes, not their text)."""
        values, inverse, size = self.grouping(keys)
        summed = pd.DataFrame(dict(zip(keys, values, strict=True)))
        for column in self.cells.columns:
            if column in self.keys:
                continue
            total = np.bincount(inverse, self.cells[column].to_numpy(np.float64), size)
            summed[column] = np.rint(total).astype(np.int64) if column in CELLS else total
        return summed

    def summed_to(self, keys: Sequence[str]) -> CountCube:
        """The counts by some keys alone, every other key summed over (made once per keys).

        A cube of the attributes (and the reviewer, band or window key, when named) in
        ``keys`` with no parts (strata, scores, outcomes): what a table of groups sums
        from, far fewer cells than the cube when it drops the reviewer or window key. The
        keys' values keep the cube's order.

        Parameters
        ----------
        keys : sequence of str
            Keys of this cube.
        """
        wanted = [k for k in self.keys if k in set(keys)]
        if len(wanted) == len(self.keys):
            return self
        store: dict[tuple[str, ...], CountCube] = self.__dict__.setdefault("_summed_to", {})
        cached = store.get(tuple(wanted))
        if cached is None:
            summed = self._cells_by(wanted)
            cached = CountCube(
                tuple(a for a in self.sensitive if a in wanted),
                tuple(a for a in self.context if a in wanted),
                summed,
                reviewer=self.reviewer if self.reviewer in wanted else None,
                window=self.window if self.window in wanted else None,
                band=self.band if self.band in wanted else None,
                bands=self.bands if self.band in wanted else None,
                orders=self.orders,
            )
            store[tuple(wanted)] = cached
        return cached

    def without_windows(self) -> CountCube:
        """The same counts summed over the time windows (the cube itself if it has none)."""
        if self.window is None:
            return self
        window = self.window
        return self._summed_over(window, "_summed", lambda: {
            "window": None, "case_moments": self.case_moments,
            "scores": self._scores_without(window), "window_strata": None,
        })  # fmt: skip

    def without_reviewer(self) -> CountCube:
        """The same counts summed over reviewers (the cube itself if it has no reviewer key).

        The weighted estimates and the tests of selection do not need the reviewer, which
        multiplies the cells.
        """
        if self.reviewer is None:
            return self
        return self._summed_over(self.reviewer, "_unreviewed", lambda: {"reviewer": None})

    @property
    def weighting_cube(self) -> CountCube:
        """What the weighted estimates and the tests of selection read.

        The counts by attribute and score stratum (:attr:`strata`) when the log has a
        score; otherwise the cube summed over time windows and reviewers.
        """
        if self.strata is not None:
            return self.strata
        return self.without_windows().without_reviewer()

    @property
    def case_mix_cube(self) -> CountCube:
        """What the reviewers' case mix reads: :attr:`reviewer_strata`, else the cube."""
        if self.reviewer_strata is not None:
            return self.reviewer_strata
        return self.without_windows()

    def window_cube(self, start: str) -> CountCube:
        """The cube of one time window alone, without the window key."""
        if self.window is None:
            raise KeyError("This cube has no time windows (the log has no time column).")
        cells = self.cells[self.cells[self.window] == start].drop(columns=self.window)
        scores = self._scores_in([start])
        if scores is not None:
            scores = scores.drop(columns=self.window)
        strata, reviewer = None, None
        if self.window_strata is not None:
            by_window, reviewers = self.window_strata.get()
            strata = by_window.window_cube(start)
            reviewer = _apply(reviewers, lambda c: c.window_cube(start))
        return self._same(
            cells, window=None, scores=scores, reasons=None, strata=strata,
            reviewer_strata=reviewer, window_strata=None, outcomes=None, agreement=None,
        )  # fmt: skip

    def select_windows(self, starts: Sequence[str]) -> CountCube:
        """The cells of some time windows, window key kept (so the parts merge back)."""
        if self.window is None:
            raise KeyError("This cube has no time windows (the log has no time column).")
        if self.window in self._codes:  # the windows' codes, kept: integers, not text
            code, values = self._codes[self.window]
            wanted = np.flatnonzero(np.isin(values, [str(s) for s in starts]))
            cells = self.cells[np.isin(code, wanted)]
        else:
            cells = self.cells[self.cells[self.window].isin(list(starts))]
        strata: dict[str, Any] = {"strata": None, "reviewer_strata": None,
                                  "window_strata": None}  # fmt: skip
        if self.window_strata is not None:
            by_window, reviewers = self.window_strata.get()
            strata = WindowStrata.given(
                by_window.select_windows(starts),
                _apply(reviewers, lambda c: c.select_windows(starts)),
            ).fields()
        return self._same(
            cells,
            scores=self._scores_in(starts),
            reasons=None,
            outcomes=None,
            agreement=None,
            **strata,
        )

    def _scores_in(self, starts: Sequence[str]) -> pd.DataFrame | None:
        """The score table's rows of some windows (None without a windowed score table)."""
        scores = self.scores
        if scores is None or self.window is None or self.window not in scores:
            return None
        kept: pd.DataFrame = scores[scores[self.window].isin(list(starts))]
        return kept.reset_index(drop=True)

    def _scores_without(self, key: str | None) -> pd.DataFrame | None:
        """The score table summed over a key (the table itself if it has not that key)."""
        scores = self.scores
        if scores is None or key is None or key not in scores:
            return scores
        keys = [c for c in (*self.sensitive, "fine") if c in scores]
        summed: pd.DataFrame = scores.drop(columns=key).groupby(keys, sort=True).sum()
        return summed.reset_index()

    def window_sizes(self) -> dict[str, int]:
        """The cases counted in each time window (one pass over the cells)."""
        if self.window is None:
            raise KeyError("This cube has no time windows (the log has no time column).")
        code, values = self._code(self.window)
        per_cell = self.cells[list(CELLS)].to_numpy().sum(axis=1)
        totals = np.bincount(code, weights=per_cell, minlength=len(values))
        return {str(v): int(t) for v, t in zip(values, totals, strict=True)}

    @property
    def n_rows(self) -> int:
        """Number of cases counted."""
        return int(self.cells[list(CELLS)].to_numpy().sum())

    @property
    def n_reviewed(self) -> int:
        """Number of cases a human reviewed."""
        return int(self.cells[list(REVIEWED_CELLS)].to_numpy().sum())

    def marginal(self, attributes: Sequence[str]) -> pd.DataFrame:
        """Sum the cells over every attribute not named.

        Parameters
        ----------
        attributes : sequence of str
            Attributes to keep; ``[]`` gives one row for the whole population.

        Returns
        -------
        pandas.DataFrame
            One row per combination of the named attributes' values (sorted), with the
            summed cell counts.
        """
        unknown = [a for a in attributes if a not in self.keys]
        if unknown:
            raise KeyError(f"{unknown[0]!r} is not a key of this cube: {self.keys}")
        values, summed = self.marginal_arrays(attributes)
        frame = pd.DataFrame(dict(zip(attributes, values, strict=True)))
        for j, name in enumerate((*CELLS, *SCORE_SUMS)):
            column = summed[:, j]
            frame[name] = np.rint(column).astype(np.int64) if name in CELLS else column
        return frame

    def marginal_arrays(
        self, attributes: Sequence[str], *, codes: Sequence[str] = ()
    ) -> tuple[list[NDArray[Any]], NDArray[np.float64]]:
        """:meth:`marginal` as arrays: the attributes' values, and the summed columns.

        ``attributes`` and ``codes`` are as :meth:`grouping` takes them.

        Returns
        -------
        values : list of ndarray
            One array of values (or codes) per attribute, one entry per group (sorted).
        sums : ndarray of shape (groups, len(CELLS) + 2)
            The summed cells then the score sums, as floats.
        """
        totals = self._sums()
        if not attributes:
            return [], totals.sum(axis=0, keepdims=True)
        values, inverse, size = self.grouping(attributes, codes=codes)
        summed: NDArray[np.float64] = np.column_stack(
            [np.bincount(inverse, totals[:, j], size) for j in range(totals.shape[1])]
        ).astype(np.float64)
        return values, summed

    def coarser_marginal(
        self,
        attributes: Sequence[str],
        finer: Sequence[str],
        codes: Sequence[NDArray[np.int64]],
        sums: NDArray[np.float64],
    ) -> tuple[list[NDArray[np.int64]], NDArray[np.float64]]:
        """``marginal_arrays(attributes, codes=attributes)`` summed from a finer marginal.

        Parameters
        ----------
        attributes : sequence of str
            Keys of this cube, all of them in ``finer``.
        finer : sequence of str
            The keys of a marginal of this cube with every key given by its code
            (``marginal_arrays(finer, codes=finer)``), which gives ``codes`` and ``sums``.
        codes, sums
            That marginal: far fewer rows than the cube, so summing it again is cheaper
            than summing the cells.
        """
        where = [list(finer).index(a) for a in attributes]
        combined = np.zeros(len(sums), dtype=np.int64)
        span = 1
        for name, i in zip(attributes, where, strict=True):
            width = len(self.key_values(name))
            combined = combined * width + codes[i]
            span *= width
        keys, inverse = sorted_unique(combined, span)
        columns = np.asfortranarray(sums)
        summed: NDArray[np.float64] = np.column_stack(
            [np.bincount(inverse, columns[:, j], len(keys)) for j in range(sums.shape[1])]
        ).astype(np.float64)
        out: list[NDArray[np.int64]] = []
        for name in reversed(attributes):
            width = len(self.key_values(name))
            out.append(keys % width)
            keys = keys // width
        return out[::-1], summed

    def _key_codes(self) -> Codes:
        """The text keys already coded (by a marginal), as their codes: to pack them as coded.

        A key not coded yet is left to Arrow: coding it only to pack it costs more.
        (A cube's keys are never empty: a missing value is MISSING_GROUP.)
        """
        return {
            name: self._codes[name]
            for name in self.keys
            if name in self._codes and pd.api.types.is_string_dtype(self.cells[name].dtype)
        }

    def key_values(self, name: str) -> NDArray[np.object_]:
        """A key's values in the cube's order (a code is a position in this array)."""
        return self._code(name)[1]

    def grouping(
        self, attributes: Sequence[str], *, codes: Sequence[str] = ()
    ) -> tuple[list[NDArray[Any]], NDArray[np.int64], int]:
        """Which combination of the attributes' values each cell row belongs to.

        Parameters
        ----------
        attributes : sequence of str
            Keys of this cube.
        codes : sequence of str, default=()
            Keys given by their code (position in :meth:`key_values`) instead of their value.

        Returns
        -------
        values : list of ndarray
            One array of values (or codes) per attribute, one entry per combination (sorted).
        inverse : ndarray of int
            The combination of each row of :attr:`cells`.
        size : int
            The number of combinations.
        """
        combined = np.zeros(len(self.cells), dtype=np.int64)
        span = 1
        for name in attributes:
            code, uniques = self._code(name)
            combined = combined * len(uniques) + code
            span *= len(uniques)
        keys, inverse = sorted_unique(combined, span)
        values: list[NDArray[Any]] = []
        remainder = keys.copy()
        for name in reversed(attributes):
            _, uniques = self._code(name)
            code = remainder % len(uniques)
            values.append(code if name in codes else uniques[code])
            remainder //= len(uniques)
        return values[::-1], inverse.astype(np.int64), len(keys)

    def column_matrix(self, columns: Sequence[str]) -> NDArray[np.float64]:
        """Some numeric columns of :attr:`cells` as one float matrix (rows x columns)."""
        matrix: NDArray[np.float64] = self.cells[list(columns)].to_numpy(dtype=np.float64)
        return matrix

    def member_mask(self, subgroup: dict[str, str]) -> NDArray[np.bool_]:
        """Which cells belong to a subgroup (a conjunction of key = value)."""
        mask = np.ones(len(self.cells), dtype=bool)
        for name, value in subgroup.items():
            code, uniques = self._code(name)
            where = np.flatnonzero(uniques == value)
            mask &= code == (where[0] if where.size else -1)
        return mask

    def merge(self, *others: CountCube) -> CountCube:
        """Add cubes over the same attributes (time windows, partitions) cell by cell.

        Parameters
        ----------
        *others : CountCube
            Cubes with the same sensitive and context attributes.

        Returns
        -------
        CountCube
            The cube of all the cases of every input.
        """
        for other in others:
            if other.keys != self.keys:
                raise ValueError(
                    "Cubes can be merged only over the same keys. "
                    f"Got {other.keys} and {self.keys}."
                )
        stacked = pd.concat([self.cells, *(o.cells for o in others)], ignore_index=True)
        stacked = stacked.groupby(list(self.keys), sort=True, dropna=False).sum().reset_index()
        scores = None
        tables = [self.scores, *(o.scores for o in others)]
        if all(t is not None for t in tables):
            both = pd.concat(tables, ignore_index=True)
            keys = [c for c in both.columns if c in (*self.sensitive, self.window, "fine")]
            scores = both.groupby(keys, sort=True, dropna=False).sum().reset_index()
        parts = (self, *others)
        strata: dict[str, Any] = {"strata": None, "reviewer_strata": None,
                                  "window_strata": None}  # fmt: skip
        if self.window is None:  # no windows: the strata themselves add up
            strata.update(strata=_merged([p.strata for p in parts]),
                          reviewer_strata=_merged([p.reviewer_strata for p in parts]))  # fmt: skip
        elif all(p.window_strata is not None for p in parts):
            pairs = [p.window_strata.get() for p in parts if p.window_strata is not None]
            by_window = _merged([a for a, _ in pairs])
            if by_window is not None:
                strata = WindowStrata.given(by_window, _merged([b for _, b in pairs])).fields()
        return self._same(
            stacked, scores=scores, reasons=None, outcomes=None, agreement=None, **strata
        )

    def to_dict(self, *, packed: bool = False, apart: Sequence[str] = ()) -> dict[str, Any]:
        """Plain JSON-compatible form (key values as text, counts as integers).

        Parameters
        ----------
        packed : bool, default=False
            Each table (the cells, scores, strata, case moments, outcomes, agreement) as
            ``{"arrow": ...}``: a zstd-compressed Arrow IPC stream in base64, instead of a
            list of rows. The review store's form: a tenth of the size, written and read
            without Python touching a value. :meth:`from_dict` reads both forms.
        apart : sequence of str, default=()
            Time windows kept apart (the review store keeps each window's own cube, from
            :meth:`window_dicts`): their cells, scores and strata are left out, and listed
            under ``windows_apart``. :meth:`from_dict` then needs those windows' dicts.
        """
        if apart:
            rest = self.select_windows([w for w in self.windows if w not in set(apart)])
            kept = replace(rest, outcomes=self.outcomes, agreement=self.agreement)
            return {**kept.to_dict(packed=packed), "windows_apart": sorted(apart)}
        parts: tuple[CountCube | None, CountCube | None] = (self.strata, self.reviewer_strata)
        if self.window_strata is not None:  # by window, so that windows keep them
            parts = self.window_strata.get()
        scores = None
        if self.scores is not None:
            scores = (list(self.scores.columns), _emit(self.scores, _object_rows, packed))
        return self._dict_of(
            _emit(_plain_frame(self.cells, len(self.keys)), _plain_rows, packed,
                  self._key_codes() if packed else None), scores,
            [None if p is None else p.to_dict(packed=packed) for p in parts],
            outcomes=self.outcomes, agreement=self.agreement, packed=packed,
        )  # fmt: skip

    def window_dicts(self, *, packed: bool = False) -> dict[str, dict[str, Any]]:
        """``select_windows([w]).to_dict(packed=packed)`` for every window ``w``, at once.

        Linear in the cells however many windows there are (what the review store keeps
        of each window): the cells are sorted by window once, turned into rows once, and
        each window takes its slice; the parts are never built as cubes.
        """
        if self.window is None:
            raise KeyError("This cube has no time windows (the log has no time column).")
        scores: dict[str, Any] | None = None
        if self.scores is not None and self.window in self.scores:
            scores = _slices(self.scores, self.window, _object_rows, packed)
        parts: list[dict[str, dict[str, Any]] | None] = [None, None]
        if self.window_strata is not None:
            parts = [None if c is None else c.window_dicts(packed=packed)
                     for c in self.window_strata.get()]  # fmt: skip
        width = len(self.keys)
        out: dict[str, dict[str, Any]] = {}
        self._code(self.window)  # the windows' codes, kept: the slices and the packing use them
        rows_by_window = _slices(_plain_frame(self.cells, width), self.window, _plain_rows, packed,
                                 self._key_codes() if packed else None)  # fmt: skip
        no_scores = None
        if self.scores is not None and scores is not None:
            no_scores = _emit(self.scores.iloc[:0], _object_rows, packed)
        for start, rows in rows_by_window.items():
            kept = None
            if self.scores is not None and scores is not None:
                kept = (list(self.scores.columns), scores.get(start, no_scores))
            strata: list[dict[str, Any] | None] = []
            for i, by_window in enumerate(parts):
                if by_window is None:
                    strata.append(None)
                elif start in by_window:
                    strata.append(by_window[start])
                else:  # no stratum counted in this window
                    cube = self.window_strata.get()[i]  # type: ignore[union-attr]
                    alone = None if cube is None else cube.select_windows([start])
                    strata.append(None if alone is None else alone.to_dict(packed=packed))
            out[start] = self._dict_of(
                rows, kept, strata, outcomes=None, agreement=None, packed=packed
            )
        return out

    def _dict_of(
        self,
        rows: Any,
        scores: tuple[list[str], Any] | None,
        strata: Sequence[dict[str, Any] | None],
        *,
        outcomes: Outcomes | None,
        agreement: Agreement | None,
        packed: bool,
    ) -> dict[str, Any]:
        """The plain form of this cube's layout over some cell rows and parts."""
        out: dict[str, Any] = {
            "sensitive": list(self.sensitive),
            "context": list(self.context),
            "reviewer": self.reviewer,
            "window": self.window,
            "band": self.band,
            "bands": None if self.bands is None else self.bands.to_dict(),
            "orders": {k: list(v) for k, v in self.orders.items()},
            "columns": list(self.cells.columns),
            "rows": rows,
        }  # fmt: skip
        if scores is not None:
            out["scores"] = {"columns": scores[0], "rows": scores[1]}
        for name, part in zip(("strata", "reviewer_strata"), strata, strict=True):
            if part is not None:
                out[name] = part
        if outcomes is not None:
            out["outcomes"] = outcomes.to_dict(packed=packed)
        if agreement is not None:
            out["agreement"] = agreement.to_dict(packed=packed)
        if self.case_moments is not None:
            moments = self.case_moments
            out["case_moments"] = {
                "columns": list(moments.columns),
                "rows": _emit(moments, _moment_rows, packed),
            }
        return out

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], windows: Mapping[str, dict[str, Any]] | None = None
    ) -> CountCube:
        """Rebuild a cube from :meth:`to_dict` output.

        Parameters
        ----------
        data : dict
            The plain form, its tables as rows or packed.
        windows : mapping of str to dict, optional
            The dicts of the windows ``data`` keeps apart (``windows_apart``), by window.

        Raises
        ------
        ValueError
            ``data`` keeps windows apart that ``windows`` does not give.
        """
        apart = data.get("windows_apart") or []
        if apart:
            missing = [w for w in apart if w not in (windows or {})]
            if missing:
                raise ValueError(
                    f"The cube keeps {len(apart)} time windows apart; {len(missing)} of them "
                    f"were not given (first: {missing[0]})."
                )
            assert windows is not None
            data = _joined(data, [windows[w] for w in apart])
        cells = _frame(data["rows"], data["columns"])
        moments = data.get("case_moments")
        scores = data.get("scores")
        bands = data.get("bands")
        strata = cls.from_dict(data["strata"]) if data.get("strata") else None
        reviewers = cls.from_dict(data["reviewer_strata"]) if data.get("reviewer_strata") else None
        kept: dict[str, Any] = {"strata": strata, "reviewer_strata": reviewers}
        if strata is not None and strata.window is not None:
            kept = WindowStrata.given(strata, reviewers).fields()
        return cls(
            tuple(data["sensitive"]),
            tuple(data["context"]),
            cells,
            data.get("reviewer"),
            data.get("window"),
            None if moments is None else _frame(moments["rows"], moments["columns"]),
            orders={k: tuple(v) for k, v in (data.get("orders") or {}).items()},
            band=data.get("band"),
            bands=None if bands is None else ScoreBands.from_dict(bands),
            scores=None if scores is None else _frame(scores["rows"], scores["columns"]),
            outcomes=Outcomes.from_dict(data["outcomes"]) if data.get("outcomes") else None,
            agreement=Agreement.from_dict(data["agreement"]) if data.get("agreement") else None,
            **kept,
        )  # fmt: skip

    def equals(self, other: CountCube) -> bool:
        """Whether two cubes hold the same counts for the same cells, in any row order.

        Their :attr:`strata` and :attr:`reviewer_strata` (summed over windows) too.
        """
        if (self.sensitive, self.context, self.reviewer, self.window, self.band) != (
            other.sensitive,
            other.context,
            other.reviewer,
            other.window,
            other.band,
        ):
            return False
        keys = list(self.keys)

        def canon(cube: CountCube) -> pd.DataFrame:
            cells = cube.cells[[*keys, *CELLS]]
            cells = cells[cells[list(CELLS)].to_numpy().sum(axis=1) > 0]
            ordered: pd.DataFrame = cells.sort_values(keys) if keys else cells
            return ordered.reset_index(drop=True)

        if not canon(self).equals(canon(other)):
            return False
        for name in ("strata", "reviewer_strata"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if (mine is None) != (theirs is None) or (mine is not None and not mine.equals(theirs)):
                return False
        return True

    def __repr__(self) -> str:
        return (
            f"CountCube(sensitive={self.sensitive}, context={self.context}, "
            f"reviewer={self.reviewer!r}, window={self.window!r}, band={self.band!r}, "
            f"cells={len(self.cells)}, rows={self.n_rows})"
        )


def _merged(parts: list[CountCube | None]) -> CountCube | None:
    """The sum of some cubes, or None when one of them is missing."""
    present = [p for p in parts if p is not None]
    if not present or len(present) < len(parts):
        return None
    return present[0].merge(*present[1:]) if len(present) > 1 else present[0]


def _plain_rows(cells: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Cell rows as tuples (JSON arrays) of Python values.

    Of cells typed by :func:`_plain_frame` (keys as they are, counts as int, sums as float).
    Column by column (numpy's ``tolist`` gives Python numbers), then zipped: no Python
    work per value.
    """
    columns = [cells[name].to_numpy().tolist() for name in cells.columns]
    return list(zip(*columns, strict=True))


def _plain_frame(cells: pd.DataFrame, width: int) -> pd.DataFrame:
    """The cells with their counts as int64 and their sums as float64."""
    kinds: dict[str, Any] = {}
    for i, name in enumerate(cells.columns):
        if i >= width:
            kinds[name] = np.int64 if i < width + len(CELLS) else np.float64
    return cells.astype(kinds) if kinds else cells


def _moment_rows(moments: pd.DataFrame) -> list[Any]:
    """Case moments' rows: text as text, counts as int."""
    return [
        [v if isinstance(v, str) else int(v) for v in row]
        for row in moments.itertuples(index=False, name=None)
    ]


def _emit(
    frame: pd.DataFrame,
    as_rows: Callable[[pd.DataFrame], Any],
    packed: bool,
    codes: Codes | None = None,
) -> Any:
    """A table's rows: packed as Arrow when asked (and Arrow types it), else as a list."""
    if packed:
        table = pack_table(frame, codes)
        if table is not None:
            return table
    return as_rows(frame)


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    """A table of a cube's plain form, its rows a list or packed (:func:`_emit`)."""
    if isinstance(rows, pd.DataFrame):  # joined from parts (:func:`_joined`)
        return rows
    if is_packed(rows):
        return unpack_table(rows, columns)
    return pd.DataFrame(rows, columns=columns)


def _joined(whole: dict[str, Any], parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A cube's plain form with the tables of the parts kept apart put back (as frames).

    The cells, the score table and the strata (themselves cube forms) are the rows of
    ``whole`` followed by each part's; what only the whole holds (case moments, outcomes,
    agreement) is its own.
    """
    out = {k: v for k, v in whole.items() if k != "windows_apart"}
    out["rows"] = _stacked([whole, *parts], "rows", "columns")
    scored = [t for t in [whole.get("scores"), *(p.get("scores") for p in parts)] if t]
    if scored:
        out["scores"] = {"columns": scored[0]["columns"],
                         "rows": _stacked(scored, "rows", "columns")}  # fmt: skip
    for name in ("strata", "reviewer_strata"):
        inner = [p[name] for p in parts if p.get(name)]
        if whole.get(name) and inner:
            out[name] = _joined(whole[name], inner)
    return out


def _stacked(tables: Sequence[dict[str, Any]], rows: str, columns: str) -> pd.DataFrame:
    """The rows of several tables of the same columns, one after another."""
    frames = [_frame(t[rows], t[columns]) for t in tables]
    filled = [f for f in frames if len(f)] or frames[:1]
    return filled[0] if len(filled) == 1 else pd.concat(filled, ignore_index=True)


def _object_rows(frame: pd.DataFrame) -> list[Any]:
    """A table's rows as Python lists of its values."""
    rows: list[Any] = frame.astype(object).to_numpy().tolist()
    return rows


def _slices(
    frame: pd.DataFrame,
    column: str,
    as_rows: Callable[[pd.DataFrame], list[Any]],
    packed: bool = False,
    codes: Codes | None = None,
) -> dict[str, Any]:
    """The rows of ``frame`` per value of ``column`` (as text), in their order within each.

    One stable sort by the value and one conversion to rows; each value takes a slice.
    Packed, each value's slice of the sorted table is packed (:func:`_emit`).
    """
    values: Any
    if codes and column in codes:  # the cube's own codes of the column: no new grouping
        which, values = codes[column]
    else:
        which, values = pd.factorize(frame[column], sort=False)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(values) + 1))
    table = arrow_table(frame, codes) if packed else None
    if table is not None:  # converted once, ordered by Arrow; each value packs its slice
        table = plain_text(table).take(order)
        return {
            str(v): pack_arrow(table.slice(bounds[i], bounds[i + 1] - bounds[i]))
            for i, v in enumerate(values)
        }
    ordered = frame.iloc[order]
    rows = as_rows(ordered)
    return {str(v): rows[bounds[i] : bounds[i + 1]] for i, v in enumerate(values)}


def _apply(cube: CountCube | None, change: Callable[[CountCube], CountCube]) -> CountCube | None:
    """``change(cube)``, or None without a cube."""
    return None if cube is None else change(cube)


@dataclass(frozen=True, eq=False)
class Outcomes:
    """The decisions of a log against what actually happened (see the module).

    Parameters
    ----------
    model : CountCube
        The model's decision against the outcome, by sensitive and context attribute.
    final : CountCube
        The final decision against the outcome, by sensitive and context attribute and
        reviewer.
    joint : pandas.DataFrame
        By sensitive and context attribute and reviewer: cases per model decision, final
        decision and outcome (:data:`fairloop.cube.JOINT_COLUMNS`).
    reviewer_strata : pandas.DataFrame or None, default=None
        With a score and a reviewer: the same counts by sensitive attribute, reviewer and
        score stratum (``band``), so that reviewers are compared on like cases when
        review is routed by score.
    """

    model: CountCube
    final: CountCube
    joint: pd.DataFrame
    reviewer_strata: pd.DataFrame | None = None

    def to_dict(self, *, packed: bool = False) -> dict[str, Any]:
        """Plain JSON-compatible form (``packed``: as :meth:`CountCube.to_dict`)."""
        return {
            "model": self.model.to_dict(packed=packed),
            "final": self.final.to_dict(packed=packed),
            "joint": _table(self.joint, packed),
            "reviewer_strata": (
                None if self.reviewer_strata is None else _table(self.reviewer_strata, packed)
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcomes:
        """Rebuild from :meth:`to_dict` output."""
        joint = _frame(data["joint"]["rows"], data["joint"]["columns"])
        strata = data.get("reviewer_strata")
        return cls(
            CountCube.from_dict(data["model"]),
            CountCube.from_dict(data["final"]),
            joint,
            None if strata is None else _frame(strata["rows"], strata["columns"]),
        )


def _table(frame: pd.DataFrame, packed: bool = False) -> dict[str, Any]:
    return {"columns": list(frame.columns), "rows": _emit(frame, _object_rows, packed)}


@dataclass(frozen=True, eq=False)
class Agreement:
    """How the people who judged the same case agreed (the case id repeats).

    Parameters
    ----------
    cases : pandas.DataFrame
        Per combination of the sensitive attributes, human judgments of a case ``m`` and
        positive ones ``x``: the number of such cases (``cases``).
    pairs : pandas.DataFrame
        Per pair of reviewers (``reviewer_a``, ``reviewer_b``) and their decisions on a
        case they both judged (``a``, ``b``; 1 is positive): the number of cases.
    """

    cases: pd.DataFrame
    pairs: pd.DataFrame

    def to_dict(self, *, packed: bool = False) -> dict[str, Any]:
        """Plain JSON-compatible form (``packed``: as :meth:`CountCube.to_dict`)."""
        return {"cases": _table(self.cases, packed), "pairs": _table(self.pairs, packed)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Agreement:
        """Rebuild from :meth:`to_dict` output."""
        return cls(*(_frame(data[k]["rows"], data[k]["columns"])
                     for k in ("cases", "pairs")))  # fmt: skip

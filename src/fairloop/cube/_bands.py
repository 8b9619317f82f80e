"""Score bands: how the model's score becomes one more dimension of the count cube.

The one pass over the rows groups by a *fine* band of the score, so that the score
metrics (ROC AUC, calibration, a threshold's what-if) are sums over the cube like every
rate. When the score takes no more distinct values than ``bins`` (a decile score), each
value is its own band and those metrics are exact; otherwise the bands are ``bins``
equal-width intervals of [0, 1] (the last one closed). The *strata* that weight
reviewed cases to stand for every case (:mod:`fairloop.metrics._weighting`) are coarser:
``strata`` adjacent fine bands merged, so that each holds enough reviewed cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.vocabulary import MISSING_GROUP

__all__ = ["ScoreBands"]


@dataclass(frozen=True)
class ScoreBands:
    """The fine score bands of one audit, and the coarser strata they merge into.

    Parameters
    ----------
    bins : int
        Number of equal-width fine bands when the score is continuous.
    strata : int
        Number of weighting strata the fine bands are merged into (at most ``bins``).
    exact : tuple of float or None, default=None
        The score's distinct values, sorted, when there are no more of them than
        ``bins``: each value is then a band of its own.

    Examples
    --------
    >>> bands = ScoreBands(bins=50, strata=10)
    >>> bands.sql("s")
    '(CASE WHEN s >= 1 THEN 49 ELSE floor(s * 50) END)'
    >>> bands.fine_index(pd.Series([0.0, 25.0, 49.0, None])).tolist()
    [0, 25, 49, -1]
    >>> bands.stratum_labels()[:2]
    ['0.00-0.10', '0.10-0.20']
    >>> ScoreBands(bins=50, strata=10, exact=(0.1, 0.2)).fine_labels()
    ['0.1', '0.2']
    """

    bins: int
    strata: int
    exact: tuple[float, ...] | None = None

    @property
    def count(self) -> int:
        """Number of fine bands."""
        return len(self.exact) if self.exact is not None else self.bins

    def sql(self, value: str) -> str:
        """SQL: the fine band key of a score expression (its value when exact).

        Exact values are grouped by as they are and mapped to their index after the pass
        (:meth:`fine_index`), so that no float literal has to round-trip through SQL.
        """
        if self.exact is not None:
            return value
        b = int(self.bins)
        return f"(CASE WHEN {value} >= 1 THEN {b - 1} ELSE floor({value} * {b}) END)"

    def fine_index(self, keys: pd.Series) -> NDArray[np.int64]:
        """The fine band (0 to ``count - 1``) of each key the pass returned; -1 when missing."""
        values = pd.to_numeric(keys, errors="coerce").to_numpy(dtype=np.float64)
        missing = np.isnan(values)
        if self.exact is not None:
            grid = np.asarray(self.exact, dtype=np.float64)
            index = np.searchsorted(grid, np.where(missing, 0.0, values))
            index = np.clip(index, 0, len(grid) - 1)
        else:
            index = np.clip(np.where(missing, 0, values), 0, self.bins - 1).astype(np.int64)
        return np.where(missing, -1, index).astype(np.int64)

    def stratum_of(self) -> NDArray[np.int64]:
        """The stratum of each fine band (adjacent fine bands merged, in order)."""
        fine = np.arange(self.count, dtype=np.int64)
        groups = min(self.strata, self.count)
        return (fine * groups // self.count).astype(np.int64)

    def edges(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The lowest and highest score of each fine band (equal for an exact value)."""
        if self.exact is not None:
            grid = np.asarray(self.exact, dtype=np.float64)
            return grid, grid
        fine = np.arange(self.bins, dtype=np.float64)
        return fine / self.bins, (fine + 1) / self.bins

    def fine_labels(self) -> list[str]:
        """Each fine band as text: its value, or ``low-high``."""
        low, high = self.edges()
        return [_label(a, b, self.exact is not None) for a, b in zip(low, high, strict=True)]

    def stratum_labels(self) -> list[str]:
        """Each stratum as text: its value, or the range of its fine bands."""
        low, high = self.edges()
        of = self.stratum_of()
        out = []
        for s in range(int(of.max()) + 1 if of.size else 0):
            members = np.flatnonzero(of == s)
            out.append(_label(low[members[0]], high[members[-1]], self.exact is not None))
        return out

    def stratum_label_of(self, fine: NDArray[np.int64]) -> NDArray[np.object_]:
        """The stratum label of each fine band index (``(missing)`` for -1)."""
        labels = np.asarray([*self.stratum_labels(), MISSING_GROUP], dtype=object)
        of = np.append(self.stratum_of(), len(labels) - 1)
        out: NDArray[np.object_] = labels[of[fine]]
        return out

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-compatible form."""
        return {"bins": self.bins, "strata": self.strata, "exact": _list(self.exact)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ScoreBands:
        """Rebuild from :meth:`to_dict` output."""
        exact = data.get("exact")
        return cls(
            bins=int(str(data["bins"])),
            strata=int(str(data["strata"])),
            exact=None if exact is None else tuple(float(v) for v in exact),  # type: ignore[attr-defined]
        )


def _list(values: Sequence[float] | None) -> list[float] | None:
    return None if values is None else [float(v) for v in values]


def _label(low: float, high: float, exact: bool) -> str:
    if exact:
        return f"{low:g}" if low == high else f"{low:g}-{high:g}"
    return f"{low:.2f}-{high:.2f}"

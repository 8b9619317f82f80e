"""The groups of an audit: the whole population, each sensitive attribute and every intersection."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.cube import CountCube
from fairloop.vocabulary import CELLS, group_label, set_name

__all__ = ["GroupTable", "attribute_sets", "group_masks", "group_table"]


def group_masks(
    frame: pd.DataFrame, sets: Sequence[tuple[str, ...]]
) -> list[tuple[str, str, dict[str, str], NDArray[np.bool_]]]:
    """Every group of each attribute set in a small keyed table, and its rows.

    For tables made beside the cube (keyed by attributes as text), in the order and with
    the names of :func:`group_table`: set by set, groups sorted as text.

    Parameters
    ----------
    frame : pandas.DataFrame
        With a column per attribute of ``sets``.
    sets : sequence of tuple of str
        Attribute sets (``()`` is everyone).

    Returns
    -------
    list of (str, str, dict, ndarray of bool)
        Set name, group label, the group's attributes, and which rows of ``frame`` hold it.
    """
    out: list[tuple[str, str, dict[str, str], NDArray[np.bool_]]] = []
    for attrs in sets:
        if not attrs:
            out.append((set_name(()), group_label((), ()), {}, np.ones(len(frame), dtype=bool)))
            continue
        texts = [frame[a].astype(str).to_numpy(dtype=object) for a in attrs]
        combos = sorted(set(zip(*texts, strict=True)))
        index = {combo: i for i, combo in enumerate(combos)}
        which = np.asarray([index[c] for c in zip(*texts, strict=True)], dtype=np.int64)
        for i, value in enumerate(combos):
            out.append((set_name(attrs), group_label(attrs, value),
                        dict(zip(attrs, value, strict=True)), which == i))  # fmt: skip
    return out


def attribute_sets(sensitive: Sequence[str], max_size: int | None = None) -> list[tuple[str, ...]]:
    """The whole population, then each attribute alone, then every intersection by size.

    ``max_size`` bounds the intersections (``AuditConfig.max_intersection``).

    Examples
    --------
    >>> attribute_sets(["sex", "race"])
    [(), ('sex',), ('race',), ('sex', 'race')]
    >>> attribute_sets(["sex", "race", "age"], max_size=1)
    [(), ('sex',), ('race',), ('age',)]
    """
    sets: list[tuple[str, ...]] = [()]
    largest = len(sensitive) if max_size is None else min(max_size, len(sensitive))
    for size in range(1, largest + 1):
        sets.extend(combinations(sensitive, size))
    return sets


@dataclass(frozen=True, eq=False)
class GroupTable:
    """Cell counts of every group of every attribute set, stacked; row 0 is the whole population.

    Parameters
    ----------
    sets : list of tuple of str
        Attribute sets; ``sets[0] == ()``.
    set_index : ndarray of int
        The attribute set of each group.
    values : list of tuple of str
        Each group's attribute values, in the order of its set.
    counts : ndarray of shape (groups, len(CELLS))
        Summed cell counts.
    cube : CountCube or None, default=None
        The cube the groups were summed from (its reviewer key and case moments say
        which cases are clustered).
    """

    sets: list[tuple[str, ...]]
    set_index: NDArray[np.int64]
    values: list[tuple[str, ...]]
    counts: NDArray[np.int64]
    cube: CountCube | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        labels = [
            group_label(self.sets[s], v) for s, v in zip(self.set_index, self.values, strict=True)
        ]
        attrs = [
            dict(zip(self.sets[s], v, strict=True))
            for s, v in zip(self.set_index, self.values, strict=True)
        ]
        set_names = [set_name(s) for s in self.sets]
        object.__setattr__(self, "labels", np.asarray(labels, dtype=object))
        object.__setattr__(self, "attribute_dicts", _object_array(attrs))
        object.__setattr__(self, "set_names", np.asarray(set_names, dtype=object))

    @property
    def n(self) -> NDArray[np.int64]:
        """Cases per group."""
        total: NDArray[np.int64] = self.counts.sum(axis=1)
        return total

    def __len__(self) -> int:
        return len(self.values)

    # Per-group labels, attribute dicts and set names, computed once (object arrays, so
    # tidy tables take them with one fancy index rather than a call per row).
    labels: NDArray[np.object_] = field(init=False, repr=False)
    attribute_dicts: NDArray[np.object_] = field(init=False, repr=False)
    set_names: NDArray[np.object_] = field(init=False, repr=False)

    def attributes(self, i: int) -> dict[str, str]:
        """Group ``i`` as ``{attribute: value}`` (``{}`` for the whole population)."""
        return dict(self.attribute_dicts[i])

    def label(self, i: int) -> str:
        """Readable name of group ``i``."""
        return str(self.labels[i])

    def set_name(self, s: int) -> str:
        """Readable name of attribute set ``s`` (``"race & sex"``; ``"(all)"`` for ``()``)."""
        return str(self.set_names[s])

    def set_slices(self) -> list[slice]:
        """Row ranges of each attribute set (groups are stored set by set)."""
        bounds = np.searchsorted(self.set_index, np.arange(len(self.sets) + 1))
        return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def _object_array(items: list[dict[str, str]]) -> NDArray[np.object_]:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def group_table(cube: CountCube, sets: Sequence[tuple[str, ...]]) -> GroupTable:
    """Sum the cube once per attribute set (one grouped sum each, never one per group).

    Parameters
    ----------
    cube : CountCube
        The count cube.
    sets : sequence of tuple of str
        Attribute sets, starting with ``()``.

    Returns
    -------
    GroupTable
    """
    counts: list[NDArray[np.int64]] = []
    values: list[tuple[str, ...]] = []
    set_index: list[NDArray[np.int64]] = []
    # sum from the cube by the attributes the sets use (reviewer, band and window keys
    # summed over once), so that each set's sum touches those cells, not the cube's
    used = {a for attrs in sets for a in attrs}
    source = cube.summed_to(sorted(used)) if used else cube
    for s, attrs in enumerate(sets):
        keys, sums = source.marginal_arrays(list(attrs))
        cells = np.rint(sums[:, : len(CELLS)]).astype(np.int64)
        keep = cells.sum(axis=1) > 0 if attrs else np.ones(len(cells), dtype=bool)
        counts.append(cells[keep])
        values.extend(
            zip(*(k[keep].astype(str).tolist() for k in keys), strict=True) if attrs else [()]
        )
        set_index.append(np.full(int(keep.sum()), s, dtype=np.int64))
    return GroupTable(
        sets=list(sets),
        set_index=np.concatenate(set_index),
        values=values,
        counts=np.vstack(counts),
        cube=cube,
    )

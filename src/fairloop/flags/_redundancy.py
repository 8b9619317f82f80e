r"""Minimal descriptions: drop subgroups another flag explains, and group overlapping flags.

Between a flagged parent P and a flagged child C (C adds conditions to P), for the same
metric and direction:

* C is explained by P when C does not differ significantly from the rest of P
  (``C`` against ``P \\ C``, at a Bonferroni level over all such pairs): C's effect is
  P's effect, and C is not flagged on its own;
* otherwise P is explained by C when the rest of P is not significantly different
  from P's complement (``P \\ C`` against ``not P``), or differs by less than the effect
  floor: P's effect is carried by C.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from fairloop.cube import CELLS, CountCube
from fairloop.stats import two_proportion_pvalue

__all__ = ["group_overlapping", "prune_explained"]


def prune_explained(flagged: pd.DataFrame, *, alpha: float, min_effect: float) -> pd.Series:
    """For each flagged row, the index of the flagged row that explains it (or -1).

    Parameters
    ----------
    flagged : pandas.DataFrame
        Flagged tests (``subgroup``, ``metric``, ``difference``, ``depth``, ``test`` and the
        counts of the subgroup and its complement).
    alpha : float
        Level of the explanation tests.
    min_effect : float
        Effect floor: a rest-of-parent gap below it counts as no gap.

    Returns
    -------
    pandas.Series
        Indexed like ``flagged``.
    """
    size = len(flagged)
    explained = np.full(size, -1, dtype=np.int64)
    diff = flagged["difference"].to_numpy(float)
    depth = flagged["depth"].to_numpy(np.int64)
    k = flagged["numerator"].to_numpy(np.int64)
    n = flagged["denominator"].to_numpy(np.int64)
    kc = flagged["complement_numerator"].to_numpy(np.int64)
    nc = flagged["complement_denominator"].to_numpy(np.int64)
    rate_c = flagged["complement_value"].to_numpy(float)
    metrics = flagged["metric"].tolist()
    subgroups: list[dict[str, str]] = flagged["subgroup"].tolist()
    searchable = (flagged["test"] != "did-z").to_numpy()
    lookup = {
        (metrics[i], frozenset(subgroups[i].items())): i for i in range(size) if searchable[i]
    }
    ancestors: dict[int, list[int]] = {}
    for i in np.argsort(depth, kind="stable"):
        if not searchable[i]:
            continue
        items = list(subgroups[i].items())
        found = [
            parent
            for width in range(1, len(items))
            for subset in combinations(items, width)
            if (parent := lookup.get((metrics[i], frozenset(subset)))) is not None
            and np.sign(diff[parent]) == np.sign(diff[i])
        ]
        ancestors[int(i)] = found
    # children explained by a parent: the child is no different from the rest of the parent.
    # Many children are tested, so a child stands on its own only past a Bonferroni level.
    pairs = sum(len(parents) for parents in ancestors.values())
    level = alpha / max(pairs, 1)
    pair_child = np.asarray([c for c, ps in ancestors.items() for _ in ps], dtype=np.int64)
    pair_parent = np.asarray([p for ps in ancestors.values() for p in ps], dtype=np.int64)
    if pair_child.size:
        rest_k, rest_n = k[pair_parent] - k[pair_child], n[pair_parent] - n[pair_child]
        p, _ = two_proportion_pvalue(k[pair_child], n[pair_child], rest_k, rest_n)
        same = (rest_n > 0) & (p > level)
        # per child: the most general explaining parent, then the one with the largest effect
        order = np.lexsort((-np.abs(diff[pair_parent]), depth[pair_parent], ~same, pair_child))
        for idx in order:
            child = int(pair_child[idx])
            if same[idx] and explained[child] == -1:
                explained[child] = pair_parent[idx]
    # parents explained by a child that stands on its own: the rest of the parent is no
    # different from the parent's complement
    for child in sorted(ancestors, key=lambda c: -abs(diff[c])):
        if explained[child] != -1:
            continue
        for parent in ancestors[child]:
            if explained[parent] != -1:
                continue
            rest_k, rest_n = k[parent] - k[child], n[parent] - n[child]
            if rest_n <= 0:
                explained[parent] = child
                continue
            p, _ = two_proportion_pvalue([rest_k], [rest_n], [kc[parent]], [nc[parent]])
            if p[0] > alpha or abs(rest_k / rest_n - rate_c[parent]) < min_effect:
                explained[parent] = child
    labels = flagged.index.to_numpy()
    return pd.Series(
        np.where(explained >= 0, labels[np.maximum(explained, 0)], -1), index=flagged.index
    )


def group_overlapping(flags: pd.DataFrame, cube: CountCube, *, share: float = 0.5) -> np.ndarray:
    """Group flags whose subgroups overlap: one holds at least ``share`` of the smaller one.

    Overlaps are counted on the cube (cells in both subgroups), so no row is read.

    Returns
    -------
    ndarray of int
        Group number per flag, 1 for the group holding the first flag, and so on.
    """
    if flags.empty:
        return np.zeros(0, dtype=np.int64)
    weight = cube.cells[list(CELLS)].to_numpy().sum(axis=1).astype(float)
    members = np.column_stack([cube.member_mask(subgroup) for subgroup in flags["subgroup"]])
    size = weight @ members
    overlap = (members.T * weight) @ members
    smaller = np.minimum.outer(size, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        linked = overlap >= share * smaller
    _, labels = connected_components(sparse.csr_matrix(linked), directed=False)
    # number the groups in the order of their first flag
    numbering: dict[int, int] = {}
    return np.asarray([numbering.setdefault(int(r), len(numbering) + 1) for r in labels])

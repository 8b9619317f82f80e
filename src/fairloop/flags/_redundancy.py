"""One finding, one flag: tests repeated under other names, explained subgroups, overlaps."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.cube import CountCube
from fairloop.flags._subgroup import describe
from fairloop.stats import two_proportion_pvalue
from fairloop.vocabulary import CELLS, test_identity

__all__ = ["Explainer", "group_overlapping", "same_tests"]


def same_tests(
    tests: pd.DataFrame, cube: CountCube, metric_order: Sequence[str]
) -> NDArray[np.int64]:
    """For each test, the position of the test it repeats under other names (or -1).

    Two tests are one when they compare the same cases on the same outcome: the two
    values of a two-valued attribute (``sex=female`` against the rest is ``sex=male``
    against the rest, turned round), and metrics that are complements over the same
    denominator (accuracy and override_rate). One representative is kept per test: the
    metric listed first in ``metric_order``, then the smaller group, then the first value.

    Parameters
    ----------
    tests : pandas.DataFrame
        Tests with ``subgroup``, ``metric`` and ``n``, positionally indexed.
    cube : CountCube
        The cube (which attributes have exactly two values).
    metric_order : sequence of str
        Metric preference.

    Returns
    -------
    ndarray of int
        -1 for representatives, else the position of the representative.
    """
    size = len(tests)
    out = np.full(size, -1, dtype=np.int64)
    if size == 0:
        return out
    two_valued = {}
    for attribute in cube.attributes:
        (values,), sums = cube.marginal_arrays([attribute])
        present = values[sums[:, : len(CELLS)].sum(axis=1) > 0]
        if len(present) == 2:
            two_valued[attribute] = frozenset(str(v) for v in present)
    # what a test compares: its cases (per subgroup) and its outcome (per metric). The
    # tests of one group share its subgroup dict, so each distinct dict is read once.
    subgroups = tests["subgroup"].to_numpy()
    objects = np.fromiter((id(s) for s in subgroups), dtype=np.int64, count=size)
    _, first, which = np.unique(objects, return_index=True, return_inverse=True)
    case_ids: dict[object, int] = {}
    case_of = np.empty(len(first), dtype=np.int64)
    for j, i in enumerate(first):
        subgroup = subgroups[i]
        if len(subgroup) == 1 and next(iter(subgroup)) in two_valued:
            attribute = next(iter(subgroup))
            cases: object = (attribute, two_valued[attribute])
        else:
            cases = frozenset(subgroup.items())
        case_of[j] = case_ids.setdefault(cases, len(case_ids))
    metric_code, metrics = pd.factorize(tests["metric"])
    identities = {test_identity(m) for m in metrics}
    identity_of = {ident: k for k, ident in enumerate(sorted(identities, key=repr))}
    outcome_of = np.asarray([identity_of[test_identity(m)] for m in metrics], dtype=np.int64)
    key_id = pd.factorize(
        case_of[np.asarray(which).reshape(-1)] * len(identity_of) + outcome_of[metric_code]
    )[0].astype(np.int64)
    rank = {m: i for i, m in enumerate(metric_order)}
    preferred = np.asarray([rank.get(m, len(rank)) for m in metrics], dtype=np.int64)[metric_code]
    n = tests["n"].to_numpy(np.int64)
    # by key, then the preference (metric, then the smaller group); the first of each key
    # represents it. Only a tie on both is broken by the subgroup's text (rare: computed
    # for the tied tests alone, not for every test).
    order = np.lexsort((n, preferred, key_id))
    keyed = key_id[order]
    starts = np.flatnonzero(np.r_[True, keyed[1:] != keyed[:-1]])
    sizes = np.diff(np.r_[starts, size])
    heads = order[starts].copy()
    second = order[np.minimum(starts + 1, size - 1)]
    tie = (sizes > 1) & (preferred[second] == preferred[heads]) & (n[second] == n[heads])
    for g in np.flatnonzero(tie):
        members = order[starts[g] : starts[g] + sizes[g]]
        same = (preferred[members] == preferred[members[0]]) & (n[members] == n[members[0]])
        text = {int(i): describe(dict(subgroups[i])) for i in members[same]}
        heads[g] = min(text, key=lambda i: (text[i], i))
    out[order] = np.repeat(heads, sizes)
    out[heads] = -1
    return out


class Explainer:
    r"""Which flagged subgroups another flagged subgroup explains, for any set of rejections.

    Between a flagged parent P and a flagged child C (C adds conditions to P), for the
    same metric and direction:

    * C is explained by P when C does not differ significantly from the rest of P
      (``C`` against ``P \ C``, at a Bonferroni level over all such pairs among the
      rejections): C's effect is P's effect, and C is not shown on its own;
    * otherwise P is explained by C when the rest of P is not significantly different
      from P's complement (``P \ C`` against ``not P``), or differs by less than the
      effect floor: P's effect is carried by C.

    The tests between pairs are made once, for every pair among the candidates; a call
    then only reads which pairs are both rejected, so the filter can be evaluated at
    many thresholds (:func:`fairloop.stats.focused_bh`).

    Parameters
    ----------
    candidates : pandas.DataFrame
        Tests that may be rejected (``subgroup``, ``metric``, ``difference``, ``depth``
        and the counts of the subgroup and its complement), positionally indexed.
    alpha : float
        Level of the explanation tests.
    min_effect : float
        Effect floor: a rest-of-parent gap below it counts as no gap.
    twins : pandas.DataFrame or None, default=None
        Tests merged into a candidate as the same test turned round (the other value of a
        two-valued attribute), with ``mirror``: the position of that candidate. They stand
        in the lattice as parents, rejected when their candidate is, so the children of
        either value find their parent.
    """

    def __init__(
        self,
        candidates: pd.DataFrame,
        *,
        alpha: float,
        min_effect: float,
        twins: pd.DataFrame | None = None,
    ) -> None:
        self.own = len(candidates)
        self.mirror = np.full(self.own, -1, dtype=np.int64)
        if twins is not None and len(twins):
            self.mirror = np.concatenate([self.mirror, twins["mirror"].to_numpy(np.int64)])
            candidates = pd.concat([candidates, twins.drop(columns="mirror")], ignore_index=True)
        self.size = len(candidates)
        self.alpha = alpha
        diff = candidates["difference"].to_numpy(float)
        depth = candidates["depth"].to_numpy(np.int64)
        # weighted counts (estimates for every case) are tested as their effective counts
        scale = (
            candidates["effective_scale"].to_numpy(float)
            if "effective_scale" in candidates
            else np.ones(len(candidates))
        )

        def effective(column: str) -> NDArray[np.int64]:
            counts: NDArray[np.int64] = np.rint(candidates[column].to_numpy(float) / scale).astype(
                np.int64
            )
            return counts

        k, n = effective("numerator"), effective("denominator")
        kc, nc = effective("complement_numerator"), effective("complement_denominator")
        rate_c = candidates["complement_value"].to_numpy(float)
        metrics = candidates["metric"].tolist()
        subgroups: list[dict[str, str]] = candidates["subgroup"].tolist()
        lookup = {(metrics[i], frozenset(subgroups[i].items())): i for i in range(self.size)}
        child, parent = [], []
        for i in range(self.size):
            items = list(subgroups[i].items())
            for width in range(1, len(items)):
                for subset in combinations(items, width):
                    j = lookup.get((metrics[i], frozenset(subset)))
                    if j is not None and np.sign(diff[j]) == np.sign(diff[i]):
                        child.append(i)
                        parent.append(j)
        self.child = np.asarray(child, dtype=np.int64)
        self.parent = np.asarray(parent, dtype=np.int64)
        self.abs_diff = np.abs(diff)
        c, p = self.child, self.parent
        rest_k, rest_n = k[p] - k[c], n[p] - n[c]
        # child against the rest of its parent
        self.same_p = np.ones(c.size)
        if c.size:
            self.same_p, _ = two_proportion_pvalue(k[c], n[c], rest_k, rest_n)
        self.rest_exists = rest_n > 0
        # the rest of the parent against the parent's complement
        rest_p = np.ones(c.size)
        has_rest = rest_n > 0
        if has_rest.any():
            rest_p[has_rest], _ = two_proportion_pvalue(
                rest_k[has_rest], rest_n[has_rest], kc[p][has_rest], nc[p][has_rest]
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            rest_gap = np.abs(rest_k / rest_n - rate_c[p])
        self.parent_carried = ~has_rest | (rest_p > alpha) | (rest_gap < min_effect)
        # per child: the most general explaining parent, then the one with the largest effect
        self.order = np.lexsort((-self.abs_diff[p], depth[p], c)) if c.size else c

    def explained_by(self, rejected: NDArray[np.bool_]) -> NDArray[np.int64]:
        """For each candidate, the candidate that explains it (or -1), among ``rejected``.

        Parameters
        ----------
        rejected : ndarray of bool
            Which candidates are rejected.

        Returns
        -------
        ndarray of int
            Positions into the candidates; -1 where not explained or not rejected.
        """
        own = self.own
        if self.size > own:  # twins are rejected with the candidate they mirror
            rejected = np.concatenate([rejected, rejected[self.mirror[own:]]])
        explained = np.full(self.size, -1, dtype=np.int64)
        if not self.child.size:
            return explained[:own]
        active = rejected[self.child] & rejected[self.parent]
        level = self.alpha / max(int(active.sum()), 1)
        same = active & self.rest_exists & (self.same_p > level)
        for idx in self.order[same[self.order]]:
            c = int(self.child[idx])
            if explained[c] == -1:
                explained[c] = self.parent[idx]
        # parents explained by a child that stands on its own, largest child effect first
        pairs = np.flatnonzero(active & self.parent_carried)
        if pairs.size:
            pairs = pairs[np.argsort(-self.abs_diff[self.child[pairs]], kind="stable")]
            for idx in pairs:
                c, p = int(self.child[idx]), int(self.parent[idx])
                if explained[c] == -1 and explained[p] == -1:
                    explained[p] = c
        if self.size > own:
            twin = np.arange(own, self.size)
            # a twin explained by a child: so is the candidate it mirrors
            for t in twin[explained[own:] >= 0]:
                m = int(self.mirror[t])
                if explained[m] == -1:
                    explained[m] = explained[t]
            # explained by a twin: by the candidate it mirrors
            by_twin = explained >= own
            explained[by_twin] = self.mirror[explained[by_twin]]
            explained[explained == np.arange(self.size)] = -1
        return explained[:own]

    def shown(self, rejected: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """The rejections no other rejection explains (the filter of Focused BH)."""
        out: NDArray[np.bool_] = rejected & (self.explained_by(rejected) == -1)
        return out


def group_overlapping(flags: pd.DataFrame, cube: CountCube, *, share: float = 0.5) -> np.ndarray:
    """Group flags whose subgroups overlap: one holds at least ``share`` of the smaller one.

    Overlaps are counted on the cube (cases in the cells of both subgroups), so no row is
    read, and as sparse products: the memory and time grow with the cells the flags
    cover and the pairs that overlap, never with flags x flags x cells.

    Returns
    -------
    ndarray of int
        Group number per flag, 1 for the group holding the first flag, and so on.
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    if flags.empty:
        return np.zeros(0, dtype=np.int64)
    weight = cube.cells[list(CELLS)].to_numpy().sum(axis=1).astype(float)
    cells = [np.flatnonzero(cube.member_mask(subgroup)) for subgroup in flags["subgroup"]]
    count = len(cells)
    rows = np.concatenate(cells) if cells else np.zeros(0, dtype=np.int64)
    columns = np.repeat(np.arange(count), [len(c) for c in cells])
    members = sparse.csc_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(weight), count)
    )  # cells x flags
    size = np.asarray(members.T @ weight).ravel()
    overlap = (members.T @ sparse.diags(weight) @ members).tocoo()  # overlapping pairs only
    linked = overlap.data >= share * np.minimum(size[overlap.row], size[overlap.col])
    graph = sparse.csr_matrix(
        (np.ones(int(linked.sum())), (overlap.row[linked], overlap.col[linked])),
        shape=(count, count),
    )
    _, labels = connected_components(graph, directed=False)
    # number the groups in the order of their first flag
    numbering: dict[int, int] = {}
    return np.asarray([numbering.setdefault(int(r), len(numbering) + 1) for r in labels])

"""Subgroup search on the count cube: every conjunction up to a depth, against its complement.

Each attribute combination is one marginal of the cube; every subgroup of every
combination and every metric is then tested at once with array arithmetic. Nothing
here reads the rows.

Each test is of the claim a flag makes: that the subgroup's gap to its complement is
larger than the effect floor ``min_effect``. Its null is the interval
``-min_effect <= gap <= min_effect`` (two one-sided Miettinen-Nurminen score tests), so
gaps too small to matter are not discoveries however large the log.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from fairloop._memory import AUDIT_BYTES_PER_GROUP, ensure_groups_fit
from fairloop.config import AuditConfig
from fairloop.cube import CountCube
from fairloop.metrics._clusters import ClusterVariance
from fairloop.metrics._groups import group_table
from fairloop.metrics._weighting import Weighting, weighting_columns
from fairloop.stats import margin_pvalue, newcombe_difference_interval
from fairloop.vocabulary import cell_weights

__all__ = ["OVERSIGHT_METRICS", "subgroup_tests"]

#: Metrics whose gaps are oversight signals rather than model-performance findings.
OVERSIGHT_METRICS = ("override_rate", "review_rate")

TEST_COLUMNS = [
    "source", "subgroup", "depth", "metric", "n", "numerator", "denominator",
    "complement_numerator", "complement_denominator", "value", "complement_value",
    "overall_value", "difference", "difference_ci_low", "difference_ci_high", "ratio",
    "p_value", "test", "design_effect", "effective_scale",
]  # fmt: skip


def subgroup_tests(
    cube: CountCube, config: AuditConfig, weighting: Weighting | None = None
) -> pd.DataFrame:
    """Test every eligible (subgroup, metric) against the subgroup's complement.

    Parameters
    ----------
    cube : CountCube
        The audit's count cube.
    config : AuditConfig
        Its ``flags`` options set the depth, support, denominators and metrics.
    weighting : Weighting or None, default=None
        When the audit weights reviewed cases to stand for every case: the metrics of
        reviewed cases are tested on their weighted figures (effective counts), and a
        subgroup whose figure is not estimable is not tested.

    Returns
    -------
    pandas.DataFrame
        One row per test made (columns :data:`TEST_COLUMNS`).
    """
    options = config.flags
    attributes = list(cube.sensitive) + (list(cube.context) if options.include_context else [])
    depth = min(options.max_depth, len(attributes))
    sets = [()] + [c for d in range(1, depth + 1) for c in combinations(attributes, d)]
    table = group_table(cube, sets)
    ensure_groups_fit(sets, table.set_index, per_group=AUDIT_BYTES_PER_GROUP,
                      option="flags.max_depth", doing=", searched for flags")  # fmt: skip
    metrics = list(options.metrics)
    if options.oversight and "review_rate" not in metrics:
        metrics.append("review_rate")
    num_w, den_w = cell_weights(metrics)
    num = table.counts @ num_w
    den = table.counts @ den_w
    # clustered cases (a reviewer's, or one case's judgments): tests on effective counts
    gap_deff = ClusterVariance(
        cube, table, metrics, confidence_level=config.confidence_level, keep_pairs=False
    ).contrast()
    scale = np.ones(num.shape)
    estimable = np.ones(num.shape, dtype=bool)
    comp_num, comp_den = num[0] - num, den[0] - den
    raw_den, raw_comp_den = den, comp_den
    if weighting is not None:
        # the audit's weighting (its strata and sums computed once), for the searched metrics
        weighted = weighting.subset(metrics).weighted(sets)
        cols = weighting_columns(weighted)
        _, w_gap = weighted.design_effects()
        num, den = num.astype(np.float64), den.astype(np.float64)
        comp_num, comp_den = comp_num.astype(np.float64), comp_den.astype(np.float64)
        num[:, cols], den[:, cols] = weighted.numerator[:, cols], weighted.denominator[:, cols]
        comp_num[:, cols] = weighted.complement_numerator[:, cols]
        comp_den[:, cols] = weighted.complement_denominator[:, cols]
        gap_deff = gap_deff.copy()
        gap_deff[:, cols] *= w_gap[:, cols]
        scale[:, cols] = w_gap[:, cols]
        estimable[:, cols] = weighted.estimable[:, cols]
    n = table.n
    min_den = (
        options.min_denominator if options.min_denominator is not None else config.min_denominator
    )
    eligible = (
        (np.arange(len(table)) > 0)[:, None]
        & ((n >= options.min_support) & (n < n[0]))[:, None]
        & (raw_den >= max(min_den, 1))
        & (raw_comp_den >= max(min_den, 1))
        & estimable
        & (comp_den > 0)
    )
    g, m = np.nonzero(eligible)
    if g.size == 0:
        return pd.DataFrame(columns=TEST_COLUMNS)
    k1, n1, k2, n2 = num[g, m], den[g, m], comp_num[g, m], comp_den[g, m]
    deff = gap_deff[g, m]
    e1, f1, e2, f2 = k1 / deff, n1 / deff, k2 / deff, n2 / deff
    # the claim is a gap of at least the effect floor, so that is the null tested
    floor = options.min_effect
    p = margin_pvalue(e1, f1, e2, f2, low=-floor, high=floor)
    low, high = newcombe_difference_interval(e1, f1, e2, f2, config.confidence_level)
    value, other = k1 / n1, k2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(other > 0, value / other, np.nan)
    metric_names = np.asarray(metrics, dtype=object)[m]
    return pd.DataFrame(
        {
            "source": np.where(np.isin(metric_names, OVERSIGHT_METRICS), "oversight", "discovery"),
            "subgroup": table.attribute_dicts[g],
            "depth": [len(table.sets[s]) for s in table.set_index[g]],
            "metric": metric_names,
            "n": n[g],
            "numerator": k1,
            "denominator": n1,
            "complement_numerator": k2,
            "complement_denominator": n2,
            "value": value,
            "complement_value": other,
            "overall_value": num[0, m] / den[0, m],
            "difference": value - other,
            "difference_ci_low": low,
            "difference_ci_high": high,
            "ratio": ratio,
            "p_value": p,
            "test": "score",
            "design_effect": deff,
            "effective_scale": scale[g, m],
        }
    )

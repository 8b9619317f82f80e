"""Reviewer signals: override behaviour that differs by group more than other reviewers' does.

For reviewer r and group g the statistic is a difference in differences of override
rates, ``(r in g - r outside g) - (others in g - others outside g)``: a reviewer who is
simply stricter everywhere, or a group every reviewer corrects more often (a model
problem), does not show; a reviewer who treats one group differently does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from fairloop._typing import MISSING_GROUP
from fairloop.config import AuditConfig
from fairloop.cube import CELLS, CountCube
from fairloop.flags._search import TEST_COLUMNS

__all__ = ["reviewer_tests"]


def reviewer_tests(cube: CountCube, config: AuditConfig) -> pd.DataFrame:
    """Test every (reviewer, sensitive group) for a group-specific override gap.

    Parameters
    ----------
    cube : CountCube
        A cube with a reviewer key.
    config : AuditConfig
        Thresholds: every one of the four cells needs ``min_denominator`` reviewed cases.

    Returns
    -------
    pandas.DataFrame
        One row per test (columns of :data:`fairloop.flags._search.TEST_COLUMNS`), with the
        reviewer among the subgroup's conditions. ``value`` is the reviewer's override rate
        in the group, ``complement_value`` theirs outside it, ``overall_value`` the other
        reviewers' in the group, ``difference`` the difference in differences.
    """
    reviewer = cube.reviewer
    if reviewer is None or not config.flags.oversight:
        return pd.DataFrame(columns=TEST_COLUMNS)
    min_den = config.flags.min_denominator or config.min_denominator
    z = float(special.ndtri(0.5 + 0.5 * config.confidence_level))
    parts = []
    for attribute in cube.sensitive:
        (groups, reviewers), sums = cube.marginal_arrays([attribute, reviewer])
        known = reviewers != MISSING_GROUP
        if not known.any():
            continue
        groups, reviewers, sums = groups[known], reviewers[known], sums[known]
        c = {name: sums[:, CELLS.index(name)] for name in ("tp", "fp", "fn", "tn")}
        num = c["fp"] + c["fn"]
        den = c["tp"] + c["fp"] + c["fn"] + c["tn"]
        r_code = np.unique(reviewers, return_inverse=True)[1]
        g_code = np.unique(groups, return_inverse=True)[1]
        r_k, r_n = np.bincount(r_code, num)[r_code], np.bincount(r_code, den)[r_code]
        g_k, g_n = np.bincount(g_code, num)[g_code], np.bincount(g_code, den)[g_code]
        total_k, total_n = num.sum(), den.sum()
        cells = {
            "a": (num, den),  # the reviewer in the group
            "b": (r_k - num, r_n - den),  # the reviewer outside it
            "c": (g_k - num, g_n - den),  # the others in it
            "d": (total_k - r_k - g_k + num, total_n - r_n - g_n + den),  # the others outside
        }
        ok = np.all([cells[c][1] >= max(min_den, 1) for c in "abcd"], axis=0)
        if not ok.any():
            continue
        rates = {c: cells[c][0][ok] / cells[c][1][ok] for c in "abcd"}
        variance = sum(rates[c] * (1 - rates[c]) / cells[c][1][ok] for c in "abcd")
        did = (rates["a"] - rates["b"]) - (rates["c"] - rates["d"])
        se = np.sqrt(variance)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(se > 0, 2 * stats.norm.sf(np.abs(did) / se), np.where(did == 0, 1.0, 0.0))
        # with two groups, (r, g1) and (r, g2) are one test seen from both sides: keep the
        # side where the reviewer's gap is the larger
        if len(np.unique(groups)) == 2:
            positive = np.zeros(len(groups), dtype=bool)
            positive[np.flatnonzero(ok)] = did >= 0
            keep_side = positive[ok]
            ok = positive
            rates = {c: v[keep_side] for c, v in rates.items()}
            did, se, p = did[keep_side], se[keep_side], p[keep_side]
        if not ok.any():
            continue
        parts.append(
            pd.DataFrame(
                {
                    "source": "oversight",
                    "subgroup": [
                        {attribute: str(a), reviewer: str(r)}
                        for a, r in zip(groups[ok], reviewers[ok], strict=True)
                    ],
                    "depth": 2,
                    "metric": "override_rate",
                    "n": cells["a"][1][ok].astype(np.int64),
                    "numerator": cells["a"][0][ok].astype(np.int64),
                    "denominator": cells["a"][1][ok].astype(np.int64),
                    "complement_numerator": cells["b"][0][ok].astype(np.int64),
                    "complement_denominator": cells["b"][1][ok].astype(np.int64),
                    "value": rates["a"],
                    "complement_value": rates["b"],
                    "overall_value": rates["c"],
                    "difference": did,
                    "difference_ci_low": did - z * se,
                    "difference_ci_high": did + z * se,
                    "ratio": np.nan,
                    "p_value": p,
                    "test": "did-z",
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=TEST_COLUMNS)
    return pd.concat(parts, ignore_index=True)[TEST_COLUMNS]

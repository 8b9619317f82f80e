"""Reviewer signals: a reviewer whose decisions on one group differ from other reviewers'.

A reviewer is compared with the other reviewers on like cases: separately for the cases
the model decided favourably (how often the reviewer upheld the decision: ``precision``,
with the human as the truth) and unfavourably (``negative_predictive_value``). For
reviewer r and group g the statistic is the interaction between the reviewer and the
group, ``(r in g - r outside g) - (others in g - others outside g)``.

Reviewers differ in strictness, and the model may err more for some groups, so the
reviewer's gap may differ from the others' on one scale while the reviewer treats every
group alike (a reviewer who catches a fixed share of every group's model errors has a
larger gap in points, but the same gap as a ratio). The test is therefore an
intersection-union test over four scales (difference, log ratio, log ratio of the
complements, log odds; :func:`fairloop.stats.interaction_pvalue`): the reviewer is
flagged only if the gap is larger on every one of them. Every cell gets one event and one
non-event added (Agresti-Caffo), so no variance is zero. A flag names a person, so the
reviewer tests are a family of their own under Holm's family-wise control.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from fairloop._typing import MISSING_GROUP
from fairloop.config import AuditConfig
from fairloop.cube import CELLS, CountCube
from fairloop.flags._search import TEST_COLUMNS
from fairloop.stats import interaction_pvalue

__all__ = ["REVIEWER_STRATA", "REVIEWER_TEST", "reviewer_tests"]

#: The test's name in the ``test`` column of flags.
REVIEWER_TEST = "reviewer-interaction"
#: Per stratum of the model's decision: the metric compared (with the human as the truth),
#: its agreeing cell and its overturned cell.
REVIEWER_STRATA: dict[str, tuple[str, str, str]] = {
    "favourable": ("precision", "tp", "fp"),
    "unfavourable": ("negative_predictive_value", "tn", "fn"),
}


def reviewer_tests(cube: CountCube, config: AuditConfig) -> pd.DataFrame:
    """Test every (reviewer, sensitive group, model decision) for a group-specific gap.

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
        reviewer among the subgroup's conditions. ``metric`` is precision (cases the model
        decided favourably) or negative_predictive_value (unfavourably); ``value`` is the
        reviewer's share upheld in the group, ``complement_value`` theirs outside it,
        ``overall_value`` the other reviewers' in the group, ``difference`` the
        interaction (negative: the reviewer overturns the group's decisions more).
    """
    reviewer = cube.reviewer
    if reviewer is None or not config.flags.oversight:
        return pd.DataFrame(columns=TEST_COLUMNS)
    min_den = max(config.flags.min_denominator or config.min_denominator, 1)
    z = float(special.ndtri(0.5 + 0.5 * config.confidence_level))
    parts = []
    for attribute in cube.sensitive:
        (groups, reviewers), sums = cube.marginal_arrays([attribute, reviewer])
        known = reviewers != MISSING_GROUP
        if not known.any():
            continue
        groups, reviewers, sums = groups[known], reviewers[known], sums[known]
        r_code = np.unique(reviewers, return_inverse=True)[1]
        g_code = np.unique(groups, return_inverse=True)[1]
        two_groups = len(np.unique(g_code)) == 2
        for metric, agree, overturn in REVIEWER_STRATA.values():
            # overturned (k) and decided (n) cases of this stratum per (group, reviewer)
            k = sums[:, CELLS.index(overturn)]
            n = k + sums[:, CELLS.index(agree)]
            r_k, r_n = np.bincount(r_code, k)[r_code], np.bincount(r_code, n)[r_code]
            g_k, g_n = np.bincount(g_code, k)[g_code], np.bincount(g_code, n)[g_code]
            cell_k = np.column_stack([k, r_k - k, g_k - k, k.sum() - r_k - g_k + k])
            cell_n = np.column_stack([n, r_n - n, g_n - n, n.sum() - r_n - g_n + n])
            ok: NDArray[np.bool_] = np.asarray((cell_n >= min_den).all(axis=1))
            if not ok.any():
                continue
            estimate, se, p = interaction_pvalue(cell_k[ok], cell_n[ok])
            if two_groups:
                # (r, g1) and (r, g2) are one test seen from both sides: keep the side
                # where the reviewer overturns more
                side = (estimate > 0) | ((estimate == 0) & (g_code[ok] == 0))
                ok[np.flatnonzero(ok)[~side]] = False
                estimate, se, p = estimate[side], se[side], p[side]
            rates = 1 - cell_k[ok] / cell_n[ok]  # the metric: the share upheld
            interaction = -estimate  # on the metric's scale
            parts.append(
                pd.DataFrame(
                    {
                        "source": "oversight",
                        "subgroup": [
                            {attribute: str(a), reviewer: str(r)}
                            for a, r in zip(groups[ok], reviewers[ok], strict=True)
                        ],
                        "depth": 2,
                        "metric": metric,
                        "n": cell_n[ok, 0].astype(np.int64),
                        "numerator": (cell_n[ok, 0] - cell_k[ok, 0]).astype(np.int64),
                        "denominator": cell_n[ok, 0].astype(np.int64),
                        "complement_numerator": (cell_n[ok, 1] - cell_k[ok, 1]).astype(np.int64),
                        "complement_denominator": cell_n[ok, 1].astype(np.int64),
                        "value": rates[:, 0],
                        "complement_value": rates[:, 1],
                        "overall_value": rates[:, 2],
                        "difference": interaction,
                        "difference_ci_low": interaction - z * se,
                        "difference_ci_high": interaction + z * se,
                        "ratio": np.nan,
                        "p_value": p,
                        "test": REVIEWER_TEST,
                        "design_effect": 1.0,
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=TEST_COLUMNS)
    return pd.concat(parts, ignore_index=True)[TEST_COLUMNS]

"""Reviewer signals: a reviewer whose decisions on one group differ from other reviewers'.

A reviewer is compared with the other reviewers on like cases: separately for the cases
the model decided favourably (how often the reviewer upheld the decision: ``precision``,
with the human as the truth) and unfavourably (``negative_predictive_value``). For
reviewer r and group g the statistic is the reviewer's own gap between the group and
the rest, against the other reviewers' own gaps averaged (inverse-variance weights): as
each reviewer is compared with themselves, who reviews which group does not enter it.

Reviewers differ in strictness, and the model may err more for some groups, so the
reviewer's gap may differ from the others' on one scale while the reviewer treats every
group alike (a reviewer who catches a fixed share of every group's model errors has a
larger gap in points, but the same gap as a ratio). The test is therefore an
intersection-union test over five scales (:data:`fairloop.stats.INTERACTION_SCALES`,
:func:`fairloop.stats.gap_difference_pvalue`): the reviewer is flagged only if the gap is
larger on every one of them. Every cell gets one event and one
non-event added (Agresti-Caffo), so no variance is zero. A flag names a person, so the
reviewer tests are a family of their own under Holm's family-wise control.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairloop.config import AuditConfig
from fairloop.cube import CountCube
from fairloop.flags._search import TEST_COLUMNS
from fairloop.stats import gap_difference_pvalue, normal_quantile, scale_gaps
from fairloop.vocabulary import CELLS, MISSING_GROUP, cell_weights

__all__ = ["REVIEWER_STRATA", "REVIEWER_TEST", "reviewer_tests"]

#: The test's name in the ``test`` column of flags.
REVIEWER_TEST = "reviewer-interaction"
#: Per stratum of the model's decision (positive, negative): the metric compared, with
#: the human as the truth. Its numerator cells are the model's decisions the human upheld,
#: the rest of its denominator those the human overturned.
REVIEWER_STRATA: dict[str, str] = {
    "positive": "precision",
    "negative": "negative_predictive_value",
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
    z = normal_quantile(config.confidence_level)
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
        for metric in REVIEWER_STRATA.values():
            # overturned (k) and decided (n) cases of this stratum per (group, reviewer)
            upheld, decided = (sums[:, : len(CELLS)] @ w[:, 0] for w in cell_weights([metric]))
            k, n = decided - upheld, decided
            k_out = np.bincount(r_code, k)[r_code] - k  # the reviewer outside the group
            n_out = np.bincount(r_code, n)[r_code] - n
            # each reviewer's own gap between the group and the rest, on every scale
            gap, var, defined = scale_gaps(k, n, k_out, n_out)
            usable = (n >= min_den) & (n_out >= min_den)
            weight = np.where(defined & usable, 1.0 / var, 0.0)
            # the other reviewers' gap: the average of their own gaps (inverse-variance
            # weights), so who reviews which group does not enter it
            w_group = np.stack([np.bincount(g_code, w, g_code.max() + 1) for w in weight])
            s_group = np.stack(
                [np.bincount(g_code, w * e, g_code.max() + 1) for w, e in zip(weight, gap,
                                                                               strict=True)]
            )  # fmt: skip
            w_others = w_group[:, g_code] - weight
            with np.errstate(divide="ignore", invalid="ignore"):
                others = (s_group[:, g_code] - weight * gap) / w_others
                others_var = 1.0 / w_others
            ok = usable & (w_others[0] > 0)
            if not ok.any():
                continue
            p = gap_difference_pvalue(
                gap[:, ok], var[:, ok], others[:, ok], others_var[:, ok],
                defined[:, ok] & (w_others[:, ok] > 0),
            )  # fmt: skip
            interaction = gap[0, ok] - others[0, ok]  # on the overturned share
            se = np.sqrt(var[0, ok] + others_var[0, ok])
            if two_groups:
                # (r, g1) and (r, g2) are one test seen from both sides: keep the side
                # where the reviewer overturns more
                side = (interaction > 0) | ((interaction == 0) & (g_code[ok] == 0))
                ok[np.flatnonzero(ok)[~side]] = False
                interaction, se, p = interaction[side], se[side], p[side]
            g_k = np.bincount(g_code, k)[g_code] - k  # the other reviewers in the group
            g_n = np.bincount(g_code, n)[g_code] - n
            difference = -interaction  # on the metric's scale (the share upheld)
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
                        "n": n[ok].astype(np.int64),
                        "numerator": (n[ok] - k[ok]).astype(np.int64),
                        "denominator": n[ok].astype(np.int64),
                        "complement_numerator": (n_out[ok] - k_out[ok]).astype(np.int64),
                        "complement_denominator": n_out[ok].astype(np.int64),
                        "value": 1 - k[ok] / n[ok],
                        "complement_value": 1 - k_out[ok] / n_out[ok],
                        "overall_value": 1 - g_k[ok] / np.maximum(g_n[ok], 1),
                        "difference": difference,
                        "difference_ci_low": difference - z * se,
                        "difference_ci_high": difference + z * se,
                        "ratio": np.nan,
                        "p_value": p,
                        "test": REVIEWER_TEST,
                        "design_effect": 1.0,
                        "effective_scale": 1.0,
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=TEST_COLUMNS)
    return pd.concat(parts, ignore_index=True)[TEST_COLUMNS]

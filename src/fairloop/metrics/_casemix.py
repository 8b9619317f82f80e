"""Reviewers' override rates within case mix: a reviewer handed the hard cases is not harsh.

Cases near the decision boundary are overridden far more often than clear ones, and
routing often sends them to a few reviewers. A reviewer's raw override rate mixes their
behaviour with their cases. Indirect standardisation (Breslow and Day 1987, ch. 2) takes
the case mix out: per stratum of score band x model decision, every reviewer's cases are
given the override rate of all reviewers in that stratum; a reviewer's *expected*
overrides are the sum over their cases, and their *case-mix ratio* is observed over
expected (1: as their peers would on the same cases). The adjusted rate is the overall
rate times that ratio; its interval is the raw rate's (Wilson or Clopper-Pearson) divided
by the expected rate, which is taken as known (it comes from every reviewer's cases).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairloop.config import AuditConfig
from fairloop.cube import CountCube
from fairloop.stats import proportion_interval
from fairloop.vocabulary import CELL_RULES, CELLS, MISSING_GROUP, cell_weights

__all__ = ["REVIEWER_COLUMNS", "reviewer_case_mix"]

REVIEWER_COLUMNS = [
    "reviewer", "reviewed", "overrides", "rate", "ci_low", "ci_high", "expected_rate",
    "case_mix_ratio", "adjusted_rate", "adjusted_ci_low", "adjusted_ci_high",
]  # fmt: skip

_POSITIVE = np.asarray([rule[0] for rule in CELL_RULES.values()])


def reviewer_case_mix(cube: CountCube, config: AuditConfig) -> pd.DataFrame:
    """Each reviewer's override rate, raw and within case mix (score band x model decision).

    Parameters
    ----------
    cube : CountCube
        The audit's cube without time windows, with a reviewer key (and its score strata
        when the log has a score; without one, the case mix is the model's decision).
    config : AuditConfig
        Interval method and level.

    Returns
    -------
    pandas.DataFrame
        One row per named reviewer, most reviews first (columns :data:`REVIEWER_COLUMNS`).
    """
    if cube.reviewer is None or not cube.n_reviewed:
        return pd.DataFrame(columns=REVIEWER_COLUMNS)
    keys = [cube.reviewer, *([cube.band] if cube.band else [])]
    values, sums = cube.marginal_arrays(keys)
    counts = sums[:, : len(CELLS)]
    num, den = (w[:, 0].astype(np.float64) for w in cell_weights(["override_rate"]))
    stratum_key = values[1] if cube.band else np.full(len(counts), "", dtype=object)
    strata, stratum = np.unique(stratum_key.astype(str), return_inverse=True)
    reviewers, who = np.unique(values[0].astype(str), return_inverse=True)
    observed = np.zeros(len(reviewers))
    reviewed = np.zeros(len(reviewers))
    expected = np.zeros(len(reviewers))
    known = values[0] != MISSING_GROUP
    for positive in (True, False):
        part = counts * (positive == _POSITIVE)
        k, n = part @ num, part @ den
        # the stratum's rate over every named reviewer's cases
        k_s = np.bincount(stratum[known], k[known], len(strata))
        n_s = np.bincount(stratum[known], n[known], len(strata))
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(n_s > 0, k_s / n_s, 0.0)
        observed += np.bincount(who, k, len(reviewers))
        reviewed += np.bincount(who, n, len(reviewers))
        expected += np.bincount(who, n * rate[stratum], len(reviewers))
    keep = (reviewers != MISSING_GROUP) & (reviewed > 0)
    observed, reviewed, expected = observed[keep], reviewed[keep], expected[keep]
    overall = float(observed.sum() / reviewed.sum()) if reviewed.sum() else np.nan
    low, high = proportion_interval(
        observed, reviewed, method=config.ci_method, confidence_level=config.confidence_level
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = observed / reviewed
        expected_rate = expected / reviewed
        ratio = np.where(expected > 0, observed / expected, np.nan)
        scale = np.where(expected_rate > 0, overall / expected_rate, np.nan)
    frame = pd.DataFrame(
        {
            "reviewer": reviewers[keep],
            "reviewed": reviewed.astype(np.int64),
            "overrides": observed.astype(np.int64),
            "rate": rate,
            "ci_low": low,
            "ci_high": high,
            "expected_rate": expected_rate,
            "case_mix_ratio": ratio,
            "adjusted_rate": overall * ratio,
            "adjusted_ci_low": low * scale,
            "adjusted_ci_high": high * scale,
        }
    )
    return frame.sort_values(["reviewed", "reviewer"], ascending=[False, True], kind="stable")[
        REVIEWER_COLUMNS
    ].reset_index(drop=True)

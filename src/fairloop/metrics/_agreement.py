"""Agreement between the people who judged the same case.

When the case id repeats (one row per judgment, each by its reviewer), the cube keeps,
per group, the cases by number of judgments ``m`` and positive ones ``x``
(:class:`fairloop.cube.Agreement`). From them, per group and intersection of the
sensitive attributes (the binary reading of the decision: the positive value or not):

* observed agreement ``p_a``: the mean over cases of the share of agreeing pairs of
  judgments, ``(x (x - 1) + (m - x)(m - x - 1)) / (m (m - 1))`` (cases with ``m >= 2``);
* ``pi``: the mean share of positive judgments per case;
* Fleiss' kappa, ``(p_a - p_e) / (1 - p_e)`` with ``p_e = pi^2 + (1 - pi)^2``: equal to
  statsmodels' ``fleiss_kappa`` when every case has the same number of judgments, and its
  usual extension otherwise;
* Gwet's AC1, the same with ``p_e = 2 pi (1 - pi)``, which does not collapse when nearly
  every judgment has one value.

Their intervals are percentile bootstrap intervals over cases (2,000 multinomial
resamples of the group's cases, seed 0: the same figures every run). Per pair of
reviewers who judged at least ``min_denominator`` cases in common: Cohen's kappa with the
large-sample interval of Fleiss, Cohen and Everitt (1969).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.config import AuditConfig
from fairloop.cube import Agreement
from fairloop.metrics._groups import group_masks
from fairloop.stats import normal_quantile

__all__ = ["AGREEMENT_COLUMNS", "BOOTSTRAP", "PAIR_COLUMNS", "agreement_by_group", "pair_kappas"]

#: Resamples of the bootstrap intervals.
BOOTSTRAP = 2_000

AGREEMENT_COLUMNS = [
    "attribute_set", "group", "attributes", "cases", "judgments", "observed_agreement",
    "fleiss_kappa", "fleiss_kappa_ci_low", "fleiss_kappa_ci_high", "gwet_ac1",
    "gwet_ac1_ci_low", "gwet_ac1_ci_high", "status",
]  # fmt: skip
PAIR_COLUMNS = [
    "reviewer_a", "reviewer_b", "cases", "observed_agreement", "cohen_kappa", "ci_low",
    "ci_high",
]  # fmt: skip

FloatArray = NDArray[np.float64]


def _coefficients(
    m: FloatArray, x: FloatArray, weights: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed agreement, Fleiss' kappa and Gwet's AC1 for each row of ``weights``.

    ``weights`` (resamples x patterns): cases of each (m, x) pattern.
    """
    agree = (x * (x - 1) + (m - x) * (m - x - 1)) / (m * (m - 1))
    total = weights.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_a = weights @ agree / total
        pi = weights @ (x / m) / total
        fleiss_e = pi**2 + (1 - pi) ** 2
        gwet_e = 2 * pi * (1 - pi)
        fleiss = (p_a - fleiss_e) / (1 - fleiss_e)
        gwet = (p_a - gwet_e) / (1 - gwet_e)
    return p_a, fleiss, gwet


def agreement_by_group(
    agreement: Agreement, config: AuditConfig, sets: Sequence[tuple[str, ...]]
) -> pd.DataFrame:
    """Observed agreement, Fleiss' kappa and Gwet's AC1 per group, with intervals.

    Parameters
    ----------
    agreement : Agreement
        The cube's agreement counts.
    config : AuditConfig
        Level and thresholds.
    sets : sequence of tuple of str
        Attribute sets (``()`` is everyone).

    Returns
    -------
    pandas.DataFrame
        One row per group (columns :data:`AGREEMENT_COLUMNS`).
    """
    cases = agreement.cases
    cases = cases[cases["m"] >= 2]
    rng = np.random.default_rng(0)
    tail = (1 - config.confidence_level) / 2
    rows = []
    for name, label, attributes, mask in group_masks(cases, sets):
        part = cases[mask]
        patterns = part.groupby(["m", "x"], sort=True)["cases"].sum()
        m = patterns.index.get_level_values("m").to_numpy(dtype=np.float64)
        x = patterns.index.get_level_values("x").to_numpy(dtype=np.float64)
        counts = patterns.to_numpy(dtype=np.float64)
        n = int(counts.sum())
        if n == 0:
            continue
        p_a, fleiss, gwet = _coefficients(m, x, counts[None, :])
        draws = rng.multinomial(n, counts / counts.sum(), size=BOOTSTRAP).astype(np.float64)
        _, fleiss_b, gwet_b = _coefficients(m, x, draws)
        f_low, f_high = _percentiles(fleiss_b, tail)
        g_low, g_high = _percentiles(gwet_b, tail)
        rows.append({
            "attribute_set": name, "group": label, "attributes": attributes, "cases": n,
            "judgments": int(counts @ m), "observed_agreement": float(p_a[0]),
            "fleiss_kappa": float(fleiss[0]), "fleiss_kappa_ci_low": float(f_low),
            "fleiss_kappa_ci_high": float(f_high), "gwet_ac1": float(gwet[0]),
            "gwet_ac1_ci_low": float(g_low), "gwet_ac1_ci_high": float(g_high),
            "status": "ok" if n >= config.min_group_size else "insufficient",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def _percentiles(draws: FloatArray, tail: float) -> tuple[float, float]:
    """The bootstrap interval; undefined (NaN) when no resample defines the coefficient."""
    kept = draws[~np.isnan(draws)]
    if not kept.size:
        return float("nan"), float("nan")
    low, high = np.quantile(kept, [tail, 1 - tail])
    return float(low), float(high)


def pair_kappas(agreement: Agreement, config: AuditConfig) -> pd.DataFrame:
    """Cohen's kappa of each pair of reviewers with enough cases in common.

    The interval is kappa plus or minus z times the large-sample standard error of
    Fleiss, Cohen and Everitt (1969).

    Parameters
    ----------
    agreement : Agreement
        The cube's agreement counts.
    config : AuditConfig
        ``min_denominator`` (the fewest cases in common) and the level.

    Returns
    -------
    pandas.DataFrame
        One row per pair (columns :data:`PAIR_COLUMNS`), most cases first.
    """
    pairs = agreement.pairs
    if pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    wide = pairs.pivot_table(index=["reviewer_a", "reviewer_b"], columns=["a", "b"],
                             values="cases", aggfunc="sum", fill_value=0)  # fmt: skip
    cells = pd.MultiIndex.from_tuples([(1, 1), (1, 0), (0, 1), (0, 0)], names=["a", "b"])
    wide = wide.reindex(columns=cells, fill_value=0)
    counts = wide.to_numpy(dtype=np.float64).reshape(-1, 2, 2)
    n = counts.sum(axis=(1, 2))
    keep = n >= max(config.min_denominator, 2)
    counts, n = counts[keep], n[keep]
    kappa, low, high = _cohen(counts, n, normal_quantile(config.confidence_level))
    index = wide.index[keep]
    out = pd.DataFrame({
        "reviewer_a": index.get_level_values(0).astype(str),
        "reviewer_b": index.get_level_values(1).astype(str),
        "cases": n.astype(np.int64),
        "observed_agreement": np.trace(counts, axis1=1, axis2=2) / n,
        "cohen_kappa": kappa, "ci_low": low, "ci_high": high,
    })  # fmt: skip
    return out.sort_values(["cases", "reviewer_a", "reviewer_b"],
                           ascending=[False, True, True]).reset_index(drop=True)  # fmt: skip


def _cohen(
    counts: FloatArray, n: FloatArray, z: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cohen's kappa of each 2 x 2 table and its interval (Fleiss, Cohen, Everitt 1969)."""
    p = counts / n[:, None, None]
    rows, cols = p.sum(axis=2), p.sum(axis=1)
    diagonal = np.stack([p[:, 0, 0], p[:, 1, 1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):  # one value only: no kappa
        expected = (rows * cols).sum(axis=1)
        kappa = (diagonal.sum(axis=1) - expected) / (1 - expected)
        k = kappa[:, None]
        term_a = (diagonal * (1 - (rows + cols) * (1 - k)) ** 2).sum(axis=1)
        # off the diagonal: cell (i, j) weighs (column share i + row share j) squared
        spread = (cols[:, :, None] + rows[:, None, :]) ** 2
        off = p * spread
        term_b = (1 - kappa) ** 2 * (off.sum(axis=(1, 2)) - off[:, 0, 0] - off[:, 1, 1])
        term_c = (kappa - expected * (1 - kappa)) ** 2
        variance = (term_a + term_b - term_c) / (1 - expected) ** 2 / n
        half = z * np.sqrt(variance)
    return kappa, kappa - half, kappa + half

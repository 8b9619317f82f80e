"""Decision logs with score-routed (selective) human review, and their all-case truth.

This module never imports fairloop. Each generator returns ``(frame, truth)``: a decision
log in which the cases that reach a human reviewer are chosen by the model's score, and
the exact truth about what the model does on ALL cases, so that a test can check that an
audit's adjusted (inverse-probability weighted or post-stratified) estimates recover the
all-case metrics and not only what happened on the reviewed cases.

Vocabulary
----------
Each row is one case. ``score`` is the model's score in [0, 1], rounded to 4 decimals;
``pred`` is the model's decision, 1 (favourable, approve) when ``score >= 0.5`` and 0
otherwise. Every case has a latent human decision ``label`` (1/0), drawn for every case;
the log shows it only where the case was reviewed and NaN elsewhere. The metrics of the
model against the human on a set of cases (:data:`METRICS`)::

    accuracy            = P(pred == label)
    override_rate       = P(pred != label) = 1 - accuracy
    false_positive_rate = P(pred = 1 | label = 0)
    false_negative_rate = P(pred = 0 | label = 1)
    selection_rate      = P(pred = 1)
    review_rate         = share of the cases that were reviewed

Selective review
----------------
Whether a case is reviewed depends on its score (and its decision and group), so metrics
computed on the reviewed cases only are biased for the all-case metrics: reviewers mostly
see the hard cases near the threshold, where the model and the human disagree most. Review
is random given recorded columns: each case is reviewed independently (Poisson sampling)
with the probability in ``review_probability``, which is constant within the cells each
generator documents. So weighting reviewed rows by ``1 / review_probability`` (Hajek
ratios) or post-stratifying on those cells recovers the all-case metrics, up to sampling
error. Rows: ``case_id`` (unique str), ``group``, ``score``, ``pred`` (int 0/1), ``label``
(float, NaN where unreviewed), ``review_probability`` (the row's true inclusion
probability, given for every row), ``review_reason`` and ``reviewer`` (str, None/NaN where
unreviewed: pandas 3 stores them as its str dtype, whose missing value is NaN).

Truth
-----
Per group, a dict ``{metric: value}`` of the metrics above, in blocks:

- ``"all_cases"``: realised (finite-population) values on the latent labels of every case
  of this log. An adjusted estimate converges to these as the review sample grows.
- ``"expected"``: superpopulation values, E[numerator] / E[denominator] under the
  generating distribution. They are computed exactly by summing over the lattice of the
  10 001 possible rounded scores: under the continuous cdf F, score = k / 10 000 has
  probability F((k + 0.5) / 10 000) minus F((k - 0.5) / 10 000) (edges clipped to
  [0, 1]), a numerical integration with no Monte Carlo error.
- ``"reviewed_only"``: realised values on the reviewed rows only, what a naive audit sees;
  ``"reviewed_only_expected"``: their superpopulation values.

``review_rate`` is the group's share of cases reviewed in every block (realised in the
realised blocks, expected in the expected ones). ``selection_rate`` in the reviewed-only
blocks is P(pred = 1 | reviewed); an audit that takes the selection rate over all rows
gets the all-case value. ``truth["latent_label"]`` holds every row's latent human decision
(int 0/1, aligned with the frame's rows) for metrics the blocks do not list.

The generators draw each row's human decision from one uniform u per row (label = 1 when
u < P(label = 1)) and make the same draws whatever the planted effect, so two calls with
the same seed and size that differ only in the planted effect (``fpr_gap``, ``bias``) give
the same log except for the labels the effect changes (common random numbers).
"""

from __future__ import annotations

from itertools import permutations
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

__all__ = [
    "METRICS",
    "REVIEWERS",
    "ab_routing",
    "reviewer_case_mix",
    "score_band",
    "score_routed",
]

#: the metrics every truth block lists, per group
METRICS = (
    "accuracy",
    "false_positive_rate",
    "false_negative_rate",
    "override_rate",
    "review_rate",
    "selection_rate",
)
#: reviewer ids; reviewed rows get one of them
REVIEWERS = tuple(f"r{i}" for i in range(1, 9))
_SCALE = 10_000  # scores are rounded to 4 decimals: score = k / _SCALE, k = 0.._SCALE
_CUT = _SCALE // 2  # pred = 1 exactly when k >= _CUT (score >= 0.5)
_LATTICE = np.arange(_SCALE + 1) / _SCALE
#: score_routed's group parameters, by position in ``groups``: the score is Beta(a, b);
#: P(label = 1 | score) = expit(slope * logit(score) + shift); review is scaled by ``review``
_ROUTED_GROUPS: tuple[dict[str, float], ...] = (
    {"a": 2.0, "b": 2.0, "slope": 1.0, "shift": 0.0, "review": 1.0},
    {"a": 2.6, "b": 1.6, "slope": 1.3, "shift": -0.5, "review": 0.8},
    {"a": 1.4, "b": 2.4, "slope": 0.8, "shift": 0.4, "review": 0.35},
    {"a": 3.0, "b": 3.0, "slope": 1.1, "shift": 0.2, "review": 0.6},
    {"a": 1.2, "b": 1.2, "slope": 0.9, "shift": -0.2, "review": 1.0},
    {"a": 0.8, "b": 0.8, "slope": 1.0, "shift": 0.0, "review": 0.5},
)
_FLOOR = 0.03  # score_routed's lowest review probability
_APPROVED_REVIEW = 0.7  # score_routed reviews approvals at 0.7 times the rate of refusals


def _ticks(score: Any) -> np.ndarray:
    """k = score * 10 000 as exact integers (scores are rounded to 4 decimals)."""
    return np.rint(np.asarray(score, dtype=float) * _SCALE).astype(np.int64)


def score_band(score: Any, bands: int = 10) -> np.ndarray:
    """The score band of each score, as :func:`score_routed` routes review by it.

    Parameters
    ----------
    score : array_like
        Scores in [0, 1], rounded to 4 decimals.
    bands : int, default 10
        Number of equal-width bands.

    Returns
    -------
    ndarray of int
        Band j is [j / bands, (j + 1) / bands); the last band also holds 1.0. Computed in
        integer arithmetic on score * 10 000, so scores on a band edge are never misplaced
        by floating-point error.
    """
    return np.minimum(_ticks(score) * bands // _SCALE, bands - 1)


def _lattice_mass(a: float, b: float) -> np.ndarray:
    """P(score = k / 10 000), k = 0..10 000, for score = round(Beta(a, b), 4)."""
    edges = np.clip((np.arange(_SCALE + 2) - 0.5) / _SCALE, 0.0, 1.0)
    return np.diff(stats.beta.cdf(edges, a, b))


def _div(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def _metrics(pred: Any, q: Any, weight: Any, review_rate: float) -> dict[str, float]:
    """The metrics from each row's P(label = 1) ``q`` (or its 0/1 label) and mass ``weight``."""
    pred, q, weight = (np.asarray(x, dtype=float) for x in (pred, q, weight))
    tp = float(np.sum(weight * pred * q))
    fp = float(np.sum(weight * pred * (1 - q)))
    fn = float(np.sum(weight * (1 - pred) * q))
    tn = float(np.sum(weight * (1 - pred) * (1 - q)))
    total = tp + fp + fn + tn
    return {
        "accuracy": _div(tp + tn, total),
        "false_positive_rate": _div(fp, fp + tn),
        "false_negative_rate": _div(fn, fn + tp),
        "override_rate": _div(fp + fn, total),
        "review_rate": float(review_rate),
        "selection_rate": _div(tp + fp, total),
    }


def _realised(
    group: np.ndarray, pred: np.ndarray, label: np.ndarray, reviewed: np.ndarray
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Realised all-case and reviewed-only metrics per group."""
    all_cases, reviewed_only = {}, {}
    for g in pd.unique(group):
        m = group == g
        rate = float(reviewed[m].mean())
        all_cases[str(g)] = _metrics(pred[m], label[m], np.ones(m.sum()), rate)
        reviewed_only[str(g)] = _metrics(pred[m], label[m], reviewed[m], rate)
    return all_cases, reviewed_only


def _expected(
    mass: np.ndarray, pred: np.ndarray, q: np.ndarray, review: np.ndarray
) -> tuple[dict[str, float], dict[str, float]]:
    """Expected all-case and reviewed-only metrics of one group, over the score lattice."""
    rate = _div(float(np.sum(mass * review)), float(np.sum(mass)))
    return _metrics(pred, q, mass, rate), _metrics(pred, q, mass * review, rate)


def _frame(
    group: np.ndarray,
    score: np.ndarray,
    pred: np.ndarray,
    label: np.ndarray,
    reviewed: np.ndarray,
    probability: np.ndarray,
    reason: np.ndarray,
    reviewer: np.ndarray,
    ids: tuple[str, ...] = REVIEWERS,
) -> pd.DataFrame:
    """The log; ``reviewer`` indexes ``ids``; reason and reviewer are None where unreviewed."""
    width = max(6, len(str(len(score) - 1)))
    return pd.DataFrame(
        {
            "case_id": [f"case-{i:0{width}d}" for i in range(len(score))],
            "group": np.asarray(group, dtype=object),
            "score": score,
            "pred": pred.astype(np.int64),
            "label": np.where(reviewed, label.astype(float), np.nan),
            "review_probability": probability.astype(float),
            "review_reason": np.where(reviewed, np.asarray(reason, dtype=object), None),
            "reviewer": np.where(reviewed, np.asarray(ids, dtype=object)[reviewer], None),
        }
    )


def _edge(x: float) -> int:
    return round(float(x) * _SCALE)


def _ab_q(score: Any, pred: Any, in_a: Any, delta: float) -> np.ndarray:
    """P(label = 1): the score, less ``delta`` (clipped to [0, 1]) for A's approvals."""
    score = np.asarray(score, dtype=float)
    return np.where(np.asarray(in_a) & np.asarray(pred), np.clip(score - delta, 0.0, 1.0), score)


def _ab_fpr(delta: float) -> float:
    """Expected all-case FPR of group A (of B when delta = 0) for a given delta."""
    mass, pred = _lattice_mass(1.0, 1.0), np.arange(_SCALE + 1) >= _CUT
    q = _ab_q(_LATTICE, pred, True, delta)
    fp, tn = np.sum(mass * pred * (1 - q)), np.sum(mass * ~pred * (1 - q))
    return float(fp / (fp + tn))


def _ab_delta(fpr_gap: float) -> float:
    """The delta whose expected FPR of A minus that of B is ``fpr_gap`` (root in [-1, 1])."""
    if fpr_gap == 0:
        return 0.0
    target = _ab_fpr(0.0) + fpr_gap
    low, high = _ab_fpr(-1.0), _ab_fpr(1.0)
    if not low < target < high:
        raise ValueError(
            f"fpr_gap={fpr_gap} is out of reach: need {low - _ab_fpr(0.0):.3f} < fpr_gap < "
            f"{high - _ab_fpr(0.0):.3f}"
        )
    return float(optimize.brentq(lambda d: _ab_fpr(d) - target, -1.0, 1.0, xtol=1e-14))


def ab_routing(
    n_per_group: int = 20_000,
    seed: int = 0,
    fpr_gap: float = 0.0,
    quality_sample: float = 0.05,
    band: tuple[float, float] = (0.4, 0.6),
    b_review_rate: float = 0.3,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Two groups treated alike by model and humans, but reviewed by different rules.

    Groups A and B (``n_per_group`` cases each, rows shuffled); score ~ Uniform(0, 1)
    rounded to 4 decimals in both; pred = score >= 0.5; the human's decision is
    label ~ Bernoulli(score) for everyone, so the all-case accuracy is 0.75 and the FPR and
    FNR are 0.25 in both groups. Review:

    - group A: every case with score in ``band`` = [0.4, 0.6) ("boundary", probability 1),
      and each other case with probability ``quality_sample`` ("quality sample");
    - group B: each case with probability ``b_review_rate`` ("random").

    The review rates differ for real (A about 0.2 + 0.8 * 0.05 = 0.24 with the defaults, B
    0.3) and stay a finding, but A's reviewed cases are mostly hard ones: the reviewed-only
    accuracy of A is about 0.59 against B's 0.75, a gap that is all selection. Review is
    random within (group, score in band): ``1 / review_probability`` weights and
    post-stratification on (group, in band) are both valid.

    ``fpr_gap`` plants a real all-case FPR gap: for A's approvals (pred = 1) only, the
    human's decision becomes label ~ Bernoulli(clip(score - delta, 0, 1)), with delta
    solved (Brent's method on the exact lattice expectation) so that the expected all-case
    FPR of A minus that of B equals ``fpr_gap``. It also lowers A's expected accuracy by
    delta * P(pred = 1) and raises A's FNR a little (fewer A cases have label 1); the
    review design is unchanged. delta is about 0.119 for ``fpr_gap = 0.08``. A negative
    ``fpr_gap`` (delta < 0, humans approving more) is accepted down to about -0.25.

    Parameters
    ----------
    n_per_group : int, default 20_000
        Cases per group.
    seed : int, default 0
        Seed of ``np.random.default_rng``.
    fpr_gap : float, default 0.0
        Expected all-case FPR of A minus that of B.
    quality_sample : float, default 0.05
        Review probability of A's cases outside ``band``.
    band : tuple of float, default (0.4, 0.6)
        [low, high) score band of A's boundary review; edges on the 4-decimal lattice.
    b_review_rate : float, default 0.3
        Review probability of each B case.

    Returns
    -------
    frame : DataFrame
        The log (columns in the module docstring).
    truth : dict
        ``"all_cases"``, ``"expected"``, ``"reviewed_only"``, ``"reviewed_only_expected"``
        (each ``{group: {metric: value}}``), ``"fpr_gap_expected"`` (expected FPR of A
        minus B: ``fpr_gap`` up to the solver's tolerance), ``"fpr_gap_all_cases"``
        (realised), ``"delta"``, ``"latent_label"``.
    """
    low, high = _edge(band[0]), _edge(band[1])
    if not (0 <= low < high <= _SCALE and 0 <= quality_sample <= 1 and 0 <= b_review_rate <= 1):
        raise ValueError("Need 0 <= band[0] < band[1] <= 1 and probabilities in [0, 1]")
    delta = _ab_delta(fpr_gap)
    rng = np.random.default_rng(seed)
    n = 2 * n_per_group
    group = np.repeat(np.array(["A", "B"], dtype=object), n_per_group)
    in_a = group == "A"
    score = np.round(rng.random(n), 4)
    k = _ticks(score)
    pred = k >= _CUT
    label = (rng.random(n) < _ab_q(score, pred, in_a, delta)).astype(np.int64)
    boundary = in_a & (k >= low) & (k < high)
    probability = np.where(in_a, np.where(boundary, 1.0, quality_sample), b_review_rate)
    reviewed = rng.random(n) < probability
    reason = np.where(in_a, np.where(boundary, "boundary", "quality sample"), "random")
    reviewer = rng.integers(0, len(REVIEWERS), n)
    order = rng.permutation(n)
    group, score, pred, label, reviewed = (x[order] for x in (group, score, pred, label, reviewed))
    frame = _frame(
        group, score, pred, label, reviewed, probability[order], reason[order], reviewer[order]
    )

    all_cases, reviewed_only = _realised(group, pred, label, reviewed)
    expected, reviewed_expected = {}, {}
    mass, lattice_pred = _lattice_mass(1.0, 1.0), np.arange(_SCALE + 1) >= _CUT
    in_band = (np.arange(_SCALE + 1) >= low) & (np.arange(_SCALE + 1) < high)
    for g in ("A", "B"):
        q = _ab_q(_LATTICE, lattice_pred, g == "A", delta)
        if g == "A":
            review = np.where(in_band, 1.0, quality_sample)
        else:
            review = np.full(_SCALE + 1, float(b_review_rate))
        expected[g], reviewed_expected[g] = _expected(mass, lattice_pred, q, review)
    fpr = "false_positive_rate"
    truth: dict[str, Any] = {
        "all_cases": {g: all_cases[g] for g in ("A", "B")},
        "expected": expected,
        "reviewed_only": {g: reviewed_only[g] for g in ("A", "B")},
        "reviewed_only_expected": reviewed_expected,
        "fpr_gap_expected": expected["A"][fpr] - expected["B"][fpr],
        "fpr_gap_all_cases": all_cases["A"][fpr] - all_cases["B"][fpr],
        "delta": delta,
        "latent_label": label,
    }
    return frame, truth


def _routed_review(band: Any, pred: Any, multiplier: Any, bands: int) -> np.ndarray:
    """score_routed's review probability of a (band, pred) cell of a group."""
    middle = (np.asarray(band, dtype=float) + 0.5) / bands
    base = _FLOOR + 0.9 * np.exp(-(((middle - 0.5) / 0.15) ** 2))
    p = multiplier * np.where(np.asarray(pred, dtype=bool), _APPROVED_REVIEW, 1.0) * base
    return np.clip(p, _FLOOR, 1.0)


def _routed_q(score: Any, slope: float, shift: float) -> np.ndarray:
    """P(label = 1 | score) = expit(slope * logit(score) + shift); 0 and 1 at the ends."""
    return special.expit(slope * special.logit(np.asarray(score, dtype=float)) + shift)


def score_routed(
    n: int = 20_000,
    seed: int = 0,
    groups: tuple[str, ...] = ("A", "B", "C"),
    shares: tuple[float, ...] = (0.5, 0.3, 0.2),
    bands: int = 10,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Several groups whose scores, calibration and review routing all differ.

    Each case's group is drawn with probabilities ``shares``. The g-th group (by position,
    parameters in ``_ROUTED_GROUPS``, at most six groups) has score ~ Beta(a_g, b_g) rounded
    to 4 decimals and human decision label ~ Bernoulli(expit(slope_g * logit(score) +
    shift_g)); pred = score >= 0.5. With the default groups:

    ====  =============  =====  =====  ======  ==============================
    name  score          slope  shift  review  so
    ====  =============  =====  =====  ======  ==============================
    A     Beta(2, 2)     1.0    0.0    1.0     calibrated, centred
    B     Beta(2.6, 1.6) 1.3    -0.5   0.8     high scores, humans harsher
    C     Beta(1.4, 2.4) 0.8    0.4    0.35    low scores, lenient, less review
    ====  =============  =====  =====  ======  ==============================

    Review is routed by the score band j (:func:`score_band`, width 1 / ``bands``), the
    decision and the group: with m = (j + 0.5) / bands the band's middle, the probability
    is clip(review_g * (0.7 if pred else 1) * (0.03 + 0.9 exp(-((m - 0.5) / 0.15)^2)),
    0.03, 1); about 0.83 next to 0.5 and 0.03 far from it for A. It is constant within each
    (band, pred, group) cell, so ``1 / review_probability`` weights and post-stratification
    on (band, pred, group) are both valid. With even ``bands`` each band holds one decision
    only; with odd ``bands`` the middle band holds both.

    Some cells are sparse (group C's top bands hold a handful of cases, reviewed with
    probability 0.03), so a cell may have no reviewed case in a given log:
    ``truth["cells"]`` lists every cell's expected share and realised counts, and
    post-stratification must pool or drop such cells (their expected share is tiny).

    Parameters
    ----------
    n : int, default 20_000
        Number of cases.
    seed : int, default 0
        Seed of ``np.random.default_rng``.
    groups : tuple of str, default ("A", "B", "C")
        Group names, in the order of the parameter table.
    shares : tuple of float, default (0.5, 0.3, 0.2)
        Group probabilities (sum 1).
    bands : int, default 10
        Number of equal-width score bands of the review routing.

    Returns
    -------
    frame : DataFrame
        The log (columns in the module docstring; ``review_reason`` "routed").
    truth : dict
        ``"all_cases"``, ``"expected"``, ``"reviewed_only"``, ``"reviewed_only_expected"``
        (each ``{group: {metric: value}}``); ``"differences"`` and
        ``"expected_differences"``: ``{(g, h): {metric: value(g) - value(h)}}`` of the
        all-case values for every ordered pair of distinct groups; ``"cells"``: DataFrame
        with one row per (group, band, pred) cell of positive expected mass, with columns
        group, band, pred, review_probability, expected_share (of all cases), n,
        n_reviewed; ``"parameters"``: each group's parameters; ``"latent_label"``.
    """
    if not 1 <= len(groups) <= len(_ROUTED_GROUPS) or len(set(groups)) != len(groups):
        raise ValueError(f"Need 1 to {len(_ROUTED_GROUPS)} distinct groups: {groups}")
    share = np.asarray(shares, dtype=float)
    if len(share) != len(groups) or np.any(share < 0) or not np.isclose(share.sum(), 1.0):
        raise ValueError(f"Need one non-negative share per group, summing to 1: {shares}")
    if bands < 1:
        raise ValueError(f"Need bands >= 1: {bands}")
    params = {g: _ROUTED_GROUPS[i] for i, g in enumerate(groups)}
    rng = np.random.default_rng(seed)
    g_idx = rng.choice(len(groups), size=n, p=share / share.sum())
    group = np.asarray(groups, dtype=object)[g_idx]
    a, b = (np.array([params[g][key] for g in groups])[g_idx] for key in ("a", "b"))
    score = np.round(rng.beta(a, b), 4)
    pred = _ticks(score) >= _CUT
    slope, shift, multiplier = (
        np.array([params[g][key] for g in groups])[g_idx] for key in ("slope", "shift", "review")
    )
    label = (rng.random(n) < _routed_q(score, slope, shift)).astype(np.int64)
    band = score_band(score, bands)
    probability = _routed_review(band, pred, multiplier, bands)
    reviewed = rng.random(n) < probability
    reviewer = rng.integers(0, len(REVIEWERS), n)
    reason = np.full(n, "routed", dtype=object)
    frame = _frame(group, score, pred, label, reviewed, probability, reason, reviewer)

    all_cases, reviewed_only = _realised(group, pred, label, reviewed)
    expected, reviewed_expected, cells = {}, {}, []
    lattice_pred = np.arange(_SCALE + 1) >= _CUT
    lattice_band = score_band(_LATTICE, bands)
    for i, g in enumerate(groups):
        p = params[g]
        mass = _lattice_mass(p["a"], p["b"])
        q = _routed_q(_LATTICE, p["slope"], p["shift"])
        review = _routed_review(lattice_band, lattice_pred, p["review"], bands)
        expected[g], reviewed_expected[g] = _expected(mass, lattice_pred, q, review)
        lattice = pd.DataFrame(
            {"band": lattice_band, "pred": lattice_pred.astype(np.int64), "mass": mass}
        )
        lattice["review_probability"] = review
        cell = lattice.groupby(["band", "pred"], as_index=False).agg(
            review_probability=("review_probability", "first"), mass=("mass", "sum")
        )
        cell = cell[cell["mass"] > 0]
        cell.insert(0, "group", g)
        cell["expected_share"] = share[i] * cell.pop("mass")
        cells.append(cell)
    table = pd.concat(cells, ignore_index=True)
    counts = (
        pd.DataFrame({"group": group, "band": band, "pred": pred.astype(np.int64), "r": reviewed})
        .groupby(["group", "band", "pred"])["r"]
        .agg(n="size", n_reviewed="sum")
        .reset_index()
    )
    table = table.merge(counts, on=["group", "band", "pred"], how="left")
    table[["n", "n_reviewed"]] = table[["n", "n_reviewed"]].fillna(0).astype(np.int64)
    all_cases = {g: all_cases.get(g, _metrics([], [], [], float("nan"))) for g in groups}
    reviewed_only = {g: reviewed_only.get(g, _metrics([], [], [], float("nan"))) for g in groups}
    truth: dict[str, Any] = {
        "all_cases": all_cases,
        "expected": expected,
        "reviewed_only": reviewed_only,
        "reviewed_only_expected": reviewed_expected,
        "differences": _differences(all_cases),
        "expected_differences": _differences(expected),
        "cells": table,
        "parameters": params,
        "latent_label": label,
    }
    return frame, truth


def _differences(values: dict[str, dict[str, float]]) -> dict[tuple[str, str], dict[str, float]]:
    return {
        (g, h): {m: values[g][m] - values[h][m] for m in METRICS}
        for g, h in permutations(values, 2)
    }


def reviewer_case_mix(
    n: int = 20_000,
    seed: int = 0,
    biased_reviewer: str | None = None,
    bias: float = 0.0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Reviewers whose raw override rates differ only by the cases they are given.

    Groups A and B (each case B with probability 0.5); score ~ Uniform(0, 1) rounded to 4
    decimals; pred = score >= 0.5. Review: every "hard" case (score in [0.35, 0.65),
    review_reason "boundary", probability 1) and each other case with probability 0.1
    ("quality sample"). Hard cases go to r1 or r2, the others to r3..r6 (uniformly within
    each pool, whatever the group). Every reviewer decides alike, label ~ Bernoulli(score),
    so the expected override rate is 0.425 for r1 and r2 and 0.175 for r3..r6: raw override
    rates differ by reviewer only through the case mix. The two pools see disjoint score
    ranges, so no case-mix adjustment can compare a hard-case reviewer with an easy-case
    one; within a pool the reviewers are exchangeable.

    With ``biased_reviewer`` (one of r1..r6), that reviewer, for group B only, overrides the
    model's approvals more: for the B cases with pred = 1 they review, label = 0 with
    probability min(1, (1 - score) + bias). The bias acts on reviewed cases only (the
    latent label of an unreviewed case is the unbiased one). For an easy-case reviewer and
    bias <= 0.65 their expected override rate on B rises by bias * P(pred = 1 | easy) =
    bias / 2, and their raw rate by about bias / 4.

    Parameters
    ----------
    n : int, default 20_000
        Number of cases.
    seed : int, default 0
        Seed of ``np.random.default_rng``.
    biased_reviewer : str, optional
        The reviewer who is harsher on group B's approvals; None for no bias.
    bias : float, default 0.0
        How much that reviewer raises P(label = 0) of B's approvals.

    Returns
    -------
    frame : DataFrame
        The log (columns in the module docstring).
    truth : dict
        ``"reviewer_override_raw"``: ``{reviewer: realised override rate on their reviewed
        cases}``; ``"reviewer_override_expected"``: its expectation;
        ``"reviewer_group_override_expected"``: ``{reviewer: {group: expected}}``;
        ``"reviewer_bias"``: ``{reviewer: {group: expected rise of the override rate due
        to the bias}}`` (0.0 except for (biased_reviewer, "B")); ``"biased_reviewer"``;
        ``"bias"``; ``"hard_case_reviewers"``; ``"latent_label"`` (unbiased).
    """
    ids = REVIEWERS[:6]
    if biased_reviewer is not None and biased_reviewer not in ids:
        raise ValueError(f"biased_reviewer must be one of {ids}: {biased_reviewer!r}")
    if not 0 <= bias <= 1:
        raise ValueError(f"Need 0 <= bias <= 1: {bias}")
    low, high, outside = _edge(0.35), _edge(0.65), 0.1
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < 0.5, "B", "A").astype(object)
    score = np.round(rng.random(n), 4)
    k = _ticks(score)
    pred = k >= _CUT
    u = rng.random(n)
    latent = (u < score).astype(np.int64)
    hard = (k >= low) & (k < high)
    probability = np.where(hard, 1.0, outside)
    reviewed = rng.random(n) < probability
    reviewer = np.where(hard, rng.integers(0, 2, n), rng.integers(2, 6, n))
    q = score.copy()
    if biased_reviewer is not None:
        harsh = reviewed & (reviewer == ids.index(biased_reviewer)) & (group == "B") & pred
        q[harsh] = 1.0 - np.minimum(1.0, (1.0 - score[harsh]) + bias)
    label = (u < q).astype(np.int64)
    reason = np.where(hard, "boundary", "quality sample")
    frame = _frame(group, score, pred, label, reviewed, probability, reason, reviewer, ids)

    raw = {}
    for i, r in enumerate(ids):
        mine = reviewed & (reviewer == i)
        raw[r] = _div(float(np.sum(label[mine] != pred[mine])), float(mine.sum()))
    ticks = np.arange(_SCALE + 1)
    mass, lattice_pred = _lattice_mass(1.0, 1.0), ticks >= _CUT
    lattice_hard = (ticks >= low) & (ticks < high)
    by_group, rise = {}, {}
    for i, r in enumerate(ids):
        domain = mass * (lattice_hard if i < 2 else ~lattice_hard)
        by_group[r], rise[r] = {}, {}
        for g in ("A", "B"):
            p_zero = 1.0 - _LATTICE  # P(label = 0 | score)
            if r == biased_reviewer and g == "B":
                p_zero = np.where(lattice_pred, np.minimum(1.0, p_zero + bias), p_zero)
            override = np.where(lattice_pred, p_zero, 1.0 - p_zero)
            unbiased = np.where(lattice_pred, 1.0 - _LATTICE, _LATTICE)
            by_group[r][g] = float(np.sum(domain * override) / np.sum(domain))
            rise[r][g] = by_group[r][g] - float(np.sum(domain * unbiased) / np.sum(domain))
    truth: dict[str, Any] = {
        "reviewer_override_raw": raw,
        "reviewer_override_expected": {r: (v["A"] + v["B"]) / 2 for r, v in by_group.items()},
        "reviewer_group_override_expected": by_group,
        "reviewer_bias": rise,
        "biased_reviewer": biased_reviewer,
        "bias": float(bias),
        "hard_case_reviewers": ids[:2],
        "latent_label": latent,
    }
    return frame, truth


def _show(name: str, truth: dict[str, Any]) -> None:
    """Print a truth dict with rounded numbers (leaving out the latent labels)."""

    def fmt(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: fmt(v) for k, v in x.items()}
        if isinstance(x, float):
            return round(x, 4)
        return x

    print(f"== {name}")
    for key, value in truth.items():
        if key == "latent_label":
            continue
        if isinstance(value, pd.DataFrame):
            print(f"{key}:\n{value.round(4).to_string(index=False)}")
        elif isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k}: {fmt(v)}")
        else:
            print(f"{key}: {fmt(value)}")


if __name__ == "__main__":
    _show("ab_routing(seed=0)", ab_routing(seed=0)[1])
    _show("ab_routing(seed=0, fpr_gap=0.08)", ab_routing(seed=0, fpr_gap=0.08)[1])
    _show("score_routed(seed=0)", score_routed(seed=0)[1])
    _show("reviewer_case_mix(seed=0)", reviewer_case_mix(seed=0)[1])
    _show(
        "reviewer_case_mix(seed=0, biased_reviewer='r3', bias=0.2)",
        reviewer_case_mix(seed=0, biased_reviewer="r3", bias=0.2)[1],
    )

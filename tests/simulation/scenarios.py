"""Independent data generators for the simulation study of fairloop's statistical claims.

This module never imports fairloop. Every generator returns a decision log together with
its exact ground truth, computed analytically from the generating probabilities (by
enumerating every combination of attribute values, never by Monte Carlo), so that a test
can judge each flag fairloop shows against its subgroup's true gap.

Vocabulary (fairloop's definitions)
-----------------------------------
Each row is one case. ``pred`` is the model's decision (1 favourable, 0 not); ``label`` is
the human reviewer's final decision (1/0), NaN where the case was not reviewed;
``reviewer`` is the reviewer's id, None/NaN where not reviewed. The six cells are
tp (reviewed, pred 1, label 1), fp (reviewed, pred 1, label 0), fn (reviewed, pred 0,
label 1), tn (reviewed, pred 0, label 0), pu (unreviewed, pred 1), nu (unreviewed,
pred 0). Metrics are ratios of cell sums, for example::

    selection_rate      = (tp + fp + pu) / (all)
    review_rate         = (tp + fp + fn + tn) / (all)
    accuracy            = (tp + tn) / (tp + fp + fn + tn)
    override_rate       = (fp + fn) / (tp + fp + fn + tn)
    false_positive_rate = fp / (fp + tn)
    false_negative_rate = fn / (tp + fn)
    true_positive_rate  = tp / (tp + fn)

(:data:`METRICS` lists these and the other cell ratios fairloop defines.) A subgroup is a
dict ``{attribute: value}``, a conjunction. The true value of metric M in subgroup S is
E[numerator] / E[denominator] over the generating distribution (the ratio of expectations,
which the sample ratio converges to); the true gap is the value in S minus the value in its
complement (everyone not in S). Every row carries a latent correct decision y* with
P(y* = 1) = 0.5; the model sees y* with error and the human's label is y* (or the model's
decision) changed by the reviewer's own behaviour, as each generator documents.

The rows' attributes are independent categoricals; reviewer parameters are fixed (drawn
from a fixed stream, the same for every seed) except in :func:`clustered_log`, where they
are a random effect drawn anew for every seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CONTEXT",
    "DEFAULT_GAPS",
    "METRICS",
    "SENSITIVE",
    "Gap",
    "ReviewerTruth",
    "SimLog",
    "Truth",
    "broad_gap_log",
    "clustered_log",
    "confounded_reviewer_log",
    "long_format_log",
    "reviewer_bias_log",
    "reviewer_null_log",
]

CELLS = ("tp", "fp", "fn", "tn", "pu", "nu")
_REVIEWED = ("tp", "fp", "fn", "tn")
#: metric -> (numerator cells, denominator cells)
METRICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "selection_rate": (("tp", "fp", "pu"), CELLS),
    "review_rate": (_REVIEWED, CELLS),
    "base_rate": (("tp", "fn"), _REVIEWED),
    "accuracy": (("tp", "tn"), _REVIEWED),
    "override_rate": (("fp", "fn"), _REVIEWED),
    "override_to_positive_rate": (("fn",), _REVIEWED),
    "override_to_negative_rate": (("fp",), _REVIEWED),
    "false_positive_rate": (("fp",), ("fp", "tn")),
    "false_negative_rate": (("fn",), ("tp", "fn")),
    "true_positive_rate": (("tp",), ("tp", "fn")),
    "true_negative_rate": (("tn",), ("fp", "tn")),
    "precision": (("tp",), ("tp", "fp")),
    "negative_predictive_value": (("tn",), ("fn", "tn")),
}
#: attribute -> (values, shares); broad_gap_log uses the first ``n_sensitive`` of them
SENSITIVE: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "s1": (("a", "b"), (0.5, 0.5)),
    "s2": (("a", "b", "c", "d", "e"), (0.58, 0.14, 0.17, 0.07, 0.04)),
    "s3": (("a", "b", "c", "d"), (0.14, 0.36, 0.34, 0.16)),
    "s4": (("a", "b", "c"), (0.5, 0.3, 0.2)),
    "s5": (("a", "b"), (0.7, 0.3)),
    "s6": (("a", "b", "c"), (0.45, 0.35, 0.2)),
}
#: context attributes; broad_gap_log uses the first ``n_context`` of them
CONTEXT: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "c1": (("a", "b", "c", "d"), (0.4, 0.3, 0.2, 0.1)),
    "c2": (("a", "b", "c"), (0.5, 0.3, 0.2)),
}
_PI = 0.5  # P(y* = 1)
_P1, _P0 = 0.80, 0.20  # the model's P(pred = 1 | y* = 1) and P(pred = 1 | y* = 0)
_FIXED_STREAM = 20_240_917  # seed of the reviewer parameters that stay the same across seeds
_NONE = "(none)"  # the truth's reviewer level of unreviewed cases
_Levels = dict[str, tuple[tuple[str, ...], tuple[float, ...]]]


def _expit(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _normal_mean(f: Any, nodes: int = 80) -> float:
    """E[f(Z)] for Z ~ Normal(0, 1) by Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    return float(np.sum(w * f(x)) / math.sqrt(2.0 * math.pi))


def _zipf(n_reviewers: int, skew: float) -> np.ndarray:
    shares = 1.0 / np.arange(1, n_reviewers + 1, dtype=float) ** skew
    return shares / shares.sum()


def _ids(n_reviewers: int) -> np.ndarray:
    width = max(2, len(str(n_reviewers - 1)))
    return np.asarray([f"r{i:0{width}d}" for i in range(n_reviewers)], dtype=object)


@dataclass(frozen=True)
class Gap:
    """A planted model gap: inside ``subgroup`` the model's P(pred = 1 | y*) moves by ``effect``.

    ``false_positive_rate`` raises P(pred=1 | y*=0), ``false_negative_rate`` lowers
    P(pred=1 | y*=1), ``selection_rate`` raises both. Overlapping gaps add; the probabilities
    are clipped to [0.01, 0.99].
    """

    subgroup: dict[str, str]
    metric: str
    effect: float

    def __post_init__(self) -> None:
        if self.metric not in ("false_positive_rate", "false_negative_rate", "selection_rate"):
            raise ValueError(f"Gap metric must be an FPR, FNR or selection_rate: {self.metric!r}")


#: broad_gap_log's default: one broad gap, s2 = "b" (14% of rows), FPR raised by 0.12
DEFAULT_GAPS: tuple[Gap, ...] = (Gap({"s2": "b"}, "false_positive_rate", 0.12),)


class Truth:
    """Exact expected cell shares per attribute combination, and the metrics they give.

    Parameters
    ----------
    levels : dict
        Attribute -> its values (the truth's attributes; may include ``reviewer``).
    codes : ndarray of shape (K, n_attributes)
        Every combination of value indices.
    weights : ndarray of shape (K,)
        Expected share of rows in each combination.
    cells : ndarray of shape (K, 6)
        Expected cell probabilities (tp, fp, fn, tn, pu, nu) of a row in each combination.
    """

    def __init__(
        self, levels: dict[str, tuple[str, ...]], codes: np.ndarray, weights: Any, cells: Any
    ) -> None:
        self.levels = {a: tuple(v) for a, v in levels.items()}
        self._mass = np.asarray(weights, dtype=float)[:, None] * np.asarray(cells, dtype=float)
        self._masks = {
            (a, v): codes[:, j] == i
            for j, a in enumerate(self.levels)
            for i, v in enumerate(self.levels[a])
        }
        self._cache: dict[tuple[tuple[str, str], ...], tuple[np.ndarray, np.ndarray]] = {}

    def _sums(self, subgroup: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        key = tuple(sorted((str(a), str(v)) for a, v in subgroup.items()))
        if key not in self._cache:
            mask = np.ones(len(self._mass), dtype=bool)
            for a, v in key:
                if a not in self.levels:
                    raise ValueError(f"Unknown attribute {a!r}; known: {list(self.levels)}")
                if (a, v) not in self._masks:
                    raise ValueError(f"Unknown value {v!r} of {a!r}; known: {self.levels[a]}")
                mask &= self._masks[(a, v)]
            self._cache[key] = (self._mass[mask].sum(axis=0), self._mass[~mask].sum(axis=0))
        return self._cache[key]

    @staticmethod
    def _ratio(sums: np.ndarray, metric: str) -> float:
        if metric not in METRICS:
            raise ValueError(f"Unknown metric {metric!r}; known: {list(METRICS)}")
        num, den = (sum(sums[CELLS.index(c)] for c in part) for part in METRICS[metric])
        return float(num / den) if den > 1e-15 else math.nan

    def cells(self, subgroup: dict[str, Any]) -> dict[str, float]:
        """Expected share of all rows that are in ``subgroup`` and in each cell."""
        return dict(zip(CELLS, map(float, self._sums(subgroup)[0]), strict=True))

    def share(self, subgroup: dict[str, Any]) -> float:
        """Expected share of rows in ``subgroup``."""
        return float(self._sums(subgroup)[0].sum())

    def value(self, subgroup: dict[str, Any], metric: str) -> float:
        """E[numerator] / E[denominator] of ``metric`` in ``subgroup`` ({} is everyone)."""
        return self._ratio(self._sums(subgroup)[0], metric)

    def gap(self, subgroup: dict[str, Any], metric: str) -> float:
        """Value in ``subgroup`` minus value in its complement (NaN if either is empty)."""
        inside, outside = self._sums(subgroup)
        return self._ratio(inside, metric) - self._ratio(outside, metric)


class ReviewerTruth(Truth):
    """A :class:`Truth` whose attributes include ``reviewer``, with the planted reviewer bias.

    ``bias`` is ``(reviewer, attribute, value, harsher_by)`` or None (no reviewer treats any
    group differently).
    """

    def __init__(self, *args: Any, bias: tuple[str, str, str, float] | None = None) -> None:
        super().__init__(*args)
        self.bias = bias

    def reviewer_bias(self, reviewer: str, subgroup: dict[str, Any]) -> float:
        """How much the reviewer's group-specific behaviour raises their override rate.

        ``harsher_by`` for exactly (biased reviewer, ``{attribute: value}``), 0.0 for every
        other pair: in a null log always 0.0, and also for (biased reviewer, the other
        group), which with two groups is the same comparison seen from the other side.
        """
        self._sums({"reviewer": reviewer, **subgroup})  # validates the names
        if self.bias is None:
            return 0.0
        who, attribute, value, harsher_by = self.bias
        plain = {str(a): str(v) for a, v in subgroup.items()}
        return harsher_by if (str(reviewer), plain) == (who, {attribute: value}) else 0.0


@dataclass
class SimLog:
    """A simulated decision log, the keyword arguments for ``fairloop.audit``, its truth."""

    data: pd.DataFrame
    roles: dict[str, Any]
    truth: Truth
    params: dict[str, Any] = field(default_factory=dict)


def _combos(levels: _Levels) -> tuple[np.ndarray, np.ndarray]:
    """Every combination of value indices, and its expected share of rows."""
    sizes = [len(values) for values, _ in levels.values()]
    codes = np.asarray(list(product(*map(range, sizes))), dtype=np.int64)
    codes = codes.reshape(-1, len(sizes))
    weights = np.ones(len(codes))
    for j, (_, shares) in enumerate(levels.values()):
        weights *= np.asarray(shares)[codes[:, j]]
    return codes, weights


def _cells(p1: Any, p0: Any, q: tuple[Any, Any, Any, Any], reviewed: Any) -> np.ndarray:
    """Expected cells from P(pred=1 | y*) and q = P(label=1 | y*, pred) as (11, 10, 01, 00)."""
    p1, p0, q11, q10, q01, q00, r = np.broadcast_arrays(*map(np.asarray, (p1, p0, *q, reviewed)))
    j11, j10 = _PI * p1, _PI * (1 - p1)  # P(y*, pred)
    j01, j00 = (1 - _PI) * p0, (1 - _PI) * (1 - p0)
    tp = j11 * q11 + j01 * q01
    fp = j11 * (1 - q11) + j01 * (1 - q01)
    fn = j10 * q10 + j00 * q00
    tn = j10 * (1 - q10) + j00 * (1 - q00)
    pu, nu = j11 + j01, j10 + j00
    return np.stack([r * tp, r * fp, r * fn, r * tn, (1 - r) * pu, (1 - r) * nu], axis=1)


def _draw(rng: np.random.Generator, levels: _Levels, n: int) -> dict[str, np.ndarray]:
    return {a: rng.choice(len(v), size=n, p=np.asarray(s)) for a, (v, s) in levels.items()}


def _frame(
    levels: _Levels,
    codes: dict[str, np.ndarray],
    pred: np.ndarray,
    label: np.ndarray,
    reviewer: np.ndarray,
    ids: np.ndarray,
    case_id: np.ndarray | None = None,
) -> pd.DataFrame:
    """The log; ``reviewer`` is an index into ``ids``, -1 where the case was not reviewed."""
    reviewed = reviewer >= 0
    columns: dict[str, Any] = {"case_id": np.arange(len(pred)) if case_id is None else case_id}
    for a, (values, _) in levels.items():
        columns[a] = np.asarray(values, dtype=object)[codes[a]]
    columns["pred"] = pred.astype(np.int64)
    columns["label"] = np.where(reviewed, label.astype(float), np.nan)
    columns["reviewer"] = np.where(reviewed, ids[np.maximum(reviewer, 0)], None)
    return pd.DataFrame(columns)


def _roles(sensitive: list[str], context: list[str]) -> dict[str, Any]:
    return {
        "prediction": "pred",
        "label": "label",
        "positive": 1,
        "sensitive": sensitive,
        "context": context,
        "reviewer": "reviewer",
        "case_id": "case_id",
    }


def _model(
    codes: dict[str, np.ndarray], levels: _Levels, gaps: tuple[Gap, ...], size: int
) -> tuple[np.ndarray, np.ndarray]:
    """P(pred=1 | y*=1) and P(pred=1 | y*=0) for rows (or combinations) given their codes."""
    p1, p0 = np.full(size, _P1), np.full(size, _P0)
    for gap in gaps:
        inside = np.ones(size, dtype=bool)
        for a, v in gap.subgroup.items():
            if a not in levels or v not in levels[a][0]:
                raise ValueError(f"Gap subgroup {gap.subgroup} is not over this log's values")
            inside &= codes[a] == levels[a][0].index(v)
        if gap.metric != "false_negative_rate":
            p0 = p0 + gap.effect * inside
        if gap.metric != "false_positive_rate":
            p1 = p1 + (1 if gap.metric == "selection_rate" else -1) * gap.effect * inside
    return np.clip(p1, 0.01, 0.99), np.clip(p0, 0.01, 0.99)


def broad_gap_log(
    n: int,
    *,
    seed: int,
    n_sensitive: int = 6,
    n_context: int = 2,
    gaps: tuple[Gap, ...] = DEFAULT_GAPS,
    review_share: float = 0.35,
    n_reviewers: int = 20,
    reviewer_skew: float = 1.2,
    strictness_sd: float = 0.5,
) -> SimLog:
    """A log with planted model gaps (:class:`Gap`), random review and fair reviewers.

    y* ~ Bernoulli(0.5); P(pred=1 | y*=1) = 0.80 and P(pred=1 | y*=0) = 0.20 outside the
    gaps. Each case is reviewed with probability ``review_share``, by reviewer r with share
    proportional to 1 / r**reviewer_skew; reviewer r's label is y*, flipped 1 -> 0 with
    probability a_r = expit(logit(0.05) + sd z_r) and 0 -> 1 with b_r = expit(logit(0.05) -
    sd z_r), z_r fixed across seeds. The truth uses the share-weighted a and b (exact, since
    assignment is independent of everything). Attributes: :data:`SENSITIVE`, :data:`CONTEXT`.
    """
    if not (1 <= n_sensitive <= len(SENSITIVE) and 0 <= n_context <= len(CONTEXT)):
        raise ValueError("n_sensitive must be in 1..6 and n_context in 0..2")
    sensitive, context = list(SENSITIVE)[:n_sensitive], list(CONTEXT)[:n_context]
    levels = {a: SENSITIVE[a] for a in sensitive} | {a: CONTEXT[a] for a in context}
    gaps = tuple(gaps)
    z = np.random.default_rng(_FIXED_STREAM).standard_normal(n_reviewers)
    a_r = _expit(_logit(0.05) + strictness_sd * z)
    b_r = _expit(_logit(0.05) - strictness_sd * z)
    shares = _zipf(n_reviewers, reviewer_skew)

    rng = np.random.default_rng(seed)
    codes = _draw(rng, levels, n)
    p1, p0 = _model(codes, levels, gaps, n)
    ystar = rng.random(n) < _PI
    pred = rng.random(n) < np.where(ystar, p1, p0)
    reviewed = rng.random(n) < review_share
    reviewer = rng.choice(n_reviewers, size=n, p=shares)
    label = ystar ^ (rng.random(n) < np.where(ystar, a_r[reviewer], b_r[reviewer]))
    data = _frame(levels, codes, pred, label, np.where(reviewed, reviewer, -1), _ids(n_reviewers))

    combos, weights = _combos(levels)
    c1, c0 = _model({a: combos[:, j] for j, a in enumerate(levels)}, levels, gaps, len(combos))
    a, b = float(shares @ a_r), float(shares @ b_r)
    cells = _cells(c1, c0, (1 - a, 1 - a, b, b), review_share)
    truth = Truth({k: v for k, (v, _) in levels.items()}, combos, weights, cells)
    params = {"gaps": gaps, "reviewer_shares": shares, "flip_to_0": a_r, "flip_to_1": b_r}
    return SimLog(data, _roles(sensitive, context), truth, params)


_KINDS = ("strictness", "model_gap", "catch_share")


def _reviewer_log(
    seed: int,
    n_reviewers: int,
    cases_per_reviewer: int,
    kind: str,
    review_all: bool,
    group_b_share: float,
    bias: tuple[str, str, str, float] | None,
) -> SimLog:
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}: {kind!r}")
    levels: _Levels = {
        "group": (("A", "B"), (1 - group_b_share, group_b_share)),
        "band": (("low", "mid", "high"), (0.3, 0.4, 0.3)),
    }
    ids, big_r = _ids(n_reviewers), n_reviewers
    fixed = np.random.default_rng(_FIXED_STREAM)
    # per group (A, B): the model's P(pred=1 | y*=1), P(pred=1 | y*=0)
    p1, p0 = {
        "strictness": ([0.80, 0.80], [0.20, 0.35]),
        "model_gap": ([0.80, 0.65], [0.20, 0.35]),
        "catch_share": ([0.85, 0.70], [0.15, 0.30]),
    }[kind]
    p1, p0 = np.array(p1), np.array(p0)
    if kind == "strictness":  # a_r: P(flip a favourable y* to 0); 0 -> 1 with 0.02 for all
        param = np.linspace(0.0, 0.4, big_r)
        param[: max(1, big_r // 5)] = 0.0
    elif kind == "model_gap":  # n_r: P(label != y*), either way
        param = np.linspace(0.0, 0.25, big_r)
    else:  # s_r: share of the model's errors the reviewer corrects
        param = np.linspace(0.2, 0.95, big_r)
    param = fixed.permutation(param)
    col = np.broadcast_to(param[:, None, None], (big_r, 2, 3))  # per (reviewer, group, band)
    zero = np.zeros_like(col)
    q = {  # P(label=1 | y*, pred) per (reviewer, group, band), as (11, 10, 01, 00)
        "strictness": (1 - col, 1 - col, zero + 0.02, zero + 0.02),
        "model_gap": (1 - col, 1 - col, col, col),
        "catch_share": (zero + 1, col, 1 - col, zero),
    }[kind]
    q11, q10, q01, q00 = (np.array(x, dtype=float) for x in q)
    p_extra, rb, attribute, vb = 0.0, -1, "group", -1
    if bias is not None:
        who, attribute, value, harsher_by = bias
        if who not in ids or attribute not in levels or value not in levels[attribute][0]:
            raise ValueError(f"Unknown biased reviewer or group: {bias[:3]}")
        rb, vb = int(np.flatnonzero(ids == who)[0]), levels[attribute][0].index(value)
        where = (rb, vb, slice(None)) if attribute == "group" else (rb, slice(None), vb)
        tp = _PI * p1[:, None] * q11[rb] + (1 - _PI) * p0[:, None] * q01[rb]  # (group, band)
        w = np.outer(levels["group"][1], levels["band"][1])
        p_extra = harsher_by * w[where[1:]].sum() / (w * tp)[where[1:]].sum()
        if not 0 <= p_extra <= 1:
            raise ValueError(f"harsher_by={harsher_by} needs p_extra={p_extra:.3f} outside [0, 1]")
        q11[where] *= 1 - p_extra
        q01[where] *= 1 - p_extra

    n_reviewed = n_reviewers * cases_per_reviewer
    n = n_reviewed if review_all else 2 * n_reviewed
    rng = np.random.default_rng(seed)
    reviewer = np.repeat(np.arange(big_r), cases_per_reviewer)
    reviewer = np.concatenate([reviewer, np.full(n - n_reviewed, -1)])
    codes = _draw(rng, levels, n)
    g, r = codes["group"], np.maximum(reviewer, 0)
    ystar = rng.random(n) < _PI
    pred = rng.random(n) < np.where(ystar, p1[g], p0[g])
    u = rng.random(n)
    if kind == "strictness":
        label = np.where(ystar, u >= param[r], u < 0.02)
    elif kind == "model_gap":
        label = ystar ^ (u < param[r])
    else:
        label = np.where((pred != ystar) & (u < param[r]), ystar, pred)
    extra = (reviewer == rb) & (codes[attribute] == vb) & pred & label
    label = label & ~(extra & (rng.random(n) < p_extra))  # the bias turns down agreed 1s

    data = _frame(levels, codes, pred, label, reviewer, ids)
    reviewed_share = 1.0 if review_all else 0.5
    rev_shares = (*[reviewed_share / big_r] * big_r, 1.0 - reviewed_share)
    rev_levels = {**levels, "reviewer": ((*ids, _NONE), rev_shares)}
    combos, weights = _combos(rev_levels)
    gc, bc, rc = combos[:, 0], combos[:, 1], np.minimum(combos[:, 2], big_r - 1)
    q = (q11[rc, gc, bc], q10[rc, gc, bc], q01[rc, gc, bc], q00[rc, gc, bc])
    cells = _cells(p1[gc], p0[gc], q, combos[:, 2] < big_r)
    names = {a: v for a, (v, _) in rev_levels.items()}
    truth = ReviewerTruth(names, combos, weights, cells, bias=bias)
    by_reviewer = dict(zip(ids, param.tolist(), strict=True))
    params = {"kind": kind, "reviewer_parameter": by_reviewer, "p_extra": p_extra}
    return SimLog(data, _roles(["group", "band"], []), truth, params)


def reviewer_null_log(
    *,
    seed: int,
    n_reviewers: int,
    cases_per_reviewer: int,
    kind: str,
    review_all: bool = True,
    group_b_share: float = 0.4,
) -> SimLog:
    """A log where no reviewer treats any group differently, but naive tests are fooled.

    Sensitive attributes ``group`` (A 1 - group_b_share, B group_b_share) and ``band`` (low
    0.3, mid 0.4, high 0.3). Each reviewer gets exactly ``cases_per_reviewer`` cases,
    attributes independent of the reviewer; unless ``review_all``, as many unreviewed cases
    are added (review rate 0.5). y* ~ Bernoulli(0.5). Per-reviewer parameters are fixed
    across seeds (``params["reviewer_parameter"]``). Kinds:

    - ``"strictness"``: model FPR A 0.20 / B 0.35, FNR 0.20; label = y*, flipped 1 -> 0
      with a_r in 0..0.4 (the lowest fifth 0) and 0 -> 1 with 0.02 for everyone.
    - ``"model_gap"``: model errs more for B (FPR 0.20 / 0.35, FNR 0.20 / 0.35); label = y*
      flipped either way with n_r in 0..0.25, whatever the group.
    - ``"catch_share"``: model error 0.15 (A) / 0.30 (B) both ways; when pred != y* the
      reviewer overrides to y* with probability s_r in 0.2..0.95, never overrides a correct
      decision: the override rate in (r, g) is s_r * err_g.

    ``truth.reviewer_bias(r, subgroup)`` is 0.0 always; ``truth.value`` accepts ``reviewer``
    (level "(none)" for unreviewed cases) among the subgroup's attributes.
    """
    return _reviewer_log(
        seed, n_reviewers, cases_per_reviewer, kind, review_all, group_b_share, bias=None
    )


def reviewer_bias_log(
    *,
    seed: int,
    n_reviewers: int = 20,
    cases_per_reviewer: int = 800,
    harsher_by: float = 0.10,
    biased_reviewer: str = "r00",
    group_attribute: str = "group",
    group_value: str = "B",
    base_kind: str = "strictness",
    group_b_share: float = 0.5,
    review_all: bool = True,
) -> SimLog:
    """:func:`reviewer_null_log` with one reviewer harsher on one group (``group`` or ``band``).

    For the biased reviewer's cases in the group where the model's decision is favourable
    and their unbiased label agrees (1), the label becomes 0 with probability
    p_extra = harsher_by / P(pred=1, label=1 | reviewer, group) (``params["p_extra"]``), so
    their expected override rate in the group rises by exactly ``harsher_by``.
    ``truth.reviewer_bias`` is ``harsher_by`` for (biased_reviewer, {group_attribute:
    group_value}) and 0.0 otherwise.
    """
    bias = (biased_reviewer, group_attribute, group_value, float(harsher_by))
    return _reviewer_log(
        seed, n_reviewers, cases_per_reviewer, base_kind, review_all, group_b_share, bias=bias
    )


def clustered_log(
    *,
    seed: int,
    n: int = 20_000,
    n_reviewers: int = 10,
    review_share: float = 1.0,
    strictness_sd: float = 0.8,
    reviewer_skew: float = 0.0,
    group_b_share: float = 0.4,
) -> SimLog:
    """A log where a few reviewers make many decisions, with a random reviewer effect.

    ``group`` A 0.6 / B 0.4; y* ~ Bernoulli(0.5); model FNR 0.20, FPR A 0.20 / B 0.30. A
    reviewed case's label is pred unless reviewer r overrides it, with probability
    expit(logit(0.15) + u_r), u_r ~ Normal(0, strictness_sd) drawn anew for every seed.
    Cases go to reviewers in equal numbers (``reviewer_skew`` 0) or Zipf-like shares.
    ``truth`` is the superpopulation estimand: the cells are linear in the override
    probability, so E over u is exact with its quadrature mean (80 Gauss-Hermite nodes).
    ``params["conditional_truth"]`` is the truth given this seed's drawn u_r.
    """
    levels: _Levels = {"group": (("A", "B"), (1 - group_b_share, group_b_share))}
    p0, base = np.array([0.20, 0.30]), _logit(0.15)
    ids, shares = _ids(n_reviewers), _zipf(n_reviewers, reviewer_skew)
    rng = np.random.default_rng(seed)
    o_r = _expit(base + rng.normal(0.0, strictness_sd, n_reviewers))
    if reviewer_skew == 0:
        reviewer = rng.permutation(np.arange(n) % n_reviewers)
    else:
        reviewer = rng.choice(n_reviewers, size=n, p=shares)
    codes = _draw(rng, levels, n)
    ystar = rng.random(n) < _PI
    pred = rng.random(n) < np.where(ystar, _P1, p0[codes["group"]])
    reviewed = rng.random(n) < review_share
    label = pred ^ (rng.random(n) < o_r[reviewer])
    data = _frame(levels, codes, pred, label, np.where(reviewed, reviewer, -1), ids)

    o_bar = _normal_mean(lambda x: _expit(base + strictness_sd * x))
    combos, weights = _combos(levels)
    g = combos[:, 0]
    q = (1 - o_bar, o_bar, 1 - o_bar, o_bar)  # P(label=1) = pred (1 - o) + (1 - pred) o
    truth = Truth({"group": ("A", "B")}, combos, weights, _cells(_P1, p0[g], q, review_share))
    if reviewer_skew == 0:
        shares = np.bincount(np.arange(n) % n_reviewers, minlength=n_reviewers) / n
    rev_shares = (*(review_share * shares), 1.0 - review_share)  # "(none)": unreviewed
    rev_levels = {**levels, "reviewer": ((*ids, _NONE), rev_shares)}
    combos, weights = _combos(rev_levels)
    g, o = combos[:, 0], o_r[np.minimum(combos[:, 1], n_reviewers - 1)]
    cells = _cells(_P1, p0[g], (1 - o, o, 1 - o, o), combos[:, 1] < n_reviewers)
    names = {a: v for a, (v, _) in rev_levels.items()}
    cond = Truth(names, combos, weights, cells)
    by_reviewer = dict(zip(ids, o_r.tolist(), strict=True))
    params = {"override_probability": by_reviewer, "mean_override": o_bar}
    return SimLog(data, _roles(["group"], []), truth, params | {"conditional_truth": cond})


def long_format_log(
    *,
    seed: int,
    n_cases: int = 1000,
    judgments_per_case: int = 20,
    n_reviewers: int = 400,
    cases_per_reviewer: int = 50,
    case_sd: float = 1.0,
    group_b_share: float = 0.4,
) -> SimLog:
    """Several judgments per case (like Dressel & Farid 2018), one row per judgment.

    Cases are shuffled into blocks of ``cases_per_reviewer``; each block is judged by its
    own ``judgments_per_case`` reviewers. Per case: ``group`` (A 0.6 / B 0.4), y* ~
    Bernoulli(0.5), one model decision (FNR 0.20, FPR A 0.20 / B 0.30), and a latent
    judgment probability h = expit(logit(0.8 if y* else 0.2) + case_sd z), z ~ N(0, 1);
    every judgment of the case is Bernoulli(h), whatever the group or reviewer. The truth
    (superpopulation, per judgment row) uses E[h | y*] by Gauss-Hermite quadrature.
    ``roles`` leaves out ``case_id``: fairloop rejects a log whose case ids repeat, so pass
    ``case_id="case_id"`` only to a fairloop that accepts several judgments per case.
    """
    n_blocks, rest = divmod(n_cases, cases_per_reviewer)
    if rest or n_cases * judgments_per_case != n_reviewers * cases_per_reviewer:
        raise ValueError("Need n_cases = k * cases_per_reviewer and n_reviewers = k * judgments")
    levels: _Levels = {"group": (("A", "B"), (1 - group_b_share, group_b_share))}
    p0, mu = np.array([0.20, 0.30]), np.array([_logit(0.2), _logit(0.8)])
    rng = np.random.default_rng(seed)
    codes = _draw(rng, levels, n_cases)
    ystar = rng.random(n_cases) < _PI
    pred = rng.random(n_cases) < np.where(ystar, _P1, p0[codes["group"]])
    h = _expit(mu[ystar.astype(int)] + case_sd * rng.standard_normal(n_cases))
    blocks = rng.permutation(n_cases).reshape(n_blocks, 1, cases_per_reviewer)
    shape = (n_blocks, judgments_per_case, cases_per_reviewer)
    case = np.broadcast_to(blocks, shape).ravel()
    judge = np.arange(n_blocks)[:, None, None] * judgments_per_case
    reviewer = np.broadcast_to(judge + np.arange(judgments_per_case)[None, :, None], shape).ravel()
    order = np.lexsort((reviewer, case))
    case, reviewer = case[order], reviewer[order]
    label = rng.random(len(case)) < h[case]
    rows = {"group": codes["group"][case]}
    data = _frame(levels, rows, pred[case], label, reviewer, _ids(n_reviewers), case_id=case)

    h1, h0 = (_normal_mean(lambda x, m=m: _expit(m + case_sd * x)) for m in mu[::-1])
    combos, weights = _combos(levels)
    cells = _cells(_P1, p0[combos[:, 0]], (h1, h1, h0, h0), 1.0)
    truth = Truth({"group": ("A", "B")}, combos, weights, cells)
    roles = {k: v for k, v in _roles(["group"], []).items() if k != "case_id"}
    params = {"mean_judgment": {"y*=1": h1, "y*=0": h0}}
    return SimLog(data, roles, truth, params)


def confounded_reviewer_log(
    *, seed: int, n_reviewers: int = 10, cases_per_reviewer: int = 2_000
) -> SimLog:
    """No reviewer treats any group differently, but who reviews whom is tied to the group.

    Reviewer r catches a fixed share s_r of the model's errors (0.95 down to 0.2) and never
    overturns a correct decision; the model errs more for group B (0.30 against 0.15).
    The strict half of the reviewers (who catch the most) see 80% group-B cases, the
    others 20%: pooling "the other reviewers" mixes their strictness into the group gap.
    Every reviewer's bias is 0 (``params["reviewer_bias"]``); ``truth`` is None.
    """
    rng = np.random.default_rng(seed)
    reviewer = np.repeat(np.arange(n_reviewers), cases_per_reviewer)
    catch = np.linspace(0.95, 0.2, n_reviewers)[reviewer]
    share_b = np.where(reviewer < n_reviewers // 2, 0.8, 0.2)
    group = np.where(rng.random(len(reviewer)) < share_b, "B", "A")
    correct = rng.random(len(reviewer)) < 0.5
    error = np.where(group == "B", 0.30, 0.15)
    pred = np.where(rng.random(len(reviewer)) < error, ~correct, correct)
    label = np.where((pred != correct) & (rng.random(len(reviewer)) < catch), correct, pred)
    data = pd.DataFrame(
        {
            "case_id": np.arange(len(reviewer)),
            "group": group,
            "pred": pred.astype(int),
            "label": label.astype(float),
            "reviewer": _ids(n_reviewers)[reviewer],
        }
    )
    roles = {"prediction": "pred", "label": "label", "positive": 1, "sensitive": ["group"],
             "reviewer": "reviewer", "case_id": "case_id"}  # fmt: skip
    # no rates are planted here, only the absence of reviewer bias: no Truth enumeration
    return SimLog(data=data, roles=roles, truth=None, params={"reviewer_bias": 0.0})  # type: ignore[arg-type]

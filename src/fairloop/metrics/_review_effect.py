"""What review changes, case by case: from the joint table of model, final decision and outcome.

Every case has the model's decision and a final one (the human's where a human reviewed
it, else the model's); where the outcome is known, each was right or wrong. Review
changes only overridden cases, so its effect is a *paired* difference:

* ``accuracy_gain``: final minus model accuracy over the cases whose outcome is known,
  ``(b - c) / n`` with ``b`` the overrides that were right and ``c`` those that were
  wrong;
* ``right_share``: the share of overrides with a known outcome that were right;
* the change of a disparity: for a rate (false positive rate over known negative
  outcomes, false negative rate over known positive outcomes, selection rate over every
  case) the group's paired change ``D_g`` minus its complement's ``D_rest``: how much
  review moved the group's gap. ``widening`` is that change in the direction of the wider
  of the two gaps (the final decisions' when it is the wider, else the model's): positive
  when the final gap is the wider, negative when review narrowed the gap.

Intervals of paired differences are Agresti and Min's (2005): 0.5 added to each cell of
the paired 2 x 2 table, then Wald; the variance is multiplied by a design effect for the
reviewers (the sum of squared residuals over reviewers, each unnamed or unreviewed case a
cluster of its own, over the same sum over cases; never below 1, and 1 when no reviewer
is named). A change of a gap adds the group's and the complement's Agresti-Min variances
(disjoint cases), times the design effect of the gap: per reviewer, the residual in the
group minus that in the complement (each over its side's count), so that a reviewer who
changes both sides alike cancels out of the gap. ``p_value`` is the two-sided
normal test that review changed the gap.

Per reviewer: overrides whose outcome is known that were wrong, against the share
expected from the reviewer's case mix (the other named reviewers' wrong share of
overrides in the same model decision x sensitive groups, and score stratum when the log
has a score; indirect standardisation), with a one-sided test that the reviewer is wrong
more often. Its variance under the null (the reviewer and the others share each
stratum's rate, estimated pooled) is the exact hypergeometric one given the stratum's
wrong overrides: the reviewer's binomial variance plus that of the others' share on the
reviewer's counts, times N / (N - 1) for the stratum's N overrides with a known outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairloop.config import AuditConfig
from fairloop.cube import JOINT_COLUMNS, joint_column
from fairloop.metrics._groups import group_masks
from fairloop.stats import normal_quantile, normal_upper_tail, proportion_interval
from fairloop.vocabulary import MISSING_GROUP, Col

__all__ = [
    "GAP_CHANGE_COLUMNS",
    "GAP_METRICS",
    "REVIEWER_EFFECT_COLUMNS",
    "REVIEW_EFFECT_COLUMNS",
    "gap_changes",
    "review_effect",
    "reviewer_effect",
]

FloatArray = NDArray[np.float64]

#: The rates whose gaps review may widen or narrow.
GAP_METRICS: tuple[str, ...] = ("false_positive_rate", "false_negative_rate", "selection_rate")

REVIEW_EFFECT_COLUMNS = [
    "attribute_set", "group", "attributes", "cases", "known", "overrides", "overrides_known",
    "overrides_right", "right_share", "right_share_ci_low", "right_share_ci_high",
    "accuracy_model", "accuracy_final", "accuracy_gain", "accuracy_gain_ci_low",
    "accuracy_gain_ci_high", "design_effect", "status",
]  # fmt: skip
GAP_CHANGE_COLUMNS = [
    "attribute_set", "group", "attributes", "metric", "n", "n_rest", "rate_model",
    "rate_final", "rest_model", "rest_final", "gap_model", "gap_final", "change",
    "change_ci_low", "change_ci_high", "change_se", "widening", "widening_ci_low",
    "widening_ci_high", "p_value", "design_effect", "status",
]  # fmt: skip
REVIEWER_EFFECT_COLUMNS = [
    "reviewer", "overrides", "overrides_known", "wrong", "wrong_share", "ci_low", "ci_high",
    "compared", "expected_wrong", "expected_share", "ratio", "difference", "difference_ci_low",
    "difference_ci_high", "se", "p_value",
]  # fmt: skip


def _count(joint: pd.DataFrame, model: bool | None, final: bool | None,
           outcome: Sequence[bool | None]) -> FloatArray:  # fmt: skip
    """Per row of ``joint``: cases with these decisions (None: either) and outcomes."""
    columns = [
        joint_column(m, f, o)
        for m in ((True, False) if model is None else (model,))
        for f in ((True, False) if final is None else (final,))
        for o in outcome
    ]
    out: FloatArray = joint[columns].to_numpy(dtype=np.float64).sum(axis=1)
    return out


_KNOWN = (True, False)
_ANY = (True, False, None)


class _Paired:
    """Per row of the joint table: the paired 2 x 2 counts of one rate's population.

    ``first`` counts cases the final decision has and the model has not (the final
    decision right, for accuracy; positive, for a rate); ``second`` the reverse.
    """

    def __init__(self, first: FloatArray, second: FloatArray, total: FloatArray) -> None:
        self.first, self.second, self.total = first, second, total


def _paired(joint: pd.DataFrame, metric: str) -> _Paired:
    if metric == "accuracy":
        right = _count(joint, False, True, (True,)) + _count(joint, True, False, (False,))
        wrong = _count(joint, True, False, (True,)) + _count(joint, False, True, (False,))
        return _Paired(right, wrong, _count(joint, None, None, _KNOWN))
    population = {
        "false_positive_rate": (False,),
        "false_negative_rate": (True,),
        "selection_rate": _ANY,
    }[metric]
    if metric == "false_negative_rate":  # the rate of negatives among positive outcomes
        return _Paired(
            _count(joint, True, False, population),
            _count(joint, False, True, population),
            _count(joint, None, None, population),
        )
    return _Paired(
        _count(joint, False, True, population),
        _count(joint, True, False, population),
        _count(joint, None, None, population),
    )


def _plain_variance(
    b: FloatArray, c: FloatArray, n: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Agresti-Min variance of ``(b - c) / n``, the plain (independent cases) one, and theta."""
    with np.errstate(divide="ignore", invalid="ignore"):
        bt, ct, nt = b + 0.5, c + 0.5, n + 2.0
        adjusted = ((bt + ct) - (bt - ct) ** 2 / nt) / nt**2
        theta = np.where(n > 0, (b - c) / n, 0.0)
        iid = np.where(n > 0, ((b + c) - (b - c) ** 2 / np.maximum(n, 1)) / n**2, 0.0)
    return adjusted, iid, theta


def _singles(b: float, c: float, n: float, theta: float) -> float:
    """Squared residuals of ``b - c - theta n`` summed over cases that are clusters of one."""
    return b * (1 - theta) ** 2 + c * (1 + theta) ** 2 + (n - b - c) * theta**2


def _gap_variance(
    codes: NDArray[np.int64],
    group: NDArray[np.bool_],
    rest: NDArray[np.bool_],
    paired: _Paired,
    level: float,
) -> tuple[float, float]:
    """Variance of a group's change of gap to the rest, and its reviewers' design effect.

    ``codes``: each joint row's reviewer (-1: unnamed or unreviewed, each case a cluster
    of its own). The robust variance sums, over reviewers, the squared difference of the
    reviewer's residual in the group (over the group's count) and in the rest (over the
    rest's), so a reviewer who changes both sides alike cancels out of the gap, as in
    :mod:`fairloop.metrics._clusters`; residuals as in :func:`_robust_sum`.
    """
    sums = []
    for side in (group, rest):
        sums.append(tuple(float(x[side].sum()) for x in (paired.first, paired.second,
                                                         paired.total)))  # fmt: skip
    (bg, cg, ng), (br, cr, nr) = sums
    am, iid, _ = _plain_variance(np.array([bg, br]), np.array([cg, cr]), np.array([ng, nr]))
    plain, variance = float(iid.sum()), float(am.sum())
    if plain <= 0 or ng <= 0 or nr <= 0:
        return variance, 1.0
    size = int(codes.max()) + 1 if len(codes) else 0
    residual = np.zeros(max(size, 0))
    singles = 0.0
    for side, total, sign in ((group, ng, 1.0), (rest, nr, -1.0)):
        named = side & (codes >= 0)
        if size:
            rb, rc, rn = (
                np.bincount(codes[named], x[named], size).astype(np.float64)
                for x in (paired.first, paired.second, paired.total)
            )
            residual += sign * _residuals(rb, rc, rn) / total
        single = side & (codes < 0)
        b, c, n = (float(x[single].sum()) for x in (paired.first, paired.second, paired.total))
        singles += _singles(b, c, n, _theta(b, c, n)) / total**2
    robust = float(np.sum(residual**2)) + singles
    sizes = np.bincount(codes[codes >= 0], paired.total[codes >= 0], size).astype(np.float64)
    unnamed = float(paired.total[codes < 0].sum())
    deff = _design_effect(robust, plain, sizes, unnamed, level)
    return variance * deff, deff


def _variance(
    b: FloatArray,
    c: FloatArray,
    n: FloatArray,
    clusters: list[tuple[FloatArray, ...]],
    level: float,
) -> tuple[FloatArray, FloatArray]:
    """Agresti-Min variance of ``(b - c) / n`` times the reviewers' design effect.

    ``clusters``: per group, the named reviewers' (b, c, n) and the rest's (b, c, n),
    whose cases are clusters of their own.
    """
    adjusted, iid, _ = _plain_variance(b, c, n)
    deff = np.ones(len(b))
    for i, (rb, rc, rn, sb, sc, sn) in enumerate(clusters):
        if n[i] <= 0 or iid[i] <= 0:
            continue
        robust = _robust_sum(rb, rc, rn, float(sb), float(sc), float(sn)) / float(n[i]) ** 2
        deff[i] = _design_effect(robust, float(iid[i]), rn, float(sn), level)
    return adjusted * deff, deff


def _design_effect(
    robust: float, plain: float, sizes: FloatArray, singles: float, level: float
) -> float:
    """Design effect from the robust and plain variances, corrected for few reviewers.

    As :mod:`fairloop.metrics._clusters` does: the robust variance times ``C / (C - 1)``
    (C clusters: named reviewers and single cases), floored at 1, and the excess over 1
    widened by ``(t_{G-1} / z)**2``, G the named reviewers' effective number (Kish:
    ``(sum of sizes)**2 / sum of squared sizes``). 1 when no reviewer is named.
    """
    named = sizes[sizes > 0]
    if not len(named) or plain <= 0:  # every case its own cluster: the plain variance
        return 1.0
    clusters = len(named) + singles
    if clusters > 1:
        robust *= clusters / (clusters - 1)
    excess = max(robust / plain - 1.0, 0.0)
    if excess > 0:
        from scipy import special

        effective = float(named.sum()) ** 2 / float(np.sum(named**2))
        t = float(special.stdtrit(max(effective - 1.0, 1.0), 0.5 + 0.5 * level))
        excess *= (t / normal_quantile(level)) ** 2
    return 1.0 + excess


def _robust_sum(
    rb: FloatArray, rc: FloatArray, rn: FloatArray, sb: float, sc: float, sn: float
) -> float:
    """Sum of squared cluster residuals of ``b - c``: named reviewers, then single cases.

    Given which cases a named reviewer decided, each part is centred on its own mean:
    the named reviewers' cases on theirs (a reviewed case changes more often than an
    unreviewed one, which is no variance), the rest's cases on the rest's.
    """
    return float(np.sum(_residuals(rb, rc, rn) ** 2)) + _singles(sb, sc, sn, _theta(sb, sc, sn))


def _theta(b: float, c: float, n: float) -> float:
    return (b - c) / n if n > 0 else 0.0


def _residuals(rb: FloatArray, rc: FloatArray, rn: FloatArray) -> FloatArray:
    """Each named reviewer's ``b - c`` less its expectation at the named reviewers' mean."""
    total = float(rn.sum())
    t = _theta(float(rb.sum()), float(rc.sum()), total)
    out: FloatArray = rb - rc - t * rn
    return out


def _split(
    joint: pd.DataFrame, reviewer: str | None, mask: NDArray[np.bool_], paired: _Paired
) -> tuple[FloatArray, ...]:
    """One group's counts per named reviewer, and the rest's totals."""
    if reviewer is None:
        named = np.zeros(len(joint), dtype=bool)
    else:
        named = (joint[reviewer].astype(str) != MISSING_GROUP).to_numpy()
    rows = mask & named
    rb: FloatArray = np.zeros(0)
    rc: FloatArray = np.zeros(0)
    rn: FloatArray = np.zeros(0)
    if rows.any():
        who = pd.factorize(joint.loc[rows, reviewer])[0]
        size = int(who.max()) + 1
        rb = np.bincount(who, paired.first[rows], size).astype(np.float64)
        rc = np.bincount(who, paired.second[rows], size).astype(np.float64)
        rn = np.bincount(who, paired.total[rows], size).astype(np.float64)
    rest = mask & ~named
    others = [np.asarray(x[rest].sum()) for x in (paired.first, paired.second, paired.total)]
    return (rb, rc, rn, *others)


def review_effect(
    joint: pd.DataFrame, config: AuditConfig, sets: Sequence[tuple[str, ...]]
) -> pd.DataFrame:
    """Per group: overrides, the share that were right, and the accuracy review adds.

    Parameters
    ----------
    joint : pandas.DataFrame
        The cube's joint table (:attr:`fairloop.cube.Outcomes.joint`).
    config : AuditConfig
        Interval method, level and thresholds.
    sets : sequence of tuple of str
        Attribute sets (``()`` is everyone).

    Returns
    -------
    pandas.DataFrame
        One row per group (columns :data:`REVIEW_EFFECT_COLUMNS`).
    """
    groups = group_masks(joint, sets)
    paired = _paired(joint, "accuracy")
    overrides = _count(joint, True, False, _ANY) + _count(joint, False, True, _ANY)
    model_right = _count(joint, True, None, (True,)) + _count(joint, False, None, (False,))
    masks = np.stack([g[3] for g in groups]) if groups else np.zeros((0, len(joint)), bool)
    cases = masks @ joint[list(JOINT_COLUMNS)].to_numpy(dtype=np.float64).sum(axis=1)
    b, c, n = masks @ paired.first, masks @ paired.second, masks @ paired.total
    clusters = [_split(joint, config.reviewer, g[3], paired) for g in groups]
    variance, deff = _variance(b, c, n, clusters, config.confidence_level)
    z = normal_quantile(config.confidence_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(n > 0, (b - c) / n, np.nan)
        centre = (b - c) / (n + 2.0)
        model_accuracy = np.where(n > 0, (masks @ model_right) / n, np.nan)
    low, high = proportion_interval(
        b, b + c, method=config.ci_method, confidence_level=config.confidence_level
    )
    frame = pd.DataFrame({
        "attribute_set": [g[0] for g in groups], "group": [g[1] for g in groups],
        "attributes": [g[2] for g in groups], "cases": cases.astype(np.int64),
        "known": n.astype(np.int64), "overrides": (masks @ overrides).astype(np.int64),
        "overrides_known": (b + c).astype(np.int64), "overrides_right": b.astype(np.int64),
        "right_share": np.where(b + c > 0, b / np.maximum(b + c, 1), np.nan),
        "right_share_ci_low": low, "right_share_ci_high": high,
        "accuracy_model": model_accuracy, "accuracy_final": model_accuracy + gain,
        "accuracy_gain": gain,
        "accuracy_gain_ci_low": np.where(n > 0, centre - z * np.sqrt(variance), np.nan),
        "accuracy_gain_ci_high": np.where(n > 0, centre + z * np.sqrt(variance), np.nan),
        "design_effect": deff,
        "status": np.where((cases < config.min_group_size) | (n < config.min_denominator),
                           "insufficient", "ok"),
    })  # fmt: skip
    return frame[REVIEW_EFFECT_COLUMNS]


def gap_changes(
    joint: pd.DataFrame, config: AuditConfig, sets: Sequence[tuple[str, ...]]
) -> pd.DataFrame:
    """Per group and rate: the model's and the final decisions' gaps to the complement.

    Parameters
    ----------
    joint : pandas.DataFrame
        The cube's joint table.
    config : AuditConfig
        Level and thresholds.
    sets : sequence of tuple of str
        Attribute sets; everyone (``()``) has no complement and is left out.

    Returns
    -------
    pandas.DataFrame
        One row per group and metric of :data:`GAP_METRICS` (columns
        :data:`GAP_CHANGE_COLUMNS`).
    """
    groups = [g for g in group_masks(joint, sets) if g[2]]
    z = normal_quantile(config.confidence_level)
    codes = _reviewer_codes(joint, config.reviewer)
    parts = []
    for metric in GAP_METRICS:
        paired = _paired(joint, metric)
        model_pos = _model_positive(joint, metric)
        for name, label, attrs, mask in groups:
            rows = []
            for part in (mask, ~mask):
                b, c, n = (float(paired.first[part].sum()), float(paired.second[part].sum()),
                           float(paired.total[part].sum()))  # fmt: skip
                rows.append((b, c, n, float(model_pos[part].sum())))
            (bg, cg, ng, mg), (br, cr, nr, mr) = rows
            if ng <= 0 or nr <= 0:
                continue
            variance, deff = _gap_variance(codes, mask, ~mask, paired, config.confidence_level)
            rate_model, rest_model = mg / ng, mr / nr
            rate_final, rest_final = (mg + bg - cg) / ng, (mr + br - cr) / nr
            gap_model, gap_final = rate_model - rest_model, rate_final - rest_final
            change = gap_final - gap_model
            se = float(np.sqrt(variance))
            # the side of the wider of the two gaps: positive widening, a wider final gap
            wider = gap_final if abs(gap_final) > abs(gap_model) else gap_model
            direction = float(np.sign(wider)) or 1.0
            widening = direction * change
            low, high = change - z * se, change + z * se
            w_low, w_high = sorted((direction * low, direction * high))
            p_value = 2 * float(normal_upper_tail(abs(change) / se)) if se > 0 else float("nan")
            small = ng < config.min_denominator or nr < config.min_denominator
            parts.append({
                "attribute_set": name, "group": label, "attributes": attrs, "metric": metric,
                "n": int(ng), "n_rest": int(nr), "rate_model": rate_model,
                "rate_final": rate_final, "rest_model": rest_model, "rest_final": rest_final,
                "gap_model": gap_model, "gap_final": gap_final, "change": change,
                "change_ci_low": low, "change_ci_high": high, "change_se": se,
                "widening": widening,
                "widening_ci_low": w_low, "widening_ci_high": w_high, "p_value": p_value,
                "design_effect": deff,
                "status": "insufficient" if small else "ok",
            })  # fmt: skip
    return pd.DataFrame(parts, columns=GAP_CHANGE_COLUMNS)


def _reviewer_codes(joint: pd.DataFrame, reviewer: str | None) -> NDArray[np.int64]:
    """Each joint row's reviewer as a code; -1 where no reviewer is named."""
    if reviewer is None or reviewer not in joint:
        return np.full(len(joint), -1, dtype=np.int64)
    names = joint[reviewer].astype(str)
    codes = pd.factorize(names)[0].astype(np.int64)
    out: NDArray[np.int64] = np.where((names == MISSING_GROUP).to_numpy(), -1, codes)
    return out


def _model_positive(joint: pd.DataFrame, metric: str) -> FloatArray:
    """Per row: the model's count of the rate, over its population.

    Positive decisions for the false positive and selection rates; for the false
    negative rate, negative decisions.
    """
    if metric == "false_positive_rate":
        return _count(joint, True, None, (False,))
    if metric == "false_negative_rate":
        return _count(joint, False, None, (True,))
    return _count(joint, True, None, _ANY)


def reviewer_effect(
    joint: pd.DataFrame, config: AuditConfig, strata: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per named reviewer: overrides that proved wrong, against the other reviewers' share.

    Parameters
    ----------
    joint : pandas.DataFrame
        The cube's joint table.
    config : AuditConfig
        The reviewer column, sensitive attributes and interval options.
    strata : pandas.DataFrame or None, default=None
        The joint table by sensitive attribute, reviewer and score stratum
        (:attr:`fairloop.cube.Outcomes.reviewer_strata`): when given, the case mix is
        the score stratum too.

    Returns
    -------
    pandas.DataFrame
        One row per named reviewer with an override, most overrides first (columns
        :data:`REVIEWER_EFFECT_COLUMNS`). ``expected_wrong`` is the wrong overrides the
        other reviewers' shares give on the reviewer's own case mix (strata the others
        never overrode in are left out of ``compared``), ``difference`` the reviewer's
        wrong share minus that expected share, with its interval and ``se``.
    """
    reviewer = config.reviewer
    if reviewer is None or reviewer not in joint:
        return pd.DataFrame(columns=REVIEWER_EFFECT_COLUMNS)
    table = joint if strata is None else strata
    named = table[table[reviewer].astype(str) != MISSING_GROUP]
    keys = [*config.sensitive, *([] if strata is None else [Col.BAND])]
    # case mix: the model's decision x every sensitive attribute (x score stratum) jointly
    stratum = named[keys].astype(str).agg("\x1f".join, axis=1)
    frames = []
    for model in (True, False):
        frames.append(pd.DataFrame({
            "reviewer": named[reviewer].astype(str).to_numpy(),
            "stratum": (stratum + f"\x1f{int(model)}").to_numpy(),
            "overrides": _count(named, model, not model, _ANY),
            "known": _count(named, model, not model, _KNOWN),
            "wrong": _count(named, model, not model, (model,)),
        }))  # fmt: skip
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.groupby(["reviewer", "stratum"], sort=True, as_index=False).sum()
    pooled = rows.groupby("stratum")[["known", "wrong"]].transform("sum")
    # the other reviewers' overrides in the same stratum (leave the reviewer out)
    others_known = pooled["known"] - rows["known"]
    others_wrong = pooled["wrong"] - rows["wrong"]
    comparable = (others_known > 0) & (rows["known"] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        others = np.where(comparable, others_wrong / others_known, 0.0)
        common = np.where(pooled["known"] > 0, pooled["wrong"] / pooled["known"], 0.0)
    known_c = np.where(comparable, rows["known"], 0.0)
    rows["compared"] = known_c
    rows["wrong_c"] = np.where(comparable, rows["wrong"], 0.0)
    rows["expected"] = known_c * others
    # under the null the reviewer and the others share the stratum's rate; given the
    # stratum's wrong overrides the reviewer's are hypergeometric, so the variance of
    # wrong - known x others' share is N^2 k p (1 - p) / ((N - k)(N - 1)): the reviewer's
    # binomial spread, plus that of the others' share, times N / (N - 1)
    pooled_n = pooled["known"].to_numpy(dtype=float)
    spread = common * (1 - common) * pooled_n / np.maximum(pooled_n - 1, 1)
    rows["spread"] = known_c * spread + np.where(
        comparable, known_c**2 * spread / np.maximum(others_known, 1), 0.0
    )
    summed = ["overrides", "known", "wrong", "compared", "wrong_c", "expected", "spread"]
    per = rows.groupby("reviewer")[summed].sum()
    per = per[per["overrides"] > 0]
    low, high = proportion_interval(
        per["wrong"].to_numpy(), per["known"].to_numpy(), method=config.ci_method,
        confidence_level=config.confidence_level,
    )  # fmt: skip
    z = normal_quantile(config.confidence_level)
    compared = per["compared"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = (per["wrong_c"] - per["expected"]).to_numpy(dtype=float)
        sd = np.sqrt(per["spread"].to_numpy(dtype=float))
        difference = np.where(compared > 0, excess / compared, np.nan)
        se = np.where(compared > 0, sd / compared, np.nan)
        out = pd.DataFrame({
            "reviewer": per.index.astype(str),
            "overrides": per["overrides"].astype(np.int64).to_numpy(),
            "overrides_known": per["known"].astype(np.int64).to_numpy(),
            "wrong": per["wrong"].astype(np.int64).to_numpy(),
            "wrong_share": np.where(per["known"] > 0, per["wrong"] / per["known"], np.nan),
            "ci_low": low, "ci_high": high,
            "compared": compared.astype(np.int64),
            "expected_wrong": per["expected"].to_numpy(),
            "expected_share": np.where(compared > 0, per["expected"] / compared, np.nan),
            "ratio": np.where(per["expected"] > 0, per["wrong_c"] / per["expected"], np.nan),
            "difference": difference,
            "difference_ci_low": difference - z * se,
            "difference_ci_high": difference + z * se,
            "se": se,
            "p_value": np.where(sd > 0, normal_upper_tail(excess / np.where(sd > 0, sd, 1.0)),
                                np.nan),
        })  # fmt: skip
    return out.sort_values(["overrides", "reviewer"], ascending=[False, True]).reset_index(
        drop=True
    )

"""Decision logs with a known model error per cell, for testing a review plan.

This module never imports fairloop. :func:`known_error_log` returns ``(frame, truth)``: a
decision log whose reviewers were routed by the score alone, and the exact probability
that the human overrules the model in every cell of sensitive group x score band x model
decision, so that a test can compute what any routing of the review budget truly leaves
standing and compare it with what a review plan claims.

Vocabulary
----------
Each row is one case. ``group`` is the sensitive attribute that matters (``"A"`` or
``"B"``, B a share ``b_share`` of the cases); ``sex`` is a second sensitive attribute
(``"F"`` or ``"M"``, each with probability 1/2, independent of everything) that has no
effect on anything. ``score`` is the model's score, Beta(``score_a``, ``score_b``) in both
groups, rounded to 4 decimals; ``pred`` is the model's decision, 1 (``"positive"``) when
``score >= 0.5`` and 0 (``"negative"``) otherwise. The score band of a case is
``floor(score * 10)`` clipped to 9 (band j is [j / 10, (j + 1) / 10), band 9 also holds
1.0; :func:`score_band` computes it in integer arithmetic, so a score on a band edge is
never misplaced by floating-point error). Bands 0-4 hold only negative decisions and
bands 5-9 only positive ones.

Model errors
------------
A *model error* is a reviewed case whose human decision differs from the model's. For a
case of group g in band j with decision d the human disagrees with probability
``truth[(g, j, d)]``, constant within the cell and independent across cases; the human's
decision ``label`` is then ``1 - pred`` and otherwise ``pred`` (0/1). By default
(:data:`ERRORS`):

- group A's errors are concentrated near the threshold: 0.30-0.32 in bands 0.4-0.6, 0.18
  in bands 0.3-0.4 and 0.6-0.7, and 0.03-0.05 further out;
- group B errs like A near the threshold, but far more (0.45) in the bands 0.2-0.3 and
  0.7-0.8, far from it. Pooled over the groups those two bands err at about 0.15 (B is a
  quarter of the cases), below the 0.18 of bands 0.3-0.4 and 0.6-0.7, so a router that
  sees only the score ranks them fifth and sixth of ten and does not review them at a
  budget of about 30%;
- ``sex`` has no effect: F and M err alike in every cell.

Review
------
Review is routed by the score band alone (Poisson sampling): each case is reviewed
independently with probability ``review_probability = c * SHAPE[band]``, highest near
0.5 (:data:`REVIEW_SHAPE`), with ``c`` set from the drawn scores so that the expected
share of reviewed cases is ``review_share`` (default 0.30). Given the band, review is
random, in particular independent of whether the model erred, so each cell's reviewed
cases estimate its error probability without bias. ``reviewer`` is one of a few ids
drawn with skewed probabilities (:data:`REVIEWERS`), independent of everything; it is
None where the case was not reviewed, and so is ``label`` (NaN).

Rows: ``case_id`` (unique str), ``group``, ``sex``, ``score``, ``pred`` (int 0/1),
``label`` (float 0/1, NaN where unreviewed), ``reviewer`` (str or None),
``review_probability`` (float, given for every row).

Truth
-----
A dict ``{(group, band, decision): error probability}`` for every cell that can occur:
groups ``"A"``/``"B"``, bands 0-9, decision ``"negative"`` for bands 0-4 and
``"positive"`` for bands 5-9 (20 keys). The true residual error rate of a group under a
routing that reviews each case of a cell with probability pi (and a reviewer who corrects
every error they see) is ``sum over its cells of cases * (1 - pi) * error / cases of the
group``.

Harder logs
-----------
Three options, all off by default (the default log is the same, draw for draw), make
the log look more like a production system's; :data:`HARDER` turns all three on and
:func:`harder_error_log` is the log with them:

``attributes``
    More sensitive attributes without effect: a mapping ``{name: {value: probability}}``;
    each is drawn independently of everything, after every other draw.
    :data:`NO_EFFECT_ATTRIBUTES` adds ``age`` (3 values) and ``region`` (4, one of them a
    tenth of the cases), so that with ``group`` and ``sex`` four attributes are audited
    and only ``group`` has an effect.
``review_by_group``
    Review routed by the score AND the group: ``{group: factor}`` multiplies the
    review shape of the group's cases before the scaling to ``review_share``
    (:data:`REVIEW_BY_GROUP` reviews group B half as often as A at the same score).
    Review is still random given band and group, so every cell's reviewed cases still
    estimate its error probability without bias; ``review_probability`` is the row's.
``reviewers``
    A team of reviewers who judge differently and do not share the work evenly: a
    mapping ``{id: Reviewer(weight, near, strictness)}``. A reviewed case goes to
    reviewer r with probability proportional to ``weight``, times ``near`` in the two
    bands next to the threshold (0.4-0.6); the reviewer overrules the model with
    probability ``min(strictness * error, 1)``. ``truth`` is then the team's: the error
    probability averaged over who judges a case of the band, ``sum_r P(r | band) *
    min(strictness_r * error, 1)``, which is what the reviewed cases of a cell estimate.
    :data:`SKEWED_REVIEWERS`: twelve reviewers, three of whom judge about 80% of the
    reviewed cases (the busiest, strict, taking most of the cases near the threshold).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "ERRORS",
    "HARDER",
    "NO_EFFECT_ATTRIBUTES",
    "REVIEWERS",
    "REVIEW_BY_GROUP",
    "REVIEW_SHAPE",
    "SKEWED_REVIEWERS",
    "Reviewer",
    "decision_of",
    "harder_error_log",
    "known_error_log",
    "score_band",
]

#: default error probability per group and score band (band j is [j / 10, (j + 1) / 10))
ERRORS: dict[str, tuple[float, ...]] = {
    "A": (0.03, 0.04, 0.05, 0.18, 0.32, 0.30, 0.18, 0.05, 0.04, 0.03),
    "B": (0.04, 0.05, 0.45, 0.18, 0.32, 0.30, 0.18, 0.45, 0.05, 0.04),
}
#: relative review probability per score band (scaled to the review share)
REVIEW_SHAPE = (0.10, 0.15, 0.25, 0.45, 1.0, 1.0, 0.45, 0.25, 0.15, 0.10)
#: reviewer ids and how often each reviews
REVIEWERS: dict[str, float] = {"r1": 0.5, "r2": 0.25, "r3": 0.15, "r4": 0.10}
_SCALE = 10_000  # scores are rounded to 4 decimals: score = k / _SCALE
#: the bands next to the threshold (0.4-0.6), where a reviewer's ``near`` applies
NEAR_BANDS = (4, 5)


class Reviewer(NamedTuple):
    """A reviewer of a team: relative volume, its factor near the threshold, strictness."""

    weight: float
    near: float = 1.0
    strictness: float = 1.0


#: sensitive attributes without effect for the harder log (value: probability)
NO_EFFECT_ATTRIBUTES: dict[str, dict[str, float]] = {
    "age": {"18-34": 0.35, "35-54": 0.40, "55+": 0.25},
    "region": {"north": 0.40, "south": 0.30, "east": 0.20, "west": 0.10},
}
#: review routed by score and group: group B reviewed half as often as A at the same score
REVIEW_BY_GROUP: dict[str, float] = {"A": 1.0, "B": 0.5}
#: twelve reviewers, three judging about 80% of the cases; r01 is strict and takes the
#: threshold queue, r02 lenient; the other nine share the rest and differ in strictness
SKEWED_REVIEWERS: dict[str, Reviewer] = {
    "r01": Reviewer(40.0, near=2.0, strictness=1.2),
    "r02": Reviewer(25.0, near=0.7, strictness=0.8),
    "r03": Reviewer(15.0, near=0.5, strictness=1.0),
    **{f"r{i:02d}": Reviewer(20.0 / 9, strictness=(0.85, 1.0, 1.15)[i % 3]) for i in range(4, 13)},
}
#: the three options of a harder log, for ``known_error_log(n, seed, **HARDER)``
HARDER: dict[str, Any] = {
    "attributes": NO_EFFECT_ATTRIBUTES,
    "review_by_group": REVIEW_BY_GROUP,
    "reviewers": SKEWED_REVIEWERS,
}


def score_band(score: Any) -> np.ndarray:
    """The score band (0-9) of each score: floor(score * 10) clipped to 9, exactly."""
    ticks = np.rint(np.asarray(score, dtype=float) * _SCALE).astype(np.int64)
    return np.minimum(ticks * 10 // _SCALE, 9)


def decision_of(band: int) -> str:
    """The model's decision in a score band: ``"positive"`` from band 5 (score >= 0.5)."""
    return "positive" if band >= 5 else "negative"


def known_error_log(
    n: int = 40_000,
    seed: int = 0,
    *,
    b_share: float = 0.25,
    review_share: float = 0.30,
    score_a: float = 2.0,
    score_b: float = 2.0,
    errors: Mapping[str, tuple[float, ...]] | None = None,
    attributes: Mapping[str, Mapping[str, float]] | None = None,
    review_by_group: Mapping[str, float] | None = None,
    reviewers: Mapping[str, Reviewer] | None = None,
) -> tuple[pd.DataFrame, dict[tuple[str, int, str], float]]:
    """A score-routed decision log whose model errors are known per cell.

    Parameters
    ----------
    n : int, default 40 000
        Cases.
    seed : int, default 0
        Seed of the random generator.
    b_share : float, default 0.25
        Probability that a case is of group B (else A).
    review_share : float, default 0.30
        Expected share of cases reviewed.
    score_a, score_b : float, default 2.0
        Parameters of the score's Beta distribution.
    errors : mapping or None, default None
        Error probability per group (``"A"``, ``"B"``) and band (10 values); default
        :data:`ERRORS`.
    attributes : mapping or None, default None
        More sensitive attributes without effect, ``{name: {value: probability}}`` (see
        the module's docstring, Harder logs; e.g. :data:`NO_EFFECT_ATTRIBUTES`).
    review_by_group : mapping or None, default None
        Factor of each group's review probability at the same score (e.g.
        :data:`REVIEW_BY_GROUP`); None reviews by the score alone.
    reviewers : mapping or None, default None
        A team of :class:`Reviewer` (e.g. :data:`SKEWED_REVIEWERS`); None draws
        :data:`REVIEWERS`, who all judge alike.

    Returns
    -------
    frame : pandas.DataFrame
        The log (see the module's docstring for its columns).
    truth : dict
        ``{(group, band, decision): error probability}`` of every cell that can occur.
    """
    table = {g: np.asarray(v, dtype=float) for g, v in (errors or ERRORS).items()}
    if set(table) != {"A", "B"} or any(v.shape != (10,) for v in table.values()):
        raise ValueError("errors needs 10 band probabilities for each of groups A and B")
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < b_share, "B", "A")
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    score = np.round(rng.beta(score_a, score_b, n), 4)
    band = score_band(score)
    pred = (score >= 0.5).astype(np.int64)
    shape = np.asarray(REVIEW_SHAPE)[band]
    if review_by_group is not None:
        if set(review_by_group) != {"A", "B"} or min(review_by_group.values()) <= 0:
            raise ValueError("review_by_group needs a positive factor for each of A and B")
        shape = shape * np.where(group == "B", review_by_group["B"], review_by_group["A"])
    probability = np.minimum(review_share * shape / shape.mean(), 1.0)
    reviewed = rng.random(n) < probability
    error = np.where(group == "B", table["B"][band], table["A"][band])
    draw = rng.random(n)  # the human overrules the model when draw < their error probability
    if reviewers is None:
        overruled = draw < error
        who = rng.choice(list(REVIEWERS), n, p=list(REVIEWERS.values()))
        truth = {(g, j, decision_of(j)): float(table[g][j]) for g in ("A", "B") for j in range(10)}
    else:
        names, chance, strictness = _team(reviewers)
        pick = (chance[band].cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
        pick = np.minimum(pick, len(names) - 1)  # a cumulative sum a hair below 1
        overruled = draw < np.minimum(strictness[pick] * error, 1.0)
        who = names[pick]
        truth = {
            (g, j, decision_of(j)): float(chance[j] @ np.minimum(strictness * table[g][j], 1.0))
            for g in ("A", "B")
            for j in range(10)
        }
    label = np.where(overruled, 1 - pred, pred).astype(float)
    width = max(6, len(str(n - 1)))
    columns: dict[str, Any] = {
        "case_id": [f"case-{i:0{width}d}" for i in range(n)],
        "group": group.astype(object),
        "sex": sex.astype(object),
    }
    for name, values in (attributes or {}).items():
        if name in {"case_id", "group", "sex", "score", "pred", "label", "reviewer"}:
            raise ValueError(f"attribute {name!r} would replace a column of the log")
        p = np.asarray(list(values.values()), dtype=float)
        columns[name] = rng.choice(np.asarray(list(values), dtype=object), n, p=p / p.sum())
    frame = pd.DataFrame(
        {
            **columns,
            "score": score,
            "pred": pred,
            "label": np.where(reviewed, label, np.nan),
            "reviewer": np.where(reviewed, who.astype(object), None),
            "review_probability": probability,
        }
    )
    return frame, truth


def harder_error_log(
    n: int = 40_000, seed: int = 0, **options: Any
) -> tuple[pd.DataFrame, dict[tuple[str, int, str], float]]:
    """:func:`known_error_log` with every option of :data:`HARDER` (others as given)."""
    return known_error_log(n, seed, **{**HARDER, **options})


def _team(reviewers: Mapping[str, Reviewer]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reviewer ids, P(reviewer | band) (10 x reviewers) and each reviewer's strictness."""
    names = np.asarray(list(reviewers), dtype=object)
    weight = np.asarray([r.weight for r in reviewers.values()], dtype=float)
    near = np.asarray([r.near for r in reviewers.values()], dtype=float)
    if len(names) == 0 or (weight < 0).any() or (near < 0).any() or weight.sum() <= 0:
        raise ValueError("reviewers needs at least one reviewer and non-negative weights")
    chance = np.tile(weight, (10, 1))
    chance[list(NEAR_BANDS)] *= near
    chance /= chance.sum(axis=1, keepdims=True)
    strictness = np.asarray([r.strictness for r in reviewers.values()], dtype=float)
    return names, chance, strictness

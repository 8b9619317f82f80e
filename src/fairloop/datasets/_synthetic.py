"""A realistic synthetic human-in-the-loop log of loan decisions, with planted biases.

The generative story:

1. Applicants have sensitive attributes (sex, race, age_band) and context (region,
   channel, product), drawn independently, and a true approval probability that
   does not depend on any of them: without planted bias no group differs.
2. The model's score is that probability (so it is calibrated against the human's
   decision) and the model approves when the score is at least 0.5.
3. Cases are routed to human review with a base probability, far more often near
   the decision boundary. Each reviewed case goes to one of the reviewers; a
   reviewer's final decision is drawn from the true probability shifted by the
   reviewer's leniency, and some reviewers rubber-stamp the model most of the time.
4. Planted biases then change the model's decisions, the routing or one reviewer's
   decisions inside a subgroup, by a target absolute effect on one metric; the
   realised effect (subgroup against complement, on the final log) is returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_BIASES", "PlantedBias", "SyntheticLog", "make_decision_log"]

PlantableMetric = Literal[
    "selection_rate",
    "false_negative_rate",
    "false_positive_rate",
    "accuracy",
    "override_rate",
    "review_rate",
    "override_to_negative_rate",
]

_ATTRIBUTES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "sex": (("female", "male"), (0.49, 0.51)),
    "race": (("White", "Black", "Hispanic", "Asian", "Other"), (0.58, 0.14, 0.17, 0.07, 0.04)),
    "age_band": (("18-24", "25-39", "40-59", "60+"), (0.14, 0.36, 0.34, 0.16)),
    "region": (("North", "South", "East", "West"), (0.27, 0.23, 0.26, 0.24)),
    "channel": (("online", "branch", "broker"), (0.55, 0.30, 0.15)),
    "product": (("personal", "auto", "mortgage"), (0.50, 0.30, 0.20)),
}
SENSITIVE = ("sex", "race", "age_band")
CONTEXT = ("region", "channel", "product")


@dataclass(frozen=True)
class PlantedBias:
    """A bias to plant: inside ``subgroup``, move ``metric`` by ``effect`` (absolute).

    Parameters
    ----------
    subgroup : mapping of str to str
        Conjunction of attribute = value, e.g. ``{"race": "Black", "age_band": "18-24"}``.
    metric : str
        One of selection_rate, false_negative_rate, false_positive_rate, accuracy,
        override_rate, review_rate (changed through the model or the routing), or
        override_to_negative_rate (changed through one reviewer's decisions).
    effect : float
        Target change of the metric inside the subgroup, e.g. ``-0.10``.
    reviewer : str or None, default=None
        For override_to_negative_rate: the reviewer whose decisions are biased.
    """

    subgroup: Mapping[str, str]
    metric: PlantableMetric
    effect: float
    reviewer: str | None = None


#: The biases ``fairloop demo`` plants: model, routing and reviewer biases.
DEFAULT_BIASES: tuple[PlantedBias, ...] = (
    PlantedBias({"race": "Black", "age_band": "18-24"}, "false_negative_rate", 0.25),
    PlantedBias({"sex": "female", "channel": "broker"}, "selection_rate", -0.15),
    PlantedBias({"race": "Hispanic"}, "accuracy", -0.15),
    PlantedBias({"region": "East", "age_band": "60+"}, "review_rate", -0.20),
    PlantedBias({"sex": "female"}, "override_to_negative_rate", 0.25, reviewer="R03"),
)


@dataclass(frozen=True, eq=False)
class SyntheticLog:
    """A synthetic decision log and the ground truth of what was planted in it.

    Parameters
    ----------
    data : pandas.DataFrame
        The log: case_id, decided_at, the sensitive and context attributes, score,
        approved (model decision, 1 = approve), reviewer_id and reviewer_decision
        (missing where not reviewed).
    planted : list of dict
        Per planted bias: subgroup, metric, target effect, realised value in the
        subgroup and its complement, realised difference and support.
    roles : dict
        Keyword arguments for :func:`fairloop.audit` describing the columns.
    """

    data: pd.DataFrame
    planted: list[dict[str, Any]] = field(default_factory=list)
    roles: dict[str, Any] = field(default_factory=dict)


def make_decision_log(
    n: int = 10_000,
    *,
    seed: int | None = 0,
    biases: Sequence[PlantedBias] | None = DEFAULT_BIASES,
    review_share: float = 0.35,
    n_reviewers: int = 12,
    start: str = "2025-01-01",
    months: int = 12,
) -> SyntheticLog:
    """Generate a synthetic human-in-the-loop decision log with planted biases.

    Parameters
    ----------
    n : int, default=10_000
        Number of cases.
    seed : int or None, default=0
        Random seed (``None`` for fresh randomness).
    biases : sequence of PlantedBias or None, default=DEFAULT_BIASES
        Biases to plant; ``None`` or ``()`` gives a null log with no group differences
        beyond chance.
    review_share : float, default=0.35
        Approximate share of cases a human reviews.
    n_reviewers : int, default=12
        Number of reviewers; the last two rubber-stamp the model's decisions.
    start : str, default="2025-01-01"
        First day of the period.
    months : int, default=12
        Length of the period.

    Returns
    -------
    SyntheticLog

    Examples
    --------
    >>> log = make_decision_log(n=1_000, seed=3)
    >>> log.data.shape
    (1000, 12)
    >>> log.planted[0]["subgroup"], log.planted[0]["metric"]
    ({'race': 'Black', 'age_band': '18-24'}, 'false_negative_rate')
    """
    if n < 1:
        raise ValueError(f"n must be a positive number of cases. Got {n} instead.")
    if not 0 < review_share <= 1:
        raise ValueError(f"review_share must be in (0, 1]. Got {review_share} instead.")
    if n_reviewers < 1:
        raise ValueError(f"n_reviewers must be at least 1. Got {n_reviewers} instead.")
    rng = np.random.default_rng(seed)
    codes = {
        name: rng.choice(len(values), size=n, p=probs)
        for name, (values, probs) in _ATTRIBUTES.items()
    }
    values = {name: np.asarray(_ATTRIBUTES[name][0], dtype=object)[c] for name, c in codes.items()}

    # true approval probability, independent of every attribute
    p_true = 1 / (1 + np.exp(-(0.35 + 1.6 * rng.standard_normal(n))))
    score = p_true.copy()
    approved = score >= 0.5

    # the humans' would-be decisions (observed only where reviewed)
    leniency = rng.normal(0, 0.04, n_reviewers)
    rubber_stamp = np.zeros(n_reviewers)
    rubber_stamp[-min(2, n_reviewers - 1) :] = 0.7 if n_reviewers > 1 else 0.0
    reviewer = rng.integers(0, n_reviewers, n)
    human = rng.random(n) < np.clip(p_true + leniency[reviewer], 0, 1)

    planted = list(biases or ())
    masks = [_subgroup_mask(values, bias.subgroup) for bias in planted]
    # routing to review follows the model's score; rubber-stamping reviewers copy the
    # model's decision on most of their cases
    reviewed = rng.random(n) < _review_probability(score, review_share)
    stamp = reviewed & (rng.random(n) < rubber_stamp[reviewer])
    human = np.where(stamp, approved, human)
    # then the planted biases: the model's, the routing's, one reviewer's. Model biases
    # are sized on the reviewed cases (where they are measured) and applied to every case
    # of the subgroup alike; rubber-stamped cases follow the model and are left alone.
    for phase in (_MODEL_METRICS, ("review_rate",), ("override_to_negative_rate",)):
        for bias, mask in zip(planted, masks, strict=True):
            if bias.metric in phase:
                approved, score, reviewed, human = _plant(
                    bias, mask, approved, score, reviewed, human, reviewer, rng, ~stamp
                )

    first = pd.Timestamp(start)
    span = ((first + pd.DateOffset(months=months)) - first).total_seconds()
    seconds = rng.uniform(0, span, n)
    decided_at = first + pd.to_timedelta(np.sort(seconds), unit="s")
    order = np.argsort(seconds, kind="stable")
    reviewer_ids = np.asarray([f"R{i + 1:02d}" for i in range(n_reviewers)], dtype=object)
    frame = pd.DataFrame(
        {
            "case_id": [f"C{i:07d}" for i in range(1, n + 1)],
            "decided_at": decided_at.floor("s"),
            **{name: values[name][order] for name in (*SENSITIVE, *CONTEXT)},
            "score": np.round(score[order], 4),
            "approved": approved[order].astype(np.int64),
            "reviewer_id": np.where(reviewed, reviewer_ids[reviewer], np.asarray(None))[order],
            "reviewer_decision": pd.array(
                np.where(reviewed, human.astype(np.int64), 0)[order], dtype="Int64"
            ),
        }
    )
    frame.loc[~reviewed[order], "reviewer_decision"] = pd.NA
    truth = [_realised(bias, frame) for bias in planted]
    roles = {
        "prediction": "approved",
        "label": "reviewer_decision",
        "sensitive": list(SENSITIVE),
        "context": list(CONTEXT),
        "score": "score",
        "reviewer": "reviewer_id",
        "time": "decided_at",
        "case_id": "case_id",
        "positive": 1,
    }
    return SyntheticLog(data=frame, planted=truth, roles=roles)


_MODEL_METRICS = (
    "selection_rate", "false_negative_rate", "false_positive_rate", "accuracy", "override_rate",
)  # fmt: skip


def _review_probability(score: np.ndarray, review_share: float) -> np.ndarray:
    """Base probability plus a bump near the decision boundary, averaging ``review_share``."""
    bump = np.exp(-(((score - 0.5) / 0.12) ** 2))
    height = min(0.6, review_share / max(float(bump.mean()), 1e-9))
    base = max(0.0, review_share - height * float(bump.mean()))
    return np.clip(base + height * bump, 0.0, 1.0)


def _subgroup_mask(values: Mapping[str, np.ndarray], subgroup: Mapping[str, str]) -> np.ndarray:
    mask = np.ones(len(next(iter(values.values()))), dtype=bool)
    for column, value in subgroup.items():
        if column not in values:
            raise ValueError(f"Planted subgroup names unknown attribute {column!r}.")
        if value not in _ATTRIBUTES[column][0]:
            raise ValueError(
                f"Planted subgroup value {value!r} is not a value of {column!r}: "
                f"{_ATTRIBUTES[column][0]}."
            )
        mask &= values[column] == value
    return mask


def _choose(rng: np.random.Generator, eligible: np.ndarray, count: int) -> np.ndarray:
    """Exactly ``count`` of the eligible cases (all of them if there are fewer)."""
    index = np.flatnonzero(eligible)
    picked = np.zeros_like(eligible)
    picked[rng.choice(index, size=min(count, index.size), replace=False)] = True
    return picked


def _flip(rng: np.random.Generator, eligible: np.ndarray, q: float) -> np.ndarray:
    return eligible & (rng.random(eligible.size) < min(max(q, 0.0), 1.0))


def _plant(
    bias: PlantedBias,
    mask: np.ndarray,
    approved: np.ndarray,
    score: np.ndarray,
    reviewed: np.ndarray,
    human: np.ndarray,
    reviewer: np.ndarray,
    rng: np.random.Generator,
    free: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Move one metric inside ``mask`` by ``bias.effect``; ``free`` marks changeable cases."""
    e = bias.effect
    approved, score, reviewed, human = approved.copy(), score.copy(), reviewed.copy(), human.copy()
    flip = np.zeros_like(mask)

    def sized(
        eligible: np.ndarray, within: np.ndarray, hit: np.ndarray, on_reviewed: bool
    ) -> np.ndarray:
        # Flip a share of the eligible cases so that the subgroup's rate (hits among
        # `within`) ends `e` away from its complement's rate: the gap planted is the gap
        # realised, up to the randomness of the flips.
        inside = mask & within
        outside = ~mask & within
        current = hit[inside].mean() if inside.any() else 0.0
        target = (hit[outside].mean() if outside.any() else current) + e
        # exactly as many flips as the gap needs where it is measured, and the same share
        # of the other eligible cases
        measured = eligible & reviewed if on_reviewed else eligible
        count = round(abs(target - current) * inside.sum())
        chosen = _choose(rng, measured, count)
        share = count / max(measured.sum(), 1)
        flipped: np.ndarray = chosen | _flip(rng, eligible & ~measured, share)
        return flipped

    everyone = np.ones_like(mask)
    if bias.metric == "selection_rate":
        eligible = mask & free & (approved if e < 0 else ~approved)
        flip = sized(eligible, everyone, approved, on_reviewed=False)
    elif bias.metric == "false_negative_rate":
        flip = sized(mask & free & human & approved, reviewed & human, ~approved, on_reviewed=True)
    elif bias.metric == "false_positive_rate":
        flip = sized(
            mask & free & ~human & ~approved, reviewed & ~human, approved, on_reviewed=True
        )
    elif bias.metric in ("accuracy", "override_rate"):
        wrong = approved != human
        inside, outside = mask & reviewed, ~mask & reviewed
        if inside.any() and outside.any():  # a tiny log may have neither
            target = wrong[outside].mean() + (-e if bias.metric == "accuracy" else e)
            scope = mask & free & reviewed
            margin = (~wrong[scope]).sum() - wrong[scope].sum()
            q = (target - wrong[inside].mean()) * inside.sum() / max(margin, 1)
        else:
            q = 0.0
        flip = _flip(rng, mask & free, q)
    elif bias.metric == "review_rate":
        rate = reviewed[mask].mean() if mask.any() else 0.0
        if e < 0:
            reviewed &= ~_flip(rng, mask & reviewed, -e / max(rate, 1e-9))
        else:
            reviewed |= _flip(rng, mask & ~reviewed, e / max(1 - rate, 1e-9))
    elif bias.metric == "override_to_negative_rate":
        if bias.reviewer is None:
            raise ValueError("A planted override_to_negative_rate bias needs a reviewer.")
        index = int(bias.reviewer.lstrip("R")) - 1
        mine = mask & reviewed & (reviewer == index)
        agree = mine & approved & human & free
        human &= ~_flip(rng, agree, e * mine.sum() / max(agree.sum(), 1))
    else:
        raise ValueError(f"Cannot plant a bias on metric {bias.metric!r}.")
    if flip.any():
        approved = np.where(flip, ~approved, approved)
        # keep the score consistent with the decision: the model misjudges these cases
        misjudged = np.where(approved, 0.5 + (0.5 - score) / 2, 0.4999 - (score - 0.5) / 2)
        score = np.clip(np.where(flip, misjudged, score), 0.0, 1.0)
    return approved, score, reviewed, human


def _realised(bias: PlantedBias, frame: pd.DataFrame) -> dict[str, Any]:
    """The planted metric inside the subgroup and its complement, on the final log."""
    mask = np.ones(len(frame), dtype=bool)
    for column, value in bias.subgroup.items():
        mask &= (frame[column] == value).to_numpy()
    if bias.reviewer is not None:
        scope = (frame["reviewer_id"] == bias.reviewer).fillna(False).to_numpy(dtype=bool)
    else:
        scope = np.ones(len(frame), dtype=bool)
    pred = frame["approved"].to_numpy() == 1
    label = frame["reviewer_decision"].to_numpy(dtype=float, na_value=np.nan)
    reviewed = ~np.isnan(label)
    human = label == 1

    def rate(rows: np.ndarray) -> float:
        m = bias.metric
        if m == "selection_rate":
            num, den = pred & rows, rows
        elif m == "review_rate":
            num, den = reviewed & rows, rows
        elif m == "false_negative_rate":
            den = rows & reviewed & human
            num = den & ~pred
        elif m == "false_positive_rate":
            den = rows & reviewed & ~human
            num = den & pred
        elif m == "accuracy":
            den = rows & reviewed
            num = den & (pred == human)
        elif m == "override_rate":
            den = rows & reviewed
            num = den & (pred != human)
        else:  # override_to_negative_rate
            den = rows & reviewed
            num = den & pred & ~human
        return float(num.sum() / den.sum()) if den.sum() else float("nan")

    inside, outside = rate(mask & scope), rate(~mask & scope)
    return {
        "subgroup": dict(bias.subgroup),
        "metric": bias.metric,
        "reviewer": bias.reviewer,
        "target_effect": bias.effect,
        "subgroup_value": inside,
        "complement_value": outside,
        "realised_difference": inside - outside,
        "support": int(mask.sum()),
    }

"""How cases reached a human: tests of selective review, and the estimator they call for.

A figure of reviewed cases describes every case only when review is a random sample.
From the count cube alone (its score strata, the model's decision in the cells, the
sensitive groups), fairloop tests whether the share of cases reviewed differs by score
band, by the model's decision and by each sensitive attribute: Pearson's chi-square test
of independence of reviewed x factor, at level :data:`SELECTION_LEVEL`. Review that
depends on the score or the decision biases every error rate of reviewed cases; review
that depends on the group only biases figures pooled over groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fairloop.config import AuditConfig
from fairloop.cube import CountCube
from fairloop.stats import homogeneity_pvalue
from fairloop.vocabulary import (
    CELL_RULES,
    CELLS,
    INVERSE_PROBABILITY,
    POST_STRATIFIED,
    REVIEWED,
    REVIEWED_CELLS,
)

__all__ = ["SELECTION_LEVEL", "Selection", "diagnose_selection", "with_notes"]

#: Level of the tests of selective review.
SELECTION_LEVEL = 0.01

_REVIEWED = [CELLS.index(c) for c in REVIEWED_CELLS]
_POSITIVE = [CELLS.index(c) for c, rule in CELL_RULES.items() if rule[0]]


@dataclass(frozen=True)
class Selection:
    """What the log says about how cases reached a human, and the estimator chosen.

    Parameters
    ----------
    tests : pandas.DataFrame
        One row per factor tested (``score``, ``decision``, ``group``): the attribute,
        degrees of freedom, p-value, the lowest and highest review
        rate over the factor's levels, and ``depends`` (p below :data:`SELECTION_LEVEL`).
    estimator : str
        How error rates of reviewed cases are estimated: ``reviewed``, ``post-stratified``
        or ``inverse-probability``.
    reason : str
        Why that estimator, in a sentence.
    left_out : pandas.DataFrame
        Strata whose cases were never reviewed and that no neighbouring band stands for:
        not estimable, and left out of every group's weighted figure.
    """

    tests: pd.DataFrame
    estimator: str
    reason: str
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)
    subject: str = "review"

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The factors review was found to depend on (``score``, ``decision``, ``group``)."""
        hits = self.tests[self.tests["depends"]]
        return tuple(dict.fromkeys(hits["factor"]))

    @property
    def biases_error_rates(self) -> bool:
        """Whether review depends on the score or the model's decision."""
        return bool({"score", "decision"} & set(self.depends_on))

    def warning(self) -> str | None:
        """The plain warning every reviewed-only error rate carries, or None."""
        if not self.biases_error_rates:
            return None
        what = " and ".join(
            {"score": "the score", "decision": "the model's decision"}[f]
            for f in self.depends_on
            if f in ("score", "decision")
        )
        cases = "reviewed cases" if self.subject == "review" else "cases whose outcome is known"
        text = (
            f"{_SUBJECTS[self.subject]} depends on {what}: figures of {cases} describe those "
            "cases, not every case."
        )
        if self.estimator == REVIEWED:
            text += " No weighting was possible or chosen, so read them as such."
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible form."""
        return {
            "estimator": self.estimator,
            "reason": self.reason,
            "level": SELECTION_LEVEL,
            "depends_on": list(self.depends_on),
            "warning": self.warning(),
            "tests": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in self.tests.to_dict("records")
            ],
            "left_out": self.left_out.to_dict("records"),
        }


#: How each subject of a test of selection is named in a sentence.
_SUBJECTS = {"review": "Review", "outcome": "Knowing the outcome"}


def diagnose_selection(
    cube: CountCube, config: AuditConfig, *, subject: str = "review"
) -> Selection:
    """Test whether review depends on score, decision or group, and choose the estimator.

    Parameters
    ----------
    cube : CountCube
        The audit's cube without time windows (with its score strata when it has a score).
    config : AuditConfig
        ``estimator``: ``auto`` chooses inverse-probability when the log gives review
        probabilities, post-stratified when review depends on the score or the decision,
        reviewed otherwise.
    subject : {"review", "outcome"}, default="review"
        What the cube's "reviewed" cells are: cases a human reviewed, or (the cubes of
        :class:`fairloop.cube.Outcomes`) cases whose outcome is known. The outcome has
        no inclusion probabilities: inverse-probability is not chosen for it.

    Returns
    -------
    Selection
    """
    rows = []
    counts = cube.column_matrix(CELLS)
    if cube.band is not None:
        rows.append(_test("score", "score band", cube, [cube.band], counts))
    decision = np.stack(
        [
            counts[:, _POSITIVE].sum(axis=1),
            counts.sum(axis=1) - counts[:, _POSITIVE].sum(axis=1),
        ]
    )
    reviewed_pos = counts[:, [i for i in _REVIEWED if i in _POSITIVE]].sum()
    reviewed_neg = counts[:, [i for i in _REVIEWED if i not in _POSITIVE]].sum()
    rows.append(
        _row(
            "decision",
            "model decision",
            np.asarray([reviewed_pos, reviewed_neg]),
            decision.sum(axis=1),
        )
    )
    for attribute in cube.sensitive:
        rows.append(_test("group", attribute, cube, [attribute], counts))
    tests = pd.DataFrame(rows)
    depends = set(tests.loc[tests["depends"], "factor"])
    estimator: str
    noun = _SUBJECTS[subject].lower()
    chosen = config.estimator
    if subject != "review" and chosen == INVERSE_PROBABILITY:
        chosen = "auto"  # review probabilities weight review, not the outcome's resolution
    if chosen != "auto":
        estimator, reason = chosen, "chosen by the estimator option"
    elif subject == "review" and config.review_probability is not None:
        estimator = INVERSE_PROBABILITY
        reason = "the log gives each case's review probability"
    elif depends & {"score", "decision"}:
        estimator = POST_STRATIFIED
        found = " and ".join(sorted(depends & {"score", "decision"}))
        reason = f"{noun} depends on the {found}"
        if subject == "review":
            reason += "; the log gives no review probability"
    else:
        estimator = REVIEWED
        reason = f"no dependence of {noun} on the score or the model's decision was found"
    return Selection(tests=tests, estimator=estimator, reason=reason, subject=subject)


def _test(
    factor: str, attribute: str, cube: CountCube, keys: list[str], counts: np.ndarray
) -> dict[str, Any]:
    _, group, size = cube.grouping(keys)
    reviewed = np.bincount(group, counts[:, _REVIEWED].sum(axis=1), size)
    total = np.bincount(group, counts.sum(axis=1), size)
    return _row(factor, attribute, reviewed, total)


def _row(factor: str, attribute: str, reviewed: np.ndarray, total: np.ndarray) -> dict[str, Any]:
    present = total > 0
    reviewed, total = reviewed[present], total[present]
    p, dof = 1.0, max(len(total) - 1, 0)
    if dof and 0 < reviewed.sum() < total.sum():
        sets = np.zeros(len(total), dtype=np.int64)
        p = float(homogeneity_pvalue(reviewed, total, sets, n_sets=1)[0])
    rates = reviewed / total
    return {
        "factor": factor,
        "attribute": attribute,
        "dof": dof,
        "p_value": p,
        "lowest_rate": float(rates.min()) if rates.size else float("nan"),
        "highest_rate": float(rates.max()) if rates.size else float("nan"),
        "depends": bool(p < SELECTION_LEVEL),
    }


def with_notes(frame: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    """The metrics table with a plain note where a figure needs one to be read right.

    Reviewed-only error rates carry the selection warning when review (or knowing the
    outcome) depends on the score or the model's decision; weighted figures that cover
    only part of a group's cases say so (strata never reviewed are left out for every
    group).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of :func:`fairloop.metrics.metrics_frame`.
    selection : Selection
        What was found about how cases were selected.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with a ``note`` column.
    """
    warning = selection.warning()
    notes = np.full(len(frame), None, dtype=object)
    if warning:
        notes[(frame["estimator"] == REVIEWED).to_numpy()] = warning
    support = frame["support"].to_numpy(dtype=np.float64)
    partial = (frame["estimator"].isin([POST_STRATIFIED, INVERSE_PROBABILITY])).to_numpy() & (
        support < 1 - 1e-9
    )
    seen = "reviewed" if selection.subject == "review" else "with a known outcome"
    for i in np.flatnonzero(partial):
        notes[i] = (
            f"Covers {support[i]:.0%} of the group's cases: score bands and decisions never "
            f"{seen} for some group are left out, so groups are compared only where all "
            f"were {seen}."
        )
    out = frame.copy()
    out["note"] = notes
    return out

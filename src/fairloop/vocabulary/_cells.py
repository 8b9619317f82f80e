"""The confusion cells of a decision with a human in the loop: the cube's columns.

A case is in exactly one cell, decided by four facts: the model's decision is the positive
one, a human reviewed the case, (when reviewed) the human's final decision is the positive
one, and (when both are negative) the human chose another negative value than the model
(``refer`` to ``deny``: only decisions with more than two declared values can). The
binary reading of every metric adds ``tx`` to ``tn``; the override rate counts it.
:data:`CELL_RULES` is the one statement of that rule; the Python, numpy and SQL forms of it
(:func:`cells_of`, :func:`cell_sql`) are read from it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CELLS",
    "CELL_RULES",
    "REVIEWED_CELLS",
    "SCORE_SUMS",
    "SUM_SCALE",
    "WEIGHT_SUMS",
    "cell_sql",
    "cells_of",
]

#: Per cell: (model decision positive, reviewed, human decision positive, human chose another
#: negative value); None where a fact does not apply (not reviewed; not both negative).
CELL_RULES: Mapping[str, tuple[bool, bool, bool | None, bool | None]] = {
    "tp": (True, True, True, None),
    "fp": (True, True, False, None),
    "fn": (False, True, True, None),
    "tn": (False, True, False, False),
    "tx": (False, True, False, True),
    "pu": (True, False, None, None),
    "nu": (False, False, None, None),
}

#: The six confusion cells, in the cube's column order.
CELLS: tuple[str, ...] = tuple(CELL_RULES)
#: The cells of reviewed cases (a human's final decision is recorded).
REVIEWED_CELLS: tuple[str, ...] = tuple(c for c, rule in CELL_RULES.items() if rule[1])
#: Sums of the score per cell, kept for score-based summaries (mean score per group).
SCORE_SUMS: tuple[str, ...] = ("score_n", "score_sum")
#: The pass sums floats (scores, review weights) as integers in units of 1 / SUM_SCALE, and
#: the cube divides them back only after its own sums: every run, engine and row order then
#: adds them to the same figure (integer-valued floats add exactly below 2**53).
SUM_SCALE = 1_000_000_000
#: Sums over the reviewed cases of each reviewed cell of ``1 / p`` (``w_<cell>``) and of
#: ``(1 - p) / p**2`` (``v_<cell>``), ``p`` the case's review probability: inverse-probability
#: weighted counts and their variance terms.
WEIGHT_SUMS: tuple[str, ...] = tuple(f"w_{c}" for c in REVIEWED_CELLS) + tuple(
    f"v_{c}" for c in REVIEWED_CELLS
)


def cells_of(
    predicted: NDArray[np.bool_],
    reviewed: NDArray[np.bool_],
    label: NDArray[np.bool_],
    moved: NDArray[np.bool_] | None = None,
) -> NDArray[np.str_]:
    """The cell of every case at once.

    ``label`` is ignored where not reviewed, ``moved`` where the decisions are not both
    negative; without ``moved``, no case moved.

    Examples
    --------
    >>> cells_of(np.array([True, False]), np.array([True, False]), np.array([False, True]))
    array(['fp', 'nu'], dtype='<U2')
    """
    moved = np.zeros(predicted.shape, dtype=bool) if moved is None else moved
    facts = {
        True: (predicted, reviewed, label, moved),
        False: (~predicted, ~reviewed, ~label, ~moved),
    }
    conditions = []
    for rule in CELL_RULES.values():
        condition = np.ones(predicted.shape, dtype=bool)
        for position, fact in enumerate(rule):
            if fact is not None:
                condition = condition & facts[fact][position]
        conditions.append(condition)
    return np.asarray(np.select(conditions, list(CELLS), default=""))


def cell_sql(predicted: str, reviewed: str, label: str, moved: str = "FALSE") -> dict[str, str]:
    """SQL conditions placing a row in each cell, from conditions for the four facts.

    Parameters
    ----------
    predicted, reviewed, label, moved : str
        SQL boolean expressions: the model's decision is positive; the case was reviewed;
        the human's decision is positive; the human chose another negative value than the
        model (``FALSE`` for two-valued decisions).

    Examples
    --------
    >>> cell_sql("p", "r", "l")["fn"]
    'NOT p AND r AND l'
    >>> cell_sql("p", "r", "l", "m")["tx"]
    'NOT p AND r AND NOT l AND m'
    """
    expressions = (predicted, reviewed, label, moved)
    out = {}
    for cell, rule in CELL_RULES.items():
        parts = [
            expression if fact else f"NOT {expression}"
            for expression, fact in zip(expressions, rule, strict=True)
            if fact is not None
        ]
        out[cell] = " AND ".join(parts)
    return out

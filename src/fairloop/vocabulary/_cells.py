"""The six confusion cells of a decision with a human in the loop: the cube's columns.

A case is in exactly one cell, decided by three facts: the model's decision is the
favourable one, a human reviewed the case, and (when reviewed) the human's final decision
is the favourable one. :data:`CELL_RULES` is the one statement of that rule; the Python,
pandas and SQL forms of it (:func:`cell_of`, :func:`cell_sql`) are read from it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = ["CELLS", "CELL_RULES", "REVIEWED_CELLS", "SCORE_SUMS", "cell_of", "cell_sql", "cells_of"]

#: Per cell: (model decision favourable, reviewed, human decision favourable or None when
#: the case was not reviewed).
CELL_RULES: Mapping[str, tuple[bool, bool, bool | None]] = {
    "tp": (True, True, True),
    "fp": (True, True, False),
    "fn": (False, True, True),
    "tn": (False, True, False),
    "pu": (True, False, None),
    "nu": (False, False, None),
}

#: The six confusion cells, in the cube's column order.
CELLS: tuple[str, ...] = tuple(CELL_RULES)
#: The cells of reviewed cases (a human's final decision is recorded).
REVIEWED_CELLS: tuple[str, ...] = tuple(c for c, (_, reviewed, _) in CELL_RULES.items() if reviewed)
#: Sums of the score per cell, kept for score-based summaries (mean score per group).
SCORE_SUMS: tuple[str, ...] = ("score_n", "score_sum")


def cell_of(predicted: bool, reviewed: bool, label: bool | None) -> str:
    """The cell of one case.

    Examples
    --------
    >>> cell_of(True, True, False), cell_of(False, False, None)
    ('fp', 'nu')
    """
    key = (bool(predicted), bool(reviewed), bool(label) if reviewed else None)
    return next(cell for cell, rule in CELL_RULES.items() if rule == key)


def cells_of(
    predicted: NDArray[np.bool_], reviewed: NDArray[np.bool_], label: NDArray[np.bool_]
) -> NDArray[np.str_]:
    """The cell of every case at once (``label`` is ignored where not reviewed).

    Examples
    --------
    >>> cells_of(np.array([True, False]), np.array([True, False]), np.array([False, True]))
    array(['fp', 'nu'], dtype='<U2')
    """
    facts = {True: (predicted, reviewed, label), False: (~predicted, ~reviewed, ~label)}
    conditions = []
    for pred, rev, lab in CELL_RULES.values():
        condition = facts[pred][0] & facts[rev][1]
        conditions.append(condition if lab is None else condition & facts[lab][2])
    return np.asarray(np.select(conditions, list(CELLS), default=""))


def cell_sql(predicted: str, reviewed: str, label: str) -> dict[str, str]:
    """SQL conditions placing a row in each cell, from conditions for the three facts.

    Parameters
    ----------
    predicted, reviewed, label : str
        SQL boolean expressions: the model's decision is favourable; the case was
        reviewed; the human's decision is favourable.

    Examples
    --------
    >>> cell_sql("p", "r", "l")["fn"]
    'NOT p AND r AND l'
    """

    def fact(expr: str, value: bool) -> str:
        return expr if value else f"NOT {expr}"

    out = {}
    for cell, (pred, rev, lab) in CELL_RULES.items():
        parts = [fact(predicted, pred), fact(reviewed, rev)]
        if lab is not None:
            parts.append(fact(label, lab))
        out[cell] = " AND ".join(parts)
    return out

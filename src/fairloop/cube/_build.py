"""The count cube made from the result of the single pass over the rows.

The pass (:func:`fairloop.decision_log.run_cube_pass`) groups by every attribute, the
raw prediction and the raw label, so the checks can see values outside the declared
set; :func:`cube_from_aggregate` then maps them, on that small table, to the six
cells of :data:`CELLS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from fairloop.config import AuditConfig
from fairloop.cube._cube import CountCube
from fairloop.vocabulary import CELLS, MISSING_GROUP, Col, cells_of, favourable_values, token

__all__ = ["cube_from_aggregate"]

_CELL = Col.PREFIX + "cell"


def cube_from_aggregate(
    aggregate: pd.DataFrame,
    config: AuditConfig,
    orders: Mapping[str, tuple[str, ...]] | None = None,
) -> CountCube:
    """Map the raw aggregated table to a :class:`CountCube`.

    Parameters
    ----------
    aggregate : pandas.DataFrame
        The output of :func:`run_cube_pass`, already validated.
    config : AuditConfig
        Column roles and the favourable value.
    orders : mapping of str to tuple of str or None, default=None
        The order the input declares for an attribute's values (a categorical's).

    Returns
    -------
    CountCube
    """
    attributes = [*config.sensitive, *config.context]
    if config.reviewer is not None:
        attributes.append(config.reviewer)  # a key like the attributes, for reviewer signals
    window = Col.WINDOW if Col.WINDOW in aggregate else None
    if window is not None:
        attributes.append(window)  # a key too: trends, and cubes that add up by window
    frame = aggregate.copy()
    for column in attributes:
        frame[column] = frame[column].where(frame[column].notna(), MISSING_GROUP)
    pred_pos = _is_positive(frame[Col.PREDICTION], config.positive)
    reviewed = frame[Col.LABEL].notna().to_numpy()
    label_pos = _is_positive(frame[Col.LABEL], config.positive)
    moved = np.zeros(len(frame), dtype=bool)
    if config.many_values:
        # a human who chose another negative value than the model's (refer to deny)
        moved = _tokens(frame[Col.PREDICTION]) != _tokens(frame[Col.LABEL])
    frame[_CELL] = cells_of(pred_pos, reviewed, label_pos, moved)
    # attributes is never empty: an audit needs at least one sensitive attribute.
    grouped = frame.groupby([*attributes, _CELL], sort=True)[Col.N].sum()
    counts = grouped.unstack(_CELL, fill_value=0).reindex(columns=list(CELLS), fill_value=0)
    if Col.SCORE_N in frame:
        score = frame.groupby(attributes, sort=True)[[Col.SCORE_N, Col.SCORE_SUM]].sum()
        score.columns = ["score_n", "score_sum"]
        counts = counts.join(score.fillna(0.0))
    cells = counts.reset_index()
    cells.columns.name = None
    return CountCube(
        tuple(config.sensitive), tuple(config.context), cells, config.reviewer, window,
        transitions=_transitions(frame, config), orders=dict(orders or {}),
    )  # fmt: skip


def _transitions(frame: pd.DataFrame, config: AuditConfig) -> pd.DataFrame:
    """Reviewed cases per sensitive group by the model's and the human's value (as text)."""
    reviewed = frame[frame[Col.LABEL].notna()]
    model, human = _tokens(reviewed[Col.PREDICTION]), _tokens(reviewed[Col.LABEL])
    parts = []
    for attribute in config.sensitive:
        part = pd.DataFrame({
            "group": reviewed[attribute].to_numpy(), "model": model, "human": human,
            "n": reviewed[Col.N].to_numpy(),
        })  # fmt: skip
        counts = part.groupby(["group", "model", "human"], sort=True)["n"].sum().reset_index()
        parts.append(counts.assign(attribute=attribute))
    columns = ["attribute", "group", "model", "human", "n"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)[columns]
    out["n"] = out["n"].astype(np.int64)
    return out


def _tokens(values: pd.Series) -> np.ndarray:
    """Each raw decision value as its text token (each distinct value converted once)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.asarray([token(v) for v in uniques] + [None], dtype=object)
    return texts[codes]


def _is_positive(values: pd.Series, positive: Any) -> np.ndarray:
    """Whether each raw decision value is the favourable one, matched as text."""
    positives = favourable_values(pd.unique(values.dropna()), positive)
    return values.isin(positives).to_numpy() if positives else np.zeros(len(values), bool)

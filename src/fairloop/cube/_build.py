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
from fairloop.cube._bands import ScoreBands
from fairloop.cube._cube import CountCube
from fairloop.vocabulary import (
    CELLS,
    MISSING_GROUP,
    REVIEWED_CELLS,
    SUM_SCALE,
    Col,
    cells_of,
    favourable_values,
    token,
)

__all__ = ["cube_from_aggregate"]

_CELL = Col.PREFIX + "cell"


def cube_from_aggregate(
    aggregate: pd.DataFrame,
    config: AuditConfig,
    orders: Mapping[str, tuple[str, ...]] | None = None,
    *,
    bands: ScoreBands | None = None,
    scored: pd.DataFrame | None = None,
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
    bands : ScoreBands or None, default=None
        How the pass banded the score (its :attr:`Col.BAND` key): the cube then has the
        score's strata as a key, and per sensitive group and fine band the counts of
        :attr:`CountCube.scores`.
    scored : pandas.DataFrame or None, default=None
        When the pass grouped the keys by the score's stratum and, in a second grouping
        set, the sensitive attributes and decisions by the fine band (:attr:`Col.FINE`):
        that second grouping.

    Returns
    -------
    CountCube
    """
    attributes = [*config.sensitive, *config.context]
    if config.reviewer is not None:
        attributes.append(config.reviewer)  # a key like the attributes, for reviewer signals
    window = Col.WINDOW if Col.WINDOW in aggregate else None
    frame = aggregate.copy()
    for column in attributes:
        frame[column] = frame[column].where(frame[column].notna(), MISSING_GROUP)
    band = None
    fine = None
    if bands is not None and Col.BAND in frame:
        band = Col.BAND
        if scored is None:
            fine = bands.fine_index(frame[Col.BAND])
            frame[band] = bands.stratum_label_of(fine)
        else:  # the pass grouped the keys by the stratum itself
            stratum = pd.to_numeric(frame[Col.BAND], errors="coerce").to_numpy(dtype=float)
            labels = np.asarray([*bands.stratum_labels(), MISSING_GROUP], dtype=object)
            index = np.where(np.isnan(stratum), len(labels) - 1, np.nan_to_num(stratum))
            frame[band] = labels[np.clip(index.astype(np.int64), 0, len(labels) - 1)]
        attributes.append(band)  # a key: the strata that weight reviewed cases
    if window is not None:
        attributes.append(window)  # a key too: trends, and cubes that add up by window
        frame[window] = frame[window].where(frame[window].notna(), MISSING_GROUP)
    frame[_CELL] = _cells(frame, config)
    # attributes is never empty: an audit needs at least one sensitive attribute.
    grouped = frame.groupby([*attributes, _CELL], sort=True)[Col.N].sum()
    counts = grouped.unstack(_CELL, fill_value=0).reindex(columns=list(CELLS), fill_value=0)
    if Col.SCORE_N in frame:
        score = frame.groupby(attributes, sort=True)[[Col.SCORE_N, Col.SCORE_SUM]].sum()
        score.columns = ["score_n", "score_sum"]
        score["score_sum"] /= SUM_SCALE
        counts = counts.join(score.fillna(0.0))
    if Col.WEIGHT in frame:
        counts = counts.join(_weight_sums(frame, attributes)).fillna(0.0)
    cells = counts.reset_index()
    cells.columns.name = None
    scores = None
    if fine is not None:
        scores = _score_cells(frame.assign(fine=fine), list(config.sensitive), window)
    elif scored is not None and bands is not None:
        part = scored.copy()
        for column in [*config.sensitive, *([window] if window else [])]:
            part[column] = part[column].where(part[column].notna(), MISSING_GROUP)
        part[_CELL] = _cells(part, config)
        scores = _score_cells(part.assign(fine=bands.fine_index(part[Col.FINE])),
                              list(config.sensitive), window)  # fmt: skip
    return CountCube(
        tuple(config.sensitive), tuple(config.context), cells, config.reviewer, window,
        transitions=_transitions(frame, config), orders=dict(orders or {}), band=band,
        bands=bands if band is not None else None, scores=scores,
        reasons=_reasons(frame, config) if Col.REASON in frame else None,
    )  # fmt: skip


def _cells(frame: pd.DataFrame, config: AuditConfig) -> np.ndarray:
    """The confusion cell of each aggregated row, from its raw decisions."""
    pred_pos = _is_positive(frame[Col.PREDICTION], config.positive)
    reviewed = frame[Col.LABEL].notna().to_numpy()
    label_pos = _is_positive(frame[Col.LABEL], config.positive)
    moved = np.zeros(len(frame), dtype=bool)
    if config.many_values:
        # a human who chose another negative value than the model's (refer to deny)
        moved = _tokens(frame[Col.PREDICTION]) != _tokens(frame[Col.LABEL])
    return cells_of(pred_pos, reviewed, label_pos, moved)


def _weight_sums(frame: pd.DataFrame, attributes: list[str]) -> pd.DataFrame:
    """Per key combination and reviewed cell, the sums of 1 / p and (1 - p) / p**2."""
    sums = frame[frame[_CELL].isin(REVIEWED_CELLS)]
    table = sums.groupby([*attributes, _CELL], sort=True)[[Col.WEIGHT, Col.WEIGHT_VAR]].sum()
    wide = table.unstack(_CELL, fill_value=0.0)
    out = pd.DataFrame(index=wide.index)
    for cell in REVIEWED_CELLS:
        for prefix, column in (("w", Col.WEIGHT), ("v", Col.WEIGHT_VAR)):
            key = (column, cell)
            out[f"{prefix}_{cell}"] = wide.get(key, 0.0)
    return out.astype(np.float64) / SUM_SCALE


def _score_cells(
    frame: pd.DataFrame, sensitive: list[str], window: str | None = None
) -> pd.DataFrame:
    """Per sensitive group and fine score band: the cells and the sums of the score.

    The score is summed over every case (``score_sum``) and over reviewed cases
    (``reviewed_score_sum``, for calibration against the human's decision).
    """
    keys = [*sensitive, *([window] if window else []), "fine"]
    grouped = frame.groupby([*keys, _CELL], sort=True)[Col.N].sum()
    counts = grouped.unstack(_CELL, fill_value=0).reindex(columns=list(CELLS), fill_value=0)
    reviewed = frame[_CELL].isin(REVIEWED_CELLS)
    sums = frame.assign(reviewed_score_sum=frame[Col.SCORE_SUM].where(reviewed, 0.0))
    scored = sums.groupby(keys, sort=True)[[Col.SCORE_SUM, "reviewed_score_sum"]].sum()
    counts = counts.join(
        scored.rename(columns={Col.SCORE_SUM: "score_sum"}).fillna(0.0) / SUM_SCALE
    )
    if Col.WEIGHT in frame:  # inverse-probability weights, for weighted score figures
        counts = counts.join(_weight_sums(frame, keys)).fillna(0.0)
    out = counts.reset_index()
    out.columns.name = None
    return out


def _reasons(frame: pd.DataFrame, config: AuditConfig) -> pd.DataFrame:
    """Reviewed cases per sensitive attribute, group and review reason (as text)."""
    reviewed = frame[frame[Col.LABEL].notna()]
    reason = reviewed[Col.REASON].where(reviewed[Col.REASON].notna(), MISSING_GROUP)
    parts = []
    for attribute in config.sensitive:
        part = pd.DataFrame({"group": reviewed[attribute].to_numpy(),
                             "reason": reason.astype(str).to_numpy(),
                             "n": reviewed[Col.N].to_numpy()})  # fmt: skip
        counts = part.groupby(["group", "reason"], sort=True)["n"].sum().reset_index()
        parts.append(counts.assign(attribute=attribute))
    columns = ["attribute", "group", "reason", "n"]
    out = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    out["n"] = out["n"].astype(np.int64)
    return out


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

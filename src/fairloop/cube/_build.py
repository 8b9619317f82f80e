"""The count cube made from the result of the single pass over the rows.

The pass (:func:`fairloop.decision_log.run_cube_pass`) groups by every attribute, the
raw prediction and the raw label, so the checks can see values outside the declared
set; :func:`cube_from_aggregate` then maps them, on that small table, to the six
cells of :data:`CELLS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairloop.config import AuditConfig
from fairloop.cube._bands import ScoreBands
from fairloop.cube._cube import CountCube, Outcomes, WindowStrata
from fairloop.cube._outcomes import JOINT_COLUMNS
from fairloop.vocabulary import (
    CELLS,
    MISSING_GROUP,
    REVIEWED_CELLS,
    SUM_SCALE,
    WEIGHT_SUMS,
    Col,
    cells_of,
    favourable_values,
    token,
)

__all__ = ["ScoreParts", "cube_from_aggregate", "decision_cells"]

_CELL = Col.PREFIX + "cell"


@dataclass(frozen=True)
class ScoreParts:
    """The score's groupings an engine counted apart from the keys' in its pass.

    Parameters
    ----------
    scored : pandas.DataFrame
        The sensitive attributes and raw decisions by fine band (:attr:`Col.FINE`), and
        time window when there are windows.
    strata : pandas.DataFrame
        The sensitive and context attributes by stratum (:attr:`Col.BAND`), one column
        per cell (:attr:`Col.PREFIX` + cell), the score sums and, per reviewed cell,
        the review-weight sums (:attr:`Col.PREFIX` + ``w_``/``v_`` + cell).
    reviewer_strata : pandas.DataFrame or None, default=None
        Likewise by the sensitive attributes, the reviewer and stratum.
    by_window : callable or None, default=None
        With time windows: makes both by window too (:attr:`Col.WINDOW`), on first use.
    reviewer_outcomes : pandas.DataFrame or None, default=None
        With an outcome and a reviewer: the sensitive attributes, reviewer and stratum
        (:attr:`Col.BAND`) with the raw decisions and outcome, and their counts.
    """

    scored: pd.DataFrame
    strata: pd.DataFrame
    reviewer_strata: pd.DataFrame | None = None
    by_window: Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]] | None = None
    reviewer_outcomes: pd.DataFrame | None = None


def cube_from_aggregate(
    aggregate: pd.DataFrame,
    config: AuditConfig,
    orders: Mapping[str, tuple[str, ...]] | None = None,
    *,
    bands: ScoreBands | None = None,
    parts: ScoreParts | None = None,
) -> CountCube:
    """Map the raw aggregated table to a :class:`CountCube`.

    Parameters
    ----------
    aggregate : pandas.DataFrame
        The output of :func:`run_cube_pass`, already validated: the keys' grouping.
    config : AuditConfig
        Column roles and the favourable value.
    orders : mapping of str to tuple of str or None, default=None
        The order the input declares for an attribute's values (a categorical's).
    bands : ScoreBands or None, default=None
        How the pass banded the score: the cube then has, per sensitive group and fine
        band, the counts of :attr:`CountCube.scores`, and the counts by the score's
        strata of :attr:`CountCube.strata` and :attr:`CountCube.reviewer_strata`.
    parts : ScoreParts or None, default=None
        The score's groupings, when the engine counted them apart (grouping sets).
        Otherwise ``aggregate`` holds the fine band as :attr:`Col.BAND` and each is
        summed from it.

    Returns
    -------
    CountCube
    """
    sensitive, context = list(config.sensitive), list(config.context)
    reviewer = [config.reviewer] if config.reviewer is not None else []
    window = [Col.WINDOW] if Col.WINDOW in aggregate else []
    # the reviewer and the window are keys like the attributes: reviewer signals, trends
    # and cubes that add up by window
    keys = [*sensitive, *context, *reviewer, *window]
    frame = _prepared(aggregate, keys, config)
    by_band = bands is not None and (parts is not None or Col.BAND in frame)
    scores: pd.DataFrame | None = None
    strata: dict[str, Any] = {}
    stratified: pd.DataFrame | None = None  # by score stratum, for the outcomes
    if bands is not None and by_band:
        common: dict[str, Any] = {"orders": dict(orders or {}), "band": Col.BAND,
                                  "bands": bands}  # fmt: skip
        strata_keys = [*sensitive, *context, Col.BAND]
        reviewer_keys = [*sensitive, *reviewer, Col.BAND]

        def cubes(
            strata_cells: pd.DataFrame, reviewer_cells: pd.DataFrame | None, by_window: bool
        ) -> tuple[CountCube, CountCube | None]:
            key: dict[str, Any] = {"window": Col.WINDOW} if by_window else {}
            made = CountCube(tuple(sensitive), tuple(context), strata_cells, **key, **common)
            if not reviewer or reviewer_cells is None:
                return made, None
            return made, CountCube(tuple(sensitive), (), reviewer_cells,
                                   reviewer=reviewer[0], **key, **common)  # fmt: skip

        if parts is None:  # one grouping by the fine band: the others are sums of it
            fine = bands.fine_index(frame[Col.BAND])
            score_frame = frame.assign(fine=fine)
            banded = frame.assign(**{Col.BAND: bands.stratum_label_of(fine)})
            stratified = banded
            made = cubes(
                _cell_table(banded, [*strata_keys, *window]),
                _cell_table(banded, [*reviewer_keys, *window]) if reviewer else None,
                bool(window),
            )
            if window:
                strata = WindowStrata.given(*made).fields()
            else:
                strata = {"strata": made[0], "reviewer_strata": made[1]}
        else:
            score_frame = _prepared(parts.scored, [*sensitive, *window], config)
            score_frame["fine"] = bands.fine_index(score_frame[Col.FINE])
            summed = cubes(
                _engine_cells(parts.strata, strata_keys, bands),
                None
                if parts.reviewer_strata is None
                else _engine_cells(parts.reviewer_strata, reviewer_keys, bands),
                False,
            )
            strata = {"strata": summed[0], "reviewer_strata": summed[1]}
            load = parts.by_window
            if load is not None:

                def by_window() -> tuple[CountCube, CountCube | None]:
                    assert load is not None  # for the type checker: checked above
                    frames = load()
                    return cubes(
                        _engine_cells(frames[0], [*strata_keys, Col.WINDOW], bands),
                        None
                        if frames[1] is None
                        else _engine_cells(frames[1], [*reviewer_keys, Col.WINDOW], bands),
                        True,
                    )

                strata["window_strata"] = WindowStrata(by_window)
        scores = _score_cells(score_frame, sensitive, window[0] if window else None)
    outcomes = None
    if Col.OUTCOME in frame:
        if reviewer and bands is not None and parts is not None:
            stratified = (
                None
                if parts.reviewer_outcomes is None
                else _with_strata(
                    _prepared(parts.reviewer_outcomes, [*sensitive, *reviewer], config), bands
                )
            )
        outcomes = _outcomes(
            frame, config, [*sensitive, *context], reviewer, orders,
            stratified if reviewer else None,
        )  # fmt: skip
    return CountCube(
        tuple(sensitive), tuple(context), _cell_table(frame, keys), config.reviewer,
        window[0] if window else None, transitions=_transitions(frame, config),
        orders=dict(orders or {}), bands=bands if by_band else None, scores=scores,
        reasons=_reasons(frame, config) if Col.REASON in frame else None,
        outcomes=outcomes, **strata,
    )  # fmt: skip


def _outcomes(
    frame: pd.DataFrame,
    config: AuditConfig,
    attributes: list[str],
    reviewer: list[str],
    orders: Mapping[str, tuple[str, ...]] | None,
    banded: pd.DataFrame | None = None,
) -> Outcomes:
    """The model's and the final decisions against the outcome (see :class:`Outcomes`).

    The outcome plays the human's part in the usual cells: a case whose outcome is known
    is "reviewed"; the final decision is the human's where a human reviewed the case,
    the model's otherwise. Review weights are left out: they weight review, not
    resolution. ``banded``: a grouping with the score's stratum (:attr:`Col.BAND`), from
    which the joint table by sensitive attribute, reviewer and stratum is made.
    """
    model, final, known, truth = _decisions(frame, config)
    plain = frame.drop(columns=[c for c in (Col.WEIGHT, Col.WEIGHT_VAR) if c in frame])
    sensitive = tuple(config.sensitive)
    context = tuple(a for a in attributes if a not in sensitive)
    kept = dict(orders or {})
    model_cells = _cell_table(plain.assign(**{_CELL: cells_of(model, known, truth)}), attributes)
    final_cells = _cell_table(
        plain.assign(**{_CELL: cells_of(final, known, truth)}), [*attributes, *reviewer]
    )
    strata = None
    if banded is not None:
        strata = _joint(banded, [*sensitive, *reviewer, Col.BAND], *_decisions(banded, config))
    return Outcomes(
        CountCube(sensitive, context, model_cells, orders=kept),
        CountCube(sensitive, context, final_cells, reviewer[0] if reviewer else None, orders=kept),
        _joint(plain, [*attributes, *reviewer], model, final, known, truth),
        strata,
    )


def _decisions(
    frame: pd.DataFrame, config: AuditConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row of a grouping: model positive, final positive, outcome known, outcome positive."""
    model = _is_positive(frame[Col.PREDICTION], config.positive)
    reviewed = frame[Col.LABEL].notna().to_numpy()
    final = np.where(reviewed, _is_positive(frame[Col.LABEL], config.positive), model)
    known = frame[Col.OUTCOME].notna().to_numpy()
    return model, final, known, _is_positive(frame[Col.OUTCOME], config.outcome_value)


def _joint(
    frame: pd.DataFrame,
    keys: list[str],
    model: np.ndarray,
    final: np.ndarray,
    known: np.ndarray,
    truth: np.ndarray,
) -> pd.DataFrame:
    """Cases by the keys, model decision, final decision and outcome (:data:`JOINT_COLUMNS`)."""
    outcome = np.where(known, truth.astype(np.int64), 2)
    code = (
        (1 - model.astype(np.int64)) * 6
        + (1 - final.astype(np.int64)) * 3
        + np.where(outcome == 2, 2, 1 - outcome)
    )
    joint = (
        frame.assign(code=np.asarray(JOINT_COLUMNS, dtype=object)[code])
        .groupby([*keys, "code"], sort=True)[Col.N]
        .sum()
        .unstack("code", fill_value=0)
        .reindex(columns=list(JOINT_COLUMNS), fill_value=0)
        .reset_index()
    )
    joint.columns.name = None
    return joint


def _prepared(aggregate: pd.DataFrame, keys: list[str], config: AuditConfig) -> pd.DataFrame:
    """A grouping of the pass with missing key values named, and each row's cell."""
    frame = aggregate.copy(deep=False)  # copy on write: the aggregate stays as it was
    for column in keys:
        if frame[column].hasnans:
            frame[column] = frame[column].where(frame[column].notna(), MISSING_GROUP)
    frame[_CELL] = _cells(frame, config)
    return frame


def _with_strata(frame: pd.DataFrame, bands: ScoreBands) -> pd.DataFrame:
    """The stratum label of a grouping keyed by stratum (or, for an exact score, value)."""
    if bands.exact is not None:
        frame[Col.BAND] = bands.stratum_label_of(bands.fine_index(frame[Col.BAND]))
        return frame
    stratum = pd.to_numeric(frame[Col.BAND], errors="coerce").to_numpy(dtype=float)
    labels = np.asarray([*bands.stratum_labels(), MISSING_GROUP], dtype=object)
    index = np.where(np.isnan(stratum), len(labels) - 1, np.nan_to_num(stratum))
    frame[Col.BAND] = labels[np.clip(index.astype(np.int64), 0, len(labels) - 1)]
    return frame


def _engine_cells(frame: pd.DataFrame, keys: list[str], bands: ScoreBands) -> pd.DataFrame:
    """Cells of a grouping the engine spread by cell itself (see :class:`ScoreParts`).

    Named and scaled as the cube's cells, keys with missing values named, strata
    labelled; rows whose keys then coincide (strata of several exact score values, a
    literal ``(missing)`` beside missing values) added up; sorted by the keys as pandas
    groups them: an engine returns groups in any order, and sums over the cells (the
    weighting's) must not depend on it, to the last bit.
    """
    out = frame.copy(deep=False)  # copy on write: the grouping stays as it was
    out = _with_strata(out, bands)
    names = {f"{Col.PREFIX}{c}": c for c in (*CELLS, *WEIGHT_SUMS)}
    names.update({Col.SCORE_N: "score_n", Col.SCORE_SUM: "score_sum"})
    out = out.rename(columns=names)
    for column in ("score_sum", *WEIGHT_SUMS):
        if column in out:
            out[column] = out[column].astype(np.float64) / SUM_SCALE
    # the keys' sorted codes (a missing value, code -1, named first), then one stable sort:
    # what sort_values(keys) gives, without comparing text row by row; rows whose keys
    # coincide sit side by side
    factors = []
    for k in keys:
        code, values = pd.factorize(out[k], sort=True)
        if (code < 0).any():
            out[k] = out[k].where(out[k].notna(), MISSING_GROUP)
            code, values = pd.factorize(out[k], sort=True)
        factors.append((code, values))
    order = _key_order(factors, len(out))
    if not _run_starts(factors, order)[1:].all():  # two rows with the same keys
        return out.groupby(keys, sort=True).sum().reset_index()
    return out.iloc[order].reset_index(drop=True)


def _cell_table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts per combination of the keys and cell, with the score and weight sums."""
    # keys is never empty: an audit needs at least one sensitive attribute.
    scored = Col.SCORE_N in frame
    if Col.WEIGHT not in frame and not frame[keys].isna().to_numpy().any():
        return _sorted_cell_table(frame, keys, scored)
    summed = [Col.N, *([Col.SCORE_N, Col.SCORE_SUM] if scored else [])]
    grouped = frame.groupby([*keys, _CELL], sort=True)[summed].sum()
    counts = grouped[Col.N].unstack(_CELL, fill_value=0).reindex(columns=list(CELLS), fill_value=0)
    if scored:  # the score sums of every cell of a key combination
        score = grouped[[Col.SCORE_N, Col.SCORE_SUM]].groupby(level=list(range(len(keys)))).sum()
        score.columns = ["score_n", "score_sum"]
        score["score_sum"] /= SUM_SCALE
        counts = counts.join(score.fillna(0.0))
    if Col.WEIGHT in frame:
        counts = counts.join(_weight_sums(frame, keys)).fillna(0.0)
    cells = counts.reset_index()
    cells.columns.name = None
    return cells


def _key_order(factors: list[tuple[np.ndarray, Any]], size: int) -> np.ndarray:
    """The stable order of rows by several keys, each given as sorted codes (factorize).

    One stable argsort of the codes combined into one integer when their combinations
    fit, else a lexsort.
    """
    if not factors:
        return np.arange(size)
    span = 1
    for _, values in factors:
        span *= max(len(values), 1)
    if span >= 2**62:
        return np.lexsort([code for code, _ in factors][::-1])
    combined = np.zeros(size, dtype=np.int64)
    for code, values in factors:
        combined = combined * max(len(values), 1) + code
    return np.argsort(combined, kind="stable")


def _run_starts(factors: list[tuple[np.ndarray, Any]], order: np.ndarray) -> np.ndarray:
    """In the rows taken in ``order``, where a new combination of the keys' codes starts."""
    change = np.zeros(len(order), dtype=bool)
    change[:1] = True
    for code, _ in factors:
        ordered = code[order]
        change[1:] |= ordered[1:] != ordered[:-1]
    return change


def _sorted_cell_table(frame: pd.DataFrame, keys: list[str], scored: bool) -> pd.DataFrame:
    """:func:`_cell_table` on the keys' sorted codes: one lexsort, then sums by bincount.

    The same table (rows in the keys' sorted order, the cells spread as columns) as the
    pandas grouping, without grouping text.
    """
    factors = [pd.factorize(frame[k], sort=True) for k in keys]
    order = _key_order(factors, len(frame))
    change = _run_starts(factors, order)
    group = np.empty(len(frame), dtype=np.int64)
    group[order] = np.cumsum(change) - 1
    firsts = order[change]
    size = len(firsts)
    cell = pd.Categorical(frame[_CELL], categories=list(CELLS)).codes.astype(np.int64)
    counts = np.bincount(group * len(CELLS) + cell, frame[Col.N].to_numpy(np.float64),
                         size * len(CELLS)).reshape(size, len(CELLS))  # fmt: skip
    cells = pd.DataFrame({k: frame[k].iloc[firsts].reset_index(drop=True) for k in keys})
    for j, name in enumerate(CELLS):
        cells[name] = np.rint(counts[:, j]).astype(np.int64)
    if scored:  # the score sums of every cell of a key combination
        cells["score_n"] = np.bincount(group, frame[Col.SCORE_N].to_numpy(np.float64), size)
        total = np.bincount(group, frame[Col.SCORE_SUM].to_numpy(np.float64), size)
        cells["score_sum"] = total / SUM_SCALE
    return cells


def decision_cells(frame: pd.DataFrame, config: AuditConfig) -> np.ndarray:
    """The confusion cell of each row of a grouping, from its raw decisions.

    Parameters
    ----------
    frame : pandas.DataFrame
        With the pass's :attr:`Col.PREDICTION` and :attr:`Col.LABEL` columns.
    config : AuditConfig
        The favourable value, and whether decisions have more than two values.

    Returns
    -------
    numpy.ndarray
        One cell name (:data:`CELLS`) per row.
    """
    return _cells(frame, config)


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
    # sorted codes of the decisions' tokens, then per attribute of its values: one bincount
    # of the combined codes counts the cases in (value, model, human) order
    model, models = pd.factorize(_tokens(reviewed[Col.PREDICTION]), sort=True)
    human, humans = pd.factorize(_tokens(reviewed[Col.LABEL]), sort=True)
    n = reviewed[Col.N].to_numpy(np.int64)
    parts = []
    for attribute in config.sensitive:
        group, groups = pd.factorize(reviewed[attribute], sort=True)
        known = (group >= 0) & (model >= 0) & (human >= 0)
        combined = (group[known] * len(models) + model[known]) * len(humans) + human[known]
        counts = np.bincount(combined, n[known], len(groups) * len(models) * len(humans))
        present = np.flatnonzero(np.bincount(combined, minlength=len(counts)))
        cell, h = np.divmod(present, len(humans))
        g, m = np.divmod(cell, len(models))
        parts.append(pd.DataFrame({
            "group": np.asarray(groups, dtype=object)[g],
            "model": np.asarray(models, dtype=object)[m],
            "human": np.asarray(humans, dtype=object)[h],
            "n": counts[present].astype(np.int64), "attribute": attribute,
        }))  # fmt: skip
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

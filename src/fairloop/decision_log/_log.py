"""DecisionLog: a validated decision log, reduced to its count cube in one pass."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

import fairloop.decision_log._checks as checks
from fairloop.config import AuditConfig
from fairloop.cube import (
    Agreement,
    CountCube,
    ScoreBands,
    cube_from_aggregate,
    decision_cells,
)
from fairloop.decision_log._open import open_source
from fairloop.decision_log._source import Aggregation, Source
from fairloop.decision_log._sql import cell_conditions
from fairloop.exceptions import DecisionLogError
from fairloop.vocabulary import METRICS, MISSING_GROUP, Col, favourable_values, token

__all__ = ["DecisionLog", "read_decision_log", "run_cube_pass"]


@dataclass(frozen=True, eq=False)
class DecisionLog:
    """A decision log that passed validation, with its count cube.

    Build it with :func:`read_decision_log`.

    Parameters
    ----------
    source : Source
        Where the rows live (kept for the data hash; the rows are not read again).
    config : AuditConfig
        Column roles and options.
    cube : CountCube
        Counts per cell.
    period : tuple of pandas.Timestamp or None
        First and last decision time, when the log has a time column.
    missing_values : dict of str to int
        Rows kept as the ``(missing)`` group, per sensitive or context attribute.
    """

    source: Source
    config: AuditConfig
    cube: CountCube
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None
    missing_values: dict[str, int] = field(default_factory=dict)

    digest: Future[str] | None = field(default=None, repr=False)
    #: The raw prediction and label values that are the favourable decision.
    positive_values: dict[str, list[Any]] = field(default_factory=dict)
    #: For decisions with more than two declared values: each decision column's raw values
    #: and their text tokens (empty otherwise).
    value_tokens: dict[str, dict[Any, str]] = field(default_factory=dict)

    def sample_cases(self, flags: pd.DataFrame, *, k: int = 10) -> list[list[str]]:
        """A stable sample of case ids behind each flag, for the reviewer.

        Cases are drawn from the subgroup's cells that make the gap: where the group's
        rate is higher, its numerator (the false positives of a false positive rate);
        where lower, the rest of its denominator. For a flag measured against the
        outcome (source ``outcome``), from the subgroup's overrides that the outcome
        proved wrong. Needs a case id column.

        Parameters
        ----------
        flags : pandas.DataFrame
            Flags with ``subgroup``, ``metric`` and ``difference``.
        k : int, default=10
            Cases per flag.

        Returns
        -------
        list of list of str
        """
        case_id = self.config.case_id
        if case_id is None or k == 0:
            return [[] for _ in range(len(flags))]
        source = self.source
        cell_sql = cell_conditions(
            source, self.config.prediction, self.config.label, self.positive_values,
            tokens=self.value_tokens or None,
        )  # fmt: skip
        wheres: list[str] = []
        wrong_override = self._wrong_override_sql(cell_sql)
        for subgroup, metric, difference, flag_source in zip(
            flags["subgroup"], flags["metric"], flags["difference"], flags["source"], strict=True
        ):
            spec = METRICS[metric]
            cells = (
                spec.numerator
                if difference > 0
                else tuple(c for c in spec.denominator if c not in spec.numerator)
            )
            conditions = [
                source.text_equals(column, None if value == MISSING_GROUP else value)
                for column, value in subgroup.items()
            ]
            if flag_source == "outcome" and wrong_override is not None:
                conditions.append(wrong_override)
            else:
                conditions.append("(" + " OR ".join(f"({cell_sql[c]})" for c in cells) + ")")
            wheres.append(" AND ".join(conditions))
        return source.sample_ids(case_id, wheres, k)

    def _wrong_override_sql(self, cell_sql: Mapping[str, str]) -> str | None:
        """SQL: a reviewed case the human overrode, which the known outcome proved wrong."""
        outcome = self.config.outcome
        if outcome is None:
            return None
        source = self.source
        positive = source.in_values(outcome, self.positive_values.get("outcome", []))
        known = f"({source.decision_expr(outcome)} IS NOT NULL)"
        # overridden to negative (fp, tx) when it was positive; to positive (fn) when not
        to_negative = " OR ".join(f"({cell_sql[c]})" for c in ("fp", "tx"))
        return (
            f"({known} AND ((({to_negative}) AND {positive}) OR "
            f"(({cell_sql['fn']}) AND NOT {positive})))"
        )

    @cached_property
    def sha256(self) -> str:
        """Hex sha256 of the input file, or of a canonical form of the table's used columns."""
        if self.digest is not None:
            return self.digest.result()
        return self.source.sha256(self.used_columns)

    @property
    def used_columns(self) -> list[str]:
        """Every column the configuration gives a role."""
        return _role_columns(self.config)

    @property
    def rows(self) -> int:
        """Number of cases."""
        return self.cube.n_rows

    def describe_source(self) -> dict[str, Any]:
        """Where the log came from, for provenance."""
        return self.source.provenance()


def _role_columns(config: AuditConfig) -> list[str]:
    out: list[str] = []
    for value in config.roles.values():
        out.extend([value] if isinstance(value, str) else value)
    return out


def score_bands(source: Source, config: AuditConfig) -> ScoreBands | None:
    """How the pass bands the score: its values when it has few, else equal-width bands.

    A small query first asks for at most ``score_bins + 1`` distinct scores (it stops as
    soon as it has found that many), so that a decile score is counted value by value
    and its ROC AUC is exact.
    """
    if config.score is None:
        return None
    bins = config.score_bins
    values = source.distinct_scores(config.score, source.kind(config.score), bins + 1)
    exact = tuple(values) if len(values) <= bins else None
    return ScoreBands(bins=bins, strata=config.strata_bands, exact=exact)


def run_cube_pass(
    source: Source, config: AuditConfig, bands: ScoreBands | None = None
) -> pd.DataFrame:
    """Run THE single pass over the rows: one grouped aggregation that the cube is made from.

    Parameters
    ----------
    source : Source
        The opened decision log.
    config : AuditConfig
        Column roles.

    Returns
    -------
    pandas.DataFrame
        One row per observed (attributes, prediction, label) combination, with the
        row count ``n`` and the score and time aggregates the checks need.
    """
    spec = Aggregation(
        attributes=[*config.sensitive, *config.context]
        + ([config.reviewer] if config.reviewer is not None else []),
        prediction=config.prediction,
        label=config.label,
        score=config.score,
        score_kind=source.kind(config.score) if config.score else None,
        time=config.time,
        time_kind=source.kind(config.time) if config.time else None,
        window=config.window,
        bands=bands,
        review_probability=config.review_probability,
        review_probability_kind=(
            source.kind(config.review_probability) if config.review_probability else None
        ),
        review_reason=config.review_reason,
        outcome=config.outcome,
        sensitive=list(config.sensitive),
        reviewer=config.reviewer,
    )
    return source.aggregate(spec)


def read_decision_log(
    data: Any, config: AuditConfig, *, progress: Callable[[float], None] | None = None
) -> DecisionLog:
    """Validate a decision log and build its count cube in one pass over the rows.

    Every problem is collected and raised together in one :class:`DecisionLogError`.

    Parameters
    ----------
    data : DataFrame, Table, str or Path
        A pandas, polars or pyarrow table, or a CSV or Parquet path (read by DuckDB
        straight from disk).
    config : AuditConfig
        Column roles and options.
    progress : callable or None, default=None
        Called with the share of the grouped pass done (0 to 1) while it runs, for
        engines that report it (DuckDB).

    Returns
    -------
    DecisionLog

    Raises
    ------
    DecisionLogError
        Listing every problem found, each naming the column and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"pred": [1, 0, 1, 0], "final": [1, 1, None, 0],
    ...                    "sex": ["F", "F", "M", "M"]})
    >>> log = read_decision_log(df, AuditConfig(prediction="pred", label="final",
    ...                                         sensitive=("sex",)))
    >>> log.rows, log.cube.n_reviewed
    (4, 3)
    """
    roles = _role_columns(config)
    # a CSV is read as text so that values are seen exactly as written; the pass parses
    # scores and times itself and counts the values that do not parse
    source = open_source(data, text_columns=roles, columns=roles)
    issues = checks.check_columns(source, config)
    issues += checks.check_score(source, None, config)
    issues += checks.check_review_probability(source, None, config)
    if issues:
        raise DecisionLogError(issues)
    bands = score_bands(source, config)
    # the content hash reads the rows too: run it beside the cube pass, not after it
    hashing = ThreadPoolExecutor(max_workers=1)
    digest = hashing.submit(source.sha256, _role_columns(config))
    hashing.shutdown(wait=False)
    if progress is not None and hasattr(source, "watch"):
        source.watch = progress
    try:
        aggregate = run_cube_pass(source, config, bands)
    finally:
        if hasattr(source, "watch"):
            source.watch = None
    issues = checks.check_not_empty(aggregate)
    if issues:
        raise DecisionLogError(issues)
    issues += checks.check_decision_values(aggregate, config)
    issues += checks.check_outcome_values(aggregate, config)
    issues += checks.check_sensitive(aggregate, config)
    issues += checks.check_reserved_values(aggregate, config)
    issues += checks.check_reference(aggregate, config)
    issues += checks.check_score(source, aggregate, config)
    issues += checks.check_review_probability(source, aggregate, config)
    issues += checks.check_time(aggregate, config)
    repeats = source.duplicate_ids(config.case_id) if config.case_id is not None else (0, [])
    issues += checks.check_case_ids(source, config, repeats)
    if issues:
        raise DecisionLogError(issues)
    missing = {
        column: int(aggregate.loc[aggregate[column].isna(), Col.N].sum())
        for column in (*config.sensitive, *config.context)
    }
    period = None
    if config.time is not None and aggregate[Col.TIME_MIN].notna().any():
        period = (
            pd.Timestamp(aggregate[Col.TIME_MIN].min()),
            pd.Timestamp(aggregate[Col.TIME_MAX].max()),
        )
    positives = {
        "prediction": _positive_raw(aggregate[Col.PREDICTION], config),
        "label": _positive_raw(aggregate[Col.LABEL], config),
    }
    if config.outcome is not None:
        positives["outcome"] = favourable_values(
            pd.unique(aggregate[Col.OUTCOME].dropna()), config.outcome_value
        )
    orders = {a: source.declared_order(a) for a in (*config.sensitive, *config.context)}
    # the score's groupings, when the engine made them apart from the keys' in the pass
    parts = source.score_parts(lambda pairs: list(decision_cells(pairs, config)))
    cube = cube_from_aggregate(
        aggregate, config, {a: o for a, o in orders.items() if o}, bands=bands, parts=parts
    )
    tokens: dict[str, dict[Any, str]] = {}
    if config.many_values:
        tokens = {
            role: {v: token(v) for v in pd.unique(aggregate[column].dropna())}
            for role, column in (("prediction", Col.PREDICTION), ("label", Col.LABEL))
        }
    if repeats[0] and config.case_id is not None:
        # several judgments of one case: a second grouped pass for case-cluster moments
        spec = Aggregation(
            attributes=[*config.sensitive, *config.context],
            prediction=config.prediction,
            label=config.label,
            tokens=tokens or None,
        )
        moments = source.case_moments(spec, config.case_id, positives)
        for column in spec.attributes:
            moments[column] = moments[column].where(moments[column].notna(), MISSING_GROUP)
        cube = dataclasses.replace(cube, case_moments=moments)
        if config.reviewer is not None:  # the people who judged the same case: agreement
            cases, pairs = source.agreement_counts(
                list(config.sensitive), config.label, config.case_id, config.reviewer,
                positives["label"],
            )  # fmt: skip
            for column in config.sensitive:
                cases[column] = cases[column].where(cases[column].notna(), MISSING_GROUP)
            cube = dataclasses.replace(cube, agreement=Agreement(cases, pairs))
    return DecisionLog(
        source=source,
        config=config,
        cube=cube,
        period=period,
        missing_values={k: v for k, v in missing.items() if v},
        digest=digest,
        positive_values=positives,
        value_tokens=tokens,
    )


def _positive_raw(values: pd.Series, config: AuditConfig) -> list[Any]:
    """The raw values of a decision column that read as the favourable value."""
    return favourable_values(pd.unique(values.dropna()), config.positive)

"""What the audit asks of a decision log, wherever its rows live.

A source answers the few questions the audit asks of the rows: which columns it has,
what type each is, the one grouped aggregation that builds the count cube, whether
case ids repeat, and a hash of its content. Each engine is a module of its own
(:mod:`._duckdb` for files and in-memory tables, :mod:`._database` for SQL databases,
:mod:`._spark` for Spark); :mod:`._open` picks one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from fairloop.cube import ScoreParts
from fairloop.cube._bands import ScoreBands
from fairloop.exceptions import DecisionLogError, Issue, IssueReason

__all__ = ["Aggregation", "ColumnKind", "Source", "as_text", "unreadable"]

ColumnKind = Literal["numeric", "boolean", "string", "temporal", "nested", "other"]


@dataclass(frozen=True)
class Aggregation:
    """What the cube pass groups by and computes besides the row count.

    Parameters
    ----------
    attributes : sequence of str
        Attribute columns to group by; their values are reported as text.
    prediction, label : str
        The decision columns, grouped by as :attr:`Col.PREDICTION` and :attr:`Col.LABEL`
        (empty text counts as missing).
    score : str or None
        Column whose min, max, sum and count per cell are aggregated.
    score_kind : ColumnKind or None
        The score column's type.
    time : str or None
        Column whose min and max per cell are aggregated.
    time_kind : ColumnKind or None
        The time column's type.
    window : str or None
        Also group by the start date of the time window (``month``, ...) holding each
        row's time, as :attr:`Col.WINDOW` (``YYYY-MM-DD`` text; missing when the time is).
    tokens : mapping or None
        For decisions with more than two declared values: each decision column's raw
        values and their text tokens, so the case-moment pass tells the cases whose human
        chose another negative value (cell ``tx``) as the cube pass does.
    bands : ScoreBands or None
        Also group by the score's fine band, as :attr:`Col.BAND`. Engines with grouping
        sets return the keys' grouping as without a score, and make the score's groupings
        apart from the same pass (:meth:`Source.score_parts`).
    sensitive : sequence of str
        The sensitive attributes (the score metrics' groups).
    reviewer : str or None
        The reviewer column (the last of ``attributes``), when the log names reviewers.
    review_probability : str or None
        Column of each case's review probability: per cell, the sums of ``1 / p`` and
        ``(1 - p) / p**2`` over reviewed rows and the count of reviewed rows whose ``p``
        is missing or outside (0, 1].
    review_probability_kind : ColumnKind or None
        Its type.
    review_reason : str or None
        Also group by the review reason (as text), as :attr:`Col.REASON`.
    outcome : str or None
        Also group by the outcome (a decision-like column, read as the decisions are), as
        :attr:`Col.OUTCOME`.
    """

    attributes: Sequence[str]
    prediction: str
    label: str
    score: str | None = None
    score_kind: ColumnKind | None = None
    time: str | None = None
    time_kind: ColumnKind | None = None
    window: str | None = None
    tokens: Mapping[str, Mapping[Any, str]] | None = None
    bands: ScoreBands | None = None
    review_probability: str | None = None
    review_probability_kind: ColumnKind | None = None
    review_reason: str | None = None
    outcome: str | None = None
    sensitive: Sequence[str] = ()
    reviewer: str | None = None


class Source(Protocol):
    """A decision log, wherever it lives."""

    description: str
    #: The SQL relation the queries read (a table name or a reader call).
    relation: str
    #: The dialect's text type, for casts.
    text_type: str
    #: Column names the input gives more than once (a CSV header): a role may not name one.
    repeated: set[str]

    def literal(self, value: Any) -> str:
        """A Python or numpy scalar as a SQL literal of the dialect."""
        ...

    def text_literal(self, text: str) -> str:
        """Text as a string literal of the dialect."""
        ...

    def columns(self) -> list[str]:
        """Column names, in order."""
        ...

    def kind(self, column: str) -> ColumnKind:
        """The broad type of a column."""
        ...

    def column_types(self) -> dict[str, str]:
        """The engine's type name of each column, in order."""
        ...

    def provenance(self) -> dict[str, Any]:
        """Where the rows are, for the audit's provenance."""
        ...

    def fetch_row(self, sql: str) -> tuple[Any, ...]:
        """The single row of an aggregate query over :attr:`relation`."""
        ...

    def aggregate(self, spec: Aggregation) -> pd.DataFrame:
        """Run the single grouped pass and return one small row per cell.

        The frame has the attribute columns, then the reserved columns of :class:`Col`:
        prediction, label, row count and, where asked, the score and time aggregates.
        """
        ...

    def score_parts(self, classify: Callable[[pd.DataFrame], Sequence[str]]) -> ScoreParts | None:
        """After :meth:`aggregate`: the score's groupings made apart, if the engine did.

        ``classify`` gives the cell of each distinct (prediction, label) pair. None when
        the pass grouped once, by the fine band (the cube then sums the rest from it).
        """
        ...

    def duplicate_ids(self, column: str) -> tuple[int, list[str]]:
        """Number of rows whose id repeats an earlier row's, and a few such ids."""
        ...

    def distinct_scores(self, column: str, kind: ColumnKind, limit: int) -> list[float]:
        """Up to ``limit`` distinct values of the score (as the pass reads it), sorted."""
        ...

    def missing_count(self, column: str) -> int:
        """Number of rows with no value in a column."""
        ...

    def repeated_pairs(self, case_id: str, reviewer: str) -> tuple[int, list[str]]:
        """Rows that repeat an earlier row's (case id, reviewer) pair, and a few such ids."""
        ...

    def case_moments(
        self, spec: Aggregation, case_id: str, positives: dict[str, list[Any]]
    ) -> pd.DataFrame:
        """Per attribute combination: cases, and sums over cases of products of cell counts."""
        ...

    def agreement_counts(
        self, sensitive: Sequence[str], label: str, case_id: str, reviewer: str,
        positives: Sequence[Any],
    ) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
        """Per group, cases by judgments and positive ones; per reviewer pair, their 2 x 2."""
        ...

    def decision_expr(self, column: str) -> str:
        """SQL for a decision column as the pass reads it."""
        ...

    def text_equals(self, column: str, value: str | None) -> str:
        """SQL: the column's value read as text equals ``value`` (``None``: missing)."""
        ...

    def in_values(self, column: str, values: Sequence[Any]) -> str:
        """SQL: the decision column holds one of ``values``."""
        ...

    def sample_ids(self, case_id: str, wheres: Sequence[str], k: int) -> list[list[str]]:
        """Up to ``k`` case ids per SQL condition, in a stable order, in one scan."""
        ...

    def sample_values(self, column: str, *, limit: int = 5) -> list[str]:
        """A few distinct values of a column, as text."""
        ...

    def declared_order(self, column: str) -> tuple[str, ...]:
        """The order the input declares for a column's values (a categorical's), or ()."""
        ...

    def sha256(self, columns: Sequence[str]) -> str:
        """Hex sha256 of the file's bytes, or of a canonical form of the table's columns."""
        ...


def unreadable(description: str, detail: str, fix: str) -> DecisionLogError:
    return DecisionLogError(
        [
            Issue(
                IssueReason.UNREADABLE_FILE,
                None,
                f"Cannot read {description}: {detail}.",
                fix,
            )
        ]
    )


def as_text(values: pd.Series) -> pd.Series:
    """Attribute values as text, as every engine and format reads them alike.

    Text is trimmed (``" F"`` is ``"F"``, as decisions are) and empty or blank text is
    missing, whatever the format (a CSV's empty field, a pandas or Parquet empty string);
    missing stays missing. Converts each distinct value once (a cube has few), not each
    cell; the cube adds up the rows whose keys then coincide.
    """
    if values.dtype == object:  # DuckDB returns BLOB values as (unhashable) bytearray
        values = values.map(lambda v: bytes(v) if isinstance(v, bytearray) else v)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.asarray([_text(v) for v in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes | bytearray):
        value = value.decode("utf-8", errors="replace")
    text = str(value).strip()
    return text or None

"""A profile of every column of a table, from two aggregate queries (no row reaches Python)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fairloop.decision_log._open import open_source
from fairloop.decision_log._source import ColumnKind
from fairloop.decision_log._sql import quote_name
from fairloop.vocabulary import token

__all__ = ["ColumnProfile", "profile_columns"]

#: Columns with at most this many values have them listed in the profile.
MAX_LISTED = 25


@dataclass(frozen=True)
class ColumnProfile:
    """What ``fairloop init`` knows of a column.

    Parameters
    ----------
    name : str
        The column name.
    kind : {"numeric", "string", "temporal", "boolean", "other"}
        Its type, as the engine reads it (text that parses as dates counts as temporal).
    rows, nulls : int
        Rows of the table, and rows where the column is missing (or empty text).
    distinct : int
        Distinct non-missing values (approximate above :data:`MAX_LISTED`).
    minimum, maximum : float or None
        For numeric columns.
    values : list of str
        The distinct values as text, when there are at most :data:`MAX_LISTED`.
    integral : bool
        Numeric and every value a whole number.
    """

    name: str
    kind: ColumnKind
    rows: int
    nulls: int
    distinct: int
    minimum: float | None = None
    maximum: float | None = None
    values: list[str] = field(default_factory=list)
    integral: bool = False

    @property
    def null_share(self) -> float:
        """Share of rows where the column is missing."""
        return self.nulls / self.rows if self.rows else 0.0

    @property
    def unique(self) -> bool:
        """Every row has a value, and no value repeats."""
        return self.nulls == 0 and self.distinct == self.rows


def profile_columns(data: Any) -> list[ColumnProfile]:
    """Profile every column of a decision log: type, missing values, values, range.

    Parameters
    ----------
    data : DataFrame, Table, str or Path
        Anything :func:`fairloop.audit` reads: a pandas, polars or pyarrow table, or a
        CSV or Parquet file, folder or glob.

    Returns
    -------
    list of ColumnProfile
        In the table's column order.

    Raises
    ------
    DecisionLogError
        If the data cannot be read.
    """
    source = open_source(data)
    names = source.columns()
    kinds = {name: source.kind(name) for name in names}
    if not names:
        return []
    parts = ["count(*)"]
    for name in names:
        c = quote_name(name)
        value = f"NULLIF(trim({c}), '')" if kinds[name] == "string" else c
        parts += [f"count({value})", f"approx_count_distinct({value})"]
        if kinds[name] == "numeric":
            parts += [
                f"min({c})::DOUBLE",
                f"max({c})::DOUBLE",
                f"bool_and({c} = round({c}))",
            ]
        elif kinds[name] == "string":  # does the text parse as dates?
            parts += [f"count(TRY_CAST({value} AS TIMESTAMP))", "NULL", "NULL"]
        else:
            parts += ["NULL", "NULL", "NULL"]
    row = source.fetch_row(f"SELECT {', '.join(parts)} FROM {source.relation}")
    rows = int(row[0])
    stats: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(names):
        present, approx, a, b, c = row[1 + 5 * i : 6 + 5 * i]
        kind = kinds[name]
        if kind == "string" and present and a == present:
            kind = "temporal"
        stats[name] = {
            "kind": kind,
            "nulls": rows - int(present),
            "distinct": int(approx or 0),
            "minimum": float(a) if kind == "numeric" and a is not None else None,
            "maximum": float(b) if kind == "numeric" and b is not None else None,
            "integral": bool(c) if kind == "numeric" and c is not None else False,
        }
    # exact values (and counts) of the columns with few of them, in one more pass
    few = [n for n in names if stats[n]["distinct"] <= MAX_LISTED + 5]
    if few:
        lists = ", ".join(f"list(DISTINCT NULLIF(trim({quote_name(n)}::VARCHAR), ''))" for n in few)
        listed = source.fetch_row(f"SELECT {lists} FROM {source.relation}")
        for name, values in zip(few, listed, strict=True):
            numeric = stats[name]["kind"] == "numeric"
            values = list(
                dict.fromkeys(
                    token(v) if numeric else str(v) for v in values or [] if v is not None
                )
            )
            values.sort(key=lambda v: (float(v), v) if numeric else (0.0, v))
            stats[name]["distinct"] = len(values)
            if len(values) <= MAX_LISTED:
                stats[name]["values"] = values
    # exact distinct counts where every value might be unique (case id candidates)
    near = [n for n in names if stats[n]["distinct"] >= 0.9 * rows > 0]
    if near:
        counts = ", ".join(f"count(DISTINCT {quote_name(n)})" for n in near)
        exact = source.fetch_row(f"SELECT {counts} FROM {source.relation}")
        for name, count in zip(near, exact, strict=True):
            stats[name]["distinct"] = int(count)
    return [ColumnProfile(name=n, rows=rows, **stats[n]) for n in names]

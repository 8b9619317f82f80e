"""Open a decision log with the engine that reads it where it lives."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd

from fairloop.decision_log._database import DatabaseSource, DatabaseTable
from fairloop.decision_log._duckdb import FileSource, FrameSource
from fairloop.decision_log._source import Source
from fairloop.decision_log._spark import SparkSource, is_spark_frame
from fairloop.exceptions import DecisionLogError, Issue, IssueReason

__all__ = ["open_source"]


def _declared_names(data: Any) -> list[Any]:
    """Column names of tables that allow repeats (pandas, pyarrow), without resolving lazies."""
    if isinstance(data, pd.DataFrame):
        return list(data.columns)
    names = getattr(data, "column_names", None)  # pyarrow.Table
    return list(names) if isinstance(names, list) else []


def open_source(
    data: Any, *, text_columns: Sequence[str] = (), columns: Sequence[str] | None = None
) -> Source:
    """Open a decision log for the cube pass.

    Parameters
    ----------
    data : DataFrame, Table, str or Path
        A pandas, polars (eager or lazy) or pyarrow table, or the path of a CSV file,
        a Parquet file, a folder of Parquet files or a glob.
    text_columns : sequence of str, default=()
        Columns a CSV reader must keep as text (attribute values are reported
        exactly as written).
    columns : sequence of str or None, default=None
        For in-memory tables, the only columns handed to the engine (the others
        are still listed by ``columns()`` for error messages).

    Returns
    -------
    Source

    Raises
    ------
    DecisionLogError
        If the file cannot be read or the object is not a table.
    """
    if isinstance(data, str | Path):
        return FileSource(data, text_columns=text_columns)
    if isinstance(data, DatabaseTable):
        return DatabaseSource(data)
    if is_spark_frame(data):
        return SparkSource(data)
    names = _declared_names(data)
    repeated = sorted({str(n) for n in names if names.count(n) > 1})
    if repeated:
        raise DecisionLogError(
            [
                Issue(
                    IssueReason.UNSUPPORTED_INPUT,
                    repeated[0],
                    f"Column names repeat: {', '.join(repr(n) for n in repeated)}.",
                    "Give every column a distinct name.",
                )
            ]
        )
    try:
        nw.from_native(data)
    except TypeError:
        raise DecisionLogError(
            [
                Issue(
                    IssueReason.UNSUPPORTED_INPUT,
                    None,
                    f"A decision log must be a table or a file path. Got {type(data).__name__}.",
                    "Pass a pandas, polars or pyarrow table, or the path of a CSV or Parquet file.",
                )
            ]
        ) from None
    except Exception as exc:  # narwhals refuses tables it cannot represent (duplicate names)
        raise DecisionLogError(
            [
                Issue(
                    IssueReason.UNSUPPORTED_INPUT,
                    None,
                    f"The table cannot be read: {str(exc).strip().splitlines()[0]}",
                    "Give every column a distinct text name (df.columns = [...]).",
                )
            ]
        ) from None
    return FrameSource(data, columns=columns)

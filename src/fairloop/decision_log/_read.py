"""Open a decision log where it lives: an in-memory table (through narwhals) or a file (DuckDB).

A source answers the few questions the audit asks of the rows: which columns it has,
what type each is, the one grouped aggregation that builds the count cube, whether
case ids repeat, and a hash of its content. Nothing here loads a file into pandas.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from fairloop._reserved import Col
from fairloop.decision_log._digest import file_sha256, table_sha256
from fairloop.exceptions import DecisionLogError, Issue, IssueReason

__all__ = [
    "Aggregation",
    "ColumnKind",
    "FileSource",
    "FrameSource",
    "Source",
    "open_source",
    "quote_name",
]

ColumnKind = Literal["numeric", "boolean", "string", "temporal", "other"]

_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.zst")
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


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
    """

    attributes: Sequence[str]
    prediction: str
    label: str
    score: str | None = None
    score_kind: ColumnKind | None = None
    time: str | None = None
    time_kind: ColumnKind | None = None
    window: str | None = None


class Source(Protocol):
    """A decision log, wherever it lives."""

    description: str
    #: The SQL relation the queries read (a table name or a reader call).
    relation: str

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

    def duplicate_ids(self, column: str) -> tuple[int, list[str]]:
        """Number of rows whose id repeats an earlier row's, and a few such ids."""
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

    def sha256(self, columns: Sequence[str]) -> str:
        """Hex sha256 of the file's bytes, or of a canonical form of the table's columns."""
        ...


def _unreadable(description: str, detail: str, fix: str) -> DecisionLogError:
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


def quote_name(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def cell_conditions(
    source: Source, prediction: str, label: str, positives: Mapping[str, Sequence[Any]]
) -> dict[str, str]:
    """SQL conditions placing a row in each of the six cells (the cube's :data:`CELLS`).

    ``positives`` holds the raw values of the prediction and label columns that read as
    the favourable value (as the cube pass found them).
    """
    pred = source.in_values(prediction, positives["prediction"])
    label_pos = source.in_values(label, positives["label"])
    reviewed = f"({source.decision_expr(label)} IS NOT NULL)"
    return {
        "tp": f"{pred} AND {reviewed} AND {label_pos}",
        "fp": f"{pred} AND {reviewed} AND NOT {label_pos}",
        "fn": f"NOT {pred} AND {reviewed} AND {label_pos}",
        "tn": f"NOT {pred} AND {reviewed} AND NOT {label_pos}",
        "pu": f"{pred} AND NOT {reviewed}",
        "nu": f"NOT {pred} AND NOT {reviewed}",
    }


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal(value: Any) -> str:
    """A Python or numpy scalar as a SQL literal."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return _sql_literal(str(value))


def _duckdb_kind(type_name: str) -> ColumnKind:
    upper = type_name.upper()
    if upper == "BOOLEAN":
        return "boolean"
    if upper.startswith(("TIMESTAMP", "DATE", "TIME")) and upper != "TIME":
        return "temporal"
    if upper.startswith(("VARCHAR", "ENUM")):
        return "string"
    numeric = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
               "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL")  # fmt: skip
    if upper.startswith(numeric):
        return "numeric"
    return "other"


#: Memory DuckDB may use before it spills to disk ($FAIRLOOP_MEMORY_LIMIT overrides it).
MEMORY_LIMIT = "1GB"


@functools.cache
def _database() -> Any:
    """One in-memory DuckDB database per process, with bounded memory.

    Each source takes its own cursor: a connection of its own, with its own tables. Memory
    is capped (``$FAIRLOOP_MEMORY_LIMIT``, default 1 GB); past it, large operators spill to
    a temporary folder, and the scan does not keep row order it does not need.
    """
    import duckdb

    con = duckdb.connect()
    limit = os.environ.get("FAIRLOOP_MEMORY_LIMIT", MEMORY_LIMIT)
    con.execute(f"SET memory_limit = {_sql_literal(limit)}")
    con.execute(f"SET temp_directory = {_sql_literal(tempfile.gettempdir() + '/fairloop.tmp')}")
    con.execute("SET preserve_insertion_order = false")
    return con


class SQLSource(ABC):
    """The grouped pass and the other row queries, as SQL over a relation of some engine.

    Subclasses say how to run a query and how their SQL dialect writes a few things
    (identifiers, text and float types, safe casts, window starts, a row hash); the
    queries themselves are the same for DuckDB, Spark and SQL databases, so every engine
    builds the same cube.
    """

    description: str
    #: Type names of the dialect.
    text_type = "VARCHAR"
    double_type = "DOUBLE"

    def __init__(self) -> None:
        self.relation = ""
        self._types: dict[str, str] = {}

    # --- what a subclass provides -------------------------------------------------------
    @abstractmethod
    def _fetch(self, sql: str) -> pd.DataFrame:
        """Run a query; its result as a DataFrame (small: the cube or a few counts)."""

    @abstractmethod
    def provenance(self) -> dict[str, Any]:
        """Where the rows are, for the audit's provenance."""

    @abstractmethod
    def sha256(self, columns: Sequence[str]) -> str:
        """A SHA-256 of the log's content (the file's, or a fingerprint of the rows)."""

    def kind_of(self, type_name: str) -> ColumnKind:
        """The broad kind of one of the engine's type names."""
        return _duckdb_kind(type_name)

    def quote(self, name: str) -> str:
        """A column name as a quoted identifier."""
        return quote_name(name)

    def try_double(self, expr: str) -> str:
        """SQL: a text value as a float, NULL where it does not parse."""
        return f"try_cast({expr} AS {self.double_type})"

    def try_timestamp(self, expr: str) -> str:
        """SQL: a text value as a timestamp, NULL where it does not parse."""
        return f"try_cast({expr} AS TIMESTAMP)"

    def window_start(self, timestamp: str, window: str) -> str:
        """SQL: the start date of the window holding a timestamp.

        A date, not text: formatting every row costs more than the whole grouped pass;
        the few window keys of the cube are written as ``YYYY-MM-DD`` after it.
        """
        return f"CAST(date_trunc('{window}', {timestamp}) AS DATE)"

    def row_hash(self, expr: str) -> str:
        """SQL: a hash of a text value, to order sample cases reproducibly."""
        return f"hash({expr})"

    # --- the queries ---------------------------------------------------------------------
    def fetch_row(self, sql: str) -> tuple[Any, ...]:
        """The single row of an aggregate query over :attr:`relation`."""
        frame = self._fetch(sql)
        return tuple(frame.iloc[0].tolist()) if len(frame) else ()

    def columns(self) -> list[str]:
        return list(self._types)

    def column_types(self) -> dict[str, str]:
        """The engine's type name of each column, in order."""
        return dict(self._types)

    def kind(self, column: str) -> ColumnKind:
        return self.kind_of(self._types[column])

    def as_text(self, column: str) -> str:
        """SQL: a column's values as text."""
        return f"CAST({self.quote(column)} AS {self.text_type})"

    def decision_expr(self, column: str) -> str:
        """SQL for a decision column as the pass reads it (empty text is missing)."""
        c = self.quote(column)
        return f"NULLIF(trim({c}), '')" if self.kind(column) == "string" else c

    def aggregate(self, spec: Aggregation) -> pd.DataFrame:
        keys = [
            *(self.quote(k) for k in spec.attributes),
            f"{self.decision_expr(spec.prediction)} AS {Col.PREDICTION}",
            f"{self.decision_expr(spec.label)} AS {Col.LABEL}",
        ]
        if spec.time is not None and spec.window is not None:
            keys.append(f"{self.window_expr(spec)} AS {Col.WINDOW}")
        aggs = [f"count(*) AS {Col.N}"]
        if spec.score is not None:
            s = self.quote(spec.score)
            value = s if spec.score_kind in ("numeric", "boolean") else self.try_double(s)
            value = f"CAST({value} AS {self.double_type})"
            aggs += [
                f"count({value}) AS {Col.SCORE_N}",
                f"count({s}) - count({value}) AS {Col.SCORE_BAD}",
                f"min({value}) AS {Col.SCORE_MIN}",
                f"max({value}) AS {Col.SCORE_MAX}",
                f"sum({value}) AS {Col.SCORE_SUM}",
                f"count(*) FILTER (WHERE {value} < 0 OR {value} > 1) AS {Col.SCORE_OUT}",
            ]
        if spec.time is not None:
            t = self.quote(spec.time)
            value = self.time_expr(spec)
            aggs += [
                f"count({t}) - count({value}) AS {Col.TIME_BAD}",
                f"min({value}) AS {Col.TIME_MIN}",
                f"max({value}) AS {Col.TIME_MAX}",
            ]
        ordinals = ", ".join(str(i + 1) for i in range(len(keys)))
        sql = (
            f"SELECT {', '.join(keys)}, {', '.join(aggs)} FROM {self.relation} GROUP BY {ordinals}"
        )
        out = self._fetch(sql)
        for key in spec.attributes:
            out[key] = _as_text(out[key])
        if Col.WINDOW in out:  # window starts as YYYY-MM-DD text, missing stays missing
            days = pd.to_datetime(out[Col.WINDOW])
            text = days.dt.strftime("%Y-%m-%d").astype(object)
            out[Col.WINDOW] = text.where(days.notna(), None)
        for column in (Col.TIME_MIN, Col.TIME_MAX):
            if column in out:  # engines return timestamps as objects or datetime64
                out[column] = pd.to_datetime(out[column])
        return out

    def time_expr(self, spec: Aggregation) -> str:
        """SQL for the time column as a timestamp (NULL where it does not parse)."""
        t = self.quote(str(spec.time))
        return t if spec.time_kind == "temporal" else self.try_timestamp(t)

    def window_expr(self, spec: Aggregation) -> str:
        """SQL for the start date of each row's time window (a date)."""
        return self.window_start(self.time_expr(spec), str(spec.window))

    def duplicate_ids(self, column: str) -> tuple[int, list[str]]:
        c = self.quote(column)
        quick = f"SELECT count({c}) - count(DISTINCT {c}) AS extra FROM {self.relation}"
        if int(self._fetch(quick)["extra"].iloc[0]) == 0:
            return 0, []
        return self._repeated_ids(column)

    def repeated_pairs(self, case_id: str, reviewer: str) -> tuple[int, list[str]]:
        return self._repeated_ids(case_id, also=reviewer)

    def case_moments(
        self, spec: Aggregation, case_id: str, positives: dict[str, list[Any]]
    ) -> pd.DataFrame:
        """Per combination of the attributes, the sums over cases of products of cell counts.

        A second grouped pass, made only when case ids repeat (several judgments of one
        case): first each case's count in each of the six cells, then, per combination of
        the attributes, the number of cases and the sum over cases of the product of the
        case's counts in every pair of cells (``m_tp_fp`` ...), for cluster-robust
        intervals (:mod:`fairloop.metrics._clusters`).
        """
        attrs = [self.quote(a) for a in spec.attributes]
        conditions = cell_conditions(self, spec.prediction, spec.label, positives)
        per_case = ", ".join(
            f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS c_{cell}"
            for cell, cond in conditions.items()
        )
        names = list(conditions)
        products = ", ".join(
            f"SUM(c_{a} * c_{b}) AS m_{a}_{b}" for i, a in enumerate(names) for b in names[i:]
        )
        keys = ", ".join(f"{a} AS k{i}" for i, a in enumerate(attrs))
        outer = ", ".join(f"k{i}" for i in range(len(attrs)))
        sql = (
            f"SELECT {outer}, count(*) AS cases, {products} FROM ("
            f"SELECT {keys}, {per_case} FROM {self.relation} "
            f"GROUP BY {', '.join(attrs)}, {self.quote(case_id)}) AS per_case "
            f"GROUP BY {outer}"
        )
        out = self._fetch(sql)
        out.columns = [*spec.attributes, *out.columns[len(attrs) :]]
        for key in spec.attributes:
            out[key] = _as_text(out[key])
        return out

    def _repeated_ids(self, column: str, *, also: str | None = None) -> tuple[int, list[str]]:
        """Rows repeating an earlier row's id (and ``also`` column), and a few such ids."""
        c = self.quote(column)
        keys = c if also is None else f"{c}, {self.quote(also)}"
        sql = (
            f"SELECT {self.as_text(column)} AS id, count(*) AS n FROM {self.relation} "
            f"WHERE {c} IS NOT NULL GROUP BY {keys} HAVING count(*) > 1 ORDER BY 2 DESC, 1"
        )
        dup = self._fetch(sql)
        extra = int((dup["n"] - 1).sum()) if len(dup) else 0
        return extra, [str(v) for v in dup["id"].head(5)]

    def sample_ids(self, case_id: str, wheres: Sequence[str], k: int) -> list[list[str]]:
        """Up to ``k`` case ids per SQL condition, in a stable (hash) order; one query."""
        if not wheres:
            return []
        text = self.as_text(case_id)
        parts = [
            f"SELECT * FROM (SELECT {i} AS tag, {text} AS id, {self.row_hash(text)} AS h "
            f"FROM {self.relation} WHERE {where} ORDER BY 3, 2 LIMIT {int(k)}) AS s{i}"
            for i, where in enumerate(wheres)
        ]
        found = self._fetch(" UNION ALL ".join(parts) + " ORDER BY 1, 3, 2")
        out: dict[int, list[str]] = {i: [] for i in range(len(wheres))}
        for tag, value in zip(found["tag"], found["id"], strict=True):
            out[int(tag)].append(str(value))
        return [out[i] for i in range(len(wheres))]

    def text_equals(self, column: str, value: str | None) -> str:
        """SQL: the column's value, read as text the way the audit reads it, equals ``value``."""
        c = self.quote(column)
        if value is None:
            return f"{c} IS NULL"
        literal = _sql_literal(value)
        kind = self.kind(column)
        if kind == "string":
            return f"{c} = {literal}"
        if kind == "boolean":  # Python writes True where SQL writes true
            return f"lower({self.as_text(column)}) = lower({literal})"
        return f"{self.as_text(column)} = {literal}"

    def in_values(self, column: str, values: Sequence[Any]) -> str:
        """SQL: the decision column (normalised as in the pass) holds one of ``values``."""
        if not values:
            return "FALSE"
        return f"({self.decision_expr(column)} IN ({', '.join(_literal(v) for v in values)}))"

    def missing_count(self, column: str) -> int:
        c = self.quote(column)
        sql = f"SELECT count(*) - count({c}) AS missing FROM {self.relation}"
        return int(self._fetch(sql)["missing"].iloc[0])

    def sample_values(self, column: str, *, limit: int = 5) -> list[str]:
        sql = f"SELECT DISTINCT {self.as_text(column)} AS v FROM {self.relation} LIMIT {limit}"
        return [str(v) for v in self._fetch(sql)["v"]]


class _DuckDBSource(SQLSource):
    """The queries run by DuckDB.

    Files are scanned by DuckDB's readers; in-memory tables are handed to DuckDB as
    Arrow (zero-copy for Arrow-backed pandas, polars and pyarrow), so every input
    runs the same aggregation on every core without Python touching a row.
    """

    #: Seconds between two readings of DuckDB's progress while a query runs.
    poll_seconds = 0.25

    def __init__(self) -> None:
        super().__init__()
        self._con = _database().cursor()
        # progress is read by fairloop (query_progress), not printed by DuckDB
        self._con.execute("SET enable_progress_bar = true")
        self._con.execute("SET enable_progress_bar_print = false")
        #: Called with the share of the scan done (0 to 1) while a long query runs.
        self.watch: Callable[[float], None] | None = None

    def _describe(self, relation: str) -> None:
        import duckdb

        try:
            described = self._con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        except duckdb.Error as exc:
            raise self._error(exc) from None
        self._types = {str(row[0]): str(row[1]) for row in described}

    def _error(self, exc: Exception) -> DecisionLogError:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _unreadable(self.description, detail, "Check the table's columns and types.")

    def _fetch(self, sql: str) -> pd.DataFrame:
        import duckdb

        try:
            if self.watch is None:
                result: pd.DataFrame = self._con.execute(sql).fetch_df()
                return result
            return self._watched(sql, self.watch)
        except duckdb.Error as exc:
            raise self._error(exc) from None

    def _watched(self, sql: str, watch: Callable[[float], None]) -> pd.DataFrame:
        """Run a query in a worker thread and report DuckDB's progress on this one.

        ``watch`` is called on the caller's thread (never concurrently with itself), with
        a rising share, and with 1.0 once the query is done. If it raises, the query is
        interrupted and the exception reaches the caller.
        """
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = self._con.execute(sql).fetch_df()
            except BaseException as exc:  # re-raised on the caller's thread
                outcome["error"] = exc

        worker = threading.Thread(target=run, name="fairloop-pass", daemon=True)
        worker.start()
        last = -1.0
        try:
            while worker.is_alive():
                worker.join(self.poll_seconds)
                share = self._con.query_progress() if worker.is_alive() else None
                if share is not None and share >= 0 and share / 100 > last:
                    last = min(share / 100, 1.0)
                    watch(last)
        except BaseException:
            self._con.interrupt()
            worker.join()
            raise
        if "error" in outcome:
            raise outcome["error"]
        watch(1.0)
        result: pd.DataFrame = outcome["result"]
        return result

    def fetch_row(self, sql: str) -> tuple[Any, ...]:
        import duckdb

        try:
            row = self._con.execute(sql).fetchone()
        except duckdb.Error as exc:
            raise self._error(exc) from None
        return tuple(row) if row is not None else ()

    def duplicate_ids(self, column: str) -> tuple[int, list[str]]:
        c = self.quote(column)
        # Distinct 64-bit hashes first: half the memory of distinct strings, and exact
        # whenever the ids are unique (a collision can only make unique ids look repeated,
        # which the exact query then settles).
        quick = f"SELECT count({c}) - count(DISTINCT hash({c})) AS extra FROM {self.relation}"
        if int(self._fetch(quick)["extra"].iloc[0]) == 0:
            return 0, []
        return self._repeated_ids(column)

    def sample_ids(self, case_id: str, wheres: Sequence[str], k: int) -> list[list[str]]:
        """Up to ``k`` case ids per SQL condition, in a stable order, in one scan of the rows.

        Each row is tagged with every condition it meets; the first ``k`` ids per tag by
        hash are kept.
        """
        if not wheres:
            return []
        c = self.quote(case_id)

        def scan(indices: Sequence[int], bucket: str) -> dict[int, list[str]]:
            tags = ", ".join(f"CASE WHEN {wheres[i]} THEN {i} END" for i in indices)
            sql = (
                f"SELECT tag, id FROM (SELECT CAST({c} AS VARCHAR) AS id, "
                f"unnest(list_value({tags})) AS tag FROM {self.relation} "
                f"WHERE {bucket}({' OR '.join(f'({wheres[i]})' for i in indices)})) "
                f"WHERE tag IS NOT NULL "
                f"QUALIFY row_number() OVER (PARTITION BY tag ORDER BY hash(id), id) <= {int(k)} "
                f"ORDER BY tag, hash(id), id"
            )
            found = self._fetch(sql)
            out: dict[int, list[str]] = {i: [] for i in indices}
            for tag, value in zip(found["tag"], found["id"], strict=True):
                out[int(tag)].append(str(value))
            return out

        # A cheap hash bucket first (1 id in 16, tested before the flags' conditions); the
        # flags with too few cases in it are sampled again from every row.
        samples = scan(range(len(wheres)), f"hash(CAST({c} AS VARCHAR)) % 16 = 0 AND ")
        short = [i for i, ids in samples.items() if len(ids) < k]
        if short:
            samples.update(scan(short, ""))
        return [samples[i] for i in range(len(wheres))]


class FrameSource(_DuckDBSource):
    """A pandas, polars or pyarrow table (or anything narwhals reads), seen as Arrow."""

    def __init__(self, native: Any, *, columns: Sequence[str] | None = None) -> None:
        super().__init__()
        self.native = native
        frame = nw.from_native(native)
        self.description = f"the {type(native).__module__.split('.')[0]} table"
        names = list(frame.collect_schema().names())
        _check_column_names(names)
        self._all_columns = [str(c) for c in names]
        if columns is not None:  # for a lazy frame, before it is collected: only these are read
            wanted = set(columns)
            frame = frame.select([c for c in names if str(c) in wanted])
        if isinstance(frame, nw.LazyFrame):
            frame = frame.collect()
        self.table = _to_arrow(frame)
        self._con.register("decision_log", self.table)
        self.relation = "decision_log"
        self._describe(self.relation)

    def columns(self) -> list[str]:
        return list(self._all_columns)

    def provenance(self) -> dict[str, Any]:
        return {"kind": "table", "type": type(self.native).__name__}

    def sha256(self, columns: Sequence[str]) -> str:
        return table_sha256(self.table, columns)


def _declared_names(data: Any) -> list[Any]:
    """Column names of tables that allow repeats (pandas, pyarrow), without resolving lazies."""
    if isinstance(data, pd.DataFrame):
        return list(data.columns)
    names = getattr(data, "column_names", None)  # pyarrow.Table
    return list(names) if isinstance(names, list) else []


def _check_column_names(names: list[Any]) -> None:
    """Refuse names the engine would confuse: non-text names, and names equal but for case."""
    issues = []
    odd = [n for n in names if not isinstance(n, str)]
    if odd:
        issues.append(Issue(
            IssueReason.UNSUPPORTED_INPUT, None,
            f"Column names must be text. Got {', '.join(repr(n) for n in odd[:5])}.",
            "Name the columns, e.g. df.columns = df.columns.astype(str).",
        ))  # fmt: skip
    seen: dict[str, str] = {}
    for name in (n for n in names if isinstance(n, str)):
        other = seen.setdefault(name.lower(), name)
        if other != name:
            issues.append(Issue(
                IssueReason.UNSUPPORTED_INPUT, name,
                f"Columns {other!r} and {name!r} differ only in case; the engine treats them "
                "as one.",
                "Rename one of them.",
            ))  # fmt: skip
    if issues:
        raise DecisionLogError(issues)


def _to_arrow(frame: Any) -> Any:
    """The table as Arrow; object columns of mixed types are read as text.

    polars hands over its own buffers (string views included, which DuckDB reads), so a
    polars frame is not copied; its default export would copy every text column.
    """
    import pyarrow as pa

    native = frame.to_native()
    if type(native).__module__.startswith("polars"):
        import polars as pl

        return native.to_arrow(compat_level=pl.CompatLevel.newest())
    try:
        return frame.to_arrow()
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        pass
    native = frame.to_pandas()
    arrays = {}
    for name in native.columns:
        try:
            arrays[str(name)] = pa.array(native[name])
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            # mixed types in one object column: read every value as its text
            arrays[str(name)] = pa.array(native[name].astype("string"), pa.large_string())
    return pa.table(arrays)


def _as_text(values: pd.Series) -> pd.Series:
    """Attribute values as text, exactly as they read in the input; missing stays missing.

    Converts each distinct value once (a cube has few), not each cell.
    """
    if values.dtype == object:  # DuckDB returns BLOB values as (unhashable) bytearray
        values = values.map(lambda v: bytes(v) if isinstance(v, bytearray) else v)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.asarray([_text(v) for v in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", errors="replace")
    return str(value)


# --------------------------------------------------------------------------------- files


class FileSource(_DuckDBSource):
    """A CSV or Parquet file, or a glob or folder of Parquet files, aggregated by DuckDB."""

    def __init__(self, path: str | Path, *, text_columns: Sequence[str] = ()) -> None:
        super().__init__()
        self.path = str(path)
        self.description = f"file {self.path!r}"
        self.files = _resolve_files(self.path)
        self.format = _detect_format(self.files[0])
        self._describe(self._scan([]))
        present = [c for c in text_columns if c in self._types]
        self.relation = self._scan(present)
        if present:
            self._describe(self.relation)

    def _scan(self, text_columns: Sequence[str]) -> str:
        files = "[" + ", ".join(_sql_literal(f) for f in self.files) + "]"
        if self.format == "parquet":
            return f"read_parquet({files}, union_by_name = true)"
        options = ""
        if text_columns:
            types = ", ".join(f"{_sql_literal(c)}: 'VARCHAR'" for c in text_columns)
            options = f", types = {{{types}}}"
        return f"read_csv({files}, header = true{options})"

    def _error(self, exc: Exception) -> DecisionLogError:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        kind = "a Parquet" if self.format == "parquet" else "a CSV"
        return _unreadable(
            self.description,
            detail,
            f"Check that the file is {kind} file and is not truncated or corrupt; "
            "re-export it from its source if needed.",
        )

    def provenance(self) -> dict[str, Any]:
        return {"kind": "file", "format": self.format, "files": self.files}

    def sha256(self, columns: Sequence[str]) -> str:
        if len(self.files) == 1:
            return file_sha256(self.files[0])
        digest = hashlib.sha256()
        for file in self.files:
            digest.update(f"{Path(file).name}:{file_sha256(file)}\n".encode())
        return digest.hexdigest()


def _resolve_files(path: str) -> list[str]:
    p = Path(path)
    if p.is_dir():
        files = sorted(
            str(f) for f in p.rglob("*") if f.is_file() and f.name.endswith(_PARQUET_SUFFIXES)
        )
        if not files:
            raise _unreadable(
                f"folder {path!r}",
                "it holds no Parquet files",
                "Point to a CSV or Parquet file, a folder of .parquet files or a glob.",
            )
        return files
    if any(ch in path for ch in "*?["):
        files = sorted(glob.glob(path, recursive=True))
        if not files:
            raise _unreadable(
                f"glob {path!r}", "it matches no file", "Check the pattern and the folder."
            )
        return files
    if not p.exists():
        raise _unreadable(
            f"file {path!r}", "it does not exist", "Check the path and the working directory."
        )
    return [path]


def _detect_format(path: str) -> Literal["csv", "parquet"]:
    lower = path.lower()
    if lower.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    if lower.endswith(_CSV_SUFFIXES):
        return "csv"
    with open(path, "rb") as handle:
        return "parquet" if handle.read(4) == b"PAR1" else "csv"


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
    from fairloop.decision_log._engines import (
        DatabaseSource,
        DatabaseTable,
        SparkSource,
        is_spark_frame,
    )

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

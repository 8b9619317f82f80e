"""Files and in-memory tables, aggregated by DuckDB.

Files are scanned by DuckDB's readers; in-memory tables are handed to DuckDB as Arrow
(zero-copy for Arrow-backed pandas, polars and pyarrow), so every input runs the same
aggregation on every core without Python touching a row. Nothing here loads a file
into pandas.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import narwhals.stable.v2 as nw
import pandas as pd

from fairloop._memory import duckdb_limit
from fairloop.decision_log._digest import file_sha256, table_sha256
from fairloop.decision_log._source import ColumnKind, unreadable
from fairloop.decision_log._sql import SQLSource, sql_literal
from fairloop.exceptions import DecisionLogError, Issue, IssueReason

__all__ = ["DuckDBSource", "FileSource", "FrameSource", "check_column_names", "duckdb_kind"]

_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.zst")
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def duckdb_kind(type_name: str) -> ColumnKind:
    upper = type_name.upper()
    if upper == "BOOLEAN":
        return "boolean"
    if upper.startswith(("TIMESTAMP", "DATE", "TIME")) and upper != "TIME":
        return "temporal"
    if upper.startswith(("VARCHAR", "ENUM")):
        return "string"
    numeric = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
               "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL")  # fmt: skip
    if upper.startswith(numeric) and not upper.endswith("]"):
        return "numeric"
    if upper.startswith(("STRUCT", "MAP", "UNION", "LIST")) or upper.endswith("]"):
        return "nested"  # a list, array, struct or map: no value to group by
    return "other"


def arrow_to_pandas(table: Any) -> pd.DataFrame:
    """An Arrow result as pandas, typed as DuckDB's own ``fetch_df`` types it.

    Integers and booleans with nulls become pandas' nullable types (not floats or objects),
    decimals floats and dates timestamps; text stays Arrow-backed. Nine times faster than
    ``fetch_df`` on a grouping's text keys, which it copies into Python strings.
    """
    import pyarrow as pa

    nullable: dict[str, Any] = {}
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_date(kind):
            column = column.cast(pa.timestamp("us"))
        elif (pa.types.is_integer(kind) or pa.types.is_boolean(kind)) and column.null_count:
            nullable[name] = column
        columns.append(column)
    frame: pd.DataFrame = pa.table(columns, names=table.column_names).to_pandas()
    if nullable:
        masked = {
            pa.bool_(): pd.BooleanDtype(),
            pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(),
            pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(),
            pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
            pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(),
        }  # fmt: skip
        typed = pa.table(list(nullable.values()), names=list(nullable))
        converted = typed.to_pandas(types_mapper=masked.get)
        for name in nullable:
            frame[name] = converted[name]
    return frame


@functools.cache
def _database() -> Any:
    """One in-memory DuckDB database per process, with bounded memory.

    Each source takes its own cursor: a connection of its own, with its own tables. Memory
    is capped (1 GB, or two fifths of ``$FAIRLOOP_MEMORY_LIMIT`` when that is smaller; see
    :mod:`fairloop._memory`); past it, large operators spill to a temporary folder, and the
    scan does not keep row order it does not need.
    """
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = {sql_literal(duckdb_limit())}")
    con.execute(f"SET temp_directory = {sql_literal(tempfile.gettempdir() + '/fairloop.tmp')}")
    con.execute("SET preserve_insertion_order = false")
    return con


class DuckDBSource(SQLSource):
    """The queries run by DuckDB.

    Files are scanned by DuckDB's readers; in-memory tables are handed to DuckDB as
    Arrow (zero-copy for Arrow-backed pandas, polars and pyarrow), so every input
    runs the same aggregation on every core without Python touching a row.
    """

    grouping_sets = True

    def kind_of(self, type_name: str) -> ColumnKind:
        return duckdb_kind(type_name)

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
        return unreadable(self.description, detail, "Check the table's columns and types.")

    def _fetch(self, sql: str) -> pd.DataFrame:
        import duckdb

        try:
            if self.watch is None:
                return self._run(sql)
            return self._watched(sql, self.watch)
        except duckdb.Error as exc:
            raise self._error(exc) from None

    def _run(self, sql: str) -> pd.DataFrame:
        """A query's result as pandas, through Arrow (text columns stay Arrow strings)."""
        relation = self._con.sql(sql)
        if relation is None:  # a statement (CREATE ...): no rows
            return pd.DataFrame()
        return arrow_to_pandas(relation.to_arrow_table())

    def _watched(self, sql: str, watch: Callable[[float], None]) -> pd.DataFrame:
        """Run a query in a worker thread and report DuckDB's progress on this one.

        ``watch`` is called on the caller's thread (never concurrently with itself), with
        a rising share, and with 1.0 once the query is done. If it raises, the query is
        interrupted and the exception reaches the caller.
        """
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = self._run(sql)
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


class FrameSource(DuckDBSource):
    """A pandas, polars or pyarrow table (or anything narwhals reads), seen as Arrow."""

    def __init__(self, native: Any, *, columns: Sequence[str] | None = None) -> None:
        super().__init__()
        self.native = native
        frame = nw.from_native(native)
        self.description = f"the {type(native).__module__.split('.')[0]} table"
        names = list(frame.collect_schema().names())
        check_column_names(names)
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

    def declared_order(self, column: str) -> tuple[str, ...]:
        """A pandas categorical's categories, or a polars Enum's, as text."""
        native = self.native
        if isinstance(native, pd.DataFrame) and column in native:
            dtype = native[column].dtype
            if isinstance(dtype, pd.CategoricalDtype):
                return tuple(str(c) for c in dtype.categories)
            return ()
        try:
            dtype = nw.from_native(native).collect_schema()[column]
        except (KeyError, TypeError):
            return ()
        if isinstance(dtype, nw.Enum):
            return tuple(str(c) for c in dtype.categories)
        return ()

    def sha256(self, columns: Sequence[str]) -> str:
        return table_sha256(self.table, columns)


def _declared_names(data: Any) -> list[Any]:
    """Column names of tables that allow repeats (pandas, pyarrow), without resolving lazies."""
    if isinstance(data, pd.DataFrame):
        return list(data.columns)
    names = getattr(data, "column_names", None)  # pyarrow.Table
    return list(names) if isinstance(names, list) else []


def check_column_names(names: list[Any]) -> None:
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


class FileSource(DuckDBSource):
    """A CSV or Parquet file, or a glob or folder of them (one format), aggregated by DuckDB."""

    def __init__(self, path: str | Path, *, text_columns: Sequence[str] = ()) -> None:
        import duckdb

        super().__init__()
        self.path = str(path)
        self.description = f"file {self.path!r}"
        self.files = _resolve_files(self.path)
        self.format = _detect_format(self.files[0])
        if self.format == "csv":
            for file in self.files:
                self.repeated |= _check_width(file)
        self._describe(self._scan([]))
        present = [c for c in text_columns if c in self._types]
        self.relation = self._scan(present)
        if self.format == "csv" and _size(self.files) <= SMALL_CSV_BYTES:
            # read a small CSV once: the pass, the score bands and the id checks each scan
            # the rows, and parsing the text again would cost more than the queries
            try:
                self._con.execute(
                    f"CREATE OR REPLACE TEMPORARY TABLE __fl_log AS SELECT * FROM {self.relation}"
                )
            except duckdb.Error as exc:
                raise self._error(exc) from None
            self.relation = "__fl_log"
        if present:
            self._describe(self.relation)

    def _scan(self, text_columns: Sequence[str]) -> str:
        files = "[" + ", ".join(sql_literal(f) for f in self.files) + "]"
        if self.format == "parquet":
            return f"read_parquet({files}, union_by_name = true)"
        options = ""
        if text_columns:
            types = ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in text_columns)
            options = f", types = {{{types}}}"
        if len(self.files) > 1:  # several files: columns matched by name, as for Parquet
            options += ", union_by_name = true"
        return f"read_csv({files}, header = true{options})"

    def _error(self, exc: Exception) -> DecisionLogError:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        kind = "a Parquet" if self.format == "parquet" else "a CSV"
        return unreadable(
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


#: A CSV (or the CSVs of a folder) up to this size is read into DuckDB once, not per query.
SMALL_CSV_BYTES = 64 * 2**20


def _size(files: Sequence[str]) -> int:
    """The files' size as text: a compressed file counted as eight times its bytes."""
    return sum(
        Path(f).stat().st_size * (8 if f.lower().endswith((".gz", ".zst")) else 1) for f in files
    )


#: More columns than any decision log has: a wide table (one column per case or per
#: question), refused before DuckDB tries to type every one of them.
MAX_COLUMNS = 10_000


def _check_width(path: str) -> set[str]:
    """Refuse a CSV whose header has more than :data:`MAX_COLUMNS` columns, cheaply.

    Reads at most the first 64 MB of the header line (plain CSV; compressed files are left to
    DuckDB). Returns the names the header gives more than once.
    """
    if path.lower().endswith((".gz", ".zst")):
        return set()
    with open(path, "rb") as handle:
        header = handle.readline(64 * 2**20).split(b"\r")[0]  # old Mac line ends: \r alone
    separator = max((b",", b"\t", b";", b"|"), key=header.count)
    columns = 1 + header.count(separator)
    if columns > MAX_COLUMNS:
        raise DecisionLogError([Issue(
            IssueReason.UNSUPPORTED_INPUT, None,
            f"The file {path!r} has {columns:,} columns: a decision log has one row per case "
            "(or per judgment) and one column per role.",
            "Reshape the table to long format (one row per case and reviewer, e.g. "
            "pandas.melt) and audit that.",
        )])  # fmt: skip
    return _repeated_names(header, separator)


def _repeated_names(header: bytes, separator: bytes) -> set[str]:
    """The column names a CSV header gives more than once (a reader keeps one silently)."""
    import csv

    text = header.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    names = [n.strip() for n in next(csv.reader([text], delimiter=separator.decode()), [])]
    return {n for n in names if n and names.count(n) > 1}


def _resolve_files(path: str) -> list[str]:
    """The files a path names: itself, a folder's data files (one format) or a glob's."""
    p = Path(path)
    if p.is_dir():
        data = [f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")]
        parquet = sorted(str(f) for f in data if f.name.lower().endswith(_PARQUET_SUFFIXES))
        # a .txt beside the data is a note (a README), not a table
        tables = tuple(x for x in _CSV_SUFFIXES if x != ".txt")
        csv = sorted(str(f) for f in data if f.name.lower().endswith(tables))
        if parquet and csv:
            raise unreadable(
                f"folder {path!r}",
                f"it holds both Parquet ({len(parquet)}) and CSV ({len(csv)}) files, which "
                "would be read as one log only in part",
                f"Point to one kind: {str(p / '**' / '*.parquet')!r} or "
                f"{str(p / '**' / '*.csv')!r}, or move the others out.",
            )
        if not parquet and not csv:
            raise unreadable(
                f"folder {path!r}",
                "it holds no Parquet or CSV files",
                "Point to a CSV or Parquet file, a folder of them or a glob.",
            )
        return parquet or csv
    if any(ch in path for ch in "*?["):
        files = sorted(f for f in glob.glob(path, recursive=True) if Path(f).is_file())
        if not files:
            raise unreadable(
                f"glob {path!r}", "it matches no file", "Check the pattern and the folder."
            )
        formats = {_detect_format(f) for f in files}
        if len(formats) > 1:
            raise unreadable(
                f"glob {path!r}",
                "it matches both Parquet and CSV files",
                "Narrow the pattern to one kind (*.parquet or *.csv).",
            )
        return files
    if not p.exists():
        raise unreadable(
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

"""Decision logs in a SQL database, read through SQLAlchemy where they live.

The grouped pass runs inside the database; only the count cube (one small row per cell)
and a few counts come back, so the rows never leave the database. The queries are those
of :class:`~fairloop.decision_log._sql.SQLSource`; this module owns the dialects: how
each database names its types, quotes identifiers and text, parses numbers and times,
truncates a time to its window and hashes a value. PostgreSQL and SQLite have their own
dialect; any other database gets standard SQL, with identifiers and text quoted by its
SQLAlchemy dialect.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fairloop.decision_log._source import ColumnKind, unreadable
from fairloop.decision_log._sql import (
    SQLSource,
    fingerprint,
    quote_name,
    sql_literal,
)
from fairloop.exceptions import ConfigError, DecisionLogError
from fairloop.vocabulary import SUM_SCALE

__all__ = ["DatabaseSource", "DatabaseTable"]


@dataclass(frozen=True)
class DatabaseTable:
    """A decision log in a SQL database: a table, or the rows of a query.

    Pass it to :func:`fairloop.audit` like a DataFrame; the grouped pass is pushed into
    the database (``fairloop audit URL --table T`` on the command line).

    Parameters
    ----------
    url : str
        A SQLAlchemy URL, e.g. ``postgresql+psycopg://user:password@host/db`` or
        ``sqlite:///decisions.db``. PostgreSQL and SQLite are tested; other databases
        are queried in standard SQL through their SQLAlchemy dialect.
    table : str or None, default=None
        The table (or view) name; ``schema.table`` names another schema.
    query : str or None, default=None
        A ``SELECT`` whose rows are the log, instead of a table.

    Examples
    --------
    >>> DatabaseTable("postgresql+psycopg://localhost/db", table="decisions").relation
    '"decisions"'
    """

    url: str
    table: str | None = None
    query: str | None = None

    def __post_init__(self) -> None:
        if (self.table is None) == (self.query is None):
            raise ConfigError(
                "Name the rows of a database log with exactly one of table= (a table or "
                "view) or query= (a SELECT).",
                option="table",
            )

    @property
    def relation(self) -> str:
        """The rows as a SQL relation, identifiers quoted in standard SQL."""
        return self.relation_for(quote_name)

    def relation_for(self, quote: Callable[[str], str]) -> str:
        """The rows as a SQL relation, identifiers quoted by ``quote``."""
        if self.query is not None:
            return f"({self.query.strip().rstrip(';')}) AS fairloop_log"
        assert self.table is not None
        return ".".join(quote(part) for part in self.table.split("."))

    def describe(self) -> str:
        """Where the rows are, without the URL's password."""
        import sqlalchemy as sa

        where = sa.make_url(self.url).render_as_string(hide_password=True)
        return f"{where} {'table ' + repr(self.table) if self.table else 'query'}"


# PostgreSQL's type names (psycopg) by kind
_PG_KINDS: dict[str, ColumnKind] = {
    **dict.fromkeys(("int2", "int4", "int8", "float4", "float8", "numeric", "oid"), "numeric"),
    **dict.fromkeys(("text", "varchar", "bpchar", "char", "name", "citext", "uuid"), "string"),
    **dict.fromkeys(("timestamp", "timestamptz", "date"), "temporal"),
    "bool": "boolean",
}
_NUMBER = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
_DATE = r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?\s*$"
# SQLite's storage classes (typeof) by kind; it has no date or boolean type
_SQLITE_KINDS: dict[str, ColumnKind] = {"integer": "numeric", "real": "numeric", "text": "string"}
# SQLite's date modifiers giving the start of a window holding a time
_SQLITE_WINDOWS = {
    "day": "date({t})",
    "week": "date({t}, '-6 days', 'weekday 1')",  # the Monday on or before, as date_trunc
    "month": "date({t}, 'start of month')",
    "quarter": "date({t}, 'start of month', "
    "'-' || ((CAST(strftime('%m', {t}) AS INTEGER) - 1) % 3) || ' months')",
    "year": "date({t}, 'start of year')",
}


def _sqlite_hash(value: Any) -> int | None:
    """A 40-bit hash of a value's text (SQLite has no hash function of its own)."""
    if value is None:
        return None
    return int(hashlib.md5(str(value).encode(), usedforsecurity=False).hexdigest()[:10], 16)


def _sqlite_try_double(value: Any) -> float | None:
    """A value as a float, None where it does not read as a finite number."""
    if value is None or isinstance(value, bytes):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _sqlite_connect(connection: Any, _record: Any) -> None:
    """Each new SQLite connection: read-only, with the functions SQLite lacks.

    ``PRAGMA query_only`` makes SQLite refuse every statement that would change the file
    (the log is read, never written); the functions are deterministic.
    """
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA query_only = ON")
    finally:
        cursor.close()
    connection.create_function("fairloop_hash", 1, _sqlite_hash, deterministic=True)
    connection.create_function("fairloop_double", 1, _sqlite_try_double, deterministic=True)


class DatabaseSource(SQLSource):
    """The queries run by a SQL database through SQLAlchemy.

    Parameters
    ----------
    table : DatabaseTable
        The URL and the table or query.
    """

    def __init__(self, table: DatabaseTable) -> None:
        import sqlalchemy as sa

        super().__init__()
        self.table = table
        self.description = f"database {table.describe()}"
        try:
            # no pool: each of the few queries opens and closes its connection, so nothing
            # stays open once the audit is done
            self._engine = sa.create_engine(table.url, poolclass=sa.pool.NullPool)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise unreadable(
                self.description,
                str(exc).splitlines()[0],
                "Give a SQLAlchemy URL such as postgresql+psycopg://user:password@host/db or "
                "sqlite:///path/to/file.db (pip install 'fairloop[postgres]' for PostgreSQL).",
            ) from None
        self.dialect = str(self._engine.dialect.name)
        if self.dialect == "sqlite":
            sa.event.listen(self._engine, "connect", _sqlite_connect)
        self._text_processor = sa.String().literal_processor(  # type: ignore[no-untyped-call]
            dialect=self._engine.dialect
        )
        self._preparer = self._engine.dialect.identifier_preparer
        self.text_type = {"postgresql": "TEXT", "sqlite": "TEXT"}.get(self.dialect, "VARCHAR(4000)")
        self.double_type = "REAL" if self.dialect == "sqlite" else "DOUBLE PRECISION"
        self.relation = table.relation_for(self.quote)
        self._types = self._describe()

    # --- the dialect -------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return str(self._preparer.quote_identifier(name))

    def text_literal(self, text: str) -> str:
        """Standard SQL for PostgreSQL and SQLite; else the SQLAlchemy dialect's own quoting.

        That quoting doubles ``%`` for drivers whose placeholders use it; the queries go
        to the driver without parameters, so the doubling is undone.
        """
        if self.dialect in ("postgresql", "sqlite"):
            return sql_literal(text)
        quoted = str(self._text_processor(text))
        if self._engine.dialect.paramstyle in ("format", "pyformat"):
            quoted = quoted.replace("%%", "%")
        return quoted

    def kind_of(self, type_name: str) -> ColumnKind:
        if self.dialect == "postgresql":
            if type_name.startswith("_") or type_name in ("json", "jsonb", "hstore"):
                return "nested"  # an array or a document: no value to group by
            return _PG_KINDS.get(type_name, "other")
        if self.dialect == "sqlite":
            return _SQLITE_KINDS.get(type_name, "other")
        generic: dict[str, ColumnKind] = {
            "NUMBER": "numeric", "STRING": "string", "DATETIME": "temporal"
        }  # fmt: skip
        return generic.get(type_name, "other")

    def exact_sum(self, expr: str, alias: str) -> str:
        if self.dialect == "sqlite":  # one thread adds the rows in order; no 64-bit overflow
            return f"sum(({expr}) * {SUM_SCALE}) AS {alias}"
        return super().exact_sum(expr, alias)

    def try_double(self, expr: str) -> str:
        if self.dialect == "sqlite":
            return f"fairloop_double({expr})"
        if self.dialect == "postgresql":
            return f"CASE WHEN {expr} ~ '{_NUMBER}' THEN CAST({expr} AS DOUBLE PRECISION) END"
        return f"CAST({expr} AS DOUBLE PRECISION)"

    def try_timestamp(self, expr: str) -> str:
        if self.dialect == "sqlite":  # datetime() is NULL where the text is not a time
            return f"datetime({expr})"
        if self.dialect == "postgresql":
            return f"CASE WHEN {expr} ~ '{_DATE}' THEN CAST({expr} AS TIMESTAMP) END"
        return f"CAST({expr} AS TIMESTAMP)"

    def window_start(self, timestamp: str, window: str) -> str:
        if self.dialect == "sqlite":
            return _SQLITE_WINDOWS[window].format(t=timestamp)
        return super().window_start(timestamp, window)

    def row_hash(self, expr: str) -> str:
        if self.dialect == "sqlite":
            return f"fairloop_hash({expr})"
        return f"md5({expr})"

    def sha256(self, columns: Sequence[str]) -> str:
        """SHA-256 of an order-independent fingerprint of the rows, computed in the database."""
        values = [f"coalesce({self.as_text(c)}, '\\N')" for c in columns]
        if self.dialect == "sqlite":
            joined = " || '|' || ".join(values)
            return fingerprint(self, f"fairloop_hash({joined})", "sql")
        row = ", ".join(values)
        digest = f"('x' || substr(md5(concat_ws('|', {row})), 1, 15))"
        return fingerprint(self, f"CAST(CAST({digest} AS bit(60)) AS bigint)", "sql")

    # --- running queries ---------------------------------------------------------------
    def _error(self, exc: Exception) -> DecisionLogError:
        detail = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
        return unreadable(
            self.description,
            detail[0] if detail else type(exc).__name__,
            "Check the URL, that the server runs, and the table or query.",
        )

    def _describe(self) -> dict[str, str]:
        description, _ = self._run(f"SELECT * FROM {self.relation} LIMIT 0")
        names = [str(column[0]) for column in description]
        if self.dialect == "sqlite":  # no declared types: the storage classes of the values
            return {name: self._sqlite_class(name) for name in names}
        return {str(c[0]): self._type_name(c[1]) for c in description}

    def _sqlite_class(self, column: str) -> str:
        """The storage class of a column's values, or "mixed" when they differ."""
        c = self.quote(column)
        _, rows = self._run(
            f"SELECT DISTINCT typeof({c}) FROM {self.relation} WHERE {c} IS NOT NULL LIMIT 2"
        )
        return str(rows[0][0]) if len(rows) == 1 else ("mixed" if rows else "null")

    def _run(self, sql: str) -> tuple[Sequence[Any], list[tuple[Any, ...]]]:
        """A query on the driver's own cursor, without parameters, read-only.

        Not through ``sqlalchemy.text``, which reads ``:name`` as a parameter, nor with an
        empty parameter list, which makes drivers read ``%``: values from the data and the
        user's query reach the database exactly as written.

        The log is only read: every query runs in a transaction that is rolled back, one
        statement at a time. On PostgreSQL the transaction is ``READ ONLY`` (a write, a
        ``nextval`` or a data-modifying ``WITH`` fails) and the statement is prepared, so
        a query cannot smuggle a second statement (``...; COMMIT; DROP ...``); SQLite
        connections are ``query_only`` and run one statement per call.
        """
        import sqlalchemy as sa

        try:
            with self._engine.connect() as con:
                driver = con.connection.driver_connection
                cursor = driver.cursor()  # type: ignore[union-attr]
                try:
                    if self.dialect == "postgresql":
                        cursor.execute("SET TRANSACTION READ ONLY")
                        cursor.execute(sql, prepare=True)
                    else:
                        cursor.execute(sql)
                    description = list(cursor.description or [])
                    rows = [tuple(r) for r in cursor.fetchall()] if description else []
                finally:
                    cursor.close()
                    con.rollback()
                return description, rows
        except sa.exc.SQLAlchemyError as exc:
            raise self._error(exc) from None
        except Exception as exc:  # the driver's own errors (psycopg.Error, sqlite3.Error, ...)
            raise self._error(exc) from None

    def _type_name(self, type_code: Any) -> str:
        """The name of a driver's type code: PostgreSQL's own, else the DB-API 2.0 group."""
        if self.dialect == "postgresql":
            try:
                from psycopg.postgres import types

                info = types.get(type_code)
                return str(info.name) if info is not None else str(type_code)
            except ImportError:
                return str(type_code)
        dbapi = self._engine.dialect.dbapi
        for group in ("NUMBER", "STRING", "DATETIME"):
            kind = getattr(dbapi, group, None)
            if kind is not None and type_code == kind:
                return group
        return str(type_code)

    def provenance(self) -> dict[str, Any]:
        return {"kind": "database", "dialect": self.dialect, "where": self.table.describe()}

    def _fetch(self, sql: str) -> pd.DataFrame:
        description, rows = self._run(sql)
        return pd.DataFrame(rows, columns=[str(c[0]) for c in description])

"""Decision logs that stay where they live: a SQL database (SQLAlchemy) or a Spark DataFrame.

The grouped pass runs inside the engine; only the count cube (one small row per cell)
and a few counts come back. The rows never leave the database or the cluster.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fairloop.decision_log._read import ColumnKind, SQLSource, _unreadable
from fairloop.exceptions import ConfigError, DecisionLogError

__all__ = ["DatabaseSource", "DatabaseTable", "SparkSource", "is_spark_frame", "spark_frame"]

_NAMES = itertools.count()


@dataclass(frozen=True)
class DatabaseTable:
    """A decision log in a SQL database: a table, or the rows of a query.

    Pass it to :func:`fairloop.audit` like a DataFrame; the grouped pass is pushed into
    the database (``fairloop audit URL --table T`` on the command line).

    Parameters
    ----------
    url : str
        A SQLAlchemy URL, e.g. ``postgresql+psycopg://user:password@host/db``.
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
                "Name the rows of a database log with exactly one of --table (a table or "
                "view) or --query (a SELECT).",
                option="table",
            )

    @property
    def relation(self) -> str:
        """The rows as a SQL relation."""
        if self.query is not None:
            return f"({self.query.strip().rstrip(';')}) AS fairloop_log"
        assert self.table is not None
        return ".".join('"' + part.replace('"', '""') + '"' for part in self.table.split("."))

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


class DatabaseSource(SQLSource):
    """The queries run by a SQL database through SQLAlchemy (tested on PostgreSQL)."""

    text_type = "TEXT"
    double_type = "DOUBLE PRECISION"

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
            raise _unreadable(
                self.description,
                str(exc).splitlines()[0],
                "Give a SQLAlchemy URL such as postgresql+psycopg://user:password@host/db "
                "(pip install 'fairloop[postgres]' for the driver).",
            ) from None
        self.relation = table.relation
        self._types = self._describe()

    def _error(self, exc: Exception) -> DecisionLogError:
        detail = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
        return _unreadable(
            self.description,
            detail[0] if detail else type(exc).__name__,
            "Check the URL, that the server runs, and the table or query.",
        )

    def _describe(self) -> dict[str, str]:

        description, _ = self._run(f"SELECT * FROM {self.relation} LIMIT 0")
        return {str(column[0]): self._type_name(column[1]) for column in description}

    def _run(self, sql: str) -> tuple[Sequence[Any], list[tuple[Any, ...]]]:
        """A query on the driver's own cursor, without parameters.

        Not through ``sqlalchemy.text``, which reads ``:name`` as a parameter, nor with an
        empty parameter list, which makes drivers read ``%``: values from the data and the
        user's --query reach the database exactly as written.
        """
        import sqlalchemy as sa

        try:
            with self._engine.connect() as con:
                cursor = con.connection.driver_connection.cursor()  # type: ignore[union-attr]
                try:
                    cursor.execute(sql)
                    description = list(cursor.description or [])
                    rows = [tuple(r) for r in cursor.fetchall()] if description else []
                finally:
                    cursor.close()
                return description, rows
        except sa.exc.SQLAlchemyError as exc:
            raise self._error(exc) from None
        except Exception as exc:  # the driver's own errors (psycopg.Error, ...)
            raise self._error(exc) from None

    @staticmethod
    def _type_name(type_code: Any) -> str:
        try:
            from psycopg.postgres import types

            info = types.get(type_code)
            return str(info.name) if info is not None else str(type_code)
        except ImportError:
            return str(type_code)

    def kind_of(self, type_name: str) -> ColumnKind:
        return _PG_KINDS.get(type_name, "other")

    def provenance(self) -> dict[str, Any]:
        return {"kind": "database", "where": self.table.describe()}

    def _fetch(self, sql: str) -> pd.DataFrame:
        description, rows = self._run(sql)
        return pd.DataFrame(rows, columns=[str(c[0]) for c in description])

    def try_double(self, expr: str) -> str:
        return f"CASE WHEN {expr} ~ '{_NUMBER}' THEN CAST({expr} AS DOUBLE PRECISION) END"

    def try_timestamp(self, expr: str) -> str:
        return f"CASE WHEN {expr} ~ '{_DATE}' THEN CAST({expr} AS TIMESTAMP) END"

    def row_hash(self, expr: str) -> str:
        return f"md5({expr})"

    def sha256(self, columns: Sequence[str]) -> str:
        """SHA-256 of an order-independent fingerprint of the rows, computed in the database."""
        row = ", ".join(f"coalesce({self.as_text(c)}, '\\N')" for c in columns)
        digest = f"('x' || substr(md5(concat_ws('|', {row})), 1, 15))"
        return _fingerprint(self, f"CAST(CAST({digest} AS bit(60)) AS bigint)", "sql")


def _fingerprint(source: SQLSource, row_hash: str, engine: str) -> str:
    """SHA-256 of the row count and the sum of a hash of every row (order-independent)."""
    n, h = source.fetch_row(f"SELECT count(*) AS n, sum({row_hash}) AS h FROM {source.relation}")
    return hashlib.sha256(f"{engine}:{n}:{h}".encode()).hexdigest()


def is_spark_frame(data: Any) -> bool:
    """Whether ``data`` is a PySpark DataFrame (classic or Spark Connect)."""
    module = type(data).__module__
    return module.startswith("pyspark.sql") and type(data).__name__ == "DataFrame"


_SPARK_KINDS: dict[str, ColumnKind] = {
    **dict.fromkeys(("tinyint", "smallint", "int", "bigint", "float", "double"), "numeric"),
    **dict.fromkeys(("timestamp", "timestamp_ntz", "date"), "temporal"),
    "string": "string",
    "boolean": "boolean",
}


class SparkSource(SQLSource):
    """The queries run by Spark SQL over a DataFrame; only the cube is collected."""

    text_type = "STRING"

    def __init__(self, frame: Any) -> None:
        super().__init__()
        self.native = frame
        self.description = "the Spark DataFrame"
        self._spark = frame.sparkSession
        self.relation = f"fairloop_log_{next(_NAMES)}"
        frame.createOrReplaceTempView(self.relation)
        self._types = {str(name): str(kind) for name, kind in frame.dtypes}

    def kind_of(self, type_name: str) -> ColumnKind:
        base = type_name.split("(")[0]
        if base == "decimal":
            return "numeric"
        return _SPARK_KINDS.get(base, "other")

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def provenance(self) -> dict[str, Any]:
        return {"kind": "spark", "type": "DataFrame"}

    def _fetch(self, sql: str) -> pd.DataFrame:
        try:
            frame = self._spark.sql(sql)
            columns = list(frame.columns)
            rows = frame.collect()
        except Exception as exc:  # Spark raises its own AnalysisException and friends
            detail = str(exc).strip().splitlines()
            raise _unreadable(
                self.description,
                re.sub(r"\s+", " ", detail[0]) if detail else type(exc).__name__,
                "Check the DataFrame's columns and types.",
            ) from None
        return pd.DataFrame([tuple(r) for r in rows], columns=columns)

    def row_hash(self, expr: str) -> str:
        return f"xxhash64({expr})"

    def sha256(self, columns: Sequence[str]) -> str:
        """SHA-256 of an order-independent fingerprint of the rows, computed by Spark."""
        row = ", ".join(self.quote(c) for c in columns)
        return _fingerprint(self, f"CAST(xxhash64({row}) AS DECIMAL(38, 0))", "spark")


def spark_frame(location: str) -> Any:
    """A Spark DataFrame of a Parquet or CSV path (file, folder, glob) or a table name.

    Uses the active Spark session, else starts one: ``$FAIRLOOP_SPARK_MASTER`` or
    ``local[*]`` (Spark in this process, on every core).
    """
    import os
    from pathlib import Path

    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "--engine spark needs PySpark: pip install 'fairloop[spark]' (and a Java runtime).",
            option="engine",
        ) from None
    spark = SparkSession.getActiveSession()
    if spark is None:
        spark = (
            SparkSession.builder.master(os.environ.get("FAIRLOOP_SPARK_MASTER", "local[*]"))
            .appName("fairloop")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")  # times read as written, as DuckDB
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
    looks_like_path = any(ch in location for ch in "/*?[") or Path(location).exists()
    try:
        if not looks_like_path:
            return spark.table(location)
        if location.lower().endswith((".csv", ".csv.gz", ".tsv")):
            sep = "\t" if location.lower().endswith(".tsv") else ","
            return spark.read.csv(location, header=True, sep=sep)
        return spark.read.parquet(location)
    except Exception as exc:  # AnalysisException: no such path or table
        detail = re.sub(r"\s+", " ", str(exc).strip().splitlines()[0]) if str(exc) else ""
        raise _unreadable(
            f"{'path' if looks_like_path else 'Spark table'} {location!r}",
            detail or type(exc).__name__,
            "Give a Parquet or CSV path Spark can read, or the name of a table in its catalog.",
        ) from None

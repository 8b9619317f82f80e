"""Decision logs in Spark: the grouped pass runs as Spark SQL; only the cube is collected."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from fairloop.decision_log._source import ColumnKind, unreadable
from fairloop.decision_log._sql import SQLSource, fingerprint
from fairloop.exceptions import ConfigError

__all__ = ["SparkSource", "is_spark_frame", "spark_frame"]

_NAMES = itertools.count()


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
        if base.startswith(("struct", "array", "map")):
            return "nested"
        return _SPARK_KINDS.get(base, "other")

    def quote(self, name: str) -> str:
        if "${" in name:  # Spark substitutes ${...} in the SQL text before parsing it
            raise ConfigError(
                f"The column {name!r} holds a dollar sign before a brace, which Spark SQL "
                "reads as a variable. Rename the column for the Spark engine.",
                option="engine",
            )
        return "`" + name.replace("`", "``") + "`"

    def text_literal(self, text: str) -> str:
        """Text as a Spark SQL string literal that reads back exactly as given.

        Spark reads a backslash in a string literal as an escape (both are escaped), and
        substitutes ``${...}`` anywhere in the SQL text before it parses it: a ``$`` is
        written as its unicode escape (backslash u0024), so a value never names a variable.
        """
        escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("$", "\\u0024")
        return "'" + escaped + "'"

    def provenance(self) -> dict[str, Any]:
        return {"kind": "spark", "type": "DataFrame"}

    def _fetch(self, sql: str) -> pd.DataFrame:
        try:
            frame = self._spark.sql(sql)
            columns = list(frame.columns)
            rows = frame.collect()
        except Exception as exc:  # Spark raises its own AnalysisException and friends
            detail = str(exc).strip().splitlines()
            raise unreadable(
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
        return fingerprint(self, f"CAST(xxhash64({row}) AS DECIMAL(38, 0))", "spark")


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
        raise unreadable(
            f"{'path' if looks_like_path else 'Spark table'} {location!r}",
            detail or type(exc).__name__,
            "Give a Parquet or CSV path Spark can read, or the name of a table in its catalog.",
        ) from None

"""The row queries as SQL, written once for every engine; each engine supplies its dialect.

:class:`SQLSource` holds the grouped pass that builds the count cube and the few other
queries (repeated ids, missing counts, sample cases, case moments). A subclass says how
to run a query and how its dialect writes identifiers, text literals, type names, safe
casts, window starts and a row hash, so every engine builds the same cube.
"""

from __future__ import annotations

import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from fairloop.cube import ScoreParts
from fairloop.decision_log._source import Aggregation, ColumnKind, Source, as_text
from fairloop.vocabulary import CELLS, REVIEWED_CELLS, SUM_SCALE, Col, cell_sql

__all__ = ["SQLSource", "cell_conditions", "fingerprint", "quote_name", "sql_literal"]


def quote_name(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def cell_conditions(
    source: Source,
    prediction: str,
    label: str,
    positives: Mapping[str, Sequence[Any]],
    *,
    tokens: Mapping[str, Mapping[Any, str]] | None = None,
) -> dict[str, str]:
    """SQL conditions placing a row in each cell (:data:`fairloop.vocabulary.CELLS`).

    ``positives`` holds the raw values of the prediction and label columns that read as
    the positive value (as the cube pass found them). ``tokens``, for decisions with more
    than two declared values, maps each column's raw values to their text token
    (:func:`fairloop.vocabulary.token`), so that a human who chose another negative value
    is told apart exactly as the cube pass tells it (``0`` and ``0.0`` are one value).
    """
    lab = source.decision_expr(label)
    moved = "FALSE"
    if tokens is not None:
        pred_token = _as_token(source, prediction, tokens["prediction"])
        label_token = _as_token(source, label, tokens["label"])
        moved = f"({pred_token} <> {label_token})"
    return cell_sql(
        predicted=source.in_values(prediction, positives["prediction"]),
        reviewed=f"({lab} IS NOT NULL)",
        label=source.in_values(label, positives["label"]),
        moved=moved,
    )


def _as_token(source: Source, column: str, tokens: Mapping[Any, str]) -> str:
    """SQL: a decision column's value as its text token (the few raw values the pass saw)."""
    if not tokens:
        return "NULL"
    expr = source.decision_expr(column)
    whens = " ".join(
        f"WHEN {expr} = {source.literal(raw)} THEN {source.text_literal(tok)}"
        for raw, tok in tokens.items()
    )
    return f"(CASE {whens} END)"


_EXACT_SUMS = (Col.SCORE_SUM, Col.WEIGHT, Col.WEIGHT_VAR)

#: Temporary tables of a pass that groups the score apart: its groupings, and the
#: distinct (prediction, label) pairs in them.
_PASS, _PAIRS = f"{Col.PREFIX}pass", f"{Col.PREFIX}pairs"
_PAIRED = f"{Col.PREFIX}paired"


def sql_literal(text: str) -> str:
    """Text as a standard SQL string literal (quotes doubled; backslashes are plain)."""
    return "'" + text.replace("'", "''") + "'"


class SQLSource(ABC):
    """The grouped pass and the other row queries, as SQL over a relation of some engine.

    Subclasses say how to run a query and how their SQL dialect writes a few things
    (identifiers, text and float types, safe casts, window starts, a row hash); the
    queries themselves are the same for DuckDB, Spark and SQL databases, so every engine
    builds the same cube.
    """

    description: str
    #: Whether the engine runs GROUP BY GROUPING SETS (two groupings in one pass).
    grouping_sets = False
    #: Type names of the dialect.
    text_type = "VARCHAR"
    double_type = "DOUBLE"

    def __init__(self) -> None:
        self.relation = ""
        self.repeated: set[str] = set()
        self._types: dict[str, str] = {}
        #: After a pass that grouped the score apart: its spec, aggregates and window key.
        self._split: tuple[Aggregation, list[str], list[str]] | None = None

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

    @abstractmethod
    def kind_of(self, type_name: str) -> ColumnKind:
        """The broad kind of one of the engine's type names."""

    def text_literal(self, text: str) -> str:
        """Text as a string literal of the dialect (standard SQL: quotes doubled)."""
        return sql_literal(text)

    def literal(self, value: Any) -> str:
        """A Python or numpy scalar as a SQL literal of the dialect."""
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return repr(value)
        if isinstance(value, float):
            if math.isfinite(value):
                return repr(value)
            # nan and inf are no SQL literals (an engine may read them as column names)
            return f"CAST({self.text_literal(repr(value))} AS {self.double_type})"
        return self.text_literal(str(value))

    def quote(self, name: str) -> str:
        """A column name as a quoted identifier."""
        return quote_name(name)

    def exact_sum(self, expr: str, alias: str) -> str:
        """SQL: the sum of a float expression, the same whatever order the rows are added in.

        Each value is rounded to units of 1 / :data:`SUM_SCALE` and summed as a 38-digit
        integer (a parallel engine adds floats in a different order each run); the pass
        divides it back (:meth:`aggregate`).
        """
        return f"sum(CAST(round(({expr}) * {SUM_SCALE}) AS DECIMAL(38, 0))) AS {alias}"

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
        names = [*(self.quote(k) for k in spec.attributes), Col.PREDICTION, Col.LABEL]
        if spec.time is not None and spec.window is not None:
            names.append(Col.WINDOW)
        split = False
        if spec.score is not None and spec.bands is not None:
            fine = spec.bands.sql(self.score_value(spec.score, spec.score_kind))
            split = self.grouping_sets and bool(spec.sensitive)
            if split:
                # one pass: the keys by the score's stratum and, in a second grouping,
                # the sensitive groups by the fine band; the audit's cells and the
                # strata are sums of the first (see score_parts). The stratum of an
                # exact score is its value (few), mapped after the pass.
                bins, strata = spec.bands.bins, min(spec.bands.strata, spec.bands.bins)
                stratum = fine if spec.bands.exact else f"floor(({fine}) * {strata} / {bins})"
                keys.append(f"{stratum} AS {Col.BAND}")
                keys.append(f"{fine} AS {Col.FINE}")
            else:
                keys.append(f"{fine} AS {Col.BAND}")
                names.append(Col.BAND)
        if spec.review_reason is not None:
            keys.append(f"{self.as_text(spec.review_reason)} AS {Col.REASON}")
            names.append(Col.REASON)
        if spec.outcome is not None:
            keys.append(f"{self.decision_expr(spec.outcome)} AS {Col.OUTCOME}")
            names.append(Col.OUTCOME)
        if spec.review_probability is not None:
            aggs += self._weight_sums(spec)
        if spec.score is not None:
            s = self.quote(spec.score)
            value = self.score_value(spec.score, spec.score_kind)
            aggs += [
                f"count({value}) AS {Col.SCORE_N}",
                f"count({s}) - count({value}) AS {Col.SCORE_BAD}",
                f"min({value}) AS {Col.SCORE_MIN}",
                f"max({value}) AS {Col.SCORE_MAX}",
                self.exact_sum(value, Col.SCORE_SUM),
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
        self._split = None
        if not split:
            ordinals = ", ".join(str(i + 1) for i in range(len(keys)))
            sql = (
                f"SELECT {', '.join(keys)}, {', '.join(aggs)} FROM {self.relation} "
                f"GROUP BY {ordinals}"
            )
            return self._finished(self._fetch(sql), spec)
        window = [Col.WINDOW] if Col.WINDOW in names else []
        sensitive = [self.quote(k) for k in spec.sensitive]
        scored = [*sensitive, Col.PREDICTION, Col.LABEL, Col.FINE, *window]
        grouping = f"GROUPING SETS (({', '.join([*names, Col.BAND])}), ({', '.join(scored)}))"
        columns = [a.rsplit(" AS ", 1)[1] for a in aggs]
        aggs.append(f"GROUPING({Col.FINE}) = 0 AS {Col.SCORE_SET}")
        self._fetch(
            f"CREATE OR REPLACE TEMPORARY TABLE {_PASS} AS SELECT {', '.join(keys)}, "
            f"{', '.join(aggs)} FROM {self.relation} GROUP BY {grouping}"
        )
        self._split = (spec, columns, window)
        # the keys' grouping: the first grouping summed over the strata
        summed = [
            f"min({c}) AS {c}" if c.endswith("_min")
            else f"max({c}) AS {c}" if c.endswith("_max")
            else f"sum({c}) AS {c}" if c in _EXACT_SUMS
            else f"CAST(sum({c}) AS BIGINT) AS {c}"
            for c in columns
        ]  # fmt: skip
        sql = (
            f"SELECT {', '.join(names)}, {', '.join(summed)} FROM {_PASS} "
            f"WHERE NOT {Col.SCORE_SET} GROUP BY {', '.join(names)}"
        )
        return self._finished(self._fetch(sql), spec)

    def score_parts(self, classify: Callable[[pd.DataFrame], Sequence[str]]) -> ScoreParts | None:
        """The score's groupings, made from the pass's table (engines with grouping sets).

        Parameters
        ----------
        classify : callable
            Given the distinct (:attr:`Col.PREDICTION`, :attr:`Col.LABEL`) pairs the pass
            saw, the cell (:data:`CELLS`) of each: the cube's own rule, applied to values
            read as the pass's are.

        Returns
        -------
        ScoreParts or None
            None when the pass grouped once (the cube sums everything from it). The
            groupings by window are made from this source's tables when first asked for.
        """
        if self._split is None:
            return None
        spec, columns, window = self._split
        self._fetch(
            f"CREATE OR REPLACE TEMPORARY TABLE {_PAIRS} AS SELECT {Col.PREDICTION}, "
            f"{Col.LABEL}, row_number() OVER () - 1 AS pair FROM (SELECT DISTINCT "
            f"{Col.PREDICTION}, {Col.LABEL} FROM {_PASS} WHERE NOT {Col.SCORE_SET})"
        )
        pairs = self._fetch(f"SELECT * FROM {_PAIRS} ORDER BY pair")
        cells = list(classify(pairs))
        sensitive = [self.quote(k) for k in spec.sensitive]
        reviewer = self.quote(spec.reviewer) if spec.reviewer is not None else None
        context = [self.quote(k) for k in spec.attributes[len(sensitive) :]]
        context = [c for c in context if c != reviewer]
        kept = [*sensitive, Col.PREDICTION, Col.LABEL, Col.FINE, *window, *columns]
        scored = self._fetch(f"SELECT {', '.join(kept)} FROM {_PASS} WHERE {Col.SCORE_SET}")
        sums = []
        for cell in CELLS:
            ids = ", ".join(str(i) for i, c in enumerate(cells) if c == cell)
            where = f"pair IN ({ids})" if ids else "FALSE"
            sums.append(f"CAST(coalesce(sum({Col.N}) FILTER (WHERE {where}), 0) AS BIGINT) "
                        f"AS {Col.PREFIX}{cell}")  # fmt: skip
            if cell in REVIEWED_CELLS and Col.WEIGHT in columns:
                for prefix, column in (("w", Col.WEIGHT), ("v", Col.WEIGHT_VAR)):
                    sums.append(f"coalesce(sum({column}) FILTER (WHERE {where}), 0) "
                                f"AS {Col.PREFIX}{prefix}_{cell}")  # fmt: skip
        if Col.SCORE_N in columns:
            sums += [f"CAST(sum({Col.SCORE_N}) AS BIGINT) AS {Col.SCORE_N}",
                     f"sum({Col.SCORE_SUM}) AS {Col.SCORE_SUM}"]  # fmt: skip
        # each row of the keys' grouping with its decisions' pair, joined once
        self._fetch(
            f"CREATE OR REPLACE TEMPORARY TABLE {_PAIRED} AS SELECT t.*, p.pair FROM {_PASS} "
            f"AS t JOIN {_PAIRS} AS p ON t.{Col.PREDICTION} IS NOT DISTINCT FROM "
            f"p.{Col.PREDICTION} AND t.{Col.LABEL} IS NOT DISTINCT FROM p.{Col.LABEL} "
            f"WHERE NOT t.{Col.SCORE_SET}"
        )

        def grouped(keys: list[str]) -> pd.DataFrame:
            listed = ", ".join(keys)
            sql = f"SELECT {listed}, {', '.join(sums)} FROM {_PAIRED} GROUP BY {listed}"
            return self._finished(self._fetch(sql), spec)

        strata_keys = [*sensitive, *context, Col.BAND]
        reviewer_keys = [*sensitive, reviewer, Col.BAND] if reviewer is not None else None
        by_window = None
        if window:  # by window too, but only when a window is selected, stored or merged

            def by_window() -> tuple[pd.DataFrame, pd.DataFrame | None]:
                return grouped([*strata_keys, *window]), (
                    None if reviewer_keys is None else grouped([*reviewer_keys, *window])
                )

        reviewer_outcomes = None
        if reviewer_keys is not None and spec.outcome is not None:
            # the reviewers' decisions against the outcome by stratum: reviewers are
            # compared on like cases when review is routed by score
            listed = ", ".join([*reviewer_keys, Col.PREDICTION, Col.LABEL, Col.OUTCOME])
            reviewer_outcomes = self._finished(
                self._fetch(
                    f"SELECT {listed}, CAST(sum({Col.N}) AS BIGINT) AS {Col.N} FROM {_PASS} "
                    f"WHERE NOT {Col.SCORE_SET} GROUP BY {listed}"
                ),
                spec,
            )
        return ScoreParts(
            scored=self._finished(scored, spec),
            strata=grouped(strata_keys),
            reviewer_strata=None if reviewer_keys is None else grouped(reviewer_keys),
            by_window=by_window,
            reviewer_outcomes=reviewer_outcomes,
        )

    def _finished(self, out: pd.DataFrame, spec: Aggregation) -> pd.DataFrame:
        """A grouping as fetched, read as the cube reads it: keys as text, sums as floats."""
        for key in spec.attributes:
            if key in out:
                out[key] = as_text(out[key])
        for column in out.columns:  # in units of 1 / SUM_SCALE: the cube divides them
            if column in _EXACT_SUMS or str(column).startswith((f"{Col.PREFIX}w_",
                                                                  f"{Col.PREFIX}v_")):  # fmt: skip
                out[column] = pd.to_numeric(out[column]).astype(float)
        if Col.WINDOW in out:  # window starts as YYYY-MM-DD text, missing stays missing
            days = pd.to_datetime(out[Col.WINDOW])
            text = days.dt.strftime("%Y-%m-%d").astype(object)
            out[Col.WINDOW] = text.where(days.notna(), None)
        for column in (Col.TIME_MIN, Col.TIME_MAX):
            if column in out:  # engines return timestamps as objects or datetime64
                out[column] = pd.to_datetime(out[column])
        return out

    def score_value(self, column: str, kind: ColumnKind | None) -> str:
        """SQL: a score-like column as a finite float (NULL where it does not parse).

        NaN and infinities are no scores: they read as unparsable (counted and refused
        as any other), never as a number that turns a cell's score sum into NaN. The
        range test is false for NaN in every engine (it sorts NaN above all numbers).
        """
        s = self.quote(column)
        value = s if kind in ("numeric", "boolean") else self.try_double(s)
        cast = f"CAST({value} AS {self.double_type})"
        return f"(CASE WHEN {cast} BETWEEN -1.7e308 AND 1.7e308 THEN {cast} END)"

    def _weight_sums(self, spec: Aggregation) -> list[str]:
        """Aggregates of the review probability: weight sums and the rows that lack one."""
        p = self.score_value(str(spec.review_probability), spec.review_probability_kind)
        reviewed = f"({self.decision_expr(spec.label)} IS NOT NULL)"
        valid = f"({p} > 0 AND {p} <= 1)"
        return [
            self.exact_sum(f"CASE WHEN {reviewed} AND {valid} THEN 1.0 / {p} END", Col.WEIGHT),
            self.exact_sum(
                f"CASE WHEN {reviewed} AND {valid} THEN (1.0 - {p}) / ({p} * {p}) END",
                Col.WEIGHT_VAR,
            ),
            f"count(*) FILTER (WHERE {reviewed} AND {p} IS NULL) AS {Col.PROB_BAD}",
            f"count(*) FILTER (WHERE {p} <= 0 OR {p} > 1) AS {Col.PROB_OUT}",
            f"min({p}) AS {Col.PROB_MIN}",
            f"count({self.quote(str(spec.review_probability))}) - count({p}) AS {Col.PROB_N}",
        ]

    def distinct_scores(self, column: str, kind: ColumnKind, limit: int) -> list[float]:
        """Up to ``limit`` distinct values of the score (as the pass reads it), sorted."""
        value = self.score_value(column, kind)
        sql = (
            f"SELECT DISTINCT {value} AS v FROM {self.relation} "
            f"WHERE {value} IS NOT NULL LIMIT {int(limit)}"
        )
        return sorted(float(v) for v in self._fetch(sql)["v"])

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
        conditions = cell_conditions(
            self, spec.prediction, spec.label, positives, tokens=spec.tokens
        )
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
            out[key] = as_text(out[key])
        return out

    def agreement_counts(
        self, sensitive: Sequence[str], label: str, case_id: str, reviewer: str,
        positives: Sequence[Any],
    ) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
        """How the people who judged the same case agreed: two grouped passes.

        Returns
        -------
        cases : pandas.DataFrame
            Per combination of the sensitive attributes, number of human judgments ``m``
            of a case and how many of them were positive ``x``: the number of cases.
        pairs : pandas.DataFrame
            Per pair of reviewers who judged the same cases (``reviewer_a`` before
            ``reviewer_b`` as text) and their two decisions (``a``, ``b``, 1 positive): the
            number of cases.
        """
        attrs = [self.quote(a) for a in sensitive]
        lab, case = self.decision_expr(label), self.quote(case_id)
        positive = f"CASE WHEN {self.in_values(label, positives)} THEN 1 ELSE 0 END"
        keys = ", ".join(f"{a} AS k{i}" for i, a in enumerate(attrs))
        outer = ", ".join(f"k{i}" for i in range(len(attrs)))
        cases = self._fetch(
            f"SELECT {outer}, m, x, count(*) AS cases FROM (SELECT {keys}, count(*) AS m, "
            f"SUM({positive}) AS x FROM {self.relation} WHERE {lab} IS NOT NULL "
            f"GROUP BY {', '.join(attrs)}, {case}) AS per_case GROUP BY {outer}, m, x"
        )
        cases.columns = [*sensitive, *cases.columns[len(attrs) :]]
        for key in sensitive:
            cases[key] = as_text(cases[key])
        judged = (
            f"SELECT {case} AS c, {self.as_text(reviewer)} AS r, {positive} AS p "
            f"FROM {self.relation} WHERE {lab} IS NOT NULL AND {self.quote(reviewer)} IS NOT NULL"
        )
        pairs = self._fetch(
            f"SELECT one.r AS reviewer_a, two.r AS reviewer_b, one.p AS a, two.p AS b, "
            f"count(*) AS cases FROM ({judged}) AS one JOIN ({judged}) AS two "
            f"ON one.c = two.c AND one.r < two.r GROUP BY one.r, two.r, one.p, two.p"
        )
        return cases, pairs

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
        kind = self.kind(column)
        if value is None:  # missing, as the audit reads it: empty or blank text too
            return f"({c} IS NULL OR trim({c}) = '')" if kind == "string" else f"{c} IS NULL"
        literal = self.text_literal(value)
        if kind == "string":  # text is trimmed as the audit reads it
            return f"trim({c}) = {literal}"
        if kind == "boolean":  # Python writes True where SQL writes true
            return f"lower({self.as_text(column)}) = lower({literal})"
        return f"{self.as_text(column)} = {literal}"

    def in_values(self, column: str, values: Sequence[Any]) -> str:
        """SQL: the decision column (normalised as in the pass) holds one of ``values``."""
        if not values:
            return "FALSE"
        return f"({self.decision_expr(column)} IN ({', '.join(self.literal(v) for v in values)}))"

    def declared_order(self, column: str) -> tuple[str, ...]:
        """No declared order: a SQL column's values are shown in their natural order."""
        return ()

    def missing_count(self, column: str) -> int:
        c = self.quote(column)
        sql = f"SELECT count(*) - count({c}) AS missing FROM {self.relation}"
        return int(self._fetch(sql)["missing"].iloc[0])

    def sample_values(self, column: str, *, limit: int = 5) -> list[str]:
        sql = f"SELECT DISTINCT {self.as_text(column)} AS v FROM {self.relation} LIMIT {limit}"
        return [str(v) for v in self._fetch(sql)["v"]]


def fingerprint(source: SQLSource, row_hash: str, engine: str) -> str:
    """SHA-256 of the row count and the sum of a hash of every row (order-independent)."""
    n, h = source.fetch_row(f"SELECT count(*) AS n, sum({row_hash}) AS h FROM {source.relation}")
    return hashlib.sha256(f"{engine}:{n}:{h}".encode()).hexdigest()

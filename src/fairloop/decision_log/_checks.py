"""One ``check_*`` per rule a decision log must meet; each returns the issues it finds.

The checks read only the schema and the small aggregated table of the cube pass,
never the rows, except :func:`check_case_ids`, which asks the source to count
repeated ids in one grouped query.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from fairloop.config import AuditConfig
from fairloop.decision_log._source import Source
from fairloop.exceptions import Issue, IssueReason, mention
from fairloop.vocabulary import MISSING_GROUP, Col, token

__all__ = [
    "check_case_ids",
    "check_columns",
    "check_decision_values",
    "check_not_empty",
    "check_reference",
    "check_reserved_values",
    "check_review_probability",
    "check_score",
    "check_sensitive",
    "check_time",
]

MSG_MISSING_COLUMN = "Column {column!r} ({role}) is not in the log."
FIX_MISSING_COLUMN = "{hint}Columns in the log: {columns}."
MSG_REPEATED = (
    "Column {column!r} ({role}) is named more than once in the file's header: which one holds "
    "the data is ambiguous."
)
FIX_REPEATED = "Give every column a distinct name in the header (or choose another column)."
MSG_NESTED = "Column {column!r} ({role}) holds lists, structs or maps, not single values."
FIX_NESTED = "Flatten it to one value per case (for example one column per field) first."
MSG_RESERVED = (
    "{rows:,} rows hold the value {value!r}, which is how fairloop names missing values: "
    "the two would be counted as one group."
)
FIX_RESERVED = (
    "Recode the value in {column!r} (for example to 'not recorded'), or leave those cells "
    "empty if they are missing."
)
MSG_EMPTY = "The log has no rows."
FIX_EMPTY = "Check the file or the filter that produced the table; an audit needs decisions."
MSG_MISSING_PREDICTION = "{rows} rows have no model decision."
FIX_MISSING_PREDICTION = "Drop those rows or fill in the model's decision; every case needs one."
MSG_OUTSIDE_SET = "{rows} rows hold values outside the declared set {declared}: {found}."
FIX_OUTSIDE_SET = f"Map those values to one of {{declared}}, or add them to {mention('values')}."
MSG_NOT_BINARY = "Decisions take {count} values across prediction and label: {found}."
FIX_NOT_BINARY = (
    f"Declare the value set with {mention('values')} (every value but the positive one, "
    "{positive!r}, is then negative), or map the column to two values."
)
MSG_POSITIVE_NOT_FOUND = (
    "The positive value {positive!r} occurs in neither the prediction nor the label; "
    "values seen: {found}."
)
FIX_POSITIVE_NOT_FOUND = (
    f"Set {mention('positive')} to the positive value as it appears in the data."
)
MSG_SENSITIVE_MISSING = "{rows} rows have no value for this sensitive attribute."
FIX_SENSITIVE_MISSING = (
    f"Fill in or drop those rows, or pass {mention('missing_sensitive', 'group')} "
    "to audit them as an explicit '(missing)' group."
)
MSG_SINGLE_GROUP = "The sensitive attribute has one value ({value!r}) in all {rows} rows."
FIX_SINGLE_GROUP = (
    f"Disparities need at least two groups: remove the column from {mention('sensitive')}, "
    "or check "
    "that the log was not filtered to one group."
)
MSG_SCORE_NOT_NUMERIC = "The score must be numeric. Got {kind} values such as {examples}."
MSG_SCORE_BAD_VALUES = "{rows} score values are not numbers."
MSG_SCORE_EMPTY = "The score column has no value in any row."
FIX_SCORE_NOT_NUMERIC = (
    f"Convert the score column to numbers in [0, 1], or leave {mention('score')} out."
)
MSG_PROBABILITY_NOT_NUMERIC = (
    "The review probability must be a number in (0, 1]. Got {kind} values such as {examples}."
)
MSG_PROBABILITY_BAD = "{rows} review probability values are not numbers."
MSG_PROBABILITY_MISSING = "{rows} reviewed cases have no review probability."
MSG_PROBABILITY_RANGE = (
    "{rows} review probability values lie outside (0, 1]: a reviewed case must have had a "
    "chance of review, and no chance exceeds 1."
)
FIX_PROBABILITY = (
    "Give every reviewed case the probability with which the routing sent it to review "
    f"(by its design), as a number in (0, 1]; or leave {mention('review_probability')} out "
    "and let fairloop weight within score bands and decisions."
)
MSG_SCORE_RANGE = "{rows} score values lie outside [0, 1] (min {low:g}, max {high:g})."
FIX_SCORE_RANGE = (
    "Pass the model's probability (apply a sigmoid to raw margins, divide deciles by 10), "
    f"or leave {mention('score')} out."
)
MSG_DUPLICATE_IDS = "{rows} rows repeat a case id of an earlier row (for example {examples})."
FIX_DUPLICATE_IDS = (
    "Keep one row per case (drop duplicate rows or keep the latest decision), point "
    f"{mention('case_id')} at the column that identifies cases, or, when several people "
    f"judged each case, name the reviewer column ({mention('reviewer')}): each judgment is "
    "then one row."
)
MSG_DUPLICATE_PAIRS = (
    "{rows} rows repeat the case id and reviewer of an earlier row (for example {examples})."
)
FIX_DUPLICATE_PAIRS = (
    "Keep one judgment per case and reviewer (drop duplicate rows or keep the latest), or "
    f"point {mention('case_id')} at the column that identifies cases."
)
MSG_MISSING_IDS = "{rows} rows have no case id."
FIX_MISSING_IDS = f"Give every case an id, or leave {mention('case_id')} out."
MSG_BAD_TIME = "{rows} values cannot be read as dates or times."
FIX_BAD_TIME = (
    f"Use ISO 8601 timestamps such as 2025-03-01T14:05:00, or leave {mention('time')} out."
)
MSG_BAD_REFERENCE = "The reference group {value!r} does not occur in this attribute ({values})."
FIX_BAD_REFERENCE = (
    f"Set the reference group of {{column}} ({mention('reference')}) to one of the "
    "attribute's values, or remove it."
)


def _closest(name: str, columns: Sequence[str]) -> str:
    lowered = {c.lower(): c for c in columns}
    if name.lower() in lowered:
        return f"Did you mean {lowered[name.lower()]!r}? "
    match = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.6)
    return f"Did you mean {match[0]!r}? " if match else ""


def _listing(values: Sequence[object], limit: int = 12) -> str:
    shown = ", ".join(repr(str(v)) for v in list(values)[:limit])
    more = len(values) - limit
    return shown + (f", ... ({more} more)" if more > 0 else "")


def check_columns(source: Source, config: AuditConfig) -> list[Issue]:
    """Every column given a role must exist; suggest the closest name when one does not."""
    columns = source.columns()
    issues = []
    for role, value in config.roles.items():
        for name in [value] if isinstance(value, str) else value:
            if name not in columns:
                issues.append(
                    Issue(
                        IssueReason.MISSING_COLUMN,
                        name,
                        MSG_MISSING_COLUMN.format(column=name, role=role),
                        FIX_MISSING_COLUMN.format(
                            hint=_closest(name, columns), columns=_listing(columns, 30)
                        ),
                    )
                )
            elif name in source.repeated:
                issues.append(Issue(
                    IssueReason.UNSUPPORTED_INPUT, name,
                    MSG_REPEATED.format(column=name, role=role), FIX_REPEATED,
                ))  # fmt: skip
            elif source.kind(name) == "nested":
                issues.append(Issue(
                    IssueReason.UNSUPPORTED_INPUT, name,
                    MSG_NESTED.format(column=name, role=role), FIX_NESTED,
                ))  # fmt: skip
    return issues


def check_not_empty(agg: pd.DataFrame) -> list[Issue]:
    """The log must have at least one row."""
    if int(agg[Col.N].sum()) == 0:
        return [Issue(IssueReason.EMPTY_LOG, None, MSG_EMPTY, FIX_EMPTY, rows=0)]
    return []


def _value_counts(agg: pd.DataFrame, column: str) -> dict[str, int]:
    """Rows per decision value, values compared as text (each distinct value converted once)."""
    codes, uniques = pd.factorize(agg[column], use_na_sentinel=True)
    rows = np.bincount(codes[codes >= 0], weights=agg[Col.N].to_numpy()[codes >= 0],
                       minlength=len(uniques))  # fmt: skip
    out: dict[str, int] = {}
    for value, count in zip(uniques, rows, strict=True):
        key = token(value)
        out[key] = out.get(key, 0) + int(count)
    return out


MSG_OUTCOME_NOT_BINARY = "The outcome takes {count} values: {found}."
FIX_OUTCOME_NOT_BINARY = (
    "Map the outcome to two values (what happened, or not), e.g. 1 and 0; leave it empty "
    "where it is not yet known."
)
MSG_OUTCOME_VALUE_NOT_FOUND = (
    "No outcome reads as {value!r}, the value that shows a positive decision was right; "
    "outcomes seen: {found}."
)
FIX_OUTCOME_VALUE_NOT_FOUND = (
    f"Set {mention('outcome_positive')} to the outcome value as it appears in the data "
    "(re-offended for a high-risk decision, repaid for an approval)."
)


def check_outcome_values(agg: pd.DataFrame, config: AuditConfig) -> list[Issue]:
    """The outcome takes at most two values, one of them the positive decision's."""
    if config.outcome is None or Col.OUTCOME not in agg:
        return []
    counts = _value_counts(agg, Col.OUTCOME)
    seen = sorted(counts)
    if len(seen) > 2:
        return [
            Issue(
                IssueReason.NOT_BINARY,
                config.outcome,
                MSG_OUTCOME_NOT_BINARY.format(count=len(seen), found=_listing(seen)),
                FIX_OUTCOME_NOT_BINARY,
                rows=sum(counts.values()),
            )
        ]
    value = token(config.outcome_value)
    if seen and value not in seen and (len(seen) == 2 or not set(seen) <= {"0", "1"}):
        return [
            Issue(
                IssueReason.POSITIVE_NOT_FOUND,
                config.outcome,
                MSG_OUTCOME_VALUE_NOT_FOUND.format(
                    value=config.outcome_value, found=_listing(seen)
                ),
                FIX_OUTCOME_VALUE_NOT_FOUND,
            )
        ]
    return []


def check_decision_values(agg: pd.DataFrame, config: AuditConfig) -> list[Issue]:
    """Decisions are binary, or every value lies in the declared set; ``positive`` occurs."""
    issues = []
    missing_pred = int(agg.loc[agg[Col.PREDICTION].isna(), Col.N].sum())
    if missing_pred:
        issues.append(
            Issue(
                IssueReason.VALUE_OUTSIDE_SET,
                config.prediction,
                MSG_MISSING_PREDICTION.format(rows=missing_pred),
                FIX_MISSING_PREDICTION,
                rows=missing_pred,
            )
        )
    found = {
        config.prediction: _value_counts(agg, Col.PREDICTION),
        config.label: _value_counts(agg, Col.LABEL),
    }
    positive = token(config.positive)
    if config.values is not None:
        declared = [token(v) for v in config.values]
        for column, counts in found.items():
            outside = {k: v for k, v in counts.items() if k not in declared}
            if outside:
                rows = sum(outside.values())
                issues.append(
                    Issue(
                        IssueReason.VALUE_OUTSIDE_SET,
                        column,
                        MSG_OUTSIDE_SET.format(
                            rows=rows, declared=declared, found=_listing(list(outside))
                        ),
                        FIX_OUTSIDE_SET.format(declared=declared),
                        rows=rows,
                    )
                )
        return issues
    seen = sorted(set(found[config.prediction]) | set(found[config.label]))
    if len(seen) > 2:
        total: dict[str, int] = {}
        for counts in found.values():
            for key, rows in counts.items():
                total[key] = total.get(key, 0) + rows
        # the two most common values (the favourable one first) are taken as the pair;
        # the columns holding any other value are the ones to fix
        ranked = sorted(total, key=lambda k: (k != positive, -total[k], k))
        extra = set(ranked[2:])
        for column, counts in found.items():
            odd = sorted(extra & set(counts))
            if odd:
                rows = sum(counts[k] for k in odd)
                issues.append(
                    Issue(
                        IssueReason.NOT_BINARY,
                        column,
                        MSG_NOT_BINARY.format(count=len(seen), found=_listing(seen))
                        + f" This column holds {_listing(odd)} in {rows} rows.",
                        FIX_NOT_BINARY.format(positive=config.positive),
                        rows=rows,
                    )
                )
    elif positive not in seen and (len(seen) == 2 or not set(seen) <= {"0", "1"}):
        # two values neither of which is favourable, or one value that is not even 0/1-like
        issues.append(
            Issue(
                IssueReason.POSITIVE_NOT_FOUND,
                config.prediction,
                MSG_POSITIVE_NOT_FOUND.format(positive=config.positive, found=_listing(seen)),
                FIX_POSITIVE_NOT_FOUND,
            )
        )
    return issues


def check_sensitive(agg: pd.DataFrame, config: AuditConfig) -> list[Issue]:
    """Sensitive attributes have no missing value (unless kept as a group) and two values."""
    issues = []
    for column in config.sensitive:
        missing = agg[column].isna().to_numpy()
        rows = int(agg.loc[missing, Col.N].sum())
        if rows and config.missing_sensitive == "error":
            issues.append(
                Issue(
                    IssueReason.MISSING_SENSITIVE,
                    column,
                    MSG_SENSITIVE_MISSING.format(rows=rows),
                    FIX_SENSITIVE_MISSING,
                    rows=rows,
                )
            )
        present = agg[column][agg[Col.N].to_numpy() > 0]
        present = present.fillna(MISSING_GROUP) if present.hasnans else present
        # one value or more: a comparison with the first, not a hash of every value
        if len(present) and not (present != present.iloc[0]).any():
            issues.append(
                Issue(
                    IssueReason.SINGLE_GROUP,
                    column,
                    MSG_SINGLE_GROUP.format(value=str(present.iloc[0]), rows=int(agg[Col.N].sum())),
                    FIX_SINGLE_GROUP,
                )
            )
    return issues


def check_reserved_values(agg: pd.DataFrame, config: AuditConfig) -> list[Issue]:
    """No attribute value may read as fairloop's name for missing values.

    A literal ``(missing)`` would otherwise merge silently with the missing values.
    """
    issues = []
    for column in (*config.sensitive, *config.context, *filter(None, [config.reviewer])):
        if column not in agg:
            continue
        rows = int(agg.loc[agg[column].to_numpy() == MISSING_GROUP, Col.N].sum())
        if rows:
            issues.append(Issue(
                IssueReason.VALUE_OUTSIDE_SET, column,
                MSG_RESERVED.format(rows=rows, value=MISSING_GROUP),
                FIX_RESERVED.format(column=column), rows=rows,
            ))  # fmt: skip
    return issues


def check_reference(agg: pd.DataFrame, config: AuditConfig) -> list[Issue]:
    """A configured reference group must occur in its attribute."""
    issues = []
    for column, value in config.reference.items():
        values = sorted(set(agg[column].fillna(MISSING_GROUP).tolist()))
        if value not in values:
            issues.append(
                Issue(
                    IssueReason.VALUE_OUTSIDE_SET,
                    column,
                    MSG_BAD_REFERENCE.format(value=value, values=_listing(values)),
                    FIX_BAD_REFERENCE.format(column=column),
                )
            )
    return issues


def check_review_probability(
    source: Source, agg: pd.DataFrame | None, config: AuditConfig
) -> list[Issue]:
    """The review probability is numeric, given for every reviewed case and in (0, 1].

    Called before the pass with ``agg=None`` to check the column type, and after it
    to check the aggregated counts.
    """
    column = config.review_probability
    if column is None or column not in source.columns():
        return []
    if agg is None:
        kind = source.kind(column)
        if kind in ("numeric", "boolean", "string"):
            return []
        examples = _listing(source.sample_values(column), 3)
        message = MSG_PROBABILITY_NOT_NUMERIC.format(kind=kind, examples=examples)
        return [Issue(IssueReason.BAD_REVIEW_PROBABILITY, column, message, FIX_PROBABILITY)]
    issues = []
    for key, message in (
        (Col.PROB_N, MSG_PROBABILITY_BAD),
        (Col.PROB_BAD, MSG_PROBABILITY_MISSING),
        (Col.PROB_OUT, MSG_PROBABILITY_RANGE),
    ):
        rows = int(agg[key].sum()) if key in agg else 0
        if rows:
            issues.append(
                Issue(
                    IssueReason.BAD_REVIEW_PROBABILITY,
                    column,
                    message.format(rows=rows),
                    FIX_PROBABILITY,
                    rows=rows,
                )
            )
    return issues


def check_score(source: Source, agg: pd.DataFrame | None, config: AuditConfig) -> list[Issue]:
    """The score is numeric and lies in [0, 1].

    Called before the pass with ``agg=None`` to check the column type, and after it
    to check the aggregated counts and range.
    """
    column = config.score
    if column is None or column not in source.columns():
        return []
    kind = source.kind(column)
    if agg is None:
        if kind in ("numeric", "boolean", "string"):
            return []  # text is parsed in the pass; values that are not numbers are counted
        examples = _listing(source.sample_values(column), 3)
        return [
            Issue(
                IssueReason.SCORE_NOT_NUMERIC,
                column,
                MSG_SCORE_NOT_NUMERIC.format(kind=kind, examples=examples),
                FIX_SCORE_NOT_NUMERIC,
            )
        ]
    issues = []
    if (
        Col.SCORE_N in agg
        and int(agg[Col.SCORE_N].sum()) == 0
        and not (Col.SCORE_BAD in agg and int(agg[Col.SCORE_BAD].sum()))
    ):
        issues.append(Issue(IssueReason.SCORE_NOT_NUMERIC, column, MSG_SCORE_EMPTY,
                            FIX_SCORE_NOT_NUMERIC, rows=0))  # fmt: skip
    if Col.SCORE_BAD in agg and int(agg[Col.SCORE_BAD].sum()):
        rows = int(agg[Col.SCORE_BAD].sum())
        issues.append(
            Issue(
                IssueReason.SCORE_NOT_NUMERIC,
                column,
                MSG_SCORE_BAD_VALUES.format(rows=rows),
                FIX_SCORE_NOT_NUMERIC,
                rows=rows,
            )
        )
    if Col.SCORE_MIN in agg and agg[Col.SCORE_N].sum() > 0:
        low = float(np.nanmin(agg[Col.SCORE_MIN].to_numpy(dtype=float)))
        high = float(np.nanmax(agg[Col.SCORE_MAX].to_numpy(dtype=float)))
        if low < 0 or high > 1:
            rows = int(agg[Col.SCORE_OUT].sum())
            issues.append(
                Issue(
                    IssueReason.SCORE_OUT_OF_RANGE,
                    column,
                    MSG_SCORE_RANGE.format(rows=rows, low=low, high=high),
                    FIX_SCORE_RANGE,
                    rows=rows,
                )
            )
    return issues


def check_time(agg: pd.DataFrame, config: AuditConfig) -> list[Issue]:
    """Every non-missing time value can be read as a date or time."""
    if config.time is None or Col.TIME_BAD not in agg:
        return []
    rows = int(agg[Col.TIME_BAD].sum())
    if not rows:
        return []
    return [
        Issue(IssueReason.BAD_TIME, config.time, MSG_BAD_TIME.format(rows=rows), FIX_BAD_TIME, rows)
    ]


def check_case_ids(
    source: Source, config: AuditConfig, repeats: tuple[int, list[str]] | None = None
) -> list[Issue]:
    """Case ids are unique: one row per case, or per (case, reviewer) with a reviewer column.

    With a reviewer column, a case id may repeat when different reviewers judged the case
    (several judgments of one case); the audit then treats a case's judgments as one
    cluster. The same (case, reviewer) pair twice is still an error. ``repeats`` is
    :meth:`Source.duplicate_ids` of the case id, when the caller has it already.
    """
    if config.case_id is None:
        return []
    issues = []
    missing = source.missing_count(config.case_id)
    if missing:
        issues.append(
            Issue(
                IssueReason.DUPLICATE_CASE_ID,
                config.case_id,
                MSG_MISSING_IDS.format(rows=missing),
                FIX_MISSING_IDS,
                rows=missing,
            )
        )
    rows, examples = repeats if repeats is not None else source.duplicate_ids(config.case_id)
    if not rows:
        return issues
    message, fix = MSG_DUPLICATE_IDS, FIX_DUPLICATE_IDS
    if config.reviewer is not None:
        rows, examples = source.repeated_pairs(config.case_id, config.reviewer)
        if not rows:
            return issues  # several reviewers judged some cases: clusters, not duplicates
        message, fix = MSG_DUPLICATE_PAIRS, FIX_DUPLICATE_PAIRS
    return [
        *issues,
        Issue(
            IssueReason.DUPLICATE_CASE_ID,
            config.case_id,
            message.format(rows=rows, examples=_listing(examples, 3)),
            fix,
            rows=rows,
        ),
    ]

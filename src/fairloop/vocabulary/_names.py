"""The closed vocabularies fairloop's layers share: option choices, statuses, severities.

Closed sets are ``Literal`` aliases; the tuple of each (``VERDICTS`` ...) is read from
the alias, so the type checker and the runtime checks agree.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

__all__ = [
    "ALL_CASES",
    "BETWEEN_GROUPS",
    "COMPARISONS",
    "DECISIONS",
    "ESTIMATORS",
    "FLAG",
    "INSUFFICIENT",
    "INSUFFICIENT_CODE",
    "INVERSE_PROBABILITY",
    "MISSING_GROUP",
    "OK_CODE",
    "PASS",
    "POST_STRATIFIED",
    "REFERENCE",
    "REVIEWED",
    "REVIEW_STATUSES",
    "SEVERITIES",
    "STATUS_ORDER",
    "SUPPRESSED_CODE",
    "TO_OVERALL",
    "VERDICTS",
    "CIMethod",
    "Comparison",
    "Decision",
    "Estimator",
    "FdrMethod",
    "MissingSensitive",
    "PolicyCompare",
    "PolicyMeasure",
    "Severity",
    "Status",
    "Verdict",
    "Window",
]

CIMethod: TypeAlias = Literal["wilson", "clopper-pearson"]
MissingSensitive: TypeAlias = Literal["error", "group"]
#: A figure's status, by severity: a comparison takes the worst of its two sides.
Status: TypeAlias = Literal["ok", "insufficient", "suppressed"]
Comparison: TypeAlias = Literal["reference", "to_overall", "between_groups"]
Window: TypeAlias = Literal["day", "week", "month", "quarter", "year"]
FdrMethod: TypeAlias = Literal["bh", "by"]
PolicyMeasure: TypeAlias = Literal["difference", "ratio"]
PolicyCompare: TypeAlias = Literal["to_overall", "reference"]
#: How a figure is estimated: on every case; on the reviewed cases as they are; or for
#: every case from the reviewed ones, weighted within strata or by inverse review
#: probability. ``auto`` (an option, never a figure's) picks one from the log.
Estimator: TypeAlias = Literal["all cases", "reviewed", "post-stratified", "inverse-probability"]
#: A flag's severity, lowest first.
Severity: TypeAlias = Literal["low", "medium", "high"]
#: A policy verdict, read from the interval of the measure, never from its point estimate.
Verdict: TypeAlias = Literal["pass", "flag", "insufficient evidence"]
#: What a reviewer may record about a flag.
Decision: TypeAlias = Literal["confirmed", "justified", "needs-data", "mitigated", "reopened"]

STATUS_ORDER: tuple[str, ...] = get_args(Status)
#: A figure's status as the arrays of the metrics hold it: its index in STATUS_ORDER, so
#: the worst of two statuses is their maximum.
OK_CODE, INSUFFICIENT_CODE, SUPPRESSED_CODE = range(len(STATUS_ORDER))
COMPARISONS: tuple[str, ...] = get_args(Comparison)
REFERENCE, TO_OVERALL, BETWEEN_GROUPS = COMPARISONS
SEVERITIES: tuple[str, ...] = get_args(Severity)
VERDICTS: tuple[str, ...] = get_args(Verdict)
PASS, FLAG, INSUFFICIENT = VERDICTS
DECISIONS: tuple[str, ...] = get_args(Decision)
ESTIMATORS: tuple[str, ...] = get_args(Estimator)
ALL_CASES, REVIEWED, POST_STRATIFIED, INVERSE_PROBABILITY = ESTIMATORS
#: A flag's derived review status, as ``ReviewStore.flags(status=...)`` filters on it
#: ("awaiting" matches every "awaiting second reviewer (...)"; a reopened flag is open).
REVIEW_STATUSES: tuple[str, ...] = ("open", "awaiting", *(d for d in DECISIONS if d != "reopened"))

#: The label given to rows whose sensitive value is missing under ``missing_sensitive="group"``.
MISSING_GROUP = "(missing)"

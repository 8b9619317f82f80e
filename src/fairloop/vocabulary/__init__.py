"""The bottom layer: the words every other part of fairloop uses.

Cells of the count cube, metric definitions, closed option sets, statuses, severities,
reserved column names and how a decision value reads as text. It imports nothing from
the rest of fairloop but :mod:`fairloop.exceptions`, and everything above imports it.
"""

from fairloop.vocabulary._cells import CELL_RULES, CELLS, SCORE_SUMS, cell_of, cell_sql
from fairloop.vocabulary._metrics import METRICS, MetricSpec, cell_weights, test_identity
from fairloop.vocabulary._names import (
    CI_METHODS,
    COMPARISONS,
    DECISIONS,
    FDR_METHODS,
    MISSING_GROUP,
    MISSING_SENSITIVE_MODES,
    POLICY_COMPARES,
    POLICY_MEASURES,
    REVIEW_STATUSES,
    SEVERITIES,
    STATUS_ORDER,
    WINDOWS,
    CIMethod,
    Comparison,
    Decision,
    FdrMethod,
    MissingSensitive,
    PolicyCompare,
    PolicyMeasure,
    Severity,
    Status,
    Window,
)
from fairloop.vocabulary._reserved import Col
from fairloop.vocabulary._values import token

__all__ = [
    "CELLS",
    "CELL_RULES",
    "CI_METHODS",
    "COMPARISONS",
    "DECISIONS",
    "FDR_METHODS",
    "METRICS",
    "MISSING_GROUP",
    "MISSING_SENSITIVE_MODES",
    "POLICY_COMPARES",
    "POLICY_MEASURES",
    "REVIEW_STATUSES",
    "SCORE_SUMS",
    "SEVERITIES",
    "STATUS_ORDER",
    "WINDOWS",
    "CIMethod",
    "Col",
    "Comparison",
    "Decision",
    "FdrMethod",
    "MetricSpec",
    "MissingSensitive",
    "PolicyCompare",
    "PolicyMeasure",
    "Severity",
    "Status",
    "Window",
    "cell_of",
    "cell_sql",
    "cell_weights",
    "test_identity",
    "token",
]

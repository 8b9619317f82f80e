"""The JSON evidence bundle: provenance, metrics, disparities, summary, flags, selection."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fairloop.flags._flag import FLAG_COLUMNS
from fairloop.flags._policy import VERDICT_COLUMNS
from fairloop.metrics import (
    AGREEMENT_COLUMNS,
    GAP_CHANGE_COLUMNS,
    PAIR_COLUMNS,
    REVIEW_EFFECT_COLUMNS,
    REVIEWER_EFFECT_COLUMNS,
)

if TYPE_CHECKING:
    from fairloop._audit import AuditResult

__all__ = ["SCHEMA_VERSION", "evidence_bundle", "json_safe", "run_record", "to_json_text"]

#: 2: transitions, homogeneity_p_value, the tx cell and negative_rate; override_rate counts
#: changes between negative values (decisions with more than two values).
#: 3: metrics carry ``estimator``, ``support``, ``design_effect`` and ``note`` (weighted
#: figures for every case beside reviewed-only ones; score metrics such as roc_auc);
#: ``selection`` (tests of selective review, the estimator and strata left out),
#: ``calibration`` and ``roc``.
SCHEMA_VERSION = 4

_METRIC_FIELDS = [
    "attributes", "attribute_set", "group", "metric", "truth", "decision", "value",
    "numerator", "denominator", "n", "ci_low", "ci_high", "status", "estimator", "support",
    "design_effect", "note",
]  # fmt: skip
_RESOLVED_FIELDS = ["attribute_set", "group", "cases", "known", "share_known"]
_CALIBRATION_FIELDS = [
    "attribute_set", "group", "band", "n", "observed", "ci_low", "ci_high", "mean_score",
]  # fmt: skip
_ROC_FIELDS = [
    "attribute_set", "group", "threshold", "true_positive_rate", "true_positive_rate_ci_low",
    "true_positive_rate_ci_high", "false_positive_rate", "false_positive_rate_ci_low",
    "false_positive_rate_ci_high",
]  # fmt: skip
_EXPLAINED_FIELDS = [
    "flag_id", "source", "description", "subgroup", "metric", "difference", "q_value", "n",
    "explained_by", "explained_by_description",
]  # fmt: skip
_TRANSITION_FIELDS = ["attribute", "group", "model", "human", "n"]
_DISPARITY_FIELDS = [
    "comparison", "attributes", "attribute_set", "group", "reference", "reference_group",
    "metric", "value", "reference_value", "difference", "difference_ci_low",
    "difference_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high", "p_value", "test",
    "homogeneity_p_value", "n", "reference_n", "status",
]  # fmt: skip


def json_safe(value: Any) -> Any:
    """JSON-safe: NaN, NA and infinities become null; numpy scalars become Python scalars."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _records(frame: pd.DataFrame, fields: list[str]) -> list[dict[str, Any]]:
    columns = [frame[f].tolist() for f in fields]
    return [
        {f: json_safe(v) for f, v in zip(fields, row, strict=True)}
        for row in zip(*columns, strict=True)
    ]


def run_record(result: AuditResult) -> dict[str, Any]:
    """What the review store keeps of a run: provenance, summary and flags, as in the bundle.

    Built apart from :func:`evidence_bundle` (whose metrics and disparities can be large),
    with the same conversions, so the store's record equals the bundle's parts.
    """
    return {
        "provenance": json_safe(result.provenance),
        "summary": json_safe(result.summary),
        "flags": _records(result.flags, list(FLAG_COLUMNS)),
    }


def evidence_bundle(result: AuditResult) -> dict[str, Any]:
    """The evidence bundle of an audit as plain JSON-compatible data.

    Parameters
    ----------
    result : AuditResult
        A finished audit.

    Returns
    -------
    dict
        ``schema_version``, ``provenance``, ``methods``, ``metrics``, ``disparities``,
        ``summary``, ``flags``, ``flags_explained``, ``verdicts``, ``tests`` and
        ``transitions`` (reviewed cases per sensitive group by the model's and the human's
        decision value), ``selection`` (how cases reached a human, and the estimator of
        error rates), ``calibration`` and ``roc`` (by group, when the log has a score),
        ``outcomes`` (with an outcome column: how many outcomes are known, and whether
        knowing them depends on the decision or the group; the figures against the
        outcome are rows of ``metrics`` with ``truth = "outcome"``).
        Attribute values are the input's values as text; figures that are undefined or
        suppressed are ``null``.
    """
    record = run_record(result)
    return {
        "schema_version": SCHEMA_VERSION,
        "provenance": record["provenance"],
        "methods": json_safe(result.methods),
        "metrics": _records(result.metrics, _METRIC_FIELDS),
        "disparities": _records(result.disparities, _DISPARITY_FIELDS),
        "summary": record["summary"],
        "flags": record["flags"],
        "flags_explained": _records(result.explained, _EXPLAINED_FIELDS)
        if len(result.explained)
        else [],
        "verdicts": (
            _records(result.verdicts, list(VERDICT_COLUMNS)) if len(result.verdicts) else []
        ),
        "tests": json_safe(result.tests),
        "transitions": _records(result.transitions, _TRANSITION_FIELDS),
        "selection": json_safe(result.selection.to_dict()) if result.selection else None,
        "calibration": (
            _records(result.calibration, _CALIBRATION_FIELDS) if len(result.calibration) else []
        ),
        "roc": _records(result.roc, _ROC_FIELDS) if len(result.roc) else [],
        "outcomes": _outcomes(result),
        "agreement": _records(result.agreement, AGREEMENT_COLUMNS) if len(result.agreement) else [],
        "reviewer_pairs": (
            _records(result.reviewer_pairs, PAIR_COLUMNS) if len(result.reviewer_pairs) else []
        ),
    }


def _outcomes(result: AuditResult) -> dict[str, Any] | None:
    """How many outcomes are known and whether knowing them depends on decision or group.

    The figures against the outcome are rows of ``metrics`` (``truth = "outcome"``).
    """
    figures = result.outcomes
    if figures is None:
        return None
    return {
        "selection": json_safe(figures.selection.to_dict()),
        "resolved": _records(figures.resolved, _RESOLVED_FIELDS),
        "review_effect": _records(figures.review_effect, REVIEW_EFFECT_COLUMNS),
        "gap_changes": _records(figures.gap_changes, GAP_CHANGE_COLUMNS),
        "reviewers": _records(figures.reviewers, REVIEWER_EFFECT_COLUMNS),
    }


def to_json_text(bundle: dict[str, Any], *, indent: int | None = 2) -> str:
    """Serialise a bundle; strict JSON (no NaN), keys in a stable order."""
    return json.dumps(bundle, indent=indent, allow_nan=False, ensure_ascii=False)

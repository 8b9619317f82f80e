"""The JSON evidence bundle: provenance, metrics, disparities, summary, flags, selection."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fairloop._files import sha256_of, written
from fairloop._plain import json_safe
from fairloop.flags._flag import FLAG_COLUMNS
from fairloop.flags._policy import VERDICT_COLUMNS
from fairloop.metrics import (
    AGREEMENT_COLUMNS,
    GAP_CHANGE_COLUMNS,
    PAIR_COLUMNS,
    REVIEW_EFFECT_COLUMNS,
    REVIEWER_EFFECT_COLUMNS,
)
from fairloop.vocabulary import subgroup_label

if TYPE_CHECKING:
    from fairloop._audit import AuditResult

__all__ = [
    "SCHEMA_VERSION", "TABLES_BESIDE", "evidence_bundle", "evidence_schema", "json_safe",
    "read_evidence",
    "run_record", "to_json_text", "write_evidence",
]  # fmt: skip

#: 2: transitions, homogeneity_p_value, the tx cell and negative_rate; override_rate counts
#: changes between negative values (decisions with more than two values).
#: 3: metrics carry ``estimator``, ``support``, ``design_effect`` and ``note`` (weighted
#: figures for every case beside reviewed-only ones; score metrics such as roc_auc);
#: ``selection`` (tests of selective review, the estimator and strata left out),
#: ``calibration`` and ``roc``.
#: 5: the large tables (metrics, disparities, verdicts, calibration, roc) may stand beside
#: evidence.json as CSV files, each referenced by path, row count, columns and SHA-256
#: (``write_evidence``); ``tables`` lists every file written beside. Schema:
#: ``fairloop/data/evidence.schema.json``.
#: 6: ``review_plan``, the review plan beside the current and a score-only routing.
SCHEMA_VERSION = 6

#: The tables written beside evidence.json (key, file): they grow with the groups.
TABLES_BESIDE = (
    ("metrics", "metrics.csv"), ("disparities", "disparities.csv"),
    ("verdicts", "verdicts.csv"), ("calibration", "calibration.csv"), ("roc", "roc.csv"),
)  # fmt: skip
#: Also written beside, for spreadsheets; the bundle keeps its flags inline.
FLAGS_FILE = "flags.csv"

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


def evidence_bundle(
    result: AuditResult, *, beside: Mapping[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The evidence bundle of an audit as plain JSON-compatible data.

    Parameters
    ----------
    result : AuditResult
        A finished audit.
    beside : mapping or None, default=None
        References to tables written beside the bundle (from :func:`write_evidence`): those
        keys hold the reference (``path``, ``format``, ``rows``, ``columns``, ``sha256``)
        instead of the rows, which are then never converted here.

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
        outcome are rows of ``metrics`` with ``truth = "outcome"``), ``review_plan`` (the
        report's review plan without its units, null when none can be made).
        Attribute values are the input's values as text; figures that are undefined or
        suppressed are ``null``.
    """
    record = run_record(result)
    tables = dict(beside or {})

    def table(key: str, frame: pd.DataFrame, fields: Sequence[str]) -> Any:
        if key in tables:
            return tables[key]
        return _records(frame, list(fields)) if len(frame) else []

    return {
        "schema_version": SCHEMA_VERSION,
        "provenance": record["provenance"],
        "methods": json_safe(result.methods),
        "metrics": table("metrics", result.metrics, _METRIC_FIELDS),
        "disparities": table("disparities", result.disparities, _DISPARITY_FIELDS),
        "summary": record["summary"],
        "flags": record["flags"],
        "flags_explained": _records(result.explained, _EXPLAINED_FIELDS)
        if len(result.explained)
        else [],
        "verdicts": table("verdicts", result.verdicts, VERDICT_COLUMNS),
        "tests": json_safe(result.tests),
        "transitions": _records(result.transitions, _TRANSITION_FIELDS),
        "selection": json_safe(result.selection.to_dict()) if result.selection else None,
        "calibration": table("calibration", result.calibration, _CALIBRATION_FIELDS),
        "roc": table("roc", result.roc, _ROC_FIELDS),
        "outcomes": _outcomes(result),
        "agreement": _records(result.agreement, AGREEMENT_COLUMNS) if len(result.agreement) else [],
        "reviewer_pairs": (
            _records(result.reviewer_pairs, PAIR_COLUMNS) if len(result.reviewer_pairs) else []
        ),
        "review_plan": _review_plan(result),
        "tables": tables,
    }


def _review_plan(result: AuditResult) -> dict[str, Any] | None:
    """The report's review plan without its units (``fairloop plan`` writes those)."""
    from fairloop.exceptions import FairloopError

    try:
        plan = result.review_plan()
    except FairloopError:
        return None
    out = plan.to_dict()
    out.pop("units", None)
    return out


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


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as spreadsheet cells: subgroups as labels, lists as space-separated text."""
    flat = frame.copy()
    for column in ("attributes", "reference", "subgroup"):
        if column in flat:
            flat[column] = [subgroup_label(d) for d in flat[column]]
    for column in ("sample_case_ids", "explains"):
        if column in flat:
            flat[column] = [" ".join(v) if isinstance(v, list) else "" for v in flat[column]]
    return flat


def _frames(result: AuditResult) -> dict[str, pd.DataFrame]:
    return {
        "metrics": result.metrics, "disparities": result.disparities,
        "verdicts": result.verdicts, "calibration": result.calibration, "roc": result.roc,
    }  # fmt: skip


def evidence_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of evidence.json, as data.

    The file ships as ``fairloop/data/evidence.schema.json``; every bundle fairloop writes,
    with tables inline or beside, validates against it.
    """
    from importlib import resources

    text = (
        resources.files("fairloop")
        .joinpath("data", "evidence.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def _write_table(frame: pd.DataFrame, path: Path) -> dict[str, Any]:
    """Write a table as spreadsheet-safe CSV, whole or not at all; return its reference."""
    from fairloop._spreadsheet import safe_csv

    written(path, partial(safe_csv, _flat(frame)))
    return {
        "path": path.name, "format": "csv", "rows": len(frame),
        "columns": [str(c) for c in frame.columns], "sha256": sha256_of(path),
    }  # fmt: skip


def write_evidence(result: AuditResult, folder: str | Path) -> list[Path]:
    """Write the evidence bundle: a compact evidence.json and its large tables beside it.

    Each large table (``TABLES_BESIDE``: metrics, disparities, verdicts, calibration, roc;
    those with rows) is written once, as spreadsheet-safe CSV, and evidence.json
    references it by path, row count, columns and SHA-256; ``flags.csv`` is written beside
    too. Every file is written whole or not at all. :func:`read_evidence` reads the bundle
    back, checking each table's digest.

    Parameters
    ----------
    result : AuditResult
        A finished audit.
    folder : str or Path
        The folder to write into (created when missing).

    Returns
    -------
    list of Path
        evidence.json first, then the tables, then flags.csv.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    frames = _frames(result)
    beside: dict[str, dict[str, Any]] = {}
    paths: list[Path] = []
    for key, name in TABLES_BESIDE:
        if len(frames[key]):
            beside[key] = _write_table(frames[key], out / name)
            paths.append(out / name)
    # flags.csv, for spreadsheets: listed in `tables`, the bundle keeps its flags inline
    beside["flags"] = _write_table(result.flags, out / FLAGS_FILE)
    bundle = evidence_bundle(result, beside=beside)
    text = to_json_text(bundle)
    evidence = written(out / "evidence.json",
                       lambda target: target.write_text(text + "\n", encoding="utf-8"))  # fmt: skip
    return [evidence, *paths, out / FLAGS_FILE]


def read_evidence(path: str | Path) -> dict[str, Any]:
    """Read an evidence bundle, with every table it references loaded and its digest checked.

    Parameters
    ----------
    path : str or Path
        An evidence.json, written by :func:`write_evidence` (tables beside) or by
        ``AuditResult.to_json`` (tables inline).

    Returns
    -------
    dict
        The bundle; a table written beside is a pandas DataFrame of the CSV as written
        (subgroups as labels such as ``sex=F & race=B``; a text cell a spreadsheet would
        run as a formula carries the leading ``'`` it was written with).

    Raises
    ------
    fairloop.exceptions.EvidenceError
        When a referenced table is missing, or its bytes or rows differ from the record.
    """
    import pandas as pd

    from fairloop.exceptions import EvidenceError

    source = Path(path)
    bundle: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    for key, ref in (bundle.get("tables") or {}).items():
        table = source.parent / ref["path"]
        if not table.is_file():
            raise EvidenceError(f"{source.name} references {ref['path']!r} ({key}), which is "
                            f"missing beside it in {source.parent}.")  # fmt: skip
        if sha256_of(table) != ref["sha256"]:
            raise EvidenceError(
                f"{ref['path']!r} ({key}) is not the file {source.name} recorded: its "
                "SHA-256 differs. It was changed after the audit wrote it."
            )
        frame = pd.read_csv(table, keep_default_na=False, na_values=[""])
        if len(frame) != ref["rows"]:
            raise EvidenceError(f"{ref['path']!r} ({key}) holds {len(frame)} rows; "
                            f"{source.name} recorded {ref['rows']}.")  # fmt: skip
        if bundle.get(key) == ref:  # a table written beside in place of its rows
            bundle[key] = frame
    return bundle

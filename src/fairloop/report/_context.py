"""AuditResult (+ the review store's adjudications) -> the report's plain view model.

Templates see only dicts, lists, strings and numbers: no pandas objects, no HTML. Charts
are figure dictionaries collected in order, each drawn once in the page by its id.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from fairloop._versions import versions
from fairloop.config import TABLES, AuditConfig, default_of, field_info, safeguard_points
from fairloop.controls import (
    control_statuses,
    evidence_keys,
    evidence_states,
    load_catalogues,
    status_counts,
)
from fairloop.flags import (
    FDR_CORRECTIONS,
    REVIEWER_CORRECTION,
    VERDICT_ADJUSTMENT,
    severity_rule,
)
from fairloop.metrics import FOUR_FIFTHS, METRICS, primary_rows
from fairloop.report._evidence import json_safe
from fairloop.report._filters import number
from fairloop.report._oversight import (
    DIRECTION_RATIO,
    LOW_OVERRIDE_SHARE,
    oversight_view,
    trends_view,
)
from fairloop.report._plan import plan_view
from fairloop.report._plots import as_plain_text, dot_chart, tolerance_chart
from fairloop.report._review_help import review_help_view
from fairloop.report._scores import score_view, selection_view
from fairloop.vocabulary import (
    CELL_RULES,
    FLAG,
    INSUFFICIENT,
    MISSING_GROUP,
    OVERALL,
    PASS,
    SCORE_METRICS,
    SEVERITIES,
    VERDICTS,
    is_web_link,
)

if TYPE_CHECKING:
    from fairloop._audit import AuditResult

__all__ = ["SECTIONS", "Adjudications", "build_context"]

#: Report sections in order: (anchor, title).
SECTIONS = (
    ("summary", "Executive summary"),
    ("coverage", "Data and coverage"),
    ("performance", "Performance by group"),
    ("score", "The score by group"),
    ("disparities", "Disparities against tolerances"),
    ("flags", "Flags and adjudication"),
    ("oversight", "Human oversight"),
    ("review_help", "Does human review help?"),
    ("plan", "Review plan"),
    ("trends", "Trends over time"),
    ("controls", "Control mapping"),
    ("methodology", "Methodology"),
    ("provenance", "Provenance"),
)
#: Metrics shown in the performance section's tables and charts.
PERFORMANCE_METRICS = (
    "selection_rate",
    "accuracy",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
    "review_rate",
)
CHART_METRICS = ("selection_rate", "false_positive_rate", "false_negative_rate", "accuracy")
TOP_FINDINGS = 5


@dataclass(frozen=True)
class Adjudications:
    """What the review store knows of a run: flag statuses, decisions and its head hash.

    Parameters
    ----------
    run_id : str
        The run in the store.
    flags : pandas.DataFrame
        ``ReviewStore.flags(run_id=...)``: the run's flags with ``status``.
    history : pandas.DataFrame
        ``ReviewStore.history()``: every event, oldest first.
    head : str
        The audit trail's head hash.
    verified : bool
        Whether the hash chain verified when the report was made.
    store : str
        Where the store is (password hidden).
    """

    run_id: str
    flags: pd.DataFrame
    history: pd.DataFrame
    head: str
    verified: bool
    store: str


@cache
def _versions() -> dict[str, str]:
    """Versions of fairloop and its dependencies (read once per process)."""
    return {k: v or "not installed" for k, v in versions().items()}


def _attrs(value: Any) -> dict[str, str]:
    """A group's ``{attribute: value}`` from a tidy table's cell."""
    return dict(value)


def _count(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _performance(result: AuditResult, charts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    m = primary_rows(result.metrics)
    shown = [k for k in PERFORMANCE_METRICS if k in set(m["metric"])]
    out = []
    for set_name in dict.fromkeys(m["attribute_set"]):
        part = m[(m["attribute_set"] == set_name) & m["metric"].isin(shown)]
        rows: dict[str, dict[str, Any]] = {}
        for r in part.itertuples(index=False):  # one row per group x metric of one set: small
            name = str(
                _attrs(r.attributes).get(set_name, r.group)
            )  # a value alone on one attribute
            row = rows.setdefault(
                name, {"group": name, "n": _count(r.n), "status": r.status, "cells": {}}
            )
            row["cells"][r.metric] = {
                "value": number(r.value),
                "low": number(r.ci_low),
                "high": number(r.ci_high),
                "den": _count(r.denominator),
                "status": r.status,
            }
        chart_id = None
        if set_name in result.config.sensitive:
            groups = list(rows.values())
            series = []
            for metric in (k for k in CHART_METRICS if k in shown):
                cells = [g["cells"].get(metric, {}) for g in groups]
                series.append(
                    {
                        "name": METRICS[metric].title,
                        "values": [c.get("value") for c in cells],
                        "lows": [c.get("low") for c in cells],
                        "highs": [c.get("high") for c in cells],
                        "insufficient": [c.get("status") != "ok" for c in cells],
                        "hover": [f"n={c.get('den')}" for c in cells],
                    }
                )
            chart_id = f"fig-{len(charts)}"
            charts.append(
                {
                    "id": chart_id,
                    "spec": dot_chart(
                        f"Performance by {set_name}", [g["group"] for g in groups], series
                    ),
                }
            )
        out.append(
            {
                "set": set_name,
                "metrics": shown,
                "rows": list(rows.values()),
                "chart": chart_id,
                "intersection": " & " in set_name,
            }
        )
    return out


def _disparities(result: AuditResult, charts: list[dict[str, Any]]) -> dict[str, Any]:
    v = result.verdicts
    rules = []
    if len(v):
        for rule in dict.fromkeys(v["rule"]):
            part = v[v["rule"] == rule]
            first = part.iloc[0]
            rows: list[dict[str, Any]] = [
                {
                    "group": str(r.group),
                    "set": str(r.attribute_set),
                    "estimate": number(r.estimate),
                    "low": number(r.ci_low),
                    "high": number(r.ci_high),
                    "value": number(r.value),
                    "reference_value": number(r.reference_value),
                    "reference": str(r.reference_group),
                    "n": _count(r.n),
                    "verdict": str(r.verdict),
                    "reason": str(r.reason),
                }
                for r in part.itertuples(index=False)
            ]
            single = [r for r in rows if r["set"] in result.config.sensitive]
            rows.sort(key=partial(_notable, ratio=first["measure"] == "ratio"))
            chart_id = f"fig-{len(charts)}"
            charts.append(
                {
                    "id": chart_id,
                    "spec": tolerance_chart(
                        str(rule),
                        [r["group"] for r in single],
                        [r["estimate"] for r in single],
                        [r["low"] for r in single],
                        [r["high"] for r in single],
                        [r["verdict"] for r in single],
                        bounds=(number(first["min"]), number(first["max"])),
                        ratio=first["measure"] == "ratio",
                    ),
                }
            )
            counts = part["verdict"].value_counts().to_dict()
            rules.append(
                {
                    "name": str(rule),
                    "metric": str(first["metric"]),
                    "measure": str(first["measure"]),
                    "compare": str(first["compare"]),
                    "min": number(first["min"]),
                    "max": number(first["max"]),
                    "rows": rows,
                    "chart": chart_id,
                    "counts": {k: int(c) for k, c in counts.items()},
                    "rest_counts": _counts(r["verdict"] for r in rows[SHOWN_ROWS:]),
                }
            )
    between = result.disparities[result.disparities["comparison"] == "between_groups"]
    spreads = [
        {
            "set": str(r.attribute_set),
            "metric": str(r.metric),
            "group": str(r.group),
            "reference": str(r.reference_group),
            "difference": number(r.difference),
            "low": number(r.difference_ci_low),
            "high": number(r.difference_ci_high),
            "ratio": number(r.ratio),
            "p": number(r.p_value),
            "p_all": number(r.homogeneity_p_value),
            "status": str(r.status),
        }
        for r in between.itertuples(index=False)
        if r.metric in CHART_METRICS
    ]
    # the notable first: the spreads least likely to be chance, then the rest as measured
    spreads.sort(key=lambda r: math.inf if r["p_all"] is None else r["p_all"])
    return {"rules": rules, "spreads": spreads}


#: Rows of a long table shown before the rest is folded away (the notable rows first).
SHOWN_ROWS = 10
#: A per-group table of more rows than this is folded (its largest groups first).
FOLD_FROM = 15
_VERDICT_ORDER = {FLAG: 0, INSUFFICIENT: 1, PASS: 2}


def _counts(values: Iterable[str]) -> dict[str, int]:
    """How many of each value, most first."""
    return dict(Counter(values).most_common())


def _notable(row: dict[str, Any], *, ratio: bool) -> tuple[int, float]:
    """Flags first, then insufficient evidence, then passes; the farthest from parity first."""
    estimate = row["estimate"]
    distance = 0.0 if estimate is None else abs(estimate - (1.0 if ratio else 0.0))
    return _VERDICT_ORDER.get(row["verdict"], 3), -distance


def _last_decision(history: pd.DataFrame, flag_id: str) -> dict[str, Any] | None:
    if history.empty:
        return None
    part = history[history["flag_id"] == flag_id]
    if part.empty:
        return None
    e = part.iloc[-1]
    return {
        "decision": str(e["decision"]),
        "rationale": str(e["rationale"]),
        "reviewer": str(e["reviewer"]),
        "at": str(e["created_at"]),
        "mitigation": None if pd.isna(e["mitigation"]) else str(e["mitigation"]),
        "events": len(part),
    }


def _flags(result: AuditResult, adjudications: Adjudications | None) -> dict[str, Any]:
    status: dict[str, str] = {}
    after: dict[str, str] = {}  # who must act next, as the store says
    if adjudications is not None and len(adjudications.flags):
        recorded = adjudications.flags
        status = dict(zip(recorded["flag_id"], recorded["status"], strict=True))
        if "next" in recorded:
            after = dict(zip(recorded["flag_id"], recorded["next"], strict=True))
    undecided = (
        "a reviewer: decide (confirmed, justified, needs-data or mitigated)"
        if adjudications is not None
        else "a reviewer: record the run in a review store, then decide"
    )
    items = []
    for f in result.flags.to_dict("records"):
        decided = _last_decision(adjudications.history, f["flag_id"]) if adjudications else None
        items.append(
            {
                "id": f["flag_id"],
                "source": f["source"],
                "description": f["description"],
                "sentence": f["sentence"],
                "severity": f["severity"],
                "metric": f["metric"],
                "difference": number(f["difference"]),
                "low": number(f["difference_ci_low"]),
                "high": number(f["difference_ci_high"]),
                "q": number(f["q_value"]),
                "n": _count(f["n"]),
                "status": status.get(f["flag_id"], "open"),
                "next": after.get(f["flag_id"], undecided),
                "decision": decided,
                "samples": list(f.get("sample_case_ids") or []) if "sample_case_ids" in f else [],
            }
        )
    explained = [
        {
            "id": e["flag_id"],
            "description": e["description"],
            "metric": e["metric"],
            "reason": e.get("reason") or "explained by another flag",
            "by": e.get("explained_by_description") or e.get("explained_by"),
        }
        for e in (result.explained.to_dict("records") if len(result.explained) else [])
    ]
    states = [i["status"] for i in items]
    config = result.config
    searched = [*config.sensitive, *(config.context if config.flags.include_context else ())]
    return {
        "searched": searched,
        "not_searched": [a for a in config.context if a not in searched],
        "enabled": config.flags.enabled,
        "shown": items,
        "explained": explained,
        "open": sum(s == "open" for s in states),
        "by_level": {lvl: sum(i["severity"] == lvl for i in items) for lvl in SEVERITIES[::-1]},
        "rest_severities": _counts(i["severity"] for i in items[SHOWN_ROWS:]),
        "recorded": adjudications is not None,
    }


def _coverage(result: AuditResult) -> dict[str, Any]:
    m, config = primary_rows(result.metrics), result.config
    total = result.provenance.get("rows") or result.cube.n_rows
    tables = []
    for attribute in config.sensitive:
        part = m[(m["attribute_set"] == attribute) & (m["metric"] == "review_rate")]
        tables.append(
            {
                "attribute": attribute,
                "rows": [
                    {
                        "group": str(_attrs(r.attributes).get(attribute, "")),
                        "n": _count(r.n),
                        "share": (_count(r.n) or 0) / total if total else None,
                        "reviewed": _count(r.numerator),
                        "rate": number(r.value),
                        "low": number(r.ci_low),
                        "high": number(r.ci_high),
                        "status": r.status,
                    }
                    for r in part.itertuples(index=False)
                ],
            }
        )
    missing = result.provenance.get("missing_values") or {}
    safeguards = [
        {
            "key": key,
            "point": point,
            "description": text,
            "declared": config.safeguards.get(key, ""),
        }
        for key, (point, text) in safeguard_points().items()
    ]
    return {
        "tables": tables,
        "missing": [{"column": k, "rows": v} for k, v in missing.items()],
        "missing_mode": config.missing_sensitive,
        "safeguards": safeguards,
        "rows": total,
        "reviewed": result.cube.n_reviewed,
    }


def controls_view(result: AuditResult, adjudications: Adjudications | None) -> dict[str, Any]:
    """Every control's status with its evidence, per catalogue (the report's mapping)."""
    config = result.config
    states = evidence_states(
        result,
        flag_status=adjudications.flags if adjudications else None,
        trail_verified=adjudications.verified if adjudications else None,
    )
    catalogues = load_catalogues(config.catalogues)
    statuses = control_statuses(catalogues, states, config.attestations)
    keys = evidence_keys()
    out = []
    for catalogue in catalogues:
        rows = [
            {
                "id": s.control.id,
                "title": s.control.title,
                "summary": s.control.summary,
                "citation": s.control.citation,
                "url": s.control.source_url if is_web_link(s.control.source_url) else None,
                "verification": s.control.verification,
                "applies_from": s.control.applies_from,
                "status": s.status,
                "reason": s.reason,
                "evidence": [
                    {
                        "key": e.key,
                        "title": keys[e.key].title,
                        "state": e.state,
                        "section": keys[e.key].section,
                    }
                    for e in s.evidence
                ],
                "attested": s.attestation.to_dict() if s.attestation else None,
            }
            for s in statuses
            if s.catalogue == catalogue.id
        ]
        out.append(
            {
                "id": catalogue.id,
                "name": catalogue.name,
                "version": catalogue.version,
                "url": catalogue.source_url if is_web_link(catalogue.source_url) else None,
                "attribution": catalogue.attribution,
                "rows": rows,
                "counts": status_counts([s for s in statuses if s.catalogue == catalogue.id]),
            }
        )
    evidence = [
        {
            "key": k,
            "code": keys[k].code,
            "title": keys[k].title,
            "state": s.state,
            "reason": s.reason,
            "section": keys[k].section,
        }
        for k, s in states.items()
    ]
    return {"catalogues": out, "evidence": evidence, "counts": status_counts(statuses)}


def _methodology(result: AuditResult) -> dict[str, Any]:
    config = result.config
    definitions = [
        {
            "name": name,
            "title": spec.title,
            "description": spec.description,
            "numerator": " + ".join(spec.numerator),
            "denominator": " + ".join(spec.denominator),
        }
        for name, spec in METRICS.items()
    ]
    thresholds = [
        *(_threshold(config, key) for key in THRESHOLD_OPTIONS),
        ("Severity levels", severity_rule()),
        (
            "Four-fifths check",
            f"every group's {METRICS[config.favourable_rate].title.lower()} (decided "
            f"favourably for the person) at or above {FOUR_FIFTHS:g} of the highest group's",
        ),
        (
            "Automation-bias indicator",
            "a reviewer's override interval wholly below "
            f"{LOW_OVERRIDE_SHARE:g} times everyone's override rate, or no override in at "
            f"least {config.min_denominator} reviews (min_denominator)",
        ),
        ("Overrides mostly one way", f"one direction at least {DIRECTION_RATIO:g} times the other"),
        *(
            (f"Policy tolerance: {r.name}", _tolerance(r.measure, r.min, r.max))
            for r in config.policy or ()
        ),
    ]
    return {
        "definitions": definitions,
        "methods": _flat_methods(result.methods),
        "tests": result.tests,
        "thresholds": [{"name": a, "value": b} for a, b in thresholds],
    }


def _source_text(source: Any) -> Any:
    """Where the log came from, as words (``kind: file; format: csv; files: a.csv``)."""
    if not isinstance(source, dict):
        return source
    parts = []
    for key, value in source.items():
        if isinstance(value, list | tuple):
            shown = ", ".join(map(str, value[:5])) + (" ..." if len(value) > 5 else "")
            parts.append(f"{key}: {shown}")
        elif value is not None:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _flat_methods(methods: dict[str, Any]) -> dict[str, Any]:
    """The methods as name and text, a method of several parts (the review plan's) by part."""
    out: dict[str, Any] = {}
    for name, text in methods.items():
        if isinstance(text, dict):
            out.update({f"{name}: {part}": value for part, value in text.items() if value})
        elif text:
            out[name] = text
    return out


#: The options the methodology's table of thresholds shows, with their declared help.
THRESHOLD_OPTIONS = (
    "confidence_level", "min_group_size", "min_denominator", "suppress_below", "flags.fdr",
    "flags.fdr_method", "flags.min_effect", "flags.max_depth", "flags.min_support",
    "flags.redundancy_alpha", "review.reopen_tolerance",
)  # fmt: skip


def _threshold(config: AuditConfig, key: str) -> tuple[str, str]:
    """An option's row in the thresholds table: its declared help and key, and its value."""
    table, _, name = key.rpartition(".")
    value = getattr(getattr(config, table) if table else config, name)
    help_text = str(field_info(TABLES[table], name).description).rstrip(".")
    shown = "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    return f"{help_text} ({key})", shown


def _tolerance(measure: str, low: float | None, high: float | None) -> str:
    def fmt(x: float) -> str:
        return f"{x:g}" if measure == "ratio" else f"{100 * x:+g} points"

    parts = [
        f"at least {fmt(low)}" if low is not None else "",
        f"at most {fmt(high)}" if high is not None else "",
    ]
    return f"{measure} " + " and ".join(p for p in parts if p)


def _summary(
    result: AuditResult,
    flags: dict[str, Any],
    disparities: dict[str, Any],
    controls: dict[str, Any],
    adjudications: Adjudications | None,
) -> dict[str, Any]:
    config = result.config
    verdicts = dict.fromkeys(VERDICTS, 0)
    for rule in disparities["rules"]:
        for key, count in rule["counts"].items():
            verdicts[key] = verdicts.get(key, 0) + count
    findings = [i["sentence"] for i in flags["shown"][:TOP_FINDINGS]]
    actions = []
    if flags["open"]:
        actions.append(
            f"Have the {flags['open']} open flag(s) adjudicated: confirm, justify, "
            "mitigate or ask for more data, each with a rationale "
            "(fairloop review list / decide)."
        )
    if adjudications is None:
        actions.append(
            "Record this run in a review store (fairloop audit --db ...) so flags "
            "can be adjudicated and the audit trail's head hash published."
        )
    if verdicts.get(FLAG):
        actions.append(
            f"Examine the {verdicts['flag']} group(s) outside a declared tolerance "
            "in 'Disparities against tolerances'."
        )
    if verdicts.get(INSUFFICIENT):
        actions.append(
            "Groups with insufficient evidence cannot be cleared: collect more "
            "reviewed cases or widen the period before drawing conclusions."
        )
    if controls["counts"]["needs attestation"]:
        actions.append(
            f"{controls['counts']['needs attestation']} control(s) need a named "
            "person's attestation ([[attestations]] in fairloop.toml)."
        )
    for item in controls["evidence"]:
        if item["state"] == "absent" and item["key"] in (
            "trends",
            "reviewer_patterns",
            "system_description",
            "special_category_safeguards",
        ):
            actions.append(f"Add the missing evidence '{item['title']}': {item['reason']}.")
    four_fifths = [
        {"set": name, **{k: figures["four_fifths_rule"].get(k) for k in ("verdict", "reason")}}
        for name, figures in result.summary.items()
    ]
    failing = [f["set"] for f in four_fifths if f["verdict"] == "fail"]
    if failing:
        actions.append(
            f"The four-fifths check fails for {', '.join(failing)}: a group's share of "
            f"favourable decisions ({METRICS[config.favourable_rate].title.lower()}) lies wholly "
            f"below {FOUR_FIFTHS:g} of the highest group's."
        )
    period = result.provenance.get("period")
    return {
        "four_fifths": {
            verdict: [f["set"] for f in four_fifths if f["verdict"] == verdict]
            for verdict in ("fail", "pass", "insufficient")
        },
        "system": config.system.to_dict(),
        "period": period,
        "verdicts": verdicts,
        "findings": findings,
        "actions": actions,
        "flags": flags["by_level"],
        "open": flags["open"],
        "controls": controls["counts"],
        "rows": result.provenance.get("rows"),
        "reviewed": result.provenance.get("reviewed_rows"),
    }


def build_context(
    result: AuditResult,
    *,
    adjudications: Adjudications | None = None,
    generated_at: str | None = None,
) -> dict[str, Any]:
    """The whole view model of the governance report.

    Parameters
    ----------
    result : AuditResult
        The audit.
    adjudications : Adjudications or None, default=None
        The review store's view of the run; ``None`` when it is not recorded.
    generated_at : str or None, default=None
        Generation time (ISO 8601); default now.

    Returns
    -------
    dict
        Plain data for the templates, with ``charts`` (id and figure dictionary).
    """
    charts: list[dict[str, Any]] = []
    coverage = _coverage(result)
    performance = _performance(result, charts)
    disparities = _disparities(result, charts)
    flags = _flags(result, adjudications)
    oversight = oversight_view(result, charts)
    scores = score_view(result, charts)
    trends = trends_view(result, charts)
    controls = controls_view(result, adjudications)
    p = result.provenance
    provenance = {
        "run_id": adjudications.run_id if adjudications else None,
        "head": adjudications.head if adjudications else None,
        "verified": adjudications.verified if adjudications else None,
        "store": adjudications.store if adjudications else None,
        "data_sha256": p.get("data_sha256"),
        "source": _source_text(p.get("source")),
        "rows": p.get("rows"),
        "audited_at": p.get("created_at"),
        "config": json.dumps(json_safe(result.config.to_dict()), indent=2, ensure_ascii=False),
        "versions": _versions(),
        "columns": p.get("columns"),
    }
    return {
        "title": result.config.system.name or "Decision system",
        "generated_at": generated_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "sections": [{"id": a, "title": t} for a, t in SECTIONS],
        "summary": _summary(result, flags, disparities, controls, adjudications),
        "coverage": coverage,
        "selection": selection_view(result),
        "scores": scores,
        "performance": performance,
        "disparities": disparities,
        "flags": flags,
        "oversight": oversight,
        "review_help": review_help_view(result),
        "plan": plan_view(result),
        "trends": trends,
        "controls": controls,
        "methodology": _methodology(result),
        "provenance": provenance,
        "metric_titles": {
            **{k: v.title for k, v in METRICS.items()},
            **{k: v.title for k, v in SCORE_METRICS.items()},
        },
        "words": words(result.config),
        "charts": [{**c, "spec": as_plain_text(c["spec"])} for c in charts],
    }


def words(config: AuditConfig) -> dict[str, Any]:
    """The vocabulary and the constants the templates write, from where the code keeps them."""
    facts = (("model negative", "model positive"), ("not reviewed", "reviewed"),
             ("human negative", "human positive"),
             ("the same value", "another negative value"))  # fmt: skip
    return {
        "overall": OVERALL,
        "missing": MISSING_GROUP,
        "severities": list(SEVERITIES[::-1]),
        "verdicts": list(VERDICTS),
        "cells": [
            {
                "cell": cell,
                "rule": ", ".join(
                    names[value]
                    for names, value in zip(facts, rule, strict=True)
                    if value is not None
                ),
            }
            for cell, rule in CELL_RULES.items()
        ],
        "correction": FDR_CORRECTIONS[config.flags.fdr_method],
        "reviewer_correction": REVIEWER_CORRECTION,
        "verdict_adjustment": VERDICT_ADJUSTMENT,
        "max_depth": config.flags.max_depth,
        "shown_rows": SHOWN_ROWS,
        "fold_from": FOLD_FROM,
        "intersections": _intersections(config),
        "min_effect": config.flags.min_effect,
        "low_override_share": LOW_OVERRIDE_SHARE,
        "default_window": default_of(AuditConfig, "window"),
    }


def _intersections(config: AuditConfig) -> str:
    """Which intersections the figures cover, as the report says it (``max_intersection``)."""
    count = len(config.sensitive)
    bound = config.max_intersection
    if count < 2:
        return "one sensitive attribute: no intersection"
    if bound is None or bound >= count:
        return f"every intersection of the {count} sensitive attributes"
    if bound == 1:
        return "each sensitive attribute alone: no intersection (max_intersection = 1)"
    return (
        f"intersections of up to {bound} of the {count} sensitive attributes "
        f'(max_intersection = {bound}; "all" measures every one)'
    )

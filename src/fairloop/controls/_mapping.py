"""From one audit's evidence to the status of each control.

Each evidence key is *present*, *partial* or *absent* in a run, with the reason. A control
is then:

- ``evidenced`` when every evidence key it names is present (and, if it needs a person's
  attestation, someone has attested it);
- ``needs attestation`` when its evidence is complete, or it is decided by attestation
  alone, and nobody has attested it yet;
- ``partial`` when some of its evidence is present or partial;
- ``gap`` when none is.

The status says what the evidence supports, never that an obligation is met: that is a
legal assessment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import pandas as pd

from fairloop.config import Attestation, safeguard_points
from fairloop.controls._catalogue import Catalogue, Control, evidence_keys
from fairloop.metrics import primary_rows
from fairloop.vocabulary import INSUFFICIENT, MISSING_GROUP

if TYPE_CHECKING:
    from fairloop._audit import AuditResult

__all__ = ["ControlStatus", "EvidenceState", "control_statuses", "evidence_states", "status_counts"]

State: TypeAlias = Literal["present", "partial", "absent"]
Status: TypeAlias = Literal["evidenced", "partial", "gap", "needs attestation"]


@dataclass(frozen=True)
class EvidenceState:
    """Whether one kind of evidence is in this run's report, and why (not)."""

    key: str
    state: State
    reason: str


@dataclass(frozen=True)
class ControlStatus:
    """A control's status in this run, the reason, and the evidence behind it."""

    catalogue: str
    control: Control
    status: Status
    reason: str
    evidence: tuple[EvidenceState, ...]
    attestation: Attestation | None


def _state(key: str, state: State, reason: str) -> EvidenceState:
    return EvidenceState(key, state, reason)


def evidence_states(
    result: AuditResult,
    *,
    flag_status: pd.DataFrame | None,
    trail_verified: bool | None,
) -> dict[str, EvidenceState]:
    """Decide, for one run, whether each evidence key is present, partial or absent.

    Parameters
    ----------
    result : AuditResult
        The audit.
    flag_status : pandas.DataFrame or None
        The run's flags with their ``status`` from the review store; ``None`` when the
        run is not in a store.
    trail_verified : bool or None
        Whether the review store's hash chain verified; ``None`` without a store.

    Returns
    -------
    dict of str to EvidenceState
        One entry per key of ``fairloop/data/evidence_keys.toml``.
    """
    config, cube = result.config, result.cube
    metrics = primary_rows(result.metrics)
    single = metrics[metrics["attribute_set"].isin(config.sensitive)]
    small = single.drop_duplicates("group")
    small = small[small["status"] != "ok"]
    reviewed = cube.n_reviewed
    out: dict[str, EvidenceState] = {}

    def put(key: str, state: State, reason: str) -> None:
        out[key] = _state(key, state, reason)

    if small.empty:
        put("group_metrics", "present", "every group of every sensitive attribute is measured")
        put("coverage", "present", "every group has at least the minimum size")
    else:
        why = f"{len(small)} group(s) too small to measure: marked insufficient, not dropped"
        put("group_metrics", "partial", why)
        put("coverage", "present", why)
    put(
        "disparities",
        "present" if len(result.disparities) else "absent",
        "group differences and ratios with intervals"
        if len(result.disparities)
        else "fewer than two groups to compare",
    )
    if not len(result.verdicts):
        put("policy_verdicts", "absent", "no tolerances were declared (policy = [])")
    elif (result.verdicts["verdict"] == INSUFFICIENT).any():
        put("policy_verdicts", "partial", "some groups have too little data for a verdict")
    else:
        put("policy_verdicts", "present", "every group has a verdict against every tolerance")
    if not config.flags.enabled:
        put("flags", "absent", "the flag search was turned off (flags.enabled = false)")
    else:
        put(
            "flags",
            "present",
            f"{result.tests.get('count', 0)} tests, "
            f"{len(result.flags)} flag(s) under false-discovery control",
        )
    if flag_status is None:
        put("adjudications", "absent", "the run is not recorded in a review store")
        put("audit_trail", "absent", "the run is not recorded in a review store")
    else:
        still_open = int((flag_status["status"] == "open").sum()) if len(flag_status) else 0
        if still_open:
            put("adjudications", "partial", f"{still_open} flag(s) still open")
        else:
            put(
                "adjudications",
                "present",
                "every flag is adjudicated" if len(flag_status) else "no flags to adjudicate",
            )
        put(
            "audit_trail",
            "present" if trail_verified else "absent",
            "the hash chain verifies" if trail_verified else "the hash chain does NOT verify",
        )
    put("missing_data", "present", "rows with missing sensitive values are counted and disclosed")
    if reviewed == 0:
        for key in ("overrides", "reviewer_patterns", "automation_bias"):
            put(key, "absent", "no case in the log was reviewed by a person")
    else:
        put("overrides", "present", f"{reviewed:,} reviewed cases")
        for key in ("reviewer_patterns", "automation_bias"):
            if cube.reviewer is None:
                put(key, "absent", "the log has no reviewer column (set reviewer = ...)")
            else:
                put(key, "present", "per-reviewer override behaviour")
    put(*_review_outcomes(result))
    put(*_review_plan(result))
    windows = [w for w in cube.windows if w != MISSING_GROUP]
    if config.time is None or config.window is None:
        put("trends", "absent", "the log has no time column (set time = ...)")
    elif len(windows) < 2:
        put("trends", "partial", f"only {len(windows)} {config.window} window(s) of data")
    else:
        put("trends", "present", f"{len(windows)} {config.window} windows")
    put("provenance", "present", "data hash, configuration, versions and run id")
    put("methodology", "present", "metric definitions, methods and thresholds")
    system = config.system.to_dict()
    needed = ("name", "owner", "intended_purpose", "risk_category")
    given = [k for k in needed if system[k]]
    put(
        "system_description",
        "present" if len(given) == len(needed) else "partial" if given else "absent",
        "declared under [system]"
        if len(given) == len(needed)
        else f"[system] lacks {', '.join(k for k in needed if k not in given)}",
    )
    declared = [k for k in safeguard_points() if config.safeguards.get(k)]
    put(
        "special_category_safeguards",
        "present"
        if len(declared) == len(safeguard_points())
        else "partial"
        if declared
        else "absent",
        f"{len(declared)} of {len(safeguard_points())} Art. 4a(1) safeguards declared "
        "under [safeguards]",
    )
    missing_keys = set(evidence_keys()) - set(out)
    if missing_keys:  # a key added to the data file without a rule here
        raise RuntimeError(f"No rule decides evidence key(s) {sorted(missing_keys)}.")
    return out


def _review_plan(result: AuditResult) -> tuple[str, State, str]:
    """Whether the run shows a review plan beside the current routing."""
    from fairloop.exceptions import FairloopError

    key = "review_plan"
    try:
        plan = result.review_plan()
    except FairloopError as exc:
        return key, "absent", f"no review plan: {exc}"
    lacking = []
    if result.config.score is None:
        lacking.append("the log has no score, so the plan routes by group and decision only")
    if (plan.precision["status"] != "ok").any():
        lacking.append("the quality sample cannot give every group the power asked")
    diff = plan.comparison["difference"]["score_only"]
    reason = (
        f"a plan at {plan.budget_share:.1%} of cases changes the worst group's residual error "
        f"by {-diff['value'] * 100:+.1f} points against score-only routing"
    )
    if lacking:
        return key, "partial", f"{reason}; {'; '.join(lacking)}"
    return key, "present", reason


def _review_outcomes(result: AuditResult) -> tuple[str, State, str]:
    """Whether the run shows what review changes against what actually happened."""
    key, config, figures = "review_outcomes", result.config, result.outcomes
    if figures is None:
        return key, "absent", "the log names no outcome column (set outcome = ...)"
    everyone = figures.review_effect[figures.review_effect["group"] == "(all)"]
    known = int(everyone["known"].iloc[0]) if len(everyone) else 0
    overrides = int(everyone["overrides_known"].iloc[0]) if len(everyone) else 0
    if known == 0:
        return key, "absent", "no case's outcome is known yet"
    if overrides == 0:
        return key, "partial", f"{known:,} known outcomes, but no override has a known outcome"
    lacking = []
    if not (config.flags.enabled and config.flags.outcomes):
        lacking.append("its flags are turned off (flags.enabled, flags.outcomes)")
    if config.reviewer is None:
        lacking.append("no reviewer column, so reviewers are not compared")
    reason = f"{known:,} known outcomes, {overrides:,} overrides among them"
    if lacking:
        return key, "partial", f"{reason}; {'; '.join(lacking)}"
    return key, "present", reason


def _decide(
    control: Control, states: Mapping[str, EvidenceState], attested: Attestation | None
) -> tuple[Status, str]:
    items = [states[k] for k in control.evidence]
    present = [s for s in items if s.state == "present"]
    lacking = [s for s in items if s.state != "present"]
    lacking_text = "; ".join(f"{evidence_keys()[s.key].title.lower()}: {s.reason}" for s in lacking)
    if control.decided_by == "attestation":
        if attested:
            return "evidenced", f"attested by {attested.by} on {attested.date}"
        return "needs attestation", f"awaiting attestation: {control.attestation}"
    if not lacking:
        if control.decided_by == "evidence":
            return "evidenced", "all the evidence it names is in this report"
        if attested:
            return "evidenced", f"evidence complete; attested by {attested.by} on {attested.date}"
        return (
            "needs attestation",
            f"evidence complete; awaiting attestation: {control.attestation}",
        )
    if present or any(s.state == "partial" for s in items):
        return "partial", f"missing or incomplete: {lacking_text}"
    return "gap", f"no evidence in this report: {lacking_text}"


def control_statuses(
    catalogues: Sequence[Catalogue],
    states: Mapping[str, EvidenceState],
    attestations: Sequence[Attestation],
) -> list[ControlStatus]:
    """The status of every control of every catalogue, in catalogue order."""
    by_control = {a.control: a for a in attestations}
    out = []
    for catalogue in catalogues:
        for control in catalogue.controls:
            attested = by_control.get(control.id) or by_control.get(f"{catalogue.id}:{control.id}")
            status, reason = _decide(control, states, attested)
            out.append(
                ControlStatus(
                    catalogue=catalogue.id,
                    control=control,
                    status=status,
                    reason=reason,
                    evidence=tuple(states[k] for k in control.evidence),
                    attestation=attested,
                )
            )
    return out


def status_counts(statuses: Sequence[ControlStatus]) -> dict[str, Any]:
    """How many controls have each status."""
    counts = dict.fromkeys(("evidenced", "partial", "needs attestation", "gap"), 0)
    for item in statuses:
        counts[item.status] += 1
    return counts

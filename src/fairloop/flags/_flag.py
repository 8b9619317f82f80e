"""Flags as a reviewer sees them: stable id, numbers, severity and a plain sentence.

Severity combines effect and support, and counts only what the evidence supports:

* the *assured effect* is the end of the difference's confidence interval nearest zero
  (0 when the interval crosses zero): the gap the data are confident of;
* the *severity score* is the assured effect times the metric's denominator in the
  subgroup: the number of cases the gap concerns at the least. For a false positive
  rate gap of +15 points (interval +9 to +21) over 200 human-negative cases it is
  0.09 x 200 = 18: at least 18 more false positives than at the complement's rate.

Flags are ranked by the score. The level reads the assured effect: high from 10
points, medium from 5 points, low below. Both cut-offs are engineering choices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairloop.flags._outcomes import OUTCOME_GAP_TEST, OUTCOME_REVIEWER_TEST
from fairloop.flags._reviewers import REVIEWER_TEST
from fairloop.flags._subgroup import describe, flag_id
from fairloop.vocabulary import METRICS, SEVERITIES

__all__ = [
    "FLAG_COLUMNS",
    "HIGH",
    "MEDIUM",
    "SEVERITY_FLOORS",
    "sentences_for",
    "severity",
    "severity_rule",
    "with_identity",
]

#: The assured effect from which a flag is of each level above the lowest (engineering
#: choices, not legal thresholds); the levels are :data:`fairloop.vocabulary.SEVERITIES`.
SEVERITY_FLOORS: dict[str, float] = {"high": 0.10, "medium": 0.05}
HIGH, MEDIUM = SEVERITY_FLOORS["high"], SEVERITY_FLOORS["medium"]


def severity_rule() -> str:
    """The severity levels in words, from :data:`SEVERITY_FLOORS`.

    Examples
    --------
    >>> severity_rule()
    'high from an assured effect of 10 points, medium from 5 points, low below'
    """
    first, *rest = sorted(SEVERITY_FLOORS.items(), key=lambda kv: -kv[1])
    parts = [f"{first[0]} from an assured effect of {first[1] * 100:g} points"]
    parts += [f"{name} from {floor * 100:g} points" for name, floor in rest]
    return ", ".join([*parts, f"{SEVERITIES[0]} below"])


FLAG_COLUMNS = [
    "flag_id", "source", "subgroup", "description", "metric", "value", "complement_value",
    "overall_value", "difference", "difference_ci_low", "difference_ci_high", "ratio",
    "p_value", "q_value", "n", "severity", "severity_score", "sentence", "sample_case_ids",
    "group", "explains", "rule", "design_effect",
]  # fmt: skip


def severity(
    ci_low: np.ndarray, ci_high: np.ndarray, denominator: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Severity score and level (low / medium / high) from the difference's interval.

    Parameters
    ----------
    ci_low, ci_high : ndarray
        The interval of the difference.
    denominator : ndarray
        The metric's denominator in the subgroup.

    Returns
    -------
    score, level : ndarray

    Examples
    --------
    >>> score, level = severity(np.array([0.09, -0.3, -0.02]), np.array([0.21, -0.07, 0.3]),
    ...                         np.array([200, 40, 900]))
    >>> [round(float(s), 1) for s in score], [str(v) for v in level]
    ([18.0, 2.8, 0.0], ['medium', 'medium', 'low'])
    """
    low = np.nan_to_num(np.asarray(ci_low, dtype=float))
    high = np.nan_to_num(np.asarray(ci_high, dtype=float))
    assured = np.where(low > 0, low, np.where(high < 0, -high, 0.0))
    score = assured * np.asarray(denominator, dtype=float)
    level = np.full(assured.shape, SEVERITIES[0], dtype=object)
    for name in SEVERITIES[1:]:  # least to most severe: each higher floor overrides
        level[assured >= SEVERITY_FLOORS[name]] = name
    return score, level


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _pts(x: float) -> str:
    return f"{100 * x:+.1f}"


#: Per family of tests: the number of tests and the multiple-testing control, by test name.
Families = dict[str, tuple[int, str]]


def _sentence(
    row: Any, *, total_rows: int, families: Families, level: float, positive_favours: bool
) -> str:
    spec = METRICS[row.metric]
    who = describe(row.subgroup)
    ci = f"{round(100 * level)}% CI {_pts(row.difference_ci_low)} to {_pts(row.difference_ci_high)}"
    tests, correction = families.get(row.test, (0, ""))
    stats = f"{ci} points; q = {row.q_value:.2g} after {correction} over {tests:,} tests"
    if row.source == "policy":
        bounds = []
        if row.rule_min is not None and not pd.isna(row.rule_min):
            bounds.append(f"at least {row.rule_min:g}")
        if row.rule_max is not None and not pd.isna(row.rule_max):
            bounds.append(f"at most {row.rule_max:g}")
        versus = "the whole population" if row.compare == "to_overall" else "the reference group"
        return (
            f"Policy \u201c{row.rule}\u201d: for {who} ({row.n:,} cases) the {spec.title.lower()} "
            f"{row.measure} against {versus} is {row.estimate:.3g} (interval {row.ci_low:.3g} to "
            f"{row.ci_high:.3g}), wholly outside the tolerance ({' and '.join(bounds)}; "
            f"q = {row.q_value:.2g} after Benjamini-Hochberg over every policy verdict). "
            f"The group's {spec.title.lower()} is {_pct(row.value)} against "
            f"{_pct(row.overall_value)} overall."
        )
    if row.test == OUTCOME_GAP_TEST:
        cases = {
            "negative": "whose outcome proved negative",
            "positive": "whose outcome proved positive",
            "any": "in all",
        }[row.population]
        return (
            f"For {who} ({row.n:,} cases {cases}), review widened the {spec.title.lower()} "
            f"gap to everyone else, measured against what actually happened: the model's "
            f"decisions gave {_pct(row.rate_model)} against {_pct(row.rest_model)} "
            f"({_pts(row.gap_model)} points), the final decisions {_pct(row.value)} against "
            f"{_pct(row.complement_value)} ({_pts(row.gap_final)} points): review moved the "
            f"gap {abs(100 * row.difference):.1f} points, to the wider of the two ({stats}; "
            f"paired cases). Look at the overrides of this group's cases."
        )
    if row.test == OUTCOME_REVIEWER_TEST:
        reviewer = next(iter(row.subgroup.values()))
        return (
            f"Reviewer {reviewer}'s overrides proved right in {_pct(row.value)} of "
            f"{row.n:,} overridden cases whose outcome is known, where the other reviewers' "
            f"overrides of like cases (same model decision and sensitive groups, and score band "
            f"where the log has a score) "
            f"proved right in {_pct(row.complement_value)}: {abs(100 * row.difference):.1f} "
            f"points less often right ({stats}, a family-wise control of the chance of naming "
            f"any reviewer wrongly). Of all {int(row.overrides_known):,} of their overrides with a "
            f"known outcome, {int(row.wrong):,} proved wrong. A possible review quality problem: "
            f"look at this reviewer's overrides."
        )
    if row.test == REVIEWER_TEST:
        reviewer_key = [k for k in row.subgroup if k != next(iter(row.subgroup))][-1]
        reviewer = row.subgroup[reviewer_key]
        group = describe({k: v for k, v in row.subgroup.items() if k != reviewer_key})
        upheld_positive = row.metric == "precision"
        # upholding the model's favourable decisions favours the group
        favours_if_upheld = upheld_positive == positive_favours
        decision = (
            f"{'positive' if upheld_positive else 'negative'} "
            f"({'favourable' if favours_if_upheld else 'unfavourable'})"
        )
        against = (row.difference < 0) == favours_if_upheld
        others_gap = (row.value - row.complement_value) - row.difference
        return (
            f"Reviewer {reviewer} upheld {_pct(row.value)} of the model's {decision} decisions "
            f"in their {row.n:,} reviewed cases with {group}, against "
            f"{_pct(row.complement_value)} of their other such cases: a gap of "
            f"{_pts(row.value - row.complement_value)} points, where the other reviewers' own "
            f"gaps between the same groups average {_pts(others_gap)} points. {reviewer}'s gap "
            f"is {abs(100 * row.difference):.1f} points "
            f"{'wider against' if against else 'wider in favour of'} {group} "
            f"({stats}, a family-wise control of the chance of naming any reviewer wrongly). "
            f"Test: the gap must exceed the others' on the difference, ratio, complement-ratio, "
            f"odds and distance-from-one-half scales alike (null: the reviewer treats the group "
            f"as other reviewers do, allowing that reviewers differ in strictness, that the "
            f"model errs more for some groups and that reviewers see different groups). A "
            f"possible reviewer bias: look at this reviewer's decisions for this group."
        )
    share = row.n / total_rows if total_rows else float("nan")
    head = f"For {who} ({row.n:,} cases, {_pct(share)} of the log)"
    if row.metric == "review_rate":
        verb = "fewer" if row.difference < 0 else "more"
        tail = (
            "An oversight gap: this group's decisions reach a human less often."
            if row.difference < 0
            else "This group's decisions reach a human more often than others'."
        )
        return (
            f"{head}, {_pct(row.value)} of decisions were reviewed by a human against "
            f"{_pct(row.complement_value)} for everyone else: {abs(100 * row.difference):.1f} "
            f"points {verb} ({stats}). {tail}"
        )
    if row.metric == "override_rate":
        tail = (
            "Humans correct the model far more often for this group: a sign the model serves "
            "it worse."
            if row.difference > 0
            else "Humans correct the model less often for this group: check whether its cases "
            "are reviewed as carefully."
        )
        return (
            f"{head}, reviewers overrode the model in {_pct(row.value)} of reviewed cases "
            f"against {_pct(row.complement_value)} for everyone else ({_pts(row.difference)} "
            f"points, {stats}). {tail}"
        )
    direction = "higher" if row.difference > 0 else "lower"
    reading = "" if positive_favours else " (the positive decision is unfavourable to the person)"
    return (
        f"{head}, the {spec.title.lower()} is {_pct(row.value)} against "
        f"{_pct(row.complement_value)} for everyone else: {abs(100 * row.difference):.1f} "
        f"points {direction} ({stats}). {spec.title}: {spec.description[0].lower()}"
        f"{spec.description[1:-1]}{reading}."
    )


def with_identity(
    rows: pd.DataFrame,
    *,
    total_rows: int,
    families: Families,
    level: float,
    sentences: bool = True,
    positive_favours: bool = True,
) -> pd.DataFrame:
    """Add id, description, severity and sentence to flagged rows.

    Parameters
    ----------
    rows : pandas.DataFrame
        Flagged tests or policy breaches (policy rows carry ``rule``, ``measure``,
        ``compare``, ``estimate``, ``ci_low``, ``ci_high``, ``rule_min``, ``rule_max``).
    total_rows : int
        Cases in the log, for the subgroup's share.
    families : dict
        Test name -> (number of tests in its family, name of its multiple-testing control).
    level : float
        Confidence level of the intervals.
    sentences : bool, default=True
        Write the plain-language sentence (not needed for explained patterns).

    Returns
    -------
    pandas.DataFrame
    """
    out = rows.copy()
    if out.empty:
        return out.assign(flag_id=[], description=[], severity=[], severity_score=[], sentence=[])
    rules = out["rule"] if "rule" in out else pd.Series("", index=out.index)
    out["flag_id"] = [
        flag_id(s, m, g, r or "")
        for s, m, g, r in zip(out["source"], out["metric"], out["subgroup"], rules.fillna(""),
                              strict=True)
    ]  # fmt: skip
    out["description"] = [describe(g) for g in out["subgroup"]]
    score, level_name = severity(
        out["difference_ci_low"].to_numpy(float),
        out["difference_ci_high"].to_numpy(float),
        out["denominator"].to_numpy(float),
    )
    out["severity_score"] = score
    out["severity"] = level_name
    out["sentence"] = (
        sentences_for(
            out,
            total_rows=total_rows,
            families=families,
            level=level,
            positive_favours=positive_favours,
        )
        if sentences
        else ""
    )
    return out


def sentences_for(
    rows: pd.DataFrame,
    *,
    total_rows: int,
    families: Families,
    level: float,
    positive_favours: bool = True,
) -> list[str]:
    """The plain-language sentence of each flag.

    ``positive_favours`` says whether the positive decision is the one that favours the
    person (``AuditConfig.favourable_is_positive``); the sentences read directions by it.
    """
    return [
        _sentence(
            row,
            total_rows=total_rows,
            families=families,
            level=level,
            positive_favours=positive_favours,
        )
        for row in rows.itertuples(index=False)
    ]

"""Flags: suspected biased patterns for reviewers, with false discoveries under control.

Three sources feed one table of flags:

``discovery``
    every subgroup (conjunction of attribute = value, up to ``max_depth``) against its
    complement, for the configured metrics;
``oversight``
    review coverage and override rates by subgroup, and reviewers whose override
    behaviour differs by group;
``policy``
    groups whose interval lies wholly outside a configured tolerance;
``outcome``
    with an outcome column: groups whose gap review widens, and reviewers whose
    overrides prove wrong more often than the others' (:mod:`fairloop.flags._outcomes`).

What the user sees is what is controlled:

* subgroup tests (discovery and the oversight metrics) test the claim a flag makes, a
  gap beyond the effect floor ``min_effect``; a test repeated under other names (the two
  values of a two-valued attribute, accuracy and override_rate) is made once; the flags
  shown after explained subgroups are filtered out keep the false discovery rate ``fdr``
  by Focused BH (Katsevich, Sabatti and Bogomolov 2023), which sets the threshold from
  the number of flags *shown*, not of rejections;
  the tests that review changes a group's gap join that family (shown when widened);
* reviewer tests name a person and are held to family-wise control (Holm) on their own,
  those of a reviewer's overrides against the outcome among them;
* policy verdicts are flagged only when the interval lies outside the tolerance and the
  verdict's test survives Benjamini-Hochberg over every verdict of every rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fairloop.config import AuditConfig
from fairloop.cube import CountCube
from fairloop.flags._flag import (
    FLAG_COLUMNS,
    HIGH,
    MEDIUM,
    sentences_for,
    severity,
    severity_rule,
    with_identity,
)
from fairloop.flags._outcomes import (
    OUTCOME_GAP_TEST,
    OUTCOME_REVIEWER_TEST,
    gap_tests,
    reviewer_outcome_tests,
)
from fairloop.flags._policy import VERDICT_ADJUSTMENT, policy_verdicts
from fairloop.flags._redundancy import Explainer, group_overlapping, same_tests
from fairloop.flags._reviewers import REVIEWER_TEST, reviewer_tests
from fairloop.flags._search import OVERSIGHT_METRICS, subgroup_tests
from fairloop.flags._subgroup import describe, flag_id
from fairloop.metrics import OutcomeFigures, Weighting
from fairloop.stats import focused_bh, holm

__all__ = [
    "FDR_CORRECTIONS",
    "FLAG_COLUMNS",
    "HIGH",
    "MEDIUM",
    "OVERSIGHT_METRICS",
    "REVIEWER_CORRECTION",
    "VERDICT_ADJUSTMENT",
    "FlagReport",
    "describe",
    "find_flags",
    "flag_id",
    "policy_verdicts",
    "rank_flags",
    "severity",
    "severity_rule",
]

#: The multiplicity control of the flags shown, by ``flags.fdr_method``.
FDR_CORRECTIONS = {"bh": "Focused Benjamini-Hochberg", "by": "Focused Benjamini-Yekutieli"}
#: Family-wise control of the tests that name a reviewer.
REVIEWER_CORRECTION = "Holm"


@dataclass(frozen=True, eq=False)
class FlagReport:
    """Flags, the flags other flags explain, policy verdicts and the tests made.

    Parameters
    ----------
    flags : pandas.DataFrame
        One row per flag (columns :data:`FLAG_COLUMNS`), highest severity score first.
    explained : pandas.DataFrame
        Flagged patterns not shown on their own, with ``explained_by`` and ``reason``:
        another flag explains them, or they are the same test as a shown flag.
    verdicts : pandas.DataFrame
        Every group against every policy rule.
    tests : dict
        How many tests were made, by source, and which corrections.
    """

    flags: pd.DataFrame
    explained: pd.DataFrame
    verdicts: pd.DataFrame
    tests: dict[str, Any] = field(default_factory=dict)


def _empty_flags() -> pd.DataFrame:
    return pd.DataFrame(columns=FLAG_COLUMNS)


def rank_flags(flags: pd.DataFrame) -> pd.DataFrame:
    """Order flags by the one ranking rule: severity score, highest first, then flag id.

    The score (assured effect times the metric's denominator: the cases the gap concerns
    at the least) ranks flags of every source and level alike; the CLI, the report, the
    review queue and the evidence all show this order.
    """
    if flags.empty:
        return flags
    return flags.sort_values(
        ["severity_score", "flag_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def find_flags(
    cube: CountCube,
    metrics: pd.DataFrame,
    disparities: pd.DataFrame,
    config: AuditConfig,
    *,
    weighting: Weighting | None = None,
    outcomes: OutcomeFigures | None = None,
) -> FlagReport:
    """Search the cube for suspected biased patterns and check the policy rules.

    Parameters
    ----------
    cube : CountCube
        The audit's count cube.
    metrics : pandas.DataFrame
        The audit's metrics for every metric (policy flags read their denominators).
    disparities : pandas.DataFrame
        The audit's disparities for every metric (policy verdicts read their intervals).
    config : AuditConfig
        The ``flags`` and ``policy`` options.
    weighting : Weighting or None, default=None
        When the audit weights reviewed cases to stand for every case: the subgroup
        search tests the weighted figures of metrics of reviewed cases.
    outcomes : OutcomeFigures or None, default=None
        The audit's figures against the outcome: the tests that review widens a group's
        gap and that a reviewer's overrides prove wrong more often.

    Returns
    -------
    FlagReport
    """
    options = config.flags
    correction = FDR_CORRECTIONS[options.fdr_method]
    verdicts = policy_verdicts(disparities, config.policy or (), metrics, fdr=options.fdr)
    level = config.confidence_level
    # --- subgroup tests: one test per finding (repeats under other names merged), then
    #     Focused BH over what is shown after the explained patterns are filtered out
    tests = subgroup_tests(cube, config, weighting).reset_index(drop=True)
    order = [*options.metrics, *(m for m in OVERSIGHT_METRICS if m not in options.metrics)]
    alias_of = same_tests(tests, cube, order)
    searched = tests[alias_of == -1].reset_index(drop=True)
    subgroups = len(searched)
    widening = gap_tests(outcomes, config)
    family = pd.concat([f for f in (searched, widening) if len(f)] or [searched],
                       ignore_index=True)  # fmt: skip
    count = len(family)
    p = family["p_value"].to_numpy(float)
    # only the searched subgroups can explain one another; a changed gap shows when
    # review widened it (narrowed ones are filtered out)
    widened = widening["difference"].to_numpy(float) > 0
    parents = _parents(widening)
    candidate = np.flatnonzero(~np.isnan(p[:subgroups]) & (p[:subgroups] <= options.fdr))
    explainer = Explainer(family.iloc[candidate], alpha=options.redundancy_alpha,
                          min_effect=options.min_effect,
                          twins=_twins(tests, alias_of, candidate))  # fmt: skip

    def shown_filter(rejected: np.ndarray) -> np.ndarray:
        out = np.zeros(count, dtype=bool)
        out[candidate] = explainer.shown(rejected[candidate])
        out[subgroups:] = _broadest(rejected[subgroups:] & widened, parents)
        return out

    # Benjamini-Yekutieli: the level divided by the harmonic number of the family's size
    harmonic = float(np.sum(1.0 / np.arange(1, count + 1))) if options.fdr_method == "by" else 1
    shown_mask, threshold = focused_bh(p, shown_filter, options.fdr / max(harmonic, 1.0))
    rejected = ~np.isnan(p) & (p <= threshold) if shown_mask.any() else np.zeros(count, bool)
    shown_count = int(shown_mask.sum())
    family["q_value"] = np.minimum(1.0, harmonic * count * p / max(shown_count, 1))
    explained_by = np.full(count, -1, dtype=np.int64)
    explained_by[candidate] = np.where(
        (e := explainer.explained_by(rejected[candidate])) >= 0, candidate[np.maximum(e, 0)], -1
    )
    # a widened gap within a broader group's widened gap (same rate) is that flag's
    widened_now = rejected[subgroups:] & widened
    for i, above in enumerate(parents):
        shown_above = [j for j in above if widened_now[j]]
        if widened_now[i] and shown_above:
            explained_by[subgroups + i] = subgroups + shown_above[0]
    explained_by = _to_shown(explained_by)
    # --- reviewer tests: a flag names a person, so family-wise control (Holm)
    people = (reviewer_tests(cube, config), reviewer_outcome_tests(outcomes, config))
    reviewer = pd.concat([f for f in people if len(f)] or [people[0]], ignore_index=True)
    reviewer["q_value"] = holm(reviewer["p_value"].to_numpy(float)) if len(reviewer) else []
    named = reviewer[
        (reviewer["q_value"] <= options.fdr) & (reviewer["difference"].abs() >= options.min_effect)
    ]
    families = {
        "score": (count, f"{correction} (null: a gap within ±{100 * options.min_effect:g} points)"),
        REVIEWER_TEST: (len(reviewer), REVIEWER_CORRECTION),
        OUTCOME_GAP_TEST: (
            count,
            f"{correction} (null: a change within ±{100 * options.min_effect:g} points)",
        ),
        OUTCOME_REVIEWER_TEST: (len(reviewer), REVIEWER_CORRECTION),
    }
    flagged_family = family[rejected]
    flagged = pd.concat([f for f in (flagged_family, named) if len(f)] or [flagged_family],
                        ignore_index=False)  # fmt: skip
    standing = np.concatenate([shown_mask[rejected], np.ones(len(named), dtype=bool)])
    flagged = with_identity(flagged.reset_index(drop=True), total_rows=cube.n_rows,
                            families=families, level=level, sentences=False)  # fmt: skip
    # which shown flag explains each hidden one (positions in `flagged`)
    position = np.full(count, -1, dtype=np.int64)
    position[np.flatnonzero(rejected)] = np.arange(int(rejected.sum()))
    explainer_of = np.concatenate(
        [position[np.maximum(explained_by[rejected], 0)], np.full(len(named), -1)]
    )
    kept = flagged[standing].copy()
    kept["sentence"] = sentences_for(kept, total_rows=cube.n_rows, families=families,
                                     level=level,
                                     positive_favours=config.favourable_is_positive)  # fmt: skip
    gone = flagged[~standing].copy()
    if len(gone):
        by = explainer_of[~standing]
        gone["explained_by"] = flagged["flag_id"].to_numpy()[by]
        gone["explained_by_description"] = flagged["description"].to_numpy()[by]
        gone["reason"] = "explained by another flag"
    # the same test under other names, for the shown and explained flags
    aliases = _aliases(tests, alias_of, flagged, rejected[:subgroups], level, cube.n_rows)
    gone = pd.concat([g for g in (gone, aliases) if len(g)], ignore_index=True) if (
        len(gone) or len(aliases)
    ) else gone  # fmt: skip
    policy = _policy_flags(verdicts, metrics, cube.n_rows, config)
    if len(policy) and len(gone):
        # a breach in a subgroup the search found explained by a broader flag is that flag's
        explainer_map = {
            (m, frozenset(s.items())): (by, desc)
            for m, s, by, desc in zip(gone["metric"], gone["subgroup"], gone["explained_by"],
                                      gone["explained_by_description"], strict=True)
        }  # fmt: skip
        keys = [(m, frozenset(s.items())) for m, s in zip(policy["metric"], policy["subgroup"],
                                                          strict=True)]  # fmt: skip
        moved = np.asarray([k in explainer_map for k in keys], dtype=bool)
        if moved.any():
            extra = policy[moved].copy()
            extra["explained_by"] = [explainer_map[k][0] for k, m in zip(keys, moved, strict=True)
                                     if m]  # fmt: skip
            extra["explained_by_description"] = [
                explainer_map[k][1] for k, m in zip(keys, moved, strict=True) if m
            ]
            extra["reason"] = "explained by another flag"
            gone = pd.concat([gone, extra], ignore_index=True)
            policy = policy[~moved]
    explains: dict[str, list[str]] = {}
    if len(gone):
        for explained_id, by in zip(gone["flag_id"], gone["explained_by"], strict=True):
            explains.setdefault(by, []).append(explained_id)
    kept["explains"] = [explains.get(fid, []) for fid in kept["flag_id"]]
    flags = pd.concat([f for f in (kept, policy) if len(f)], ignore_index=True) if (
        len(kept) or len(policy)
    ) else _empty_flags()  # fmt: skip
    if len(flags):
        flags = rank_flags(flags)
        flags["group"] = group_overlapping(flags, cube)
        flags["sample_case_ids"] = [[] for _ in range(len(flags))]
        for column in ("rule", "explains"):
            if column not in flags:
                flags[column] = None
    flags = flags.reindex(columns=FLAG_COLUMNS)
    by_source = pd.concat([family["source"], reviewer["source"]]).value_counts().to_dict()
    summary = {
        "count": int(count + len(reviewer)),
        "by_source": {str(k): int(v) for k, v in by_source.items()},
        "subgroup_tests": int(subgroups),
        "outcome_gap_tests": len(widening),
        "outcome_reviewer_tests": int((reviewer["test"] == OUTCOME_REVIEWER_TEST).sum()),
        "same_tests_merged": int((alias_of >= 0).sum()),
        "reviewer_tests": len(reviewer),
        "correction": correction,
        "reviewer_correction": REVIEWER_CORRECTION,
        "threshold": float(threshold),
        "fdr": options.fdr,
        "min_effect": options.min_effect,
        "max_depth": options.max_depth,
        "min_support": options.min_support,
        "include_context": options.include_context,
        "metrics": list(options.metrics),
        "flagged": len(flagged),
        "explained": len(gone),
        "policy_rules": len(config.policy or ()),
        "policy_verdicts": int((verdicts["verdict"] != "reference").sum()),
        "policy_flags": len(policy),
    }
    explained_cols = ["flag_id", "source", "description", "subgroup", "metric", "difference",
                      "q_value", "n", "explained_by", "explained_by_description",
                      "reason"]  # fmt: skip
    explained = (
        gone.reindex(columns=explained_cols) if len(gone) else pd.DataFrame(columns=explained_cols)
    )
    return FlagReport(flags=flags, explained=explained.reset_index(drop=True), verdicts=verdicts,
                      tests=summary)  # fmt: skip


def _twins(tests: pd.DataFrame, alias_of: np.ndarray, candidate: np.ndarray) -> pd.DataFrame:
    """Twins of candidates: the other value of a two-valued attribute, same metric.

    Each with ``mirror``: the position of the candidate it was merged into.
    """
    family_position = np.full(len(tests), -1, dtype=np.int64)
    family_position[alias_of == -1] = np.arange(int((alias_of == -1).sum()))
    candidate_position = np.full(int((alias_of == -1).sum()), -1, dtype=np.int64)
    candidate_position[candidate] = np.arange(len(candidate))
    metrics = tests["metric"].to_numpy()
    rows = [
        int(i)
        for i in np.flatnonzero(alias_of >= 0)
        if metrics[i] == metrics[alias_of[i]]
        and candidate_position[family_position[alias_of[i]]] >= 0
    ]
    out = tests.iloc[rows].reset_index(drop=True)
    out["mirror"] = [int(candidate_position[family_position[alias_of[i]]]) for i in rows]
    return out


def _aliases(
    tests: pd.DataFrame,
    alias_of: np.ndarray,
    flagged: pd.DataFrame,
    rejected: np.ndarray,
    level: float,
    total_rows: int,
) -> pd.DataFrame:
    """Tests that repeat a flagged test under other names, pointing at its flag."""
    representative = np.flatnonzero(alias_of == -1)  # family row i is tests row representative[i]
    flag_of = {int(representative[i]): j for j, i in enumerate(np.flatnonzero(rejected))}
    rows = [int(i) for i in np.flatnonzero(alias_of >= 0) if int(alias_of[i]) in flag_of]
    if not rows:
        return pd.DataFrame()
    out = tests.iloc[rows].copy()
    target = [flag_of[int(alias_of[i])] for i in rows]
    out["q_value"] = flagged["q_value"].to_numpy()[target]
    out = with_identity(out, total_rows=total_rows, families={}, level=level, sentences=False)
    out["explained_by"] = flagged["flag_id"].to_numpy()[target]
    out["explained_by_description"] = flagged["description"].to_numpy()[target]
    out["reason"] = "the same test as another flag, under another name"
    return out


def _parents(tests: pd.DataFrame) -> list[list[int]]:
    """Per gap test: the tests of the same metric standing for a broader subgroup.

    A test stands for its subgroup and, for a two-valued attribute, its twin's
    (``stands_for``): ``race=White & sex=F`` lies within the test of ``race=Black``.
    """
    metrics = [str(m) for m in tests["metric"]]
    own = [frozenset(dict(g).items()) for g in tests["subgroup"]]
    stands: list[list[frozenset[tuple[str, str]]]] = list(tests["stands_for"])
    by_metric: dict[str, list[int]] = {}
    for i, metric in enumerate(metrics):
        by_metric.setdefault(metric, []).append(i)
    return [
        [j for j in by_metric[metric] if j != i and any(c < own[i] for c in stands[j])]
        for i, metric in enumerate(metrics)
    ]


def _broadest(flagged: np.ndarray, parents: list[list[int]]) -> np.ndarray:
    """Flagged tests none of whose broader tests (:func:`_parents`) is flagged."""
    out = flagged.copy()
    for i, above in enumerate(parents):
        if out[i] and any(flagged[j] for j in above):
            out[i] = False
    return out


def _to_shown(explained_by: np.ndarray) -> np.ndarray:
    """Follow each explanation up to a flag that is itself shown (not explained away)."""
    out = explained_by.copy()
    for index in np.flatnonzero(out >= 0):
        seen = {int(index)}
        target = int(out[index])
        while out[target] != -1 and out[target] not in seen:
            seen.add(target)
            target = int(out[target])
        out[index] = target
    return out


def _denominators(rows: pd.DataFrame, metrics: pd.DataFrame) -> np.ndarray:
    """Each row's metric denominator in its group, from the audit's metrics table."""
    lookup = dict(
        zip(zip(metrics["group"], metrics["metric"], strict=True), metrics["denominator"],
            strict=True)
    )  # fmt: skip
    return np.asarray(
        [lookup.get((g, m), np.nan) for g, m in zip(rows["group"], rows["metric"], strict=True)],
        dtype=float,
    )


def _policy_flags(
    verdicts: pd.DataFrame, metrics: pd.DataFrame, total_rows: int, config: AuditConfig
) -> pd.DataFrame:
    breaches = verdicts[verdicts["verdict"] == "flag"]
    if breaches.empty:
        return pd.DataFrame()
    rows = pd.DataFrame(
        {
            "source": "policy",
            "subgroup": breaches["attributes"].to_numpy(),
            "depth": [len(a) for a in breaches["attributes"]],
            "metric": breaches["metric"].to_numpy(),
            "n": breaches["n"].astype("int64").to_numpy(),
            "value": breaches["value"].to_numpy(float),
            "complement_value": np.nan,
            "overall_value": breaches["reference_value"].to_numpy(float),
            "difference": breaches["value"].to_numpy(float)
            - breaches["reference_value"].to_numpy(float),
            "difference_ci_low": breaches["difference_ci_low"].to_numpy(float),
            "difference_ci_high": breaches["difference_ci_high"].to_numpy(float),
            "denominator": _denominators(breaches, metrics),
            "ratio": breaches["value"].to_numpy(float)
            / breaches["reference_value"].to_numpy(float),
            "p_value": breaches["p_value"].to_numpy(float),
            "q_value": breaches["q_value"].to_numpy(float),
            "test": "interval",
            "rule": breaches["rule"].to_numpy(),
            "rule_min": breaches["min"].to_numpy(),
            "rule_max": breaches["max"].to_numpy(),
            "measure": breaches["measure"].to_numpy(),
            "compare": breaches["compare"].to_numpy(),
            "estimate": breaches["estimate"].to_numpy(float),
            "ci_low": breaches["ci_low"].to_numpy(float),
            "ci_high": breaches["ci_high"].to_numpy(float),
        }
    )  # fmt: skip
    out = with_identity(rows, total_rows=total_rows, families={},
                        level=config.confidence_level,
                        positive_favours=config.favourable_is_positive)  # fmt: skip
    out["explains"] = [[] for _ in range(len(out))]
    return out

"""Flags: suspected biased patterns for reviewers, with false discoveries under control.

Three sources feed one table of flags:

``discovery``
    every subgroup (conjunction of attribute = value, up to ``max_depth``) against its
    complement, for the configured metrics;
``oversight``
    review coverage and override rates by subgroup, and reviewers whose override
    behaviour differs by group;
``policy``
    groups whose interval lies wholly outside a configured tolerance.

Discovery and oversight tests form one family whose p-values are turned into
Benjamini-Hochberg (or Benjamini-Yekutieli) q-values; a test is flagged when its q-value
is at most ``fdr`` and its difference at least ``min_effect``. Policy verdicts are read
from intervals, not tests, and carry no q-value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from fairloop.config import AuditConfig
from fairloop.cube import CountCube
from fairloop.flags._flag import (
    FLAG_COLUMNS,
    HIGH,
    MEDIUM,
    sentences_for,
    severity,
    with_identity,
)
from fairloop.flags._policy import VERDICTS, policy_verdicts
from fairloop.flags._redundancy import group_overlapping, prune_explained
from fairloop.flags._reviewers import reviewer_tests
from fairloop.flags._search import OVERSIGHT_METRICS, subgroup_tests
from fairloop.flags._subgroup import describe, flag_id

__all__ = [
    "FLAG_COLUMNS",
    "HIGH",
    "MEDIUM",
    "OVERSIGHT_METRICS",
    "VERDICTS",
    "FlagReport",
    "describe",
    "find_flags",
    "flag_id",
    "severity",
]

_CORRECTIONS = {"bh": "Benjamini-Hochberg", "by": "Benjamini-Yekutieli"}


@dataclass(frozen=True, eq=False)
class FlagReport:
    """Flags, the flags other flags explain, policy verdicts and the tests made.

    Parameters
    ----------
    flags : pandas.DataFrame
        One row per flag (columns :data:`FLAG_COLUMNS`), most severe first.
    explained : pandas.DataFrame
        Flagged patterns left out because another flag explains them, with ``explained_by``.
    verdicts : pandas.DataFrame
        Every group against every policy rule.
    tests : dict
        How many tests were made, by source, and which correction.
    """

    flags: pd.DataFrame
    explained: pd.DataFrame
    verdicts: pd.DataFrame
    tests: dict[str, Any] = field(default_factory=dict)


def _empty_flags() -> pd.DataFrame:
    return pd.DataFrame(columns=FLAG_COLUMNS)


def find_flags(
    cube: CountCube, metrics: pd.DataFrame, disparities: pd.DataFrame, config: AuditConfig
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

    Returns
    -------
    FlagReport
    """
    options = config.flags
    correction = _CORRECTIONS[options.fdr_method]
    verdicts = policy_verdicts(disparities, config.policy or ())
    tests = pd.concat(
        [t for t in (subgroup_tests(cube, config), reviewer_tests(cube, config)) if len(t)]
        or [subgroup_tests(cube, config)],
        ignore_index=True,
    )
    count = len(tests)
    if count:
        tests["q_value"] = stats.false_discovery_control(
            tests["p_value"].to_numpy(float), method=options.fdr_method
        )
    else:
        tests["q_value"] = []
    flagged = tests[
        (tests["q_value"] <= options.fdr) & (tests["difference"].abs() >= options.min_effect)
    ].copy()
    explained_by = prune_explained(
        flagged, alpha=options.redundancy_alpha, min_effect=options.min_effect
    )
    explained_by = _to_shown(explained_by)
    standing = explained_by.reindex(flagged.index).to_numpy() == -1

    flagged = with_identity(flagged, total_rows=cube.n_rows, tests=count, correction=correction,
                            level=config.confidence_level, sentences=False)  # fmt: skip
    kept = flagged[standing].copy()
    kept["sentence"] = sentences_for(
        kept, total_rows=cube.n_rows, tests=count, correction=correction,
        level=config.confidence_level,
    )  # fmt: skip
    gone = flagged[~standing].copy()
    if len(gone):
        gone["explained_by"] = flagged.loc[explained_by[gone.index], "flag_id"].to_numpy()
        gone["explained_by_description"] = flagged.loc[
            explained_by[gone.index], "description"
        ].to_numpy()
    policy = _policy_flags(verdicts, metrics, cube.n_rows, config)
    if len(policy) and len(gone):
        # a breach in a subgroup the search found explained by a broader flag is that flag's
        explainer = {
            (m, frozenset(s.items())): (by, desc)
            for m, s, by, desc in zip(gone["metric"], gone["subgroup"], gone["explained_by"],
                                      gone["explained_by_description"], strict=True)
        }  # fmt: skip
        keys = [(m, frozenset(s.items())) for m, s in zip(policy["metric"], policy["subgroup"],
                                                          strict=True)]  # fmt: skip
        moved = np.asarray([k in explainer for k in keys], dtype=bool)
        if moved.any():
            extra = policy[moved].copy()
            extra["explained_by"] = [explainer[k][0] for k, m in zip(keys, moved, strict=True) if m]
            extra["explained_by_description"] = [
                explainer[k][1] for k, m in zip(keys, moved, strict=True) if m
            ]
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
        # by level first (high, medium, low), then by score: ranks and labels agree
        rank = flags["severity"].map({"high": 0, "medium": 1, "low": 2})
        flags = (
            flags.assign(_rank=rank)
            .sort_values(["_rank", "severity_score", "flag_id"], ascending=[True, False, True])
            .drop(columns="_rank")
        )
        flags = flags.reset_index(drop=True)
        flags["group"] = group_overlapping(flags, cube)
        flags["sample_case_ids"] = [[] for _ in range(len(flags))]
        for column in ("rule", "explains"):
            if column not in flags:
                flags[column] = None
    flags = flags.reindex(columns=FLAG_COLUMNS)
    by_source = tests["source"].value_counts().to_dict() if count else {}
    summary = {
        "count": int(count),
        "by_source": {str(k): int(v) for k, v in by_source.items()},
        "reviewer_tests": int((tests["test"] == "did-z").sum()) if count else 0,
        "correction": correction,
        "fdr": options.fdr,
        "min_effect": options.min_effect,
        "max_depth": options.max_depth,
        "min_support": options.min_support,
        "include_context": options.include_context,
        "metrics": list(options.metrics),
        "flagged": len(flagged),
        "explained": len(gone),
        "policy_rules": len(config.policy or ()),
        "policy_flags": len(policy),
    }
    explained_cols = ["flag_id", "source", "description", "subgroup", "metric", "difference",
                      "q_value", "n", "explained_by", "explained_by_description"]  # fmt: skip
    explained = (
        gone.reindex(columns=explained_cols) if len(gone) else pd.DataFrame(columns=explained_cols)
    )
    return FlagReport(flags=flags, explained=explained.reset_index(drop=True), verdicts=verdicts,
                      tests=summary)  # fmt: skip


def _to_shown(explained_by: pd.Series) -> pd.Series:
    """Follow each explanation up to a flag that is itself shown (not explained away)."""
    out = explained_by.copy()
    for index in out.index:
        seen = {index}
        target = out[index]
        while target != -1 and out.get(target, -1) != -1 and target not in seen:
            seen.add(target)
            target = out[target]
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
            "q_value": np.nan,
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
    out = with_identity(rows, total_rows=total_rows, tests=0, correction="",
                        level=config.confidence_level)  # fmt: skip
    out["explains"] = [[] for _ in range(len(out))]
    return out

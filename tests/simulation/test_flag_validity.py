"""The flags a user sees, judged against the truth of independently generated logs.

The logs come from ``scenarios.py`` beside this file, written apart from fairloop (it never
imports it): every subgroup's true gap is exact, so each shown flag is judged true or
false. A shown flag is false when its subgroup's true gap is below the effect floor
(``min_effect``, 5 points) or has the other sign: that is the claim a flag makes. Seeds are
fixed, so the suite is deterministic; ``benchmarks/bench_flags.py`` runs the same
scenarios over more seeds and prints the rates.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fairloop

sys.path.insert(0, str(Path(__file__).parent))
import scenarios as sc

FLOOR = 0.05
#: Broad real gaps: two on sensitive attributes' large groups, one on selection, plus a
#: narrow one (2.7% of rows); with context, one more on a context value.
BROAD = (
    sc.Gap({"s2": "b"}, "false_positive_rate", 0.12),
    sc.Gap({"s1": "a"}, "false_negative_rate", 0.08),
    sc.Gap({"s3": "a"}, "selection_rate", -0.10),
    sc.Gap({"s2": "c", "s3": "d"}, "false_positive_rate", 0.12),
)
CONTEXT_GAP = sc.Gap({"c1": "d"}, "false_positive_rate", 0.10)


def _audit(log: sc.SimLog, **options: Any) -> fairloop.AuditResult:
    return fairloop.audit(log.data, **{**log.roles, **options})


def _reviewer_flags(result: fairloop.AuditResult) -> list[dict[str, str]]:
    return [s for s in result.flags["subgroup"] if "reviewer" in s]


def false_discoveries(result: fairloop.AuditResult, truth: Any) -> tuple[int, int]:
    """(false, shown) among the discovery and oversight flags, judged by the true gaps."""
    false = shown = 0
    for subgroup, metric, difference, source in zip(
        result.flags["subgroup"], result.flags["metric"], result.flags["difference"],
        result.flags["source"], strict=True,
    ):  # fmt: skip
        if source == "policy":
            continue
        shown += 1
        # reviewers in these logs treat every group alike: a reviewer flag is always false
        gap = 0.0 if "reviewer" in subgroup else truth.gap(subgroup, metric)
        false += bool(abs(gap) < FLOOR or np.sign(gap) != np.sign(difference))
    return false, shown


@pytest.mark.slow
def test_reviewer_flags_stay_off_on_null_logs() -> None:
    """Reviewers differ only in strictness, share the model's gap, or catch a fixed share
    of its errors (also when the strict ones see mostly one group): at most 5% of logs may
    name any reviewer."""
    flagged, logs = [], 0
    for kind in ("strictness", "model_gap", "catch_share"):
        for reviewers, cases in ((5, 200), (20, 1_000), (50, 200), (20, 5_000), (5, 20_000)):
            for seed in range(2 if cases < 20_000 else 1):
                log = sc.reviewer_null_log(
                    seed=seed, n_reviewers=reviewers, cases_per_reviewer=cases, kind=kind
                )
                logs += 1
                if names := _reviewer_flags(_audit(log)):
                    flagged.append((kind, reviewers, cases, seed, names))
    # strict reviewers who see mostly one group: the others' gap is each reviewer's own
    for seed in range(10):
        log = sc.confounded_reviewer_log(seed=seed)
        logs += 1
        if names := _reviewer_flags(_audit(log)):
            flagged.append(("confounded", 10, 2_000, seed, names))
    assert logs == 3 * (4 * 2 + 1) + 10
    assert len(flagged) <= 0.05 * logs, flagged


def test_a_reviewer_who_never_overrides_has_no_zero_variance_p_value() -> None:
    from fairloop.stats import interaction_pvalue

    # zero overrides in both of the reviewer's cells: the old Wald test gave p ~ 1e-8
    _, se, p = interaction_pvalue([[0, 0, 900, 300]], [[300, 300, 3000, 3000]])
    assert se[0] > 0 and p[0] > 0.05


@pytest.mark.slow
def test_a_reviewer_harsher_on_one_group_is_found() -> None:
    """10 points more overrides for group B, 800 of the reviewer's cases in B: power >= 80%."""
    found = wrong = 0
    for seed in range(20):
        log = sc.reviewer_bias_log(seed=seed, n_reviewers=20, cases_per_reviewer=1_600)
        result = _audit(log)
        found += {"group": "B", "reviewer": "r00"} in _reviewer_flags(result)
        # Holm holds the chance of naming any innocent reviewer in a log at 5%
        wrong += any(s.get("reviewer") != "r00" for s in _reviewer_flags(result))
    assert found >= 16
    assert wrong <= 2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rows", "sensitive", "context"),
    [(20_000, 3, False), (20_000, 6, True), (200_000, 3, False), (200_000, 6, True)],
)
def test_shown_flags_keep_the_false_discovery_rate(
    rows: int, sensitive: int, context: bool
) -> None:
    """Broad real gaps: the mean false discovery proportion of the shown flags is <= 0.05."""
    gaps = BROAD + ((CONTEXT_GAP,) if context else ())
    proportions, shown = [], 0
    for seed in range(3):
        log = sc.broad_gap_log(
            rows, seed=seed, n_sensitive=sensitive, n_context=2 if context else 0, gaps=gaps
        )
        result = _audit(log, flags={"include_context": context})
        false, count = false_discoveries(result, log.truth)
        proportions.append(false / count if count else 0.0)
        shown += count
    assert np.mean(proportions) <= 0.05
    assert shown >= 3  # the real gaps are found


@pytest.mark.slow
def test_null_logs_show_no_flag_and_no_policy_breach() -> None:
    """No gap anywhere, 6 sensitive attributes and context: no flag, no policy flag
    (thousands of policy verdicts, Benjamini-Hochberg across them)."""
    for seed in range(6):
        log = sc.broad_gap_log(50_000, seed=seed, n_sensitive=6, n_context=2, gaps=())
        # every intersection measured (not pairs alone, the default): thousands of verdicts
        result = _audit(log, flags={"include_context": True}, max_intersection="all")
        assert result.tests["policy_verdicts"] > 1_000
        assert result.flags.empty, result.flags[["description", "metric", "source"]]


def test_a_two_valued_attribute_and_complementary_metrics_give_one_flag() -> None:
    log = sc.broad_gap_log(
        200_000, seed=1, n_sensitive=3, n_context=0,
        gaps=(sc.Gap({"s1": "a"}, "false_negative_rate", 0.15),),
    )  # fmt: skip
    result = _audit(log)
    depth_one = [
        (next(iter(s)), m) for s, m in zip(result.flags["subgroup"], result.flags["metric"],
                                           strict=True) if len(s) == 1
    ]  # fmt: skip
    # s1 = a and s1 = b against the rest are one test: one flag, not mirror images
    assert depth_one.count(("s1", "false_negative_rate")) == 1
    # accuracy and override_rate are the same test under two names: never both
    for subgroup in result.flags["subgroup"]:
        metrics = set(result.flags.loc[result.flags["subgroup"] == subgroup, "metric"])
        assert not {"accuracy", "override_rate"} <= metrics
    same = result.explained[result.explained["reason"].str.startswith("the same test")]
    assert len(same) >= 1
    assert set(same["explained_by"]) <= set(result.flags["flag_id"])


@pytest.mark.slow
def test_a_narrow_planted_gap_ranks_in_the_top_three() -> None:
    """+12 points of false positive rate on 2.7% of rows, 6 sensitive + 2 context
    attributes searched (10,830 tests): in the top 3 of the shown flags in every seed."""
    planted = {"s2": "c", "s3": "d"}
    for seed in range(3):
        log = sc.broad_gap_log(
            500_000, seed=seed, n_sensitive=6, n_context=2,
            gaps=(sc.Gap(planted, "false_positive_rate", 0.12),),
        )  # fmt: skip
        result = _audit(log, flags={"include_context": True})
        ranked = [
            (s, m) for s, m in zip(result.flags["subgroup"], result.flags["metric"], strict=True)
        ]
        assert (planted, "false_positive_rate") in ranked[:3], ranked[:5]

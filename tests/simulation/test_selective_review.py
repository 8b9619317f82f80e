"""Selective review: score metrics, tests of selection, and figures for every case.

Expected values come from scikit-learn on the rows, from hand computation, and from the
independent generators of :mod:`routing` (which never import fairloop and know the
all-case truth).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import fairloop
from fairloop.exceptions import DecisionLogError

sys.path.insert(0, str(Path(__file__).parent))
from routing import ab_routing, reviewer_case_mix, score_routed

ERROR_RATES = ("accuracy", "false_positive_rate", "false_negative_rate", "override_rate")
ROLES = {"prediction": "pred", "label": "label", "sensitive": ["group"]}


def _value(
    result: fairloop.AuditResult, group: str, metric: str, estimator: str | None = None
) -> Any:
    m = result.metrics
    rows = m[(m["group"] == group) & (m["metric"] == metric)]
    if estimator is not None:
        rows = rows[rows["estimator"] == estimator]
    return rows.iloc[0]


# --- score metrics --------------------------------------------------------------------
def test_roc_auc_is_sklearn_exactly_for_a_decile_score() -> None:
    frame, _ = ab_routing(n_per_group=4_000, seed=3)
    frame["decile"] = (np.floor(frame["score"] * 10).clip(0, 9) + 1) / 10
    result = fairloop.audit(frame, **ROLES, score="decile")
    reviewed = frame[frame["label"].notna()]
    for group in ("A", "B"):
        part = reviewed[reviewed["group"] == group]
        expected = roc_auc_score(part["label"], part["decile"])
        got = _value(result, f"group={group}", "roc_auc", "reviewed")
        assert got["value"] == pytest.approx(expected, abs=1e-9)
        assert got["ci_low"] < got["value"] < got["ci_high"]
    everyone = roc_auc_score(reviewed["label"], reviewed["decile"])
    assert _value(result, "(all)", "roc_auc", "reviewed")["value"] == pytest.approx(
        everyone, abs=1e-9
    )


def test_roc_auc_on_a_continuous_score_is_within_0002_with_the_default_bins() -> None:
    rng = np.random.default_rng(11)
    n = 30_000
    group = rng.choice(["F", "M"], n)
    score = np.round(rng.beta(8, 8, n), 6)  # concentrated: the hardest case for bands
    human = (rng.random(n) < score).astype(int)
    frame = pd.DataFrame({"g": group, "s": score, "p": (score >= 0.5).astype(int), "h": human})
    result = fairloop.audit(frame, prediction="p", label="h", sensitive="g", score="s")
    for g in ("F", "M"):
        part = frame[frame["g"] == g]
        expected = roc_auc_score(part["h"], part["s"])
        assert abs(_value(result, f"g={g}", "roc_auc", "reviewed")["value"] - expected) < 0.002


@pytest.mark.needs_shared_data
def test_roc_auc_equals_sklearn_on_compas(compas: pd.DataFrame) -> None:
    compas = compas.assign(score=compas["decile_score"] / 10)
    result = fairloop.audit(
        compas, prediction="high_risk", label="two_year_recid", sensitive="race", score="score",
        case_id="id",
    )  # fmt: skip
    for race, part in compas.groupby("race"):
        if part["two_year_recid"].nunique() < 2:
            continue
        expected = roc_auc_score(part["two_year_recid"], part["score"])
        assert _value(result, f"race={race}", "roc_auc", "reviewed")["value"] == pytest.approx(
            expected, abs=1e-9
        )


def test_calibration_and_threshold_what_if_match_the_rows() -> None:
    frame, _ = ab_routing(n_per_group=3_000, seed=5)
    result = fairloop.audit(frame, **ROLES, score="score", estimator="reviewed")
    reviewed = frame[frame["label"].notna()]
    cal = result.calibration
    band = cal[(cal["group"] == "group=B") & (cal["band"] == "0.40-0.50")].iloc[0]
    rows = reviewed[(reviewed["group"] == "B") & (reviewed["score"] >= 0.4)
                    & (reviewed["score"] < 0.5)]  # fmt: skip
    assert band["n"] == len(rows)
    assert band["observed"] == pytest.approx(rows["label"].mean())
    assert band["mean_score"] == pytest.approx(rows["score"].mean())
    what_if = result.threshold(0.7)
    b = what_if[what_if["group"] == "group=B"].set_index("metric")
    every_b = frame[frame["group"] == "B"]
    assert b.loc["selection_rate", "value"] == pytest.approx((every_b["score"] >= 0.7).mean())
    negatives = reviewed[(reviewed["group"] == "B") & (reviewed["label"] == 0)]
    assert b.loc["false_positive_rate", "value"] == pytest.approx(
        (negatives["score"] >= 0.7).mean()
    )


# --- how cases reached a human ----------------------------------------------------------
def test_random_review_keeps_the_reviewed_estimator_and_no_warning() -> None:
    rng = np.random.default_rng(2)
    n = 8_000
    score = rng.random(n)
    label = np.where(rng.random(n) < 0.3, (rng.random(n) < score).astype(float), np.nan)
    frame = pd.DataFrame({"group": rng.choice(["A", "B"], n), "score": score,
                          "pred": (score >= 0.5).astype(int), "label": label})  # fmt: skip
    result = fairloop.audit(frame, **ROLES, score="score", estimator="auto")
    assert result.selection is not None and result.selection.estimator == "reviewed"
    assert result.metrics["note"].isna().all()
    assert set(result.metrics["estimator"]) <= {"reviewed", "all cases"}


def test_review_of_every_denial_is_detected_and_warned() -> None:
    rng = np.random.default_rng(4)
    n = 8_000
    score = rng.random(n)
    pred = (score >= 0.5).astype(int)
    human = (rng.random(n) < score).astype(float)
    frame = pd.DataFrame({"group": rng.choice(["A", "B"], n), "pred": pred,
                          "label": np.where(pred == 0, human, np.nan)})  # fmt: skip
    result = fairloop.audit(frame, **ROLES, estimator="auto")
    selection = result.selection
    assert selection is not None and "decision" in selection.depends_on
    reviewed_fpr = _value(result, "group=A", "false_positive_rate", "reviewed")
    assert "describe those cases" in reviewed_fpr["note"]
    # approvals were never reviewed: an all-case false positive rate is not estimable
    weighted = _value(result, "group=A", "false_positive_rate", "post-stratified")
    assert np.isnan(weighted["value"]) and weighted["status"] == "insufficient"
    evidence = result.to_dict()
    assert evidence["selection"]["warning"]
    assert any(m["note"] for m in evidence["metrics"] if m["metric"] == "accuracy")


def test_a_band_never_reviewed_is_left_out_for_every_group() -> None:
    frame, _ = ab_routing(n_per_group=6_000, seed=1, quality_sample=0.0)
    result = fairloop.audit(frame, **ROLES, score="score", estimator="auto")
    selection = result.selection
    assert selection is not None and selection.estimator == "post-stratified"
    left_out = selection.left_out
    assert len(left_out) > 0
    # the strata nobody reviewed are A's; B's in the same bands are left out with them
    assert set(left_out.loc[left_out["reviewed"] == 0, "group"]) == {"A"}
    assert "B" in set(left_out["group"])
    row = _value(result, "group=B", "accuracy", "post-stratified")
    assert row["support"] < 0.5  # B too is compared only inside A's reviewed band
    assert "compared only where all were reviewed" in row["note"]


# --- the A/B routing scenario -------------------------------------------------------------
def test_ab_routing_adjusted_figures_recover_the_truth_and_raise_no_error_rate_flag() -> None:
    # B reviewed at 40%: a real review-rate gap of about 15 points beside the routing
    frame, truth = ab_routing(seed=0, b_review_rate=0.4)
    result = fairloop.audit(frame, **ROLES, score="score", estimator="auto")
    assert result.selection is not None and result.selection.estimator == "post-stratified"
    for group in ("A", "B"):
        row = _value(result, f"group={group}", "accuracy", "post-stratified")
        assert abs(row["value"] - truth["all_cases"][group]["accuracy"]) < 0.03
    naive = _value(result, "group=A", "accuracy", "reviewed")["value"]
    assert abs(naive - truth["all_cases"]["A"]["accuracy"]) > 0.1  # what fairloop said before
    flagged = set(result.flags["metric"])
    assert not flagged & set(ERROR_RATES)
    assert "review_rate" in flagged
    assert (
        result.verdicts.empty
        or not (
            (result.verdicts["verdict"] == "flag") & result.verdicts["metric"].isin(ERROR_RATES)
        ).any()
    )


def test_inverse_probability_weights_when_the_log_gives_them() -> None:
    frame, truth = ab_routing(seed=2)
    result = fairloop.audit(
        frame, **ROLES, score="score", review_probability="review_probability", estimator="auto"
    )
    row = _value(result, "group=A", "accuracy", "inverse-probability")
    assert abs(row["value"] - truth["all_cases"]["A"]["accuracy"]) < 0.03
    assert "inverse-probability" in result.methods["estimator"]


def test_a_bad_review_probability_is_refused_naming_the_column() -> None:
    frame, _ = ab_routing(n_per_group=500, seed=2)
    frame.loc[frame["label"].notna().idxmax(), "review_probability"] = 0.0
    with pytest.raises(DecisionLogError, match=r"review_probability|review probability"):
        fairloop.audit(frame, **ROLES, review_probability="review_probability")


@pytest.mark.slow
def test_a_planted_fpr_gap_is_the_top_fpr_flag_under_routing() -> None:
    """A real 8-point FPR gap under the same routing (100,000 cases per group: with 20,000
    the 5% quality sample cannot tell 8 points from the 5-point floor; 12 of 20 there)."""
    hits = 0
    for seed in range(20):
        frame, _ = ab_routing(n_per_group=100_000, seed=100 + seed, fpr_gap=0.08)
        flags = fairloop.audit(frame, **ROLES, score="score").flags
        fpr = flags[flags["metric"] == "false_positive_rate"]
        hits += bool(len(fpr)) and fpr.iloc[0]["subgroup"] == {"group": "A"}
    assert hits >= 19


@pytest.mark.slow
@pytest.mark.parametrize("weights", ["post-stratified", "inverse-probability"])
def test_weighted_intervals_cover_the_all_case_truth(weights: str) -> None:
    """>= 93% of the intervals of error rates (and their A-B differences) cover the
    all-case truth over 200 logs whose review is routed by score, decision and group."""
    covered, differences = [], []
    options = {"review_probability": "review_probability"} if weights != "post-stratified" else {}
    for seed in range(200):
        frame, truth = score_routed(n=8_000, seed=seed)
        result = fairloop.audit(frame, **ROLES, score="score", estimator=weights, **options)
        m = result.metrics[result.metrics["estimator"] == weights]
        for group in ("A", "B", "C"):
            for metric in ERROR_RATES:
                row = m[(m["group"] == f"group={group}") & (m["metric"] == metric)].iloc[0]
                if row["status"] != "ok":
                    continue
                covered.append(row["ci_low"] <= truth["all_cases"][group][metric] <= row["ci_high"])
        d = result.disparities
        for metric in ERROR_RATES:
            part = d[(d["comparison"] == "reference") & (d["metric"] == metric)
                     & (d["group"] == "group=B")]  # fmt: skip
            if len(part) and part.iloc[0]["status"] == "ok":
                row = part.iloc[0]
                true = truth["differences"][("B", row["reference_group"].split("=")[1])][metric]
                differences.append(row["difference_ci_low"] <= true <= row["difference_ci_high"])
    assert np.mean(covered) >= 0.93, np.mean(covered)
    assert np.mean(differences) >= 0.93, np.mean(differences)


# --- reviewers within case mix ------------------------------------------------------------
def test_a_reviewer_handed_the_hard_cases_is_not_taken_for_a_harsh_one() -> None:
    frame, truth = reviewer_case_mix(seed=0)
    result = fairloop.audit(frame, **ROLES, score="score", reviewer="reviewer")
    table = result.reviewers.set_index("reviewer")
    raw = truth["reviewer_override_raw"]
    for reviewer, row in table.iterrows():
        assert row["rate"] == pytest.approx(raw[reviewer])  # the raw rates are the rows'
        # every reviewer applies the same rule: within case mix they all look alike
        assert row["adjusted_ci_low"] <= row["adjusted_rate"] <= row["adjusted_ci_high"]
        assert 0.75 < row["case_mix_ratio"] < 1.3
    hard, easy = table.loc[["r1", "r2"], "rate"], table.loc[["r3", "r4", "r5", "r6"], "rate"]
    assert hard.min() > 2 * easy.max()  # raw rates differ by case mix alone
    html = result.to_html()
    assert "overrides far less than peers" not in html
    assert "Within case mix" in html


def test_case_mix_expected_rate_is_the_peers_rate_on_the_same_cases() -> None:
    """Hand check of indirect standardisation on a tiny log without a score."""
    rows = [
        # (reviewer, pred, label, count): stratum pred=1 overridden 1/4 by all, pred=0 3/4
        ("x", 1, 1, 3), ("x", 1, 0, 1), ("y", 0, 1, 3), ("y", 0, 0, 1),
        ("x", 0, 1, 0), ("y", 1, 1, 0),
    ]  # fmt: skip
    records = [(r, p, lab) for r, p, lab, n in rows for _ in range(n)]
    frame = pd.DataFrame(records, columns=["reviewer", "pred", "label"])
    frame["group"] = ["A", "B"] * (len(frame) // 2)
    table = fairloop.audit(frame, **ROLES, reviewer="reviewer").reviewers.set_index("reviewer")
    # x: 4 cases of pred=1, peers' (everyone's) override rate there 1/4: expected 0.25
    assert table.loc["x", "expected_rate"] == pytest.approx(0.25)
    assert table.loc["y", "expected_rate"] == pytest.approx(0.75)
    assert table.loc["x", "case_mix_ratio"] == pytest.approx(1.0)


# --- plots, report and command line ---------------------------------------------------------
def test_plots_and_report_show_calibration_roc_and_selection() -> None:
    frame, _ = ab_routing(n_per_group=3_000, seed=8)
    result = fairloop.audit(frame, **ROLES, score="score", estimator="auto")
    calibration = result.plot.calibration("group")
    assert {t.name for t in calibration.data} >= {"group=A", "group=B", "mean score"}
    assert calibration.data[0].error_y.type == "data"
    roc = result.plot.roc()
    assert any("AUC" in t.name for t in roc.data)
    curve = next(t for t in roc.data if "AUC" in t.name)
    assert curve.error_y.type == "data" and curve.error_x.type == "data"  # every point's intervals
    points = result.roc[result.roc["group"] == "group=B"]
    assert (points["true_positive_rate_ci_low"] <= points["true_positive_rate"] + 1e-12).all()
    weighted = result.plot.metric("accuracy", by="group").data[0].y
    expected = result.by_group("group")["accuracy"].to_numpy()
    np.testing.assert_allclose(weighted, expected)
    html = result.to_html()
    for text in ('id="score"', "How cases reached a person", "post-stratified", "ROC AUC"):
        assert text in html
    with pytest.raises(ValueError, match="sensitive"):
        result.plot.roc("reviewer")


def test_routing_hard_cases_to_some_reviewers_raises_no_reviewer_flag() -> None:
    """Reviewers r1, r2 get the borderline cases, r3..r6 the clear ones; all apply one rule."""
    for seed in range(3):
        frame, _ = reviewer_case_mix(seed=seed)
        result = fairloop.audit(frame, **ROLES, score="score", reviewer="reviewer")
        named = [s for s in result.flags["subgroup"] if "reviewer" in s]
        assert named == [], named

from __future__ import annotations

import numpy as np
import pytest

import fairloop
from fairloop.datasets import DEFAULT_BIASES, PlantedBias, make_decision_log


def test_shape_roles_and_reproducibility() -> None:
    a = make_decision_log(n=5_000, seed=1)
    b = make_decision_log(n=5_000, seed=1)
    assert a.data.equals(b.data)
    assert not a.data.equals(make_decision_log(n=5_000, seed=2).data)
    assert a.data["case_id"].is_unique
    reviewed = a.data["reviewer_decision"].notna()
    assert (a.data.loc[reviewed, "reviewer_id"].notna()).all()
    assert a.data.loc[~reviewed, "reviewer_id"].isna().all()
    assert ((a.data["approved"] == 1) == (a.data["score"] >= 0.5)).all()
    span = a.data["decided_at"].max() - a.data["decided_at"].min()
    assert 360 <= span.days <= 366
    assert 0.3 < reviewed.mean() < 0.4


def test_borderline_scores_are_reviewed_more() -> None:
    data = make_decision_log(n=50_000, seed=3, biases=None).data
    reviewed = data["reviewer_decision"].notna()
    near = (data["score"] - 0.5).abs() < 0.1
    assert reviewed[near].mean() > 2 * reviewed[~near].mean()


def test_score_is_calibrated_against_the_human_decision() -> None:
    data = make_decision_log(n=200_000, seed=4, biases=None).data
    reviewed = data[data["reviewer_decision"].notna() & (data["reviewer_id"] < "R11")]
    bins = np.clip((reviewed["score"] * 10).astype(int), 0, 9)
    observed = reviewed.groupby(bins)["reviewer_decision"].mean()
    expected = reviewed.groupby(bins)["score"].mean()
    assert np.abs(observed - expected).max() < 0.06


@pytest.mark.parametrize("bias", DEFAULT_BIASES, ids=lambda b: f"{b.metric}")
def test_planted_effect_is_realised(bias: PlantedBias) -> None:
    log = make_decision_log(n=200_000, seed=6, biases=[bias])
    (truth,) = log.planted
    # model biases are planted as exact gaps to the complement (up to the random flips of
    # cases outside the measured population); routing and reviewer biases in expectation
    exact = bias.metric in ("selection_rate", "false_negative_rate", "false_positive_rate",
                            "accuracy")  # fmt: skip
    tolerance = 0.015 if exact else 0.3 * abs(bias.effect)
    assert truth["realised_difference"] == pytest.approx(bias.effect, abs=tolerance)


@pytest.mark.slow
def test_audit_recovers_the_planted_difference() -> None:
    log = make_decision_log(n=100_000, seed=7)
    result = fairloop.audit(log.data, **log.roles)
    truth = log.planted[0]  # race=Black & age_band=18-24, false_negative_rate
    m = result.metrics
    m = m[m["estimator"] == "reviewed"]  # the generator's truth is of the reviewed cases
    row = m[(m["metric"] == truth["metric"]) & (m["group"] == "race=Black & age_band=18-24")].iloc[
        0
    ]
    assert row["value"] == pytest.approx(truth["subgroup_value"], abs=1e-12)


@pytest.mark.slow
def test_null_log_has_no_real_differences() -> None:
    log = make_decision_log(n=100_000, seed=8, biases=None)
    result = fairloop.audit(log.data, **log.roles)
    d = result.disparities.query(
        "comparison == 'reference' and attribute_set in ('sex', 'race', 'age_band')"
    )
    assert (d["p_value"] < 0.001).sum() <= 2
    assert d["difference"].abs().max() < 0.05


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="positive"):
        make_decision_log(n=0)
    with pytest.raises(ValueError, match="not a value"):
        make_decision_log(n=100, biases=[PlantedBias({"race": "Martian"}, "selection_rate", -0.1)])

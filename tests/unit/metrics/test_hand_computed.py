"""Metrics, disparities and statuses on the hand-made log of conftest.small_log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

import fairloop


@pytest.fixture
def result(small_log: pd.DataFrame) -> fairloop.AuditResult:
    return fairloop.audit(small_log, prediction="pred", label="final", sensitive=["sex"])


def _metric(result: fairloop.AuditResult, group: str, metric: str) -> pd.Series:
    rows = result.metrics[(result.metrics["group"] == group) & (result.metrics["metric"] == metric)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize(
    ("group", "metric", "num", "den"),
    [
        ("sex=F", "selection_rate", 6 + 2 + 12, 40),
        ("sex=F", "review_rate", 20, 40),
        ("sex=F", "base_rate", 10, 20),
        ("sex=F", "accuracy", 14, 20),
        ("sex=F", "true_positive_rate", 6, 10),
        ("sex=F", "false_positive_rate", 2, 10),
        ("sex=F", "false_negative_rate", 4, 10),
        ("sex=F", "true_negative_rate", 8, 10),
        ("sex=F", "precision", 6, 8),
        ("sex=F", "negative_predictive_value", 8, 12),
        ("sex=F", "override_rate", 6, 20),
        ("sex=F", "override_to_positive_rate", 4, 20),
        ("sex=F", "override_to_negative_rate", 2, 20),
        ("sex=M", "selection_rate", 12 + 6 + 3, 40),
        ("sex=M", "false_positive_rate", 6, 15),
        ("(all)", "accuracy", 14 + 21, 50),
        ("(all)", "review_rate", 50, 80),
    ],
)
def test_rates(result: fairloop.AuditResult, group: str, metric: str, num: int, den: int) -> None:
    row = _metric(result, group, metric)
    assert (row["numerator"], row["denominator"]) == (num, den)
    assert row["value"] == pytest.approx(num / den, abs=1e-15)
    ci = stats.binomtest(num, den).proportion_ci(method="wilson")
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_group_size_and_insufficient_status(result: fairloop.AuditResult) -> None:
    row = _metric(result, "sex=F", "false_positive_rate")
    assert row["n"] == 40
    assert row["status"] == "ok"  # n=40 >= 30 and denominator 10 >= 10
    npv = _metric(result, "sex=M", "precision")  # denominator 18
    assert npv["status"] == "ok"


def test_small_denominators_are_marked_not_dropped(small_log: pd.DataFrame) -> None:
    result = fairloop.audit(
        small_log,
        prediction="pred",
        label="final",
        sensitive=["sex"],
        min_denominator=11,
        min_group_size=41,
    )
    rows = result.metrics[result.metrics["group"] == "sex=F"]
    assert len(rows) == len(fairloop.METRICS) and set(rows["status"]) == {"insufficient"}
    assert rows["value"].notna().all()


def test_suppression_withholds_every_figure(small_log: pd.DataFrame) -> None:
    log = small_log.copy()
    log.loc[:4, "sex"] = "X"  # groups: F 35, M 40, X 5
    log.loc[:2, "race"] = None
    result = fairloop.audit(
        log,
        prediction="pred",
        label="final",
        sensitive=["sex", "race"],
        suppress_below=10,
        missing_sensitive="group",
    )
    status = result.metrics.groupby("group")["status"].agg(set)
    assert status["sex=X"] == {"suppressed"}  # primary: 5 < 10
    # secondary: with X alone withheld, total - F - M would give X back; F (35) goes too
    assert status["sex=F"] == {"suppressed"}
    assert "suppressed" not in status["sex=M"]
    hidden = result.metrics[result.metrics["status"] == "suppressed"]
    assert hidden[["value", "ci_low", "ci_high"]].isna().all().all()
    assert hidden[["n", "numerator", "denominator"]].isna().all().all()
    d = result.disparities
    involving = d[
        d["group"].isin(["sex=X", "sex=F"]) | d["reference_group"].isin(["sex=X", "sex=F"])
    ]
    assert len(involving) and set(involving["status"]) == {"suppressed"}
    assert (
        involving[["value", "reference_value", "difference", "ratio", "p_value"]].isna().all().all()
    )
    # one visible group left in the set: no between-groups gap, not a reassuring 0
    between = d[(d["comparison"] == "between_groups") & (d["attribute_set"] == "sex")]
    assert between["difference"].isna().all() and set(between["status"]) == {"insufficient"}
    summary = result.summary["sex"]
    assert summary["groups_suppressed"] == 2
    assert np.isnan(summary["demographic_parity_difference"])
    evidence = result.to_dict()
    for row in evidence["metrics"]:
        if row["group"] in ("sex=X", "sex=F"):
            assert row["value"] is None and row["n"] is None and row["status"] == "suppressed"
    # the size of the small (missing) race group is not disclosed either
    assert evidence["provenance"]["missing_values"] == {"race": "<10"}


def test_reference_comparison(result: fairloop.AuditResult) -> None:
    d = result.disparities
    row = d[(d["comparison"] == "reference") & (d["metric"] == "false_positive_rate")].iloc[0]
    # both groups have 40 rows: the tie goes to the first in sort order, F; so M is compared
    assert row["group"] == "sex=M" and row["reference_group"] == "sex=F"
    assert row["value"] == pytest.approx(6 / 15) and row["reference_value"] == pytest.approx(2 / 10)
    assert row["difference"] == pytest.approx(6 / 15 - 2 / 10)
    assert row["ratio"] == pytest.approx((6 / 15) / (2 / 10))
    assert row["test"] == "fisher"  # expected counts below 5
    assert row["p_value"] == pytest.approx(stats.fisher_exact([[6, 9], [2, 8]]).pvalue)


def test_configured_reference(small_log: pd.DataFrame) -> None:
    result = fairloop.audit(
        small_log, prediction="pred", label="final", sensitive=["sex"], reference={"sex": "M"}
    )
    d = result.disparities.query("comparison == 'reference'")
    assert set(d["group"]) == {"sex=F"} and set(d["reference_group"]) == {"sex=M"}


def test_to_overall_uses_the_complement(result: fairloop.AuditResult) -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep

    d = result.disparities
    row = d[
        (d["comparison"] == "to_overall") & (d["metric"] == "accuracy") & (d["group"] == "sex=F")
    ].iloc[0]
    overall = 35 / 50
    assert row["reference_value"] == pytest.approx(overall)
    assert row["difference"] == pytest.approx(14 / 20 - overall)
    # F vs complement M: (14/20 - 21/30); group - overall = (1 - w)(g - c) with w = 20/50
    low, high = confint_proportions_2indep(14, 20, 21, 30, method="newcomb", compare="diff")
    assert row["difference_ci_low"] == pytest.approx(0.6 * low)
    assert row["difference_ci_high"] == pytest.approx(0.6 * high)
    assert row["reference_group"] == "(all)" and row["reference"] == {}


def test_between_groups(result: fairloop.AuditResult) -> None:
    d = result.disparities
    row = d[(d["comparison"] == "between_groups") & (d["metric"] == "selection_rate")].iloc[0]
    assert row["value"] == pytest.approx(21 / 40 if 21 > 20 else 20 / 40)
    assert row["difference"] == pytest.approx(21 / 40 - 20 / 40)
    assert row["ratio"] == pytest.approx(20 / 21)
    # the interval and the p-value are of the same pair: the highest group against the lowest
    _, p_pair = proportions_ztest([21, 20], [40, 40])
    assert row["p_value"] == pytest.approx(p_pair)
    expected = stats.chi2_contingency([[20, 20], [21, 19]], correction=False).pvalue
    assert row["homogeneity_p_value"] == pytest.approx(expected)


def test_intersections_are_every_combination(small_log: pd.DataFrame) -> None:
    result = fairloop.audit(small_log, prediction="pred", label="final", sensitive=["sex", "race"])
    sets = list(dict.fromkeys(result.metrics["attribute_set"]))
    assert sets == ["(all)", "sex", "race", "sex & race"]
    n = result.metrics.query("attribute_set == 'sex & race' and metric == 'accuracy'")["n"]
    assert int(n.sum()) == len(small_log)


def test_four_fifths_rule() -> None:
    frame = pd.DataFrame(
        {
            "g": ["a"] * 100 + ["b"] * 100,
            "pred": [1] * 50 + [0] * 50 + [1] * 30 + [0] * 70,
            "final": [1] * 200,
        }
    )
    result = fairloop.audit(frame, prediction="pred", label="final", sensitive="g")
    rule = result.summary["g"]["four_fifths_rule"]
    assert rule["reference"] == {"g": "a"}
    (below,) = rule["groups_below"]
    assert below["group"] == "g=b" and below["ratio"] == pytest.approx(0.6)
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        score_test_proportions_2indep,
    )

    low, high = confint_proportions_2indep(30, 100, 50, 100, method="log", compare="ratio")
    assert (below["ratio_ci_low"], below["ratio_ci_high"]) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    assert below["clearly_below"] == (high < 0.8)
    test = score_test_proportions_2indep(30, 100, 50, 100, value=0.8, compare="ratio",
                                         alternative="smaller")  # fmt: skip
    assert below["p_value"] == pytest.approx(test.pvalue, rel=1e-9)
    # three-way, from the interval: 0.6 [0.42, 0.86] straddles 0.8, so neither pass nor fail
    assert high > 0.8 and rule["verdict"] == "insufficient" and rule["passed"] is None
    # with three times the cases the interval lies wholly below 0.8: fail
    bigger = fairloop.audit(pd.concat([frame] * 3), prediction="pred", label="final",
                            sensitive="g")  # fmt: skip
    rule = bigger.summary["g"]["four_fifths_rule"]
    _, high = confint_proportions_2indep(90, 300, 150, 300, method="log", compare="ratio")
    assert high < 0.8 and rule["verdict"] == "fail" and rule["passed"] is False


def test_to_overall_ratio_and_p_value_against_statsmodels(result: fairloop.AuditResult) -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    d = result.disparities
    row = d[
        (d["comparison"] == "to_overall")
        & (d["metric"] == "selection_rate")
        & (d["group"] == "sex=F")
    ].iloc[0]
    # F: 20/40 selected; complement M: 21/40; overall 41/80; w = 40/80
    _, p = proportions_ztest([20, 21], [40, 40])
    assert row["p_value"] == pytest.approx(p)
    low, high = confint_proportions_2indep(20, 40, 21, 40, method="log", compare="ratio")
    w = 0.5
    assert row["ratio"] == pytest.approx((20 / 40) / (41 / 80))
    assert row["ratio_ci_low"] == pytest.approx(low / (w * low + 1 - w))
    assert row["ratio_ci_high"] == pytest.approx(high / (w * high + 1 - w))


def test_ratio_interval_holds_a_zero_or_infinite_estimate() -> None:
    frame = pd.DataFrame(
        {
            "g": ["a"] * 40 + ["b"] * 160,
            "pred": [1] * 20 + [0] * 20 + [0] * 160,
            "final": [1] * 200,
        }
    )
    result = fairloop.audit(frame, prediction="pred", label="final", sensitive="g")
    d = result.disparities.query("metric == 'selection_rate'")
    overall = d.query("comparison == 'to_overall' and group == 'g=a'").iloc[0]
    assert overall["ratio"] == pytest.approx(5.0)  # 0.5 / 0.1; the complement selects nobody
    assert overall["ratio_ci_low"] <= 5.0 <= overall["ratio_ci_high"] + 1e-12
    between = d.query("comparison == 'between_groups'").iloc[0]
    assert between["ratio"] == 0.0 and between["ratio_ci_low"] == 0.0

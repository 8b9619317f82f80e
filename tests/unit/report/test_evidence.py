from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import fairloop
from fairloop.datasets import make_decision_log

METRIC_KEYS = {
    "attributes",
    "metric",
    "value",
    "numerator",
    "denominator",
    "n",
    "ci_low",
    "ci_high",
    "status",
}
DISPARITY_KEYS = {
    "attributes", "reference", "metric", "value", "reference_value", "difference",
    "difference_ci_low", "difference_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high",
    "p_value", "status",
}  # fmt: skip


def test_evidence_schema(tmp_path: Path) -> None:
    log = make_decision_log(n=3_000, seed=4)
    result = fairloop.audit(log.data, **log.roles)
    path = tmp_path / "out" / "evidence.json"
    result.to_json(path)
    bundle = json.loads(path.read_text())  # strict JSON: no NaN
    assert bundle["schema_version"] == 4
    provenance = bundle["provenance"]
    for key in ("fairloop_version", "created_at", "data_sha256", "rows", "columns", "config"):
        assert key in provenance
    assert provenance["rows"] == 3_000 and len(provenance["data_sha256"]) == 64
    assert provenance["columns"]["sensitive"] == ["sex", "race", "age_band"]
    assert provenance["period"]["start"].startswith("2025-01")
    assert all(row.keys() >= METRIC_KEYS for row in bundle["metrics"])
    assert all(row.keys() >= DISPARITY_KEYS for row in bundle["disparities"])
    overall = [r for r in bundle["metrics"] if r["attributes"] == {}]
    # the log has a score: the score metrics (roc_auc ...) join the rate metrics
    score_metrics = {"roc_auc", "calibration_in_the_large", "expected_calibration_error"}
    assert {r["metric"] for r in overall} == set(fairloop.METRICS) | score_metrics
    # the demo routes review by score: error rates are weighted for every case, and the
    # reviewed-only figure of each metric of reviewed cases (and score metric) stays beside
    assert bundle["selection"]["estimator"] == "post-stratified"
    assert bundle["selection"]["depends_on"]
    reviewed = {m for m, spec in fairloop.METRICS.items() if spec.population == "reviewed"}
    by_metric = {m: [r["estimator"] for r in overall if r["metric"] == m] for m in reviewed}
    assert all(e == ["post-stratified", "reviewed"] for e in by_metric.values()), by_metric
    assert len(overall) == len(fairloop.METRICS) + len(reviewed) + 2 * len(score_metrics)
    assert bundle["calibration"] and bundle["roc"]
    assert {"sex", "race", "sex & race & age_band"} <= bundle["summary"].keys()
    assert "Wilson" in bundle["methods"]["rate_interval"]
    assert len(bundle["metrics"]) == len(result.metrics)
    # no outcome column: every row is the model against the human, and no outcome section
    assert {(r["truth"], r["decision"]) for r in bundle["metrics"]} == {("human", "model")}
    assert bundle["outcomes"] is None


def test_nan_becomes_null() -> None:
    frame = pd.DataFrame({"g": ["a", "b"] * 20, "pred": [1, 1] * 20, "final": [1, 1] * 20})
    bundle = fairloop.audit(frame, prediction="pred", label="final", sensitive="g").to_dict()
    fpr = [r for r in bundle["metrics"] if r["metric"] == "false_positive_rate"]
    assert all(r["value"] is None and r["denominator"] == 0 for r in fpr)
    assert all(r["status"] == "insufficient" for r in fpr)
    json.dumps(bundle, allow_nan=False)


def test_hostile_attribute_values_are_kept_verbatim() -> None:
    hostile = '<script>alert("x")</script>'
    frame = pd.DataFrame({"g": [hostile, "ok"] * 20, "pred": [1, 0] * 20, "final": [1, 0] * 20})
    text = fairloop.audit(frame, prediction="pred", label="final", sensitive="g").to_json()
    first_group = len(fairloop.METRICS)  # the rows of the whole population come first
    assert json.loads(text)["metrics"][first_group]["attributes"]["g"] in (hostile, "ok")
    assert hostile in {r["attributes"].get("g") for r in json.loads(text)["metrics"]}

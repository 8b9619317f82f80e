from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.datasets import make_decision_log
from fairloop.exceptions import EvidenceError
from fairloop.report import evidence_schema, read_evidence

SCHEMA = Path(fairloop.__file__).parent / "data" / "evidence.schema.json"

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
    assert bundle["schema_version"] == 6
    assert bundle["tables"] == {}  # one file: every table inline
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
    # intersections of at most two attributes by default (max_intersection = 2)
    assert {"sex", "race", "sex & race", "race & age_band"} <= bundle["summary"].keys()
    assert "sex & race & age_band" not in bundle["summary"]
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


def _validator() -> jsonschema.protocols.Validator:
    """The published schema, read from the shipped file (not through fairloop's loader)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == evidence_schema()
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def audited() -> fairloop.AuditResult:
    log = make_decision_log(n=5_000, seed=8)
    return fairloop.audit(log.data, **log.roles)


def test_every_output_validates_against_the_published_schema(
    audited: fairloop.AuditResult, tmp_path: Path
) -> None:
    validator = _validator()
    inline = json.loads(audited.to_json())
    validator.validate(inline)
    written = audited.write_evidence(tmp_path / "beside")
    beside = json.loads(written[0].read_text())
    validator.validate(beside)
    # a bundle without score, outcome or policy: empty tables are inline empty arrays
    frame = pd.DataFrame({"g": ["a", "b"] * 40, "p": [1, 0] * 40, "h": [1, 1, 0, 0] * 20})
    plain = fairloop.audit(frame, prediction="p", label="h", sensitive="g", policy=[])
    validator.validate(json.loads(plain.to_json()))
    validator.validate(json.loads(plain.write_evidence(tmp_path / "plain")[0].read_text()))
    # the command line's outputs, with a store and an outcome
    log = make_decision_log(n=3_000, seed=9)
    path = tmp_path / "log.csv"
    log.data.to_csv(path, index=False)
    roles = log.roles
    args = ["audit", str(path), "--prediction", roles["prediction"], "--label", roles["label"],
            "--sensitive", ",".join(roles["sensitive"]), "--score", roles["score"],
            "--reviewer", roles["reviewer"], "--time", roles["time"], "--case-id",
            roles["case_id"], "--db", str(tmp_path / "s.db"),
            "--out", str(tmp_path / "cli")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    validator.validate(json.loads((tmp_path / "cli" / "evidence.json").read_text()))


def test_tables_beside_are_written_once_and_referenced(
    audited: fairloop.AuditResult, tmp_path: Path
) -> None:
    written = audited.write_evidence(tmp_path)
    assert [p.name for p in written] == [
        "evidence.json", "metrics.csv", "disparities.csv", "verdicts.csv", "calibration.csv",
        "roc.csv", "flags.csv",
    ]  # fmt: skip
    bundle = json.loads(written[0].read_text())
    for key, name in (("metrics", "metrics.csv"), ("disparities", "disparities.csv"),
                      ("verdicts", "verdicts.csv"), ("roc", "roc.csv")):  # fmt: skip
        ref = bundle[key]
        assert ref == bundle["tables"][key] and ref["path"] == name
        data = (tmp_path / name).read_bytes()
        assert ref["sha256"] == hashlib.sha256(data).hexdigest()
        frame = pd.read_csv(tmp_path / name)
        assert ref["rows"] == len(frame) == len(getattr(audited, key))
        assert ref["columns"] == list(frame.columns)
    assert isinstance(bundle["flags"], list) and bundle["tables"]["flags"]["path"] == "flags.csv"
    # compact: the bundle is a small part of what it stands for
    assert written[0].stat().st_size < 0.2 * sum(p.stat().st_size for p in written[1:])
    # read back: the tables as written, every figure equal to the audit's
    back = read_evidence(written[0])
    metrics = back["metrics"]
    assert len(metrics) == len(audited.metrics)
    pd.testing.assert_series_equal(
        metrics["value"].reset_index(drop=True),
        audited.metrics["value"].astype(float).reset_index(drop=True),
        check_names=False, rtol=1e-12,
    )  # fmt: skip
    assert back["flags"] == bundle["flags"]


def test_a_changed_or_missing_table_is_refused(
    audited: fairloop.AuditResult, tmp_path: Path
) -> None:
    written = audited.write_evidence(tmp_path)
    metrics = tmp_path / "metrics.csv"
    text = metrics.read_text()
    metrics.write_text(text.replace("0.", "0.9", 1))  # one figure edited
    with pytest.raises(EvidenceError, match="SHA-256 differs"):
        read_evidence(written[0])
    metrics.unlink()
    with pytest.raises(EvidenceError, match="missing beside it"):
        read_evidence(written[0])


def test_max_intersection_all_from_the_command_line(tmp_path: Path) -> None:
    log = make_decision_log(n=2_000, seed=10)
    path = tmp_path / "log.csv"
    log.data.to_csv(path, index=False)
    roles = log.roles
    base = ["audit", str(path), "--prediction", roles["prediction"], "--label", roles["label"],
            "--sensitive", ",".join(roles["sensitive"]), "--no-store"]  # fmt: skip
    runner = CliRunner()
    every = runner.invoke(app, [*base, "--max-intersection", "all", "--out", str(tmp_path / "a")])
    assert every.exit_code == 0, every.output
    summary = json.loads((tmp_path / "a" / "evidence.json").read_text())["summary"]
    assert "sex & race & age_band" in summary
    bad = runner.invoke(app, [*base, "--max-intersection", "three"])
    assert bad.exit_code == 2 and "--max-intersection" in bad.output and "all" in bad.output

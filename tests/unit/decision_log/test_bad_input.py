"""Every kind of bad input gets one clear error that names the column and the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairloop
from fairloop.decision_log import _checks as checks
from fairloop.exceptions import ConfigError, DecisionLogError, IssueReason, fill_mentions


def _audit(data: object, **options: object) -> fairloop.AuditResult:
    base: dict[str, object] = {"prediction": "pred", "label": "final", "sensitive": ["sex"]}
    base.update(options)
    return fairloop.audit(data, **base)  # type: ignore[arg-type]


def _issue(excinfo: pytest.ExceptionInfo[DecisionLogError], reason: IssueReason):
    matches = [i for i in excinfo.value.issues if i.reason == reason]
    assert matches, [i.reason for i in excinfo.value.issues]
    return matches[0]


def test_misnamed_column_suggests_the_closest(small_log: pd.DataFrame) -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(small_log, sensitive=["sexx"])
    issue = _issue(excinfo, IssueReason.MISSING_COLUMN)
    assert issue.column == "sexx"
    assert "Did you mean 'sex'?" in issue.fix
    assert "'sexx' (sensitive) is not in the log" in str(excinfo.value)


def test_case_mismatch_is_suggested(small_log: pd.DataFrame) -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(small_log, prediction="PRED")
    assert "Did you mean 'pred'?" in _issue(excinfo, IssueReason.MISSING_COLUMN).fix


def test_every_missing_column_is_listed_at_once(small_log: pd.DataFrame) -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(small_log, prediction="prd", label="fnal", score="scor")
    assert excinfo.value.columns == ["prd", "fnal", "scor"]
    assert "3 problems" in str(excinfo.value)


def test_values_outside_declared_set(small_log: pd.DataFrame) -> None:
    log = small_log.copy()
    log["pred"] = log["pred"].map({1: "approve", 0: "deny"})
    log.loc[:4, "pred"] = "refer"
    log["final"] = log["final"].map({1: "approve", 0: "deny"})
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(log, positive="approve", values=["approve", "deny"])
    issue = _issue(excinfo, IssueReason.VALUE_OUTSIDE_SET)
    assert issue.column == "pred"
    assert issue.rows == 5
    assert "'refer'" in issue.message
    assert "values=" in issue.fix


def test_more_than_two_values_without_declared_set(small_log: pd.DataFrame) -> None:
    log = small_log.copy()
    log["final"] = log["final"].astype("float").fillna(-1).replace(-1, np.nan)
    log.loc[:2, "final"] = 2.0
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(log)
    issue = _issue(excinfo, IssueReason.NOT_BINARY)
    assert issue.column == "final"
    assert "values=" in issue.fix and "1" in issue.fix  # the keyword, and the favourable value


def test_declared_value_set_makes_other_values_unfavourable(small_log: pd.DataFrame) -> None:
    log = small_log.copy()
    log["pred"] = log["pred"].map({1: "approve", 0: "deny"})
    log.loc[:1, "pred"] = "refer"
    log["final"] = log["final"].map({1: "approve", 0: "deny"})
    result = _audit(log, positive="approve", values=["approve", "deny", "refer"])
    overall = result.metrics.query("attribute_set == '(all)' and metric == 'selection_rate'")
    # the two 'refer' rows were 'approve' (sex=F, tp) in small_log: 2 fewer favourable
    assert int(overall["numerator"].iloc[0]) == 6 + 2 + 12 + 12 + 6 + 3 - 2


def test_positive_not_found(small_log: pd.DataFrame) -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(small_log, positive="yes")
    issue = _issue(excinfo, IssueReason.POSITIVE_NOT_FOUND)
    assert "'yes'" in issue.message and "positive=" in issue.fix


def test_positive_matches_across_types(small_log: pd.DataFrame) -> None:
    as_text = small_log.assign(pred=small_log["pred"].astype(str))
    as_bool = small_log.assign(pred=small_log["pred"].astype(bool))
    a = _audit(small_log, positive="1").metrics
    b = _audit(as_text, positive=1).metrics
    c = _audit(as_bool, positive=True).metrics
    pd.testing.assert_series_equal(a["value"], b["value"])
    pd.testing.assert_series_equal(a["value"], c["value"])


def test_non_numeric_score(small_log: pd.DataFrame) -> None:
    log = small_log.assign(score=["high"] * 10 + ["0.4"] * (len(small_log) - 10))
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(log, score="score")
    issue = _issue(excinfo, IssueReason.SCORE_NOT_NUMERIC)
    assert issue.column == "score" and issue.rows == 10
    assert "score=" in issue.fix


def test_a_score_column_without_values_is_refused(small_log: pd.DataFrame) -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(small_log.assign(score=np.nan), score="score")
    issue = _issue(excinfo, IssueReason.SCORE_NOT_NUMERIC)
    assert issue.column == "score" and "no value" in issue.message


def test_review_probability_outside_the_unit_interval_or_missing(small_log: pd.DataFrame) -> None:
    reviewed = small_log["final"].notna().to_numpy()
    log = small_log.assign(p=np.where(reviewed, 0.5, np.nan))
    log.loc[np.flatnonzero(reviewed)[:3], "p"] = np.nan  # reviewed, no probability
    log.loc[np.flatnonzero(reviewed)[3:5], "p"] = 1.5  # above 1
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(log, review_probability="p")
    issues = [i for i in excinfo.value.issues if i.reason == IssueReason.BAD_REVIEW_PROBABILITY]
    assert {i.rows for i in issues} == {3, 2} and all(i.column == "p" for i in issues)
    assert all("review_probability=" in i.fix for i in issues)


def test_score_outside_unit_interval(small_log: pd.DataFrame) -> None:
    log = small_log.assign(score=np.linspace(-0.5, 3.0, len(small_log)))
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(log, score="score")
    issue = _issue(excinfo, IssueReason.SCORE_OUT_OF_RANGE)
    expected = int(((log["score"] < 0) | (log["score"] > 1)).sum())
    assert issue.rows == expected
    assert "min -0.5, max 3" in issue.message and "sigmoid" in issue.fix


def test_nan_in_sensitive_is_an_error_that_counts_rows(small_log: pd.DataFrame) -> None:
    log = small_log.copy()
    log.loc[:6, "sex"] = None
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(log)
    issue = _issue(excinfo, IssueReason.MISSING_SENSITIVE)
    assert issue.column == "sex" and issue.rows == 7
    assert "missing_sensitive='group'" in issue.fix


def test_missing_sensitive_as_group_is_disclosed(small_log: pd.DataFrame) -> None:
    log = small_log.copy()
    log.loc[:6, "sex"] = None
    result = _audit(log, missing_sensitive="group")
    groups = set(result.metrics.query("attribute_set == 'sex'")["group"])
    assert "sex=(missing)" in groups
    assert result.provenance["missing_values"] == {"sex": 7}
    assert result.to_dict()["provenance"]["missing_values"] == {"sex": 7}
    missing = result.by_group("sex").loc["(missing)"]
    assert missing["selection_rate"] == pytest.approx(7 / 7)  # the first 7 rows are F, pred=1


def test_empty_log(small_log: pd.DataFrame) -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(small_log.iloc[:0])
    issue = _issue(excinfo, IssueReason.EMPTY_LOG)
    assert "no rows" in issue.message


def test_single_group(small_log: pd.DataFrame) -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(small_log[small_log["sex"] == "F"])
    issue = _issue(excinfo, IssueReason.SINGLE_GROUP)
    assert issue.column == "sex" and "'F'" in issue.message
    assert "sensitive=" in issue.fix


def test_duplicated_case_ids(small_log: pd.DataFrame) -> None:
    log = small_log.copy()
    log.loc[1:3, "case"] = "c0"
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(log, case_id="case")
    issue = _issue(excinfo, IssueReason.DUPLICATE_CASE_ID)
    assert issue.column == "case" and issue.rows == 3 and "'c0'" in issue.message
    assert "one row per case" in issue.fix.lower()


def test_unparseable_time(small_log: pd.DataFrame) -> None:
    log = small_log.assign(when=["2025-01-01"] * 70 + ["yesterday"] * 10)
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(log, time="when")
    issue = _issue(excinfo, IssueReason.BAD_TIME)
    assert issue.column == "when" and issue.rows == 10 and "ISO 8601" in issue.fix


def test_bad_reference_group(small_log: pd.DataFrame) -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(small_log, reference={"sex": "X"})
    assert "reference=" in _issue(excinfo, IssueReason.VALUE_OUTSIDE_SET).fix


def test_problems_are_collected_not_raised_one_by_one(small_log: pd.DataFrame) -> None:
    log = small_log.copy()
    log.loc[:2, "sex"] = None
    log.loc[1:3, "case"] = "c0"
    log["score"] = 5.0
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(log, case_id="case", score="score")
    reasons = {i.reason for i in excinfo.value.issues}
    assert reasons == {
        IssueReason.MISSING_SENSITIVE,
        IssueReason.DUPLICATE_CASE_ID,
        IssueReason.SCORE_OUT_OF_RANGE,
    }


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(tmp_path / "nope.csv")
    issue = _issue(excinfo, IssueReason.UNREADABLE_FILE)
    assert "does not exist" in issue.message and "path" in issue.fix


def test_corrupt_parquet(tmp_path: Path, small_log: pd.DataFrame) -> None:
    good = tmp_path / "log.parquet"
    small_log.to_parquet(good)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(bad)
    issue = _issue(excinfo, IssueReason.UNREADABLE_FILE)
    assert "bad.parquet" in issue.message and "corrupt" in issue.fix


def test_binary_garbage_with_csv_name(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(bytes(range(256)) * 50)
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(path)
    assert excinfo.value.issues[0].reason in (
        IssueReason.UNREADABLE_FILE,
        IssueReason.MISSING_COLUMN,
    )


def test_not_a_table() -> None:
    with pytest.raises(DecisionLogError) as excinfo:
        _audit([1, 2, 3])
    assert _issue(excinfo, IssueReason.UNSUPPORTED_INPUT)


def test_unknown_option_suggests_the_closest(small_log: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="Did you mean 'score'"):
        _audit(small_log, scor="score")


def test_bad_option_values(small_log: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="ci_method"):
        _audit(small_log, ci_method="wald")
    with pytest.raises(ConfigError, match="confidence_level"):
        _audit(small_log, confidence_level=95)
    with pytest.raises(ConfigError, match="more than one role"):
        _audit(small_log, score="sex")
    with pytest.raises(ConfigError, match="Did you mean 'accuracy'"):
        _audit(small_log, metrics=["acuracy"])


def test_errors_are_value_errors(small_log: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="sexx"):
        _audit(small_log, sensitive=["sexx"])


def test_messages_are_named_constants() -> None:
    assert "{column!r}" in checks.MSG_MISSING_COLUMN
    flags = {"missing_sensitive": "--missing-sensitive"}
    assert "--missing-sensitive group" in fill_mentions(checks.FIX_SENSITIVE_MISSING, "cli", flags)
    assert "missing_sensitive='group'" in fill_mentions(checks.FIX_SENSITIVE_MISSING)


def test_reserved_and_awkward_column_names() -> None:
    frame = pd.DataFrame(
        {"n": [1, 0] * 30, "label": [1, 1, 0] * 20, "my group": ["a", "b", "c"] * 20}
    )
    result = fairloop.audit(frame, prediction="n", label="label", sensitive=["my group"])
    overall = result.metrics.query("attribute_set == '(all)' and metric == 'selection_rate'").iloc[
        0
    ]
    assert (overall["numerator"], overall["denominator"]) == (30, 60)
    with pytest.raises(ConfigError, match="reserves"):
        fairloop.audit(
            frame.rename(columns={"my group": "tp"}), prediction="n", label="label", sensitive="tp"
        )


def test_column_names_the_engine_would_confuse() -> None:
    base = pd.DataFrame({"sex": ["a", "b"] * 20, "p": [1, 0] * 20, "l": [1, 1] * 20})
    with pytest.raises(DecisionLogError, match="differ only in case"):
        _audit(base.assign(SEX=base["sex"]), prediction="p", label="l")
    with pytest.raises(DecisionLogError, match="repeat"):
        _audit(pd.concat([base, base[["sex"]]], axis=1), prediction="p", label="l")
    with pytest.raises(DecisionLogError, match="must be text"):
        _audit(pd.DataFrame([[1, 0, 1]] * 40), prediction="p", label="l")


def test_missing_case_ids() -> None:
    frame = pd.DataFrame(
        {"sex": ["a", "b"] * 20, "pred": [1, 0] * 20, "final": [1, 1] * 20, "id": [None] * 40}
    )
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(frame, case_id="id")
    (issue,) = excinfo.value.issues
    assert issue.rows == 40 and "no case id" in issue.message


def test_text_decisions_and_empty_labels_read_alike_from_csv_and_pandas(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "sex": ["a", "b"] * 30,
            "pred": ["yes", "no", "no"] * 20,
            "final": ["yes", "", "no", "no", "yes", ""] * 10,
            "score": ["0.7", "0.2", "0.4"] * 20,
        }
    )
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    a = _audit(frame, positive="yes", score="score")
    b = _audit(path, positive="yes", score="score")
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    assert a.provenance["reviewed_rows"] == 40


def test_late_bad_values_in_a_big_csv_are_named(tmp_path: Path) -> None:
    rows = 30_000
    frame = pd.DataFrame(
        {
            "sex": ["a", "b"] * (rows // 2),
            "pred": pd.Series([1, 0] * (rows // 2), dtype=object),
            "final": [1, 0, 0] * (rows // 3),
            "score": pd.Series([0.5] * rows, dtype=object),
        }
    )
    frame.loc[rows - 1, "pred"] = "refer"
    frame.loc[rows - 2, "score"] = "high"
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DecisionLogError) as excinfo:
        _audit(path, score="score")
    reasons = {i.reason for i in excinfo.value.issues}
    assert reasons == {IssueReason.NOT_BINARY, IssueReason.SCORE_NOT_NUMERIC}


def test_out_pointing_at_a_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fairloop.cli import app

    target = tmp_path / "taken"
    target.write_text("x")
    result = CliRunner().invoke(app, ["demo", "--out", str(target), "--rows", "500"])
    assert result.exit_code == 2 and "is a file" in result.output


def test_a_wide_table_is_refused_before_it_is_read(tmp_path) -> None:
    """A table with a column per case (Dressel & Farid's MTurk files have 441,067) is not a
    decision log: one clear error, without DuckDB typing every column first."""
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(10_001))
    path.write_text(header + "\n" + ",".join("1" for _ in range(10_001)) + "\n")
    with pytest.raises(DecisionLogError, match=r"10,001 columns.*long format"):
        fairloop.audit(str(path), prediction="c0", label="c1", sensitive="c2")

"""The outcome role: the model's and the final decisions against what actually happened.

Figures are checked against scikit-learn on the rows; selection of known outcomes against
a generator written here; bad outcome columns against the error contract (exit 2, one
message naming the column).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.cube import CountCube
from fairloop.exceptions import DecisionLogError

runner = CliRunner()


def _log(n: int = 6_000, seed: int = 3, known: float = 0.8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "sex": rng.choice(["F", "M"], n), "race": rng.choice(["a", "b", "c"], n),
        "model": rng.integers(0, 2, n),
    })  # fmt: skip
    truth = np.where(rng.random(n) < 0.7, frame["model"], 1 - frame["model"])
    reviewed = rng.random(n) < 0.4
    human = np.where(rng.random(n) < 0.8, truth, 1 - truth)
    frame["human"] = pd.array(np.where(reviewed, human, None), dtype="Int64")
    frame["outcome"] = pd.array(np.where(rng.random(n) < known, truth, None), dtype="Int64")
    return frame


def _rows(result: fairloop.AuditResult, decision: str, group: str) -> pd.DataFrame:
    m = result.metrics
    return m[(m["truth"] == "outcome") & (m["decision"] == decision) & (m["group"] == group)]


def _sklearn(frame: pd.DataFrame, decision: np.ndarray) -> dict[str, float]:
    known = frame["outcome"].notna().to_numpy()
    y, d = frame["outcome"].to_numpy()[known].astype(int), decision[known]
    tn, fp, fn, tp = confusion_matrix(y, d, labels=[0, 1]).ravel()
    return {
        "accuracy": accuracy_score(y, d),
        "false_positive_rate": fp / (fp + tn),
        "false_negative_rate": fn / (fn + tp),
        "precision": tp / (tp + fp),
        "base_rate": (tp + fn) / len(y),
        "selection_rate": decision.mean(),  # over every case, known outcome or not
    }


def test_model_and_final_decisions_against_the_outcome_equal_sklearn() -> None:
    frame = _log()
    result = fairloop.audit(
        frame, prediction="model", label="human", outcome="outcome", sensitive=["sex", "race"],
        estimator="reviewed",
    )  # fmt: skip
    final = np.where(frame["human"].notna(), frame["human"].fillna(0), frame["model"]).astype(int)
    parts = [("(all)", frame), *((f"sex={s}", p) for s, p in frame.groupby("sex"))]
    parts.append(("sex=F & race=b", frame[(frame.sex == "F") & (frame.race == "b")]))
    for group, part in parts:
        index = part.index.to_numpy()
        for decision, values in (("model", frame["model"].to_numpy()), ("final", final)):
            expected = _sklearn(part, values[index])
            got = _rows(result, decision, group).set_index("metric")["value"]
            for metric, value in expected.items():
                assert got[metric] == pytest.approx(value, abs=1e-12), (group, decision, metric)
    # the audit's own rows measure the model against the human, and say so
    human = result.metrics[result.metrics["truth"] == "human"]
    assert set(human["decision"]) == {"model"} and len(human) > 0
    wide = result.by_group("sex", truth="outcome", decision="final")
    assert wide.loc["F", "accuracy"] == pytest.approx(
        _sklearn(frame[frame.sex == "F"], final[(frame.sex == "F").to_numpy()])["accuracy"]
    )
    with pytest.raises(ValueError, match="truth="):
        result.by_group("sex", truth="outcome", decision="human")


def test_known_outcomes_that_depend_on_the_decision_are_weighted_and_counted() -> None:
    # a loan's repayment is known only where it was granted, and rarely otherwise
    frame = _log(n=20_000, known=1.0)
    rng = np.random.default_rng(9)
    hidden = (frame["model"] == 0).to_numpy() & (rng.random(len(frame)) < 0.9)
    frame["outcome"] = frame["outcome"].mask(hidden)
    result = fairloop.audit(
        frame, prediction="model", label="human", outcome="outcome", sensitive=["sex"]
    )
    figures = result.outcomes
    assert figures is not None
    assert "decision" in figures.selection.depends_on
    assert figures.selection.estimator == "post-stratified"
    resolved = figures.resolved.set_index("group")
    assert resolved.loc["(all)", "known"] == int(frame["outcome"].notna().sum())
    assert resolved.loc["(all)", "cases"] == len(frame)
    rows = _rows(result, "model", "(all)")
    accuracy = rows[rows["metric"] == "accuracy"]
    # the weighted row first (every case), the known-only row beside it with the warning
    assert list(accuracy["estimator"]) == ["post-stratified", "reviewed"]
    assert "Knowing the outcome depends on the model's decision" in accuracy["note"].iloc[1]
    # the truth, had every outcome been known: truth == model with probability 0.7
    assert accuracy["value"].iloc[0] == pytest.approx(0.7, abs=0.02)
    assert accuracy["ci_low"].iloc[0] <= 0.7 <= accuracy["ci_high"].iloc[0]
    assert result.methods["outcome"].startswith("metrics rows with truth = outcome")
    bundle = json.loads(result.to_json())
    assert bundle["outcomes"]["selection"]["depends_on"] == ["decision"]
    assert {r["truth"] for r in bundle["metrics"]} == {"human", "outcome"}


def test_a_cube_with_outcomes_roundtrips_and_rerenders(tmp_path: Path) -> None:
    frame = _log(n=2_000)
    result = fairloop.audit(
        frame, prediction="model", label="human", outcome="outcome", sensitive=["sex"]
    )
    again = CountCube.from_dict(json.loads(json.dumps(result.cube.to_dict())))
    assert again.outcomes is not None
    assert again.outcomes.model.equals(result.cube.outcomes.model)  # type: ignore[union-attr]
    rerun = fairloop.Audit(result.config).run_cube(again, provenance={})
    pd.testing.assert_frame_equal(rerun.metrics, result.metrics)


@pytest.mark.parametrize(
    ("values", "positive", "expected"),
    [
        (["yes", "no", "maybe"], None, "The outcome takes 3 values"),
        (["repaid", "defaulted"], None, "No outcome reads as 1"),
    ],
)
def test_bad_outcome_columns_are_refused_naming_the_column(
    values: list[str], positive: str | None, expected: str
) -> None:
    frame = _log(n=300)
    frame["outcome"] = [values[i % len(values)] for i in range(len(frame))]
    with pytest.raises(DecisionLogError, match=expected) as caught:
        fairloop.audit(
            frame, prediction="model", label="human", outcome="outcome", sensitive=["sex"],
            outcome_positive=positive,
        )  # fmt: skip
    assert "outcome" in str(caught.value)
    ok = fairloop.audit(
        frame.assign(outcome=frame["outcome"].where(frame["outcome"] != "maybe")),
        prediction="model", label="human", outcome="outcome", sensitive=["sex"],
        outcome_positive=values[0],
    )  # fmt: skip
    assert ok.outcomes is not None


def test_cli_outcome_flag_and_init_guess(tmp_path: Path) -> None:
    frame = _log(n=1_000).rename(columns={"human": "final_decision", "outcome": "repaid"})
    path = tmp_path / "log.parquet"
    frame.to_parquet(path)
    config = tmp_path / "fairloop.toml"
    init = runner.invoke(app, ["init", str(path), "--config", str(config), "--json"])
    assert init.exit_code == 0, init.output
    roles = json.loads(init.stdout)["roles"]
    assert roles["label"]["columns"] == ["final_decision"]
    assert roles["outcome"]["columns"] == ["repaid"]
    args = ["audit", str(path), "--prediction", "model", "--label", "final_decision",
            "--sensitive", "sex", "--outcome", "repaid", "--no-store", "--out",
            str(tmp_path / "out")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = pd.read_csv(tmp_path / "out" / "metrics.csv")  # beside evidence.json
    assert ((metrics["truth"] == "outcome") & (metrics["decision"] == "final")).any()
    missing = runner.invoke(app, [*args[:-5], "--outcome", "no_such", "--no-store"])
    assert missing.exit_code == 2 and "no_such" in missing.output


def _agresti_min(b: int, c: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Agresti and Min (2005): 0.5 added to each cell of the paired table, then Wald."""
    bt, ct, nt = b + 0.5, c + 0.5, n + 2
    centre = (bt - ct) / nt
    half = z * np.sqrt(((bt + ct) - (bt - ct) ** 2 / nt) / nt**2)
    return centre - half, centre + half


def test_what_review_changes_hand_computed() -> None:
    # (model, human, outcome, count) per sex; no reviewer column: every case independent
    table = {
        "F": [(1, 0, 0, 6), (1, 0, 1, 2), (0, 1, 1, 5), (0, 1, 0, 1), (1, None, 1, 10),
              (0, None, 0, 10), (1, 1, 0, 4), (0, 0, 1, 3), (0, None, None, 5)],
        "M": [(1, 0, 0, 2), (1, 0, 1, 4), (0, 1, 1, 1), (0, 1, 0, 3), (1, None, 1, 12),
              (0, None, 0, 9), (1, 1, 0, 2), (0, 0, 1, 5)],
    }  # fmt: skip
    rows = [
        {"sex": s, "model": m, "human": h, "outcome": o}
        for s, combos in table.items()
        for m, h, o, k in combos
        for _ in range(k)
    ]
    frame = pd.DataFrame(rows).astype({"human": "Int64", "outcome": "Int64"})
    result = fairloop.audit(
        frame, prediction="model", label="human", outcome="outcome", sensitive=["sex"],
        estimator="reviewed", min_group_size=0, min_denominator=0,
    )  # fmt: skip
    effect = result.outcomes.review_effect.set_index("group")  # type: ignore[union-attr]
    # F: overrides 6+2+5+1 = 14; right = (1,0,0) 6 + (0,1,1) 5 = 11; wrong = 2 + 1 = 3;
    # known = 46 - 5 = 41
    f = effect.loc["sex=F"]
    assert (f["overrides"], f["overrides_known"], f["overrides_right"]) == (14, 14, 11)
    assert f["known"] == 41
    assert f["accuracy_gain"] == pytest.approx((11 - 3) / 41, abs=1e-12)
    low, high = _agresti_min(11, 3, 41)
    assert (f["accuracy_gain_ci_low"], f["accuracy_gain_ci_high"]) == pytest.approx((low, high))
    known = frame[frame["outcome"].notna() & (frame["sex"] == "F")]
    final = known["human"].fillna(known["model"]).astype(int)
    assert f["accuracy_model"] == pytest.approx((known["model"] == known["outcome"]).mean())
    assert f["accuracy_final"] == pytest.approx((final == known["outcome"]).mean())
    # the false positive rate's gap of F to M, for the model and the final decisions
    gaps = result.outcomes.gap_changes  # type: ignore[union-attr]
    row = gaps[(gaps["group"] == "sex=F") & (gaps["metric"] == "false_positive_rate")].iloc[0]
    negative = frame[frame["outcome"] == 0]
    decided = negative["human"].fillna(negative["model"]).astype(int)

    def gap(values: pd.Series) -> float:
        by = values.groupby(negative["sex"]).mean()
        return float(by["F"] - by["M"])

    assert row["gap_model"] == pytest.approx(gap(negative["model"]))
    assert row["gap_final"] == pytest.approx(gap(decided))
    assert row["change"] == pytest.approx(gap(decided) - gap(negative["model"]))
    # its variance: each side's Agresti-Min variance, added
    var = 0.0
    for sex in ("F", "M"):
        side = negative[negative["sex"] == sex]
        b = int(((side["model"] == 0) & (side["human"] == 1)).sum())
        c = int(((side["model"] == 1) & (side["human"] == 0)).sum())
        lo, hi = _agresti_min(b, c, len(side))
        var += ((hi - lo) / (2 * 1.959963984540054)) ** 2
    half = 1.959963984540054 * np.sqrt(var)
    assert row["change_ci_high"] - row["change_ci_low"] == pytest.approx(2 * half)


def test_reviewers_whose_overrides_prove_wrong_within_case_mix() -> None:
    rng = np.random.default_rng(4)
    rows = []
    for reviewer, wrong in (("ana", 0.2), ("bo", 0.2), ("cy", 0.6)):
        for _ in range(400):
            model = int(rng.integers(0, 2))
            outcome = model if rng.random() < wrong else 1 - model  # an override is right
            rows.append({"sex": rng.choice(["F", "M"]), "model": model, "human": 1 - model,
                         "outcome": outcome, "reviewer": reviewer})  # fmt: skip
    frame = pd.DataFrame(rows)
    result = fairloop.audit(
        frame, prediction="model", label="human", outcome="outcome", sensitive=["sex"],
        reviewer="reviewer",
    )  # fmt: skip
    table = result.outcomes.reviewers.set_index("reviewer")  # type: ignore[union-attr]
    for name in ("ana", "bo", "cy"):
        part = frame[frame["reviewer"] == name]
        assert table.loc[name, "wrong"] == int((part["outcome"] == part["model"]).sum())
        assert table.loc[name, "overrides_known"] == len(part)
    # the expected count: each override's stratum's wrong share among the *other*
    # reviewers' overrides, summed over the reviewer's overrides
    marked = frame.assign(wrong=frame["outcome"] == frame["model"])
    others = marked[marked["reviewer"] != "cy"].groupby(["sex", "model"])["wrong"].mean()
    own = marked[marked["reviewer"] == "cy"]
    expected = sum(others[(s, m)] for s, m in zip(own["sex"], own["model"], strict=True))
    assert table.loc["cy", "expected_wrong"] == pytest.approx(expected)
    assert table.loc["cy", "difference"] == pytest.approx(
        (own["wrong"].sum() - expected) / len(own)
    )
    assert table.loc["cy", "p_value"] < 1e-6 < table.loc["ana", "p_value"]


def test_reviewers_are_compared_within_score_strata_when_review_is_routed() -> None:
    # every reviewer is as good as the others on like cases, but "cy" is handed the cases
    # the model is sure of (scores near 0 or 1), whose overrides prove wrong more often
    rng = np.random.default_rng(7)
    n = 12_000
    score = rng.random(n)
    model = (score > 0.5).astype(int)
    outcome = (rng.random(n) < score).astype(int)
    sure = np.abs(score - 0.5) > 0.35
    reviewer = np.where(sure, "cy", rng.choice(["ana", "bo"], n))
    reviewer = np.where(sure & (rng.random(n) < 0.3), rng.choice(["ana", "bo"], n), reviewer)
    # a like chance of override for everyone on a like case
    human = np.where(rng.random(n) < 0.3, 1 - model, model)
    frame = pd.DataFrame({
        "sex": rng.choice(["F", "M"], n), "model": model, "human": human, "score": score,
        "outcome": outcome, "reviewer": reviewer,
    })  # fmt: skip
    roles = {"prediction": "model", "label": "human", "outcome": "outcome",
             "sensitive": ["sex"], "reviewer": "reviewer"}  # fmt: skip
    plain = fairloop.audit(frame, **roles).outcomes.reviewers.set_index("reviewer")  # type: ignore[union-attr]
    scored = fairloop.audit(frame, score="score", **roles).outcomes.reviewers.set_index(  # type: ignore[union-attr]
        "reviewer"
    )
    # without the score "cy" looks wrong far more often; within score strata, not
    assert plain.loc["cy", "p_value"] < 1e-6
    assert scored.loc["cy", "p_value"] > 0.01
    # the stratified expectation, from pandas: the others' share per sex x model x decile
    marked = frame.assign(
        wrong=frame["outcome"] == frame["model"], band=np.minimum((score * 10).astype(int), 9)
    )[frame["human"] != frame["model"]]
    keys = ["sex", "model", "band"]
    others = marked[marked["reviewer"] != "cy"].groupby(keys)["wrong"].mean()
    own = marked[marked["reviewer"] == "cy"]
    mean = [others.get(k, np.nan) for k in zip(*(own[c] for c in keys), strict=True)]
    assert scored.loc["cy", "expected_wrong"] == pytest.approx(np.nansum(mean))


def test_report_says_whether_review_helps(tmp_path: Path) -> None:
    frame = _log(n=4_000)
    frame["sex"] = frame["sex"].replace({"F": "<b>F</b>"})  # values from the data are escaped
    result = fairloop.audit(
        frame, prediction="model", label="human", outcome="outcome", sensitive=["sex"]
    )
    html = _html(result, tmp_path)
    assert 'id="review_help"' in html and "Does human review help?" in html
    effect = result.outcomes.review_effect.set_index("group").loc["(all)"]  # type: ignore[union-attr]
    assert f"the model was right in {100 * effect['accuracy_model']:.1f}%" in html
    assert f"final decisions in {100 * effect['accuracy_final']:.1f}%" in html
    assert "evidence supporting, not a finding of compliance" in html
    assert "<b>F</b>" not in html and "&lt;b&gt;F&lt;/b&gt;" in html
    plain = fairloop.audit(frame, prediction="model", label="human", sensitive=["sex"])
    assert "The log names no outcome" in _html(plain, tmp_path)


def _html(result: fairloop.AuditResult, folder: Path) -> str:
    path = folder / "report.html"
    result.to_html(path)
    return path.read_text()

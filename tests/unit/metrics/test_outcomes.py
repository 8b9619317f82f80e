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
    evidence = json.loads((tmp_path / "out" / "evidence.json").read_text())
    assert any(r["truth"] == "outcome" and r["decision"] == "final" for r in evidence["metrics"])
    missing = runner.invoke(app, [*args[:-5], "--outcome", "no_such", "--no-store"])
    assert missing.exit_code == 2 and "no_such" in missing.output

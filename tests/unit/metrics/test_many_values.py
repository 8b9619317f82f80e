"""Decisions with more than two values: every change a human makes is an override."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import fairloop

VALUES = ["approve", "refer", "deny"]


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    n = 6_000
    model = rng.choice(VALUES, size=n, p=[0.4, 0.3, 0.3])
    # the human keeps the model's value 60% of the time, else picks any value
    keep = rng.random(n) < 0.6
    human = np.where(keep, model, rng.choice(VALUES, size=n))
    reviewed = rng.random(n) < 0.7
    return pd.DataFrame({
        "sex": rng.choice(["F", "M"], size=n),
        "model": model,
        "human": np.where(reviewed, human, None),
    })  # fmt: skip


def _audit(log: pd.DataFrame) -> fairloop.AuditResult:
    return fairloop.audit(log, prediction="model", label="human", sensitive="sex",
                          positive="approve", values=VALUES)  # fmt: skip


def test_override_rate_is_every_change_of_value(log: pd.DataFrame) -> None:
    result = _audit(log)
    reviewed = log[log["human"].notna()]
    for group, part in [
        ("(all)", reviewed),
        *((f"sex={s}", p) for s, p in reviewed.groupby("sex")),
    ]:
        rows = result.metrics[result.metrics["group"] == group].set_index("metric")
        changed = (part["model"] != part["human"]).mean()
        assert rows.loc["override_rate", "value"] == pytest.approx(changed, abs=1e-12), group
        between = ((part["model"] != part["human"]) & (part["model"] != "approve")
                   & (part["human"] != "approve")).mean()  # fmt: skip
        assert rows.loc["override_between_negative_rate", "value"] == pytest.approx(between)
        parts = rows.loc[["override_to_positive_rate", "override_to_negative_rate",
                          "override_between_negative_rate"], "value"].sum()  # fmt: skip
        assert parts == pytest.approx(rows.loc["override_rate", "value"])


def test_the_transition_table_is_the_direct_count(log: pd.DataFrame) -> None:
    result = _audit(log)
    reviewed = log[log["human"].notna()]
    direct = reviewed.groupby(["sex", "model", "human"]).size()
    table = result.transitions.set_index(["group", "model", "human"])["n"]
    assert set(result.transitions["attribute"]) == {"sex"}
    assert table.sort_index().tolist() == direct.sort_index().tolist()
    evidence = json.loads(result.to_json())["transitions"]
    assert sum(r["n"] for r in evidence) == len(reviewed)
    html = result.to_html()
    assert "Decisions the humans changed" in html


def test_two_valued_decisions_have_no_move_between_negative_values() -> None:
    frame = pd.DataFrame({"s": ["a", "b"] * 50, "p": [1, 0, 0, 1] * 25, "l": [0, 0, 1, 1] * 25})
    result = fairloop.audit(frame, prediction="p", label="l", sensitive="s")
    assert result.cube.cells["tx"].sum() == 0


def test_the_case_moment_pass_tells_moves_as_the_cube_does() -> None:
    """An int model column and a float label column (pandas' dtype with gaps): 0 and 0.0
    are one value in both passes; the moments equal sums over cases counted here."""
    rng = np.random.default_rng(3)
    n = 800
    frame = pd.DataFrame({
        "s": rng.choice(["a", "b"], size=n),
        "p": rng.choice([0, 1, 2], size=n),
        "l": rng.choice([0.0, 1.0, 2.0, np.nan], size=n),
        "cid": rng.integers(0, 300, size=n),
        "rev": np.arange(n),
    })  # fmt: skip
    result = fairloop.audit(frame, prediction="p", label="l", sensitive="s", positive=1,
                            values=np.array([0, 1, 2]), case_id="cid", reviewer="rev")  # fmt: skip
    moments = result.cube.case_moments.set_index("s")
    reviewed = frame[frame["l"].notna()]
    tx = reviewed[(reviewed["p"] != 1) & (reviewed["l"] != 1) & (reviewed["p"] != reviewed["l"])]
    per_case = tx.groupby(["s", "cid"]).size()
    expected = (per_case**2).groupby(level="s").sum()
    for group in ("a", "b"):
        assert moments.loc[group, "m_tx_tx"] == expected[group]
    assert result.cube.cells.groupby("s")["tx"].sum().to_dict() == tx.groupby("s").size().to_dict()


def test_reviewer_ids_in_any_order_give_the_same_clustered_intervals() -> None:
    """Reviewer ids whose text order is not their natural order (R2 < R10)."""
    rng = np.random.default_rng(8)
    n = 3_000
    frame = pd.DataFrame({
        "s": rng.choice(["a", "b"], size=n),
        "p": rng.integers(0, 2, size=n),
        "l": rng.integers(0, 2, size=n),
        "rev": rng.choice([f"R{i}" for i in range(1, 13)], size=n),
    })  # fmt: skip
    # zero-padded: text order and natural order agree
    renamed = frame.assign(rev=frame["rev"].map(lambda r: f"R{int(r[1:]):02d}"))
    a = fairloop.audit(frame, prediction="p", label="l", sensitive="s", reviewer="rev")
    b = fairloop.audit(renamed, prediction="p", label="l", sensitive="s", reviewer="rev")
    pd.testing.assert_frame_equal(a.metrics, b.metrics)

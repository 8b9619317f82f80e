"""Intervals when cases are not independent: a few reviewers, several judgments per case.

Coverage is judged against the superpopulation truth of ``scenarios.py`` (reviewer
strictness and case effects are random and drawn anew for every seed), and, on real data,
against a bootstrap over Dressel and Farid's defendants.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairloop
from fairloop.exceptions import DecisionLogError

sys.path.insert(0, str(Path(__file__).parent))
import scenarios as sc

REVIEWED = ("override_rate", "false_positive_rate", "false_negative_rate")
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "dressel_farid_2018"


def _coverage(logs: list[sc.SimLog], roles: dict[str, str] | None = None) -> float:
    hits = []
    for log in logs:
        result = fairloop.audit(log.data, **{**log.roles, **(roles or {})})
        rows = result.metrics.set_index(["group", "metric"])
        for metric in REVIEWED:
            for value in ("A", "B"):
                row = rows.loc[(f"group={value}", metric)]
                truth = log.truth.value({"group": value}, metric)
                hits.append(row["ci_low"] <= truth <= row["ci_high"])
    return float(np.mean(hits))


@pytest.mark.slow
def test_intervals_cover_with_ten_reviewers_of_different_strictness() -> None:
    """10 reviewers, strictness a random effect (sd 0.8 on the log-odds): >= 93%."""
    logs = [sc.clustered_log(seed=seed, n=20_000, n_reviewers=10) for seed in range(150)]
    assert _coverage(logs) >= 0.93
    # treating the rows as independent (no reviewer column) covers far less
    assert _coverage(logs[:40], {"reviewer": None}) < 0.8  # type: ignore[dict-item]


@pytest.mark.slow
def test_intervals_cover_when_every_case_is_judged_twenty_times() -> None:
    """Dressel-and-Farid-like: 20 judgments per case, 50 cases per reviewer."""
    logs = [sc.long_format_log(seed=seed) for seed in range(60)]
    assert _coverage(logs, {"case_id": "case_id"}) >= 0.93


def test_repeated_case_ids_need_different_reviewers() -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "a", "b", "b"] * 50,
            "who": ["r1", "r2", "r1", "r2"] * 50,
            "g": ["x", "x", "y", "y"] * 50,
            "pred": [1, 1, 0, 0] * 50,
            "final": [1, 0, 0, 0] * 50,
        }
    )
    roles = {"prediction": "pred", "label": "final", "sensitive": "g", "case_id": "id"}
    with pytest.raises(DecisionLogError, match="name the reviewer column"):
        fairloop.audit(frame.head(4), **roles)
    with pytest.raises(DecisionLogError, match="repeat the case id and reviewer"):
        fairloop.audit(frame, **roles, reviewer="who")


def test_case_moments_equal_sums_over_cases_from_the_rows() -> None:
    log = sc.long_format_log(seed=3, n_cases=200, n_reviewers=80)
    result = fairloop.audit(log.data, **log.roles, case_id="case_id")
    moments = result.cube.case_moments
    assert moments is not None
    data = log.data
    reviewed = data["label"].notna()
    cells = {
        "tp": reviewed & (data["pred"] == 1) & (data["label"] == 1),
        "fp": reviewed & (data["pred"] == 1) & (data["label"] == 0),
        "fn": reviewed & (data["pred"] == 0) & (data["label"] == 1),
        "tn": reviewed & (data["pred"] == 0) & (data["label"] == 0),
    }
    per_case = pd.DataFrame({c: m.astype(int) for c, m in cells.items()})
    per_case[["case_id", "group"]] = data[["case_id", "group"]]
    per_case = per_case.groupby(["group", "case_id"]).sum()
    got = moments.set_index("group")
    for group, part in per_case.groupby(level="group"):
        assert got.loc[group, "cases"] == len(part)
        assert got.loc[group, "m_tp_tp"] == (part["tp"] ** 2).sum()
        assert got.loc[group, "m_fp_tn"] == (part["fp"] * part["tn"]).sum()
        assert got.loc[group, "m_pu_pu"] == 0


def _dressel_farid() -> pd.DataFrame:
    """The race-shown condition in long format: one row per (defendant, participant)."""
    subset = pd.read_csv(SHARED / "BROWARD_CLEAN_SUBSET.csv")
    subset = subset.loc[:, ~subset.columns.str.startswith("Unnamed")].dropna(how="all")
    wide = pd.read_csv(SHARED / "MTURK_RACE.csv", skiprows=[1], dtype=str)
    wide = wide.loc[:, ~wide.columns.str.startswith("Unnamed")]
    wide = wide.rename(columns={wide.columns[0]: "id"}).dropna(subset=["id"])
    long = wide.melt(id_vars="id", var_name="participant", value_name="correct")
    long = long.dropna(subset=["correct"])
    long["id"] = long["id"].astype(float).astype(int)
    long = long.merge(subset[["id", "race", "two_year_recid"]], on="id")
    truth = long["two_year_recid"].to_numpy()
    long["prediction"] = np.where(long["correct"].astype(float) == 1, truth, 1 - truth)
    long["race"] = long["race"].map({1: "White", 2: "Black"})
    return long.dropna(subset=["race"])


@pytest.mark.needs_shared_data
def test_dressel_farid_gap_interval_matches_a_bootstrap_over_defendants() -> None:
    if not SHARED.exists():
        pytest.skip("../shared/data/dressel_farid_2018 is absent")
    long = _dressel_farid()
    assert long.groupby("id").size().eq(20).all()
    result = fairloop.audit(
        long, prediction="prediction", label="two_year_recid", sensitive="race",
        reference={"race": "White"}, case_id="id", reviewer="participant",
    )  # fmt: skip
    d = result.disparities
    row = d[
        (d["comparison"] == "reference")
        & (d["metric"] == "false_positive_rate")
        & (d["group"] == "race=Black")
    ].iloc[0]
    # the participants' false positive rate gap, Black minus white defendants, resampled
    # by defendant (all 20 judgments of a defendant together), 2,000 times
    rng = np.random.default_rng(2018)
    rows_of = long.groupby("id").indices
    ids = np.asarray(list(rows_of))
    negative = long["two_year_recid"].to_numpy() == 0
    black = long["race"].to_numpy() == "Black"
    said_yes = long["prediction"].to_numpy() == 1
    gaps = []
    for _ in range(2_000):
        rows = np.concatenate([rows_of[i] for i in rng.choice(ids, len(ids))])
        n, b, y = negative[rows], black[rows], said_yes[rows]
        gaps.append(y[n & b].mean() - y[n & ~b].mean())
    low, high = np.percentile(gaps, [2.5, 97.5])
    width = high - low
    assert abs((row["difference_ci_high"] - row["difference_ci_low"]) - width) <= 0.2 * width
    assert abs(row["difference_ci_low"] - low) <= 0.2 * width
    assert abs(row["difference_ci_high"] - high) <= 0.2 * width
    # the rows taken as independent give an interval far too narrow
    naive = fairloop.audit(
        long, prediction="prediction", label="two_year_recid", sensitive="race",
        reference={"race": "White"},
    ).disparities  # fmt: skip
    naive_row = naive[
        (naive["comparison"] == "reference")
        & (naive["metric"] == "false_positive_rate")
        & (naive["group"] == "race=Black")
    ].iloc[0]
    assert naive_row["difference_ci_high"] - naive_row["difference_ci_low"] < 0.5 * width

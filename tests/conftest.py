from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
COMPAS_CSV = SHARED_DATA / "compas" / "compas-scores-two-years.csv"
#: The only COMPAS columns tests may read: never names, birth dates or case numbers.
COMPAS_COLUMNS = ["id", "sex", "age_cat", "race", "decile_score", "two_year_recid"]


@pytest.fixture(scope="session")
def compas() -> pd.DataFrame:
    """ProPublica's COMPAS two-year file, reduced to non-identifying columns."""
    if not COMPAS_CSV.exists():
        pytest.skip(f"shared data not found at {COMPAS_CSV}")
    frame = pd.read_csv(COMPAS_CSV, usecols=COMPAS_COLUMNS)
    frame["high_risk"] = (frame["decile_score"] >= 5).astype(int)
    return frame


@pytest.fixture
def small_log() -> pd.DataFrame:
    """A hand-made log: 2 groups x 40 cases, counts chosen so every rate is easy to check.

    sex=F: 20 reviewed (tp=6, fp=2, fn=4, tn=8), 20 unreviewed (12 predicted positive).
    sex=M: 30 reviewed (tp=12, fp=6, fn=3, tn=9), 10 unreviewed (3 predicted positive).
    """
    rows = []

    def add(sex: str, pred: int, label: float | None, count: int) -> None:
        rows.extend({"sex": sex, "pred": pred, "final": label} for _ in range(count))

    add("F", 1, 1, 6), add("F", 1, 0, 2), add("F", 0, 1, 4), add("F", 0, 0, 8)
    add("F", 1, None, 12), add("F", 0, None, 8)
    add("M", 1, 1, 12), add("M", 1, 0, 6), add("M", 0, 1, 3), add("M", 0, 0, 9)
    add("M", 1, None, 3), add("M", 0, None, 7)
    frame = pd.DataFrame(rows)
    frame["final"] = frame["final"].astype("Int64")
    frame["race"] = ["A", "B"] * (len(frame) // 2)
    frame["case"] = [f"c{i}" for i in range(len(frame))]
    frame["score"] = 0.5
    return frame

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairloop
from fairloop.cube import CountCube
from fairloop.datasets import make_decision_log
from fairloop.vocabulary import CELLS


def test_cube_counts_equal_a_direct_count(small_log: pd.DataFrame) -> None:
    result = fairloop.audit(small_log, prediction="pred", label="final", sensitive=["sex"])
    cells = result.cube.cells.set_index("sex")
    six = ["tp", "fp", "fn", "tn", "pu", "nu"]
    assert cells.loc["F", six].tolist() == [6, 2, 4, 8, 12, 8]
    assert cells.loc["M", six].tolist() == [12, 6, 3, 9, 3, 7]
    assert set(CELLS) - set(six) == {"tx"} and cells["tx"].sum() == 0  # two-valued decisions


@pytest.mark.slow
def test_twelve_monthly_cubes_merge_to_the_year() -> None:
    data = make_decision_log(n=24_000, seed=9).data
    roles = {
        "prediction": "approved",
        "label": "reviewer_decision",
        "sensitive": ["sex", "race", "age_band"],
        "context": ["region", "channel"],
    }
    year = fairloop.audit(data, **roles).cube
    months = data["decided_at"].dt.to_period("M")
    cubes = [fairloop.audit(part, **roles).cube for _, part in data.groupby(months)]
    assert len(cubes) == 12
    merged = cubes[0].merge(*cubes[1:])
    assert merged.equals(year)
    assert merged.n_rows == len(data)


def test_roundtrip_through_dict() -> None:
    data = make_decision_log(n=2_000, seed=2).data
    cube = fairloop.audit(
        data,
        prediction="approved",
        label="reviewer_decision",
        sensitive=["sex", "race"],
        score="score",
    ).cube
    again = CountCube.from_dict(cube.to_dict())
    assert again.equals(cube)
    np.testing.assert_allclose(again.cells["score_sum"], cube.cells["score_sum"])


def test_marginal_sums_match_pandas(small_log: pd.DataFrame) -> None:
    cube = fairloop.audit(
        small_log, prediction="pred", label="final", sensitive=["sex", "race"]
    ).cube
    expected = cube.cells.groupby("race")[list(CELLS)].sum().reset_index()
    pd.testing.assert_frame_equal(
        cube.marginal(["race"])[["race", *CELLS]], expected, check_dtype=False
    )


def test_groups_keep_their_declared_or_natural_order() -> None:
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({
        "risk": pd.Categorical(rng.choice(["low", "mid", "high"], n),
                               categories=["low", "mid", "high"], ordered=True),
        "age": rng.choice(["60+", "<25", "25-39", "40-59"], n),
        "age_cat": rng.choice(["Greater than 45", "25 - 45", "Less than 25"], n),
        "p": rng.integers(0, 2, n),
        "l": rng.integers(0, 2, n),
    })  # fmt: skip
    result = fairloop.audit(frame, prediction="p", label="l", sensitive=["risk", "age", "age_cat"])
    groups = result.metrics.query("metric == 'selection_rate'")["group"].tolist()
    assert groups[1:4] == ["risk=low", "risk=mid", "risk=high"]  # the categorical's order
    assert groups[4:8] == ["age=<25", "age=25-39", "age=40-59", "age=60+"]  # numeric bands
    assert groups[8:11] == ["age_cat=Less than 25", "age_cat=25 - 45", "age_cat=Greater than 45"]
    again = CountCube.from_dict(result.cube.to_dict())  # the store keeps the order
    assert [str(v) for v in again._codes["risk"][1]] == ["low", "mid", "high"]


def test_the_order_survives_the_case_moment_pass() -> None:
    frame = pd.DataFrame({
        "band": pd.Categorical(["high", "low", "medium"] * 40, categories=["low", "medium", "high"],
                               ordered=True),
        "p": [1, 0] * 60, "l": [1, 1, 0] * 40,
        "cid": [i // 2 for i in range(120)], "rev": list(range(120)),
    })  # fmt: skip
    result = fairloop.audit(frame, prediction="p", label="l", sensitive="band", case_id="cid",
                            reviewer="rev")  # fmt: skip
    assert result.cube.case_moments is not None
    groups = result.metrics.query("metric == 'selection_rate'")["group"].tolist()
    assert groups[1:] == ["band=low", "band=medium", "band=high"]

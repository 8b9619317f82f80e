from __future__ import annotations

import dataclasses

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
    assert [str(v) for v in again._code("risk")[1]] == ["low", "mid", "high"]


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


def _scored_log(decile: bool) -> tuple[pd.DataFrame, dict[str, object]]:
    log = make_decision_log(n=4_000, seed=11)
    data = log.data.copy()
    if decile:  # a score of ten values: each its own band, strata by value
        data["score"] = np.ceil(data["score"].clip(0.001, 1.0) * 10) / 10
    roles = {k: v for k, v in log.roles.items() if k not in ("case_id",)}
    return data, roles


@pytest.mark.parametrize("decile", [False, True])
def test_strata_are_counted_apart_from_the_cells(decile: bool) -> None:
    data, roles = _scored_log(decile)
    cube = fairloop.audit(data, **roles).cube  # type: ignore[arg-type]
    plain = fairloop.audit(data, **{k: v for k, v in roles.items() if k != "score"}).cube  # type: ignore[arg-type]
    # the audit's cells are those of the audit without a score
    keys = list(plain.keys)
    assert cube.band is None and list(cube.keys) == keys
    pd.testing.assert_frame_equal(
        cube.cells[[*keys, *CELLS]].sort_values(keys).reset_index(drop=True),
        plain.cells[[*keys, *CELLS]].sort_values(keys).reset_index(drop=True),
    )
    # the strata: every case by sex and stratum, as counted here from the rows
    strata = cube.strata
    assert strata is not None and strata.band is not None
    assert strata.reviewer is None and strata.window is None
    # by window too, made when first asked for: they add up to the same strata
    assert cube.window_strata is not None
    by_window, reviewers = cube.window_strata.get()
    assert by_window.window == cube.window and reviewers is not None
    assert by_window.without_windows().equals(strata)
    assert reviewers.without_windows().equals(cube.reviewer_strata)
    if decile:
        stratum = data["score"].map(lambda v: f"{v:g}")
    else:
        edge = np.minimum(np.floor(data["score"] * 10), 9).astype(int)
        stratum = edge.map(lambda i: f"{i / 10:.2f}-{(i + 1) / 10:.2f}")
    reviewed = data["reviewer_decision"].notna()
    expected = data.assign(stratum=stratum, reviewed=reviewed).groupby(["sex", "stratum"])
    counted = strata.marginal(["sex", strata.band]).set_index(["sex", strata.band])
    for (sex, band), part in expected:
        row = counted.loc[(sex, band)]
        assert row[list(CELLS)].sum() == len(part)
        assert row[["tp", "fp", "fn", "tn", "tx"]].sum() == part["reviewed"].sum()
    assert strata.n_rows == len(data)
    # the reviewers' case mix: reviewer by stratum
    mix = cube.reviewer_strata
    assert mix is not None and mix.reviewer == "reviewer_id" and mix.context == ()
    by_reviewer = mix.marginal(["reviewer_id", mix.band])
    direct = data.assign(stratum=stratum).groupby(["reviewer_id", "stratum"]).size()
    got = by_reviewer.set_index(["reviewer_id", mix.band])[list(CELLS)].sum(axis=1)
    assert got.drop(index="(missing)", level=0, errors="ignore").sort_index().tolist() == (
        direct.sort_index().tolist()
    )


@pytest.mark.parametrize("decile", [False, True])
def test_one_grouping_and_grouping_sets_give_the_same_cube(decile: bool, tmp_path) -> None:
    # DuckDB counts the strata in grouping sets; SQLite groups once by the fine band and
    # the cube sums the strata from it
    import sqlalchemy as sa

    data, roles = _scored_log(decile)
    url = f"sqlite:///{tmp_path / 'log.db'}"
    engine = sa.create_engine(url)
    data.to_sql("decisions", engine, index=False)
    engine.dispose()
    duck = fairloop.audit(data, **roles).cube  # type: ignore[arg-type]
    lite = fairloop.audit(fairloop.DatabaseTable(url, table="decisions"), **roles).cube  # type: ignore[arg-type]
    assert duck.strata is not None and lite.strata is not None
    assert duck.equals(lite)
    assert duck.scores is not None and lite.scores is not None
    columns = [c for c in duck.scores.columns if c not in ("score_sum", "reviewed_score_sum")]
    order = [c for c in columns if c not in CELLS]
    pd.testing.assert_frame_equal(
        duck.scores[columns].sort_values(order).reset_index(drop=True),
        lite.scores[columns].sort_values(order).reset_index(drop=True),
        check_dtype=False,
    )


def test_windows_keep_their_strata_and_add_up_to_the_whole() -> None:
    data, roles = _scored_log(False)
    result = fairloop.audit(data, **roles, estimator="post-stratified")  # type: ignore[arg-type]
    cube = result.cube
    first, *rest = cube.windows
    stored = CountCube.from_dict(cube.select_windows([first]).to_dict())  # as the store keeps it
    assert stored.strata is not None and stored.reviewer_strata is not None
    merged = cube.select_windows(rest).merge(stored)
    assert merged.equals(cube)
    again = fairloop.Audit(result.config).run_cube(merged, provenance={})
    pd.testing.assert_frame_equal(again.metrics, result.metrics)
    alone = cube.window_cube(first)
    assert alone.strata is not None and alone.strata.n_rows == alone.n_rows
    # a window stored without strata: weighted within group and decision only, and said
    bare = dataclasses.replace(stored, strata=None, reviewer_strata=None, window_strata=None)
    merged = cube.select_windows(rest).merge(bare)
    assert merged.strata is None and merged.scores is not None
    again = fairloop.Audit(result.config).run_cube(merged, provenance={})
    assert "keep no score strata" in again.selection.reason
    assert again.selection.estimator == "post-stratified"


def test_a_cube_with_strata_made_on_first_use_pickles_with_them() -> None:
    import pickle

    data, roles = _scored_log(False)
    cube = fairloop.audit(data, **roles).cube  # type: ignore[arg-type]
    again = pickle.loads(pickle.dumps(cube))
    assert again.equals(cube) and again.window_strata is not None
    by_window, _ = again.window_strata.get()
    assert by_window.without_windows().equals(cube.strata)


def test_window_dicts_equal_each_window_selected_alone() -> None:
    """The store's one-grouping path gives what selecting each window alone gives."""
    import json

    import fairloop
    from fairloop.datasets import make_decision_log

    log = make_decision_log(n=4_000, seed=21)
    cube = fairloop.audit(log.data, **log.roles, window="week").cube
    dicts = cube.window_dicts()
    sizes = cube.window_sizes()
    assert list(dicts) and set(dicts) == set(cube.windows)
    for start in cube.windows:
        alone = cube.select_windows([start])
        assert json.dumps(dicts[start], sort_keys=True) == json.dumps(
            alone.to_dict(), sort_keys=True
        )
        assert sizes[start] == alone.n_rows
    assert sum(sizes.values()) == 4_000


def test_summed_to_gives_the_cube_s_own_marginals() -> None:
    """Summing the reviewer, band and window keys away first changes no group's sums."""
    import numpy as np

    import fairloop
    from fairloop.datasets import make_decision_log

    log = make_decision_log(n=4_000, seed=22)
    cube = fairloop.audit(log.data, **log.roles, window="month").cube
    small = cube.summed_to(["sex", "race", "age_band"])
    assert small.reviewer is None and small.window is None and len(small.cells) < len(cube.cells)
    assert cube.summed_to(["sex", "race", "age_band"]) is small  # made once
    for attrs in (["sex"], ["race", "age_band"], ["sex", "race", "age_band"], []):
        keys, sums = cube.marginal_arrays(attrs)
        keys_small, sums_small = small.marginal_arrays(attrs)
        for a, b in zip(keys, keys_small, strict=True):
            assert a.tolist() == b.tolist()
        np.testing.assert_allclose(sums, sums_small, rtol=1e-12)


def test_the_packed_form_holds_the_same_cube_as_the_rows() -> None:
    """Packed (the store's form) and plain rows rebuild the same cube and the same audit:
    cells, scores, strata by window, case moments and agreement (repeated case ids)."""
    import json

    log = make_decision_log(n=3_000, seed=5)
    second = log.data.iloc[:400].assign(reviewer_id="second-reader")  # judged twice
    data = pd.concat([log.data, second], ignore_index=True)
    roles = {**log.roles, "reviewer": "reviewer_id", "case_id": "case_id"}
    result = fairloop.audit(data, **roles, window="month")
    cube = result.cube
    assert cube.case_moments is not None and cube.agreement is not None
    plain = json.dumps(cube.to_dict())
    packed = json.dumps(cube.to_dict(packed=True))
    assert len(packed) < len(plain) / 4
    again = CountCube.from_dict(json.loads(packed))
    assert again.equals(cube) and again.equals(CountCube.from_dict(json.loads(plain)))
    rerun = fairloop.Audit(result.config).run_cube(again, provenance={})
    pd.testing.assert_frame_equal(rerun.metrics, result.metrics)
    pd.testing.assert_frame_equal(rerun.flags.drop(columns="sample_case_ids"),
                                  result.flags.drop(columns="sample_case_ids"))  # fmt: skip
    windows = cube.window_dicts(packed=True)
    for start in cube.windows:
        alone = CountCube.from_dict(json.loads(json.dumps(windows[start])))
        assert alone.equals(cube.select_windows([start]))


def test_a_damaged_packed_table_is_named() -> None:
    cube = fairloop.audit(make_decision_log(n=500, seed=1).data, prediction="approved",
                          label="reviewer_decision", sensitive="sex").cube  # fmt: skip
    data = cube.to_dict(packed=True)
    data["rows"] = {"arrow": data["rows"]["arrow"][:-40]}
    with pytest.raises(ValueError, match="stored cube table cannot be read"):
        CountCube.from_dict(data)

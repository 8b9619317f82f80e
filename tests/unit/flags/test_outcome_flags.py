"""Flags measured against the outcome: review that widens a gap, reviewers proved wrong.

Expected values are computed here from the rows (pandas), with scipy's normal
distribution and statsmodels' Holm correction, not from fairloop's own helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

import fairloop
from fairloop.controls import evidence_states
from fairloop.flags._outcomes import reviewer_outcome_tests
from fairloop.flags._reviewers import reviewer_tests

ROLES: dict[str, Any] = {
    "prediction": "model", "label": "human", "outcome": "outcome", "sensitive": ["g", "x"],
    "reviewer": "reviewer", "case_id": "id",
}  # fmt: skip


def _log(n: int = 30_000, seed: int = 1) -> pd.DataFrame:
    """Five reviewers, one ("t") whose overrides are mostly wrong; every reviewer turns
    right negatives of group a into positives, widening a's false positive rate gap.

    Right positives are spoilt (t: 0.4, others: 0.05) and errors caught (t: 0.1, others:
    0.5) alike in both groups, so reviewers differ but not in how they treat group a.
    """
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b"], n)
    who = rng.choice(list("pqrst"), n)
    model = rng.integers(0, 2, n)
    outcome = np.where(rng.random(n) < 0.75, model, 1 - model)
    reviewed = rng.random(n) < 0.6
    catch, spoil = np.where(who == "t", 0.1, 0.5), np.where(who == "t", 0.4, 0.05)
    flip = np.where(model != outcome, rng.random(n) < catch,
                    (model == 1) & (rng.random(n) < spoil))  # fmt: skip
    flip |= (g == "a") & (model == 0) & (outcome == 0) & (rng.random(n) < 0.3)
    human = np.where(flip, 1 - model, model)
    return pd.DataFrame({
        "id": np.arange(n).astype(str), "g": g, "x": rng.choice(["u", "v", "w"], n),
        "model": model, "outcome": outcome,
        "human": pd.array(np.where(reviewed, human, None), dtype="Int64"),
        "reviewer": np.where(reviewed, who, None),
    })  # fmt: skip


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return _log()


@pytest.fixture(scope="module")
def result(log: pd.DataFrame) -> fairloop.AuditResult:
    return fairloop.audit(log, **ROLES)


def _outcome_flags(result: fairloop.AuditResult) -> pd.DataFrame:
    return result.flags[result.flags["source"] == "outcome"]


def test_review_widening_a_gap_is_one_flag_with_its_p_value_against_the_floor(
    result: fairloop.AuditResult, log: pd.DataFrame
) -> None:
    flags = _outcome_flags(result)
    gaps = flags[flags["metric"] == "false_positive_rate"]
    # g has two values: g=a and g=b are one test, kept once (a's final rate is the higher)
    assert [dict(s) for s in gaps["subgroup"]] == [{"g": "a"}]
    flag = gaps.iloc[0]
    # the change of a's false positive rate gap, from the rows
    negative = log[log["outcome"] == 0]
    final = negative["human"].fillna(negative["model"]).astype(int)
    in_a = (negative["g"] == "a").to_numpy()

    def gap(decision: pd.Series) -> float:
        return float(decision[in_a].mean() - decision[~in_a].mean())

    change = gap(final) - gap(negative["model"])
    assert flag["difference"] == pytest.approx(change)  # the final gap is the wider one
    assert flag["value"] == pytest.approx(final[in_a].mean())
    assert flag["complement_value"] == pytest.approx(final[~in_a].mean())
    # two-sided against the effect floor, at the null's edge: |change| = 0.05
    se = (flag["difference_ci_high"] - flag["difference_ci_low"]) / (2 * norm.ppf(0.975))
    expected = norm.sf((abs(change) - 0.05) / se) + norm.sf((abs(change) + 0.05) / se)
    assert flag["p_value"] == pytest.approx(expected, rel=1e-9)
    assert "review widened the false positive rate gap" in flag["sentence"]
    assert flag["severity"] in ("medium", "high")


def test_a_widened_gap_within_a_broader_one_is_explained_by_it(
    result: fairloop.AuditResult,
) -> None:
    flags = _outcome_flags(result)
    broad = flags[flags["metric"] == "false_positive_rate"].iloc[0]
    explained = result.explained[
        (result.explained["source"] == "outcome")
        & (result.explained["metric"] == "false_positive_rate")
    ]
    assert len(explained)  # a & u, a & v ... widened too, but they are a's flag
    assert set(explained["explained_by"]) == {broad["flag_id"]}
    assert all(dict(s).get("g") in ("a", "b") and len(s) == 2 for s in explained["subgroup"])


def test_a_reviewer_proved_wrong_more_often_is_named_under_holm(
    result: fairloop.AuditResult, log: pd.DataFrame
) -> None:
    flags = _outcome_flags(result)
    named = flags[flags["metric"] == "accuracy"]
    assert [dict(s) for s in named["subgroup"]] == [{"reviewer": "t"}]
    flag = named.iloc[0]
    overrides = log[log["human"].notna() & (log["human"] != log["model"])]
    mine = overrides[overrides["reviewer"] == "t"]
    assert flag["n"] == len(mine)
    assert flag["value"] == pytest.approx((mine["outcome"] != mine["model"]).mean())
    # Holm over every test that names a reviewer: by group and against the outcome
    config, figures = result.config, result.outcomes
    family = pd.concat(
        [reviewer_tests(result.cube, config), reviewer_outcome_tests(figures, config)],
        ignore_index=True,
    )
    holm = multipletests(family["p_value"].to_numpy(float), method="holm")[1]
    position = family.index[family["subgroup"].map(lambda s: dict(s) == {"reviewer": "t"})
                            & (family["metric"] == "accuracy")][0]  # fmt: skip
    assert flag["q_value"] == pytest.approx(holm[position], rel=1e-9)
    assert f"over {len(family)} tests" in flag["sentence"]
    # p: one-sided against the floor on the wrong share's excess over the others'
    table = figures.reviewers.set_index("reviewer")  # type: ignore[union-attr]
    excess, se = table.loc["t", "difference"], table.loc["t", "se"]
    assert flag["p_value"] == pytest.approx(norm.sf((excess - 0.05) / se), rel=1e-9)


def test_sample_cases_of_an_outcome_flag_are_overrides_proved_wrong(
    result: fairloop.AuditResult, log: pd.DataFrame
) -> None:
    rows = log.set_index("id")
    for _, flag in _outcome_flags(result).iterrows():
        ids = flag["sample_case_ids"]
        assert len(ids) == 10
        sample = rows.loc[ids]
        for column, value in dict(flag["subgroup"]).items():
            assert (sample[column] == value).all()
        assert (sample["human"] != sample["model"]).all()  # overridden ...
        assert (sample["outcome"] == sample["model"]).all()  # ... and the model was right


def test_outcome_flags_can_be_turned_off_and_the_evidence_says_so(log: pd.DataFrame) -> None:
    off = fairloop.audit(log, **ROLES, flags={"outcomes": False})
    assert not (off.flags["source"] == "outcome").any()
    assert off.tests["outcome_gap_tests"] == 0
    state = evidence_states(off, flag_status=None, trail_verified=None)["review_outcomes"]
    assert state.state == "partial" and "flags.outcomes" in state.reason


def test_evidence_of_review_outcomes_maps_to_art_14_and_26(result: fairloop.AuditResult) -> None:
    states = evidence_states(result, flag_status=None, trail_verified=None)
    assert states["review_outcomes"].state == "present"
    controls = result.controls().set_index("control")
    for article in ("Art. 14(2)", "Art. 26(2)"):
        assert "review_outcomes" in str(controls.loc[article, "evidence"])
    plain = fairloop.audit(
        _log(2_000).drop(columns="outcome"),
        **{k: v for k, v in ROLES.items() if k != "outcome"},
    )
    absent = evidence_states(plain, flag_status=None, trail_verified=None)["review_outcomes"]
    assert absent.state == "absent" and "outcome" in absent.reason


def test_report_and_plot_show_outcome_flags(result: fairloop.AuditResult, tmp_path: Path) -> None:
    flags = _outcome_flags(result)
    for flag_id, metric in zip(flags["flag_id"], flags["metric"], strict=True):
        figure = result.plot.flag(flag_id)
        assert len(figure.data) == (3 if metric == "accuracy" else 5)
    path = tmp_path / "report.html"
    result.to_html(path)
    html = path.read_text(encoding="utf-8")
    section = html[html.index('id="review_help"') :]
    section = section[: section.index("</section>")]
    for flag_id in flags["flag_id"]:
        assert f'href="#flag-{flag_id}"' in section
        assert f'id="flag-{flag_id}"' in html


def test_reviewer_strata_by_score_are_the_same_on_sqlite_and_duckdb(tmp_path: Path) -> None:
    import sqlalchemy as sa

    data = _log(6_000, seed=3)
    rng = np.random.default_rng(3)
    data["score"] = np.clip(data["model"] * 0.5 + rng.random(len(data)) * 0.5, 0, 1)
    roles = {**ROLES, "score": "score"}
    url = f"sqlite:///{tmp_path / 'log.db'}"
    engine = sa.create_engine(url)
    data.to_sql("decisions", engine, index=False)
    engine.dispose()
    duck = fairloop.audit(data, **roles)
    lite = fairloop.audit(fairloop.DatabaseTable(url, table="decisions"), **roles)
    ours, theirs = duck.cube.outcomes, lite.cube.outcomes
    assert ours is not None and theirs is not None
    assert ours.reviewer_strata is not None and theirs.reviewer_strata is not None
    columns = list(ours.reviewer_strata.columns)
    keys = columns[: columns.index("m1_f1_o1")]
    pd.testing.assert_frame_equal(
        ours.reviewer_strata.sort_values(keys).reset_index(drop=True),
        theirs.reviewer_strata[columns].sort_values(keys).reset_index(drop=True),
        check_dtype=False,
    )
    assert duck.outcomes is not None and lite.outcomes is not None
    pd.testing.assert_frame_equal(duck.outcomes.reviewers, lite.outcomes.reviewers,
                                  check_dtype=False)  # fmt: skip

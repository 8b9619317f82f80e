"""The review plan: allocation by hand, power against statsmodels, the routing table, errors."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import power_proportions_2indep
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.datasets import make_decision_log
from fairloop.exceptions import ConfigError
from fairloop.plan import read_routing, routing_schema
from fairloop.plan._allocate import greedy_fill


@pytest.fixture(scope="module")
def demo() -> fairloop.AuditResult:
    log = make_decision_log(n=20_000, seed=0)
    return fairloop.audit(log.data, **log.roles)


@pytest.fixture(scope="module")
def plan(demo: fairloop.AuditResult) -> fairloop.plan.ReviewPlan:  # type: ignore[name-defined]
    return demo.review_plan()


def _statsmodels_power(diff: float, rest: float, n: float, ratio: float, alpha: float) -> float:
    return float(power_proportions_2indep(diff, rest, n, ratio=ratio, alpha=alpha).power)


def test_greedy_fill_by_hand() -> None:
    size, none = np.array([10.0, 5.0, 4.0, 5.0]), np.zeros(4)
    value = np.array([0.1, 0.3, 0.5, 0.3])
    # 0.5 > 0.3 = 0.3 > 0.1: the 0.5 unit whole (4), then the two tied 0.3 units share the
    # remaining 7 so that they end at one rate: 3.5 of 5 each
    assert greedy_fill(size, none, value, 11.0).tolist() == [0.0, 3.5, 4.0, 3.5]
    # the tied units start at rates 0.4 and 0: the second is raised to 0.4 first (2 cases),
    # then both alike: 5 more cases over 10 cases is half a point each -> rates 0.65
    covered = np.array([0.0, 2.0, 0.0, 0.0])
    taken = greedy_fill(size, covered, value, 4.0 + 2.0 + 5.0 * 0.5)
    assert taken[2] == 4.0 and taken[0] == 0.0
    assert (covered[[1, 3]] + taken[[1, 3]]).tolist() == pytest.approx([3.25, 3.25])
    # a budget beyond every unit's room takes everything
    assert greedy_fill(size, covered, value, 100.0).tolist() == [10.0, 3.0, 4.0, 5.0]
    assert greedy_fill(np.array([3.0]), np.zeros(1), np.array([0.2]), 10.0).tolist() == [3.0]


def test_plan_spends_the_budget_and_holds_the_floor(plan) -> None:  # type: ignore[no-untyped-def]
    units = plan.units
    spent = float((units["review_rate"] * units["cases"]).sum())
    assert spent == pytest.approx(plan.budget_cases, rel=1e-9)
    score_only = float((units["score_only_rate"] * units["cases"]).sum())
    assert score_only == pytest.approx(plan.budget_cases, rel=1e-9)
    assert units["review_rate"].between(0, 1).all()
    assert (units["review_rate"] >= units["quality_rate"] - 1e-12).all()
    mine = plan.groups[plan.groups["routing"] == "plan"]
    assert (mine["coverage"] >= plan.floor - 1e-9).all()
    # the current routing's figures are the log's own counts
    current = plan.groups[
        (plan.groups["routing"] == "current") & (plan.groups["group"] == "sex=male")
    ]
    log = make_decision_log(n=20_000, seed=0).data
    males = log[log["sex"] == "male"]
    assert int(current["cases"].iloc[0]) == len(males)
    assert float(current["reviewed"].iloc[0]) == pytest.approx(
        males["reviewer_decision"].notna().sum()
    )
    overrides = (
        males["reviewer_decision"].notna() & (males["reviewer_decision"] != males["approved"])
    ).sum()
    assert float(current["errors_caught"].iloc[0]) == pytest.approx(overrides)


def test_demo_plan_lowers_the_worst_group_against_score_only(plan) -> None:  # type: ignore[no-untyped-def]
    diff = plan.comparison["difference"]["score_only"]
    assert diff["value"] > 0 and diff["ci_low"] > 0, diff
    assert diff["excludes_zero"]
    worst = plan.comparison["worst"]
    assert worst["plan"]["residual_rate"] < worst["score_only"]["residual_rate"]
    # each interval holds its point estimate
    g = plan.groups
    assert (
        (g["residual_low"] <= g["residual_rate"] + 1e-12)
        & (g["residual_rate"] <= g["residual_high"] + 1e-12)
    ).all()


def test_same_input_same_plan(demo: fairloop.AuditResult, plan) -> None:  # type: ignore[no-untyped-def]
    again = demo.review_plan(budget=plan.budget_share)
    pd.testing.assert_frame_equal(plan.units, again.units)
    pd.testing.assert_frame_equal(plan.groups, again.groups)
    assert plan.comparison["difference"] == again.comparison["difference"]


def test_quality_sample_power_equals_statsmodels(plan) -> None:  # type: ignore[no-untyped-def]
    rows = plan.precision[plan.precision["status"] != "no cases"]
    assert len(rows) > 10
    for r in rows.itertuples():
        diff = r.gap if r.rest_rate + r.gap <= 1 else -r.gap
        expected = _statsmodels_power(
            diff, r.rest_rate, r.planned, r.planned_rest / r.planned, 0.05
        )
        assert r.power == pytest.approx(expected, abs=1e-6)
        if r.status == "ok":  # the sample gives at least the power asked
            assert r.planned >= r.needed * (1 - 1e-6)
            at_needed = _statsmodels_power(
                diff, r.rest_rate, r.needed, r.planned_rest / r.needed, 0.05
            )
            assert at_needed >= 0.8 - 1e-6


@pytest.mark.parametrize("metric", ["false_positive_rate", "false_negative_rate", "override_rate"])
def test_sample_sizes_equal_statsmodels(demo: fairloop.AuditResult, metric: str) -> None:
    table = demo.sample_size(metric, gap=0.05, power=0.9, alpha=0.05)
    ok = table[table["status"] != "insufficient"]
    assert len(ok) >= 10
    m = demo.metrics
    for r in ok.itertuples():
        ratio = None
        rows = m[(m["metric"] == metric) & (m["estimator"] != "reviewed")]
        everyone = rows[rows["group"] == "(all)"].iloc[0]
        mine = rows[rows["group"] == r.group].iloc[0]
        ratio = (everyone["denominator"] - mine["denominator"]) / mine["denominator"]
        rest = (everyone["numerator"] - mine["numerator"]) / (
            everyone["denominator"] - mine["denominator"]
        )
        assert r.rest_value == pytest.approx(rest, rel=1e-12)
        diff = 0.05 if rest + 0.05 <= 1 else -0.05
        n_eff = mine["denominator"] / mine["gap_design_effect"]
        assert r.power == pytest.approx(
            _statsmodels_power(diff, rest, n_eff, ratio, 0.05), abs=1e-6
        )
        # the whole number of cases needed is the first with the power asked
        assert _statsmodels_power(diff, rest, r.needed, ratio, 0.05) >= 0.9 - 1e-9
        assert _statsmodels_power(diff, rest, r.needed - 1, ratio, 0.05) < 0.9
        assert r.needed_reviewed == np.ceil(r.n * r.needed / n_eff)
    assert "you need" in ok["sentence"].iloc[0] and "you have" in ok["sentence"].iloc[0]


def test_routing_table_matches_its_schema_in_both_forms(plan, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    as_json = json.loads(plan.write(tmp_path / "routing.json").read_text("utf-8"))
    as_toml = tomllib.loads(plan.write(tmp_path / "routing.toml").read_text("utf-8"))
    schema = routing_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(as_json, schema)
    jsonschema.validate(as_toml, schema)
    as_json.pop("created_at"), as_toml.pop("created_at")
    assert as_json == as_toml
    assert len(as_json["rules"]) == len(plan.units)
    assert read_routing(tmp_path / "routing.toml")["rules"] == as_toml["rules"]
    # every case of the log is matched by exactly one rule
    log = make_decision_log(n=20_000, seed=0).data.head(500)
    for row in log.itertuples():
        hits = [
            rule for rule in as_json["rules"]
            if all(str(getattr(row, k)) == v for k, v in rule["when"].items())
            and rule["model_decision"] == ("positive" if row.approved == 1 else "negative")
            and rule.get("score_from", -np.inf) <= row.score < rule.get("score_to", np.inf)
        ]  # fmt: skip
        assert len(hits) <= 1
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(ConfigError, match="not a readable routing table"):
        read_routing(bad)
    with pytest.raises(ConfigError, match=r"\.json or \.toml"):
        plan.write(tmp_path / "routing.yaml")


def test_bad_plan_options_are_refused_by_name(demo: fairloop.AuditResult) -> None:
    with pytest.raises(ConfigError, match="floor"):
        demo.review_plan(budget=0.1, floor=0.9)
    with pytest.raises(ConfigError, match="by"):
        demo.review_plan(by=["nope"])
    with pytest.raises(ConfigError, match="budget"):
        demo.review_plan(budget=2.0)
    with pytest.raises(ConfigError, match="metric"):
        demo.sample_size("selection_rate")
    log = make_decision_log(n=2_000, seed=1)
    roles = {k: v for k, v in log.roles.items() if k != "time"}
    timeless = fairloop.audit(log.data.drop(columns=["decided_at"]), **roles)
    with pytest.raises(ConfigError, match="per"):
        timeless.review_plan(cases=100, per="month")
    timeless.review_plan(budget=0.3)  # a share needs no time column


def test_cli_plan_and_sample_size(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "fairloop.db"
    log = make_decision_log(n=5_000, seed=2)
    path = tmp_path / "log.csv"
    log.data.to_csv(path, index=False)
    roles = ["--prediction", "approved", "--label", "reviewer_decision",
             "--sensitive", "sex,race,age_band", "--score", "score", "--positive", "1",
             "--time", "decided_at"]  # fmt: skip
    assert runner.invoke(app, ["audit", str(path), *roles, "--db", str(db), "-q"]).exit_code == 0
    out = tmp_path / "plan"
    done = runner.invoke(
        app, ["plan", "--db", str(db), "--budget", "0.3", "-o", str(out), "--json"]
    )
    assert done.exit_code == 0, done.output
    document = json.loads(done.output)
    assert document["plan"]["budget_share"] == pytest.approx(0.3)
    assert {p.name for p in out.iterdir()} == {
        "routing.json",
        "routing.toml",
        "plan_units.csv",
        "plan_groups.csv",
        "plan_precision.csv",
    }
    jsonschema.validate(json.loads((out / "routing.json").read_text("utf-8")), routing_schema())
    sizes = runner.invoke(app, ["sample-size", "--db", str(db), "--metric", "false_negative_rate",
                                "--set", "race"])  # fmt: skip
    assert sizes.exit_code == 0 and "you need" in sizes.output
    for bad in (["--floor", "0.99"], ["--budget", "2"], ["--per", "month"], ["--by", "nope"],
                ["--metrics", "selection_rate"]):  # fmt: skip
        refused = runner.invoke(app, ["plan", "--db", str(db), "-o", str(out), *bad])
        assert refused.exit_code == 2, (bad, refused.output)
        assert "Traceback" not in refused.output and refused.output.count("\n") <= 2
    refused = runner.invoke(app, ["sample-size", "--db", str(db), "--gap", "2"])
    assert refused.exit_code == 2 and "--gap" in refused.output


def test_degenerate_logs_get_a_plan_or_one_clear_error() -> None:
    rng = np.random.default_rng(5)
    n = 600
    frame = pd.DataFrame({
        "pred": rng.integers(0, 2, n),
        "sex": rng.choice(["F", "M"], n),
        "race": rng.choice(["a", "b", "c"], n, p=[0.8, 0.15, 0.05]),
    })  # fmt: skip
    reviewed = rng.random(n) < 0.3
    frame["label"] = pd.array(np.where(reviewed, rng.integers(0, 2, n), 0), dtype="Int64")
    frame.loc[~reviewed, "label"] = pd.NA
    roles = {"prediction": "pred", "label": "label", "sensitive": ["sex", "race"],
             "min_group_size": 0}  # fmt: skip
    # no score: units are group x decision; every unit reviewed with some chance
    plan = fairloop.audit(frame, **roles).review_plan(budget=0.2)
    assert "band" not in plan.units
    assert (plan.units["review_rate"] > 0).all()
    assert (plan.units["review_rate"] * plan.units["cases"]).sum() == pytest.approx(0.2 * n)
    # one group of race holds every human-positive case: its comparisons have no cases
    only = frame.copy()
    only.loc[only["race"] != "a", "label"] = only.loc[only["race"] != "a", "label"] * 0
    plan = fairloop.audit(only, **roles).review_plan()
    assert set(plan.precision["status"]) <= {"ok", "scaled", "capped", "no cases"}
    # nobody reviewed: one clear error
    none = frame.assign(label=pd.array([pd.NA] * n, dtype="Int64"))
    none.loc[0, "label"] = 1  # the audit needs one reviewed case to run at all
    result = fairloop.audit(none, **roles)
    result.review_plan()  # one reviewed case is enough to plan (badly): no traceback


def test_poisson_test_of_group_effects_equals_scipy() -> None:
    from scipy import stats

    from fairloop.plan._ranking import poisson_pvalue

    rng = np.random.default_rng(9)
    expected = rng.gamma(1.0, 5.0, 300)
    observed = rng.poisson(expected * rng.choice([0.5, 1.0, 2.0], 300)).astype(float)
    below = stats.poisson.cdf(observed, expected)
    above = stats.poisson.sf(observed - 1, expected)
    reference = np.minimum(1.0, 2 * np.minimum(below, above))
    assert poisson_pvalue(observed, expected) == pytest.approx(reference, rel=1e-9, abs=1e-15)


def test_the_worst_group_says_which_groups_cannot_be_told_apart(plan) -> None:  # type: ignore[no-untyped-def]
    groups = plan.groups
    for routing in ("current", "score_only", "plan"):
        worst = plan.comparison["worst"][routing]
        assert worst["candidates"][0] == worst["group"]
        mine = groups[groups["routing"] == routing].set_index("group")["residual_rate"]
        # the candidates are the worst first, then by their residual error, highest first
        rates = [mine[g] for g in worst["candidates"]]
        assert rates == sorted(rates, reverse=True)
    assert "points" in plan.summary()


def test_an_unknown_plan_option_is_refused_with_a_suggestion(demo: fairloop.AuditResult) -> None:
    with pytest.raises(ConfigError, match="Did you mean 'floor'"):
        demo.review_plan(flor=0.1)

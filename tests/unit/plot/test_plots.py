"""``result.plot``: every figure's points and error bars recomputed from the rows with pandas
and statsmodels' Wilson interval, independently of the cube."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from statsmodels.stats.proportion import proportion_confint

import fairloop
from fairloop.datasets import make_decision_log

sys.path.insert(0, str(Path(__file__).parents[2] / "simulation"))
from reference import clustered_wilson


@pytest.fixture(scope="module")
def log() -> fairloop.datasets.SyntheticLog:  # type: ignore[name-defined]
    return make_decision_log(n=20_000, seed=0)


@pytest.fixture(scope="module")
def result(log) -> fairloop.AuditResult:
    # the expected values below are computed from the reviewed rows as they are
    return fairloop.audit(log.data, **log.roles, estimator="reviewed")


def _reviewed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["reviewer_decision"].notna()]


def _fpr(frame: pd.DataFrame) -> tuple[int, int]:
    negatives = _reviewed(frame)
    negatives = negatives[negatives["reviewer_decision"] == 0]
    return int((negatives["approved"] == 1).sum()), len(negatives)


def _lows_highs(trace: go.Scatter) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(trace.y, dtype=float)
    return y - np.asarray(trace.error_y.arrayminus, float), y + np.asarray(
        trace.error_y.array, float
    )


def test_metric_by_race_is_the_false_positive_rate_with_wilson_bars(log, result) -> None:
    fig = result.plot.metric("false_positive_rate", by=["race"])
    assert isinstance(fig, go.Figure)
    trace = fig.data[0]
    counts = {race: _fpr(part) for race, part in log.data.groupby("race")}
    assert list(trace.x) == sorted(counts)
    k = np.array([counts[r][0] for r in trace.x])
    n = np.array([counts[r][1] for r in trace.x])
    np.testing.assert_allclose(trace.y, k / n, atol=1e-12)
    # a few reviewers decide every case: the bars are cluster-robust (reviewers as clusters)
    negative = _reviewed(log.data)
    negative = negative[negative["reviewer_decision"] == 0]
    bounds = [
        clustered_wilson(part["approved"].to_numpy() == 1, part["reviewer_id"].to_numpy())
        for _, part in negative.groupby("race")
    ]
    low, high = np.array(bounds).T
    assert (high - low > 0).all()
    got_low, got_high = _lows_highs(trace)
    np.testing.assert_allclose(got_low, low, atol=1e-10)
    np.testing.assert_allclose(got_high, high, atol=1e-10)
    # everyone's value is drawn as a line
    k_all, n_all = _fpr(log.data)
    assert fig.layout.shapes[0].y0 == pytest.approx(k_all / n_all, abs=1e-12)


def test_metric_by_any_cube_attribute_even_outside_the_audited_sets(log, result) -> None:
    """region x reviewer is no attribute set of the audit; the cube answers it anyway."""
    fig = result.plot.metric("override_rate", by=["region", "reviewer_id"])
    reviewed = _reviewed(log.data)
    changed = (reviewed["approved"] != reviewed["reviewer_decision"]).groupby(
        [reviewed["region"], reviewed["reviewer_id"]]
    )
    expected = (changed.sum() / changed.size()).rename(lambda t: t, axis=0)
    # labels are drawn as text: entities in the figure, the characters on screen
    # many groups are drawn down the side: the groups on y, the values on x
    assert fig.data[0].orientation == "h"
    got = dict(zip(map(html.unescape, fig.data[0].y), fig.data[0].x, strict=True))
    assert len(got) == len(expected)
    for (region, reviewer), value in expected.items():
        assert got[f"{region} & {reviewer}"] == pytest.approx(value, abs=1e-12)


def test_metric_default_draws_each_sensitive_attribute(result) -> None:
    fig = result.plot.metric("selection_rate")
    assert [t.name for t in fig.data] == list(result.config.sensitive)
    sex = fig.data[0]
    table = result.by_group("sex")["selection_rate"]
    assert list(sex.x) == [f"sex: {g}" for g in table.index]
    np.testing.assert_allclose(sex.y, table.to_numpy(), atol=1e-12)


def test_small_groups_are_open_markers(log) -> None:
    rows = log.data.head(600)
    small = fairloop.audit(rows, **log.roles, min_group_size=100)
    fig = small.plot.metric("selection_rate", by="race")
    sizes = rows["race"].value_counts()
    symbols = dict(zip(fig.data[0].x, fig.data[0].marker.symbol, strict=True))
    for race, size in sizes.items():
        assert symbols[race] == ("circle-open" if size < 100 else "circle")


def test_disparities_are_the_audit_differences_with_the_policy_band(result) -> None:
    fig = result.plot.disparities("false_positive_rate", by="race")
    d = result.disparities
    d = d[(d["comparison"] == "to_overall") & (d["metric"] == "false_positive_rate")]
    d = d[d["attribute_set"] == "race"]
    got = {x: y for t in fig.data for x, y in zip(t.x, t.y, strict=True)}
    expected = {a["race"]: v for a, v in zip(d["attributes"], d["difference"], strict=True)}
    assert got.keys() == expected.keys()
    for race, value in expected.items():
        assert got[race] == pytest.approx(value, abs=1e-12)
    # the default policy holds false positive rates within 10 points of everyone's
    bands = sorted(s.y0 for s in fig.layout.shapes if s.line.dash == "dash")
    assert bands == pytest.approx([-0.10, 0.10])


def test_disparity_ratios_against_the_reference_group(log, result) -> None:
    fig = result.plot.disparities("selection_rate", by="race", measure="ratio", compare="reference")
    rates = log.data.groupby("race")["approved"].mean()
    reference = log.data["race"].value_counts().idxmax()  # the largest group by default
    got = {x: y for t in fig.data for x, y in zip(t.x, t.y, strict=True)}
    assert reference not in got
    for race, value in got.items():
        assert value == pytest.approx(rates[race] / rates[reference], abs=1e-12)


def test_disparities_of_a_rule_show_its_verdicts(result) -> None:
    rule = result.verdicts["rule"].iloc[0]
    fig = result.plot.disparities(rule=rule)
    v = result.verdicts[(result.verdicts["rule"] == rule)]
    v = v[v["attribute_set"].isin(result.config.sensitive)]
    assert sum(len(t.x) for t in fig.data) == len(v)
    assert {t.name for t in fig.data} == set(v["verdict"])


def test_flag_figure_recomputes_subgroup_and_comparison_from_rows(log, result) -> None:
    checked = set()
    for flag in result.flags.to_dict(orient="records"):
        if flag["source"] in checked or flag["source"] == "policy":
            continue
        checked.add(flag["source"])
        fig = result.plot.flag(flag["flag_id"])
        rows = _reviewed(log.data)
        inside = np.ones(len(rows), dtype=bool)
        for column, value in flag["subgroup"].items():
            inside &= rows[column].astype(str).to_numpy() == value
        approved = rows["approved"].to_numpy() == 1
        human = rows["reviewer_decision"].to_numpy() == 1
        # the rows each metric counts (den) and the cases it counts in them (hit)
        den, hit = {
            "override_rate": (np.ones(len(rows), bool), approved != human),
            "precision": (approved, human),  # reviewer flags: favourable decisions upheld
            "negative_predictive_value": (~approved, ~human),
        }.get(flag["metric"], (None, None))
        if den is None:
            continue
        inside &= den
        subgroup, comparison = fig.data[0], fig.data[1]
        assert subgroup.y[0] == pytest.approx(flag["value"], abs=1e-12)
        assert subgroup.y[0] == pytest.approx(hit[inside].mean(), abs=1e-12)
        assert comparison.y[0] == pytest.approx(flag["complement_value"], abs=1e-12)
        low, high = proportion_confint(hit[inside].sum(), inside.sum(), method="wilson")
        got_low, got_high = _lows_highs(subgroup)
        assert (got_low[0], got_high[0]) == pytest.approx((low, high), abs=1e-10)
        gap = fig.data[3]
        assert gap.y[0] == pytest.approx(flag["difference"], abs=1e-12)
        assert gap.y[0] + gap.error_y.array[0] == pytest.approx(flag["difference_ci_high"])
    assert checked, "the demo log has flags"


def test_flag_figure_for_a_discovered_selection_gap(log, result) -> None:
    flags = result.flags[(result.flags["metric"] == "selection_rate")]
    flags = flags[flags["source"] == "discovery"]
    flag = flags.iloc[0]
    fig = result.plot.flag(flag["flag_id"])
    inside = np.ones(len(log.data), dtype=bool)
    for column, value in flag["subgroup"].items():
        inside &= log.data[column].astype(str).to_numpy() == value
    approved = log.data["approved"].to_numpy()
    assert fig.data[0].y[0] == pytest.approx(approved[inside].mean(), abs=1e-12)
    assert fig.data[1].y[0] == pytest.approx(approved[~inside].mean(), abs=1e-12)
    assert fig.data[2].y[0] == pytest.approx(approved.mean(), abs=1e-12)
    # the monthly panel: the subgroup's selection rate per month
    month = pd.to_datetime(log.data["decided_at"]).dt.strftime("%Y-%m-01")
    monthly = pd.Series(approved[inside]).groupby(month[inside].to_numpy()).mean()
    trace = next(t for t in fig.data if t.mode == "lines+markers")
    np.testing.assert_allclose(trace.y, monthly.reindex(list(trace.x)).to_numpy(), atol=1e-12)


def test_trend_by_sex_is_the_monthly_override_rate(log, result) -> None:
    fig = result.plot.trend("override_rate", by="sex")
    rows = _reviewed(log.data)
    month = pd.to_datetime(rows["decided_at"]).dt.strftime("%Y-%m-01")
    changed = (rows["approved"] != rows["reviewer_decision"]).groupby([rows["sex"], month])
    k, n = changed.sum(), changed.size()
    for trace in fig.data:
        kk, nn = k[trace.name].reindex(list(trace.x)), n[trace.name].reindex(list(trace.x))
        np.testing.assert_allclose(trace.y, (kk / nn).to_numpy(), atol=1e-12)
        mine = rows[rows["sex"] == trace.name]
        bounds = [
            clustered_wilson(
                (part["approved"] != part["reviewer_decision"]).to_numpy(),
                part["reviewer_id"].to_numpy(),
            )
            for _, part in mine.groupby(month[rows["sex"] == trace.name])
        ]
        low, high = np.array(bounds).T
        got_low, got_high = _lows_highs(trace)
        np.testing.assert_allclose(got_low, low, atol=1e-10)
        np.testing.assert_allclose(got_high, high, atol=1e-10)
    assert {t.name for t in fig.data} == set(rows["sex"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.plot.metric("fpr"), "Unknown metric 'fpr'"),
        (lambda r: r.plot.metric("accuracy", by="colour"), "'colour', which is not an attribute"),
        (lambda r: r.plot.disparities(rule="no such rule"), "No policy rule 'no such rule'"),
        (lambda r: r.plot.disparities(measure="odds"), "measure= must be"),
    ],
)
def test_bad_arguments_say_what_to_give(result, call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call(result)


def test_unknown_flag_and_missing_windows(log, result) -> None:
    with pytest.raises(KeyError, match="No flag 'fl-nope'"):
        result.plot.flag("fl-nope")
    timeless = fairloop.audit(log.data.head(2000), **{**log.roles, "time": None})
    with pytest.raises(ValueError, match="no time windows"):
        timeless.plot.trend("override_rate")


def test_weighted_by_reviewer_and_context_says_why_not_and_draws_reviewed(log) -> None:
    # the audit weights reviewed cases within score band; reviewers' bands are kept with
    # the sensitive attributes only
    weighted = fairloop.audit(log.data, **log.roles, estimator="post-stratified")
    with pytest.raises(ValueError, match="estimator='reviewed'"):
        weighted.plot.metric("false_positive_rate", by=["region", "reviewer_id"])
    by_reviewer = weighted.plot.metric("false_positive_rate", by=["sex", "reviewer_id"])
    assert len(by_reviewer.data[0].x) > 0 and len(by_reviewer.data[0].y) > 0
    fig = weighted.plot.metric("false_positive_rate", by=["region", "reviewer_id"],
                               estimator="reviewed")  # fmt: skip
    reviewed = _reviewed(log.data)
    negatives = reviewed[reviewed["reviewer_decision"] == 0]
    rate = (negatives["approved"] == 1).groupby([negatives["region"],
                                                 negatives["reviewer_id"]]).mean()  # fmt: skip
    # labels are drawn as text: entities in the figure, the characters on screen
    # many groups are drawn down the side: the groups on y, the values on x
    assert fig.data[0].orientation == "h"
    got = dict(zip(map(html.unescape, fig.data[0].y), fig.data[0].x, strict=True))
    assert len(set(got) & {f"{a} & {b}" for a, b in rate.index}) >= len(rate) // 2
    for (region, reviewer), value in rate.items():
        if f"{region} & {reviewer}" in got:
            assert got[f"{region} & {reviewer}"] == pytest.approx(value, abs=1e-12)
    with pytest.raises(ValueError, match="estimator="):
        weighted.plot.metric("false_positive_rate", estimator="weighted")


def test_markup_in_group_values_is_drawn_as_text(tmp_path: Path) -> None:
    log = make_decision_log(n=3_000, seed=2)
    data = log.data.copy()
    first = str(data["race"].iloc[0])
    link = f"<a href='https://evil.example'>{first}</a>"
    data["race"] = data["race"].astype(object).replace({first: link})
    result = fairloop.audit(data, **log.roles)
    fig = result.plot.metric("selection_rate", by="race")
    labels = [str(x) for x in fig.data[0].x]
    escaped = f"&lt;a href='https://evil.example'&gt;{first}&lt;/a&gt;"
    assert escaped in labels
    assert not any("<a" in x for x in labels)
    result.to_html(tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    # every chart's data, as Plotly.js reads it: the value is text, never markup
    specs = re.findall(r'<script type="application/json" id="fig-\d+-data">(.*?)</script>', page)
    texts = json.dumps([json.loads(spec) for spec in specs])
    assert escaped in texts
    assert "<a href" not in texts

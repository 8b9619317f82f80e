"""Agreement between people who judged the same case, against statsmodels and scikit-learn.

Fleiss' kappa equals statsmodels' ``fleiss_kappa`` where every case has the same number of
judgments (Dressel and Farid's 20 per defendant); Cohen's kappa of a pair equals
scikit-learn's ``cohen_kappa_score`` and its interval statsmodels' ``cohens_kappa``; Gwet's
AC1 and the extension to uneven numbers of judgments are checked by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa

import fairloop

sys.path.insert(0, str(Path(__file__).parents[2] / "published"))
import studies


@pytest.fixture(scope="module")
def crowd() -> tuple[pd.DataFrame, fairloop.AuditResult]:
    if not studies.DRESSEL_FARID.exists():
        pytest.skip(f"shared data not found at {studies.SHARED_DATA}")
    judged = studies.dressel_farid_judgments(race_shown=False)
    defendants = studies.dressel_farid_defendants().set_index("id")
    judged["race"] = judged["id"].map(defendants["race"])
    judged["compas"] = judged["id"].map(defendants["compas"])
    result = fairloop.audit(
        judged, prediction="compas", label="prediction", sensitive=["race"],
        reviewer="participant", case_id="id",
    )  # fmt: skip
    return judged, result


def _fleiss(part: pd.DataFrame) -> float:
    table = pd.crosstab(part["id"], part["prediction"]).to_numpy()
    return float(fleiss_kappa(table, method="fleiss"))


def test_fleiss_kappa_by_group_equals_statsmodels(crowd) -> None:
    judged, result = crowd
    table = result.agreement.set_index("group")
    assert table.loc["(all)", "fleiss_kappa"] == pytest.approx(_fleiss(judged), abs=1e-12)
    for race in ("Black", "White", "Hispanic"):
        expected = _fleiss(judged[judged["race"] == race])
        assert table.loc[f"race={race}", "fleiss_kappa"] == pytest.approx(expected, abs=1e-12)
        low, high = table.loc[f"race={race}", ["fleiss_kappa_ci_low", "fleiss_kappa_ci_high"]]
        assert low < expected < high
    assert table.loc["(all)", "cases"] == 1_000 and table.loc["(all)", "judgments"] == 20_000


def test_cohen_kappa_of_reviewer_pairs_equals_sklearn_and_statsmodels(crowd) -> None:
    judged, result = crowd
    pairs = result.reviewer_pairs
    assert len(pairs) > 0 and (pairs["cases"] >= result.config.min_denominator).all()
    wide = judged.pivot_table(index="id", columns="participant", values="prediction")
    for row in pairs.head(25).itertuples():
        both = wide[[row.reviewer_a, row.reviewer_b]].dropna()
        a, b = both[row.reviewer_a].astype(int), both[row.reviewer_b].astype(int)
        assert row.cases == len(both)
        if a.nunique() + b.nunique() < 3:  # one value each: kappa undefined
            continue
        assert row.cohen_kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
        table = pd.crosstab(a, b).reindex(index=[1, 0], columns=[1, 0], fill_value=0)
        reference = cohens_kappa(table.to_numpy(dtype=float))  # 95%: alpha=0.05 by default
        assert row.ci_low == pytest.approx(reference.kappa_low, abs=1e-12)
        assert row.ci_high == pytest.approx(reference.kappa_upp, abs=1e-12)


def test_gwet_ac1_and_uneven_judgments_by_hand() -> None:
    # case 1: 3 judgments, 2 positive; case 2: 2 judgments, both negative; case 3: 4, 4 pos.
    rows = []
    for case, m, x in (("c1", 3, 2), ("c2", 2, 0), ("c3", 4, 4)):
        for j in range(m):
            rows.append({"case": case, "who": f"r{j}", "model": 1, "sex": "F",
                         "human": int(j < x)})  # fmt: skip
    rows += [{"case": f"solo{i}", "who": "r0", "model": 0, "sex": "M", "human": 0}
             for i in range(3)]  # fmt: skip
    result = fairloop.audit(
        pd.DataFrame(rows), prediction="model", label="human", sensitive=["sex"],
        reviewer="who", case_id="case", min_group_size=0,
    )  # fmt: skip
    everyone = result.agreement.set_index("group").loc["(all)"]
    # agreeing pairs per case: 1/3, 1, 1 -> p_a = 7/9; pi = mean(2/3, 0, 1) = 5/9
    p_a, pi = 7 / 9, 5 / 9
    fleiss_e, gwet_e = pi**2 + (1 - pi) ** 2, 2 * pi * (1 - pi)
    assert everyone["cases"] == 3  # cases judged once carry no agreement
    assert everyone["observed_agreement"] == pytest.approx(p_a, abs=1e-12)
    assert everyone["fleiss_kappa"] == pytest.approx((p_a - fleiss_e) / (1 - fleiss_e), abs=1e-12)
    assert everyone["gwet_ac1"] == pytest.approx((p_a - gwet_e) / (1 - gwet_e), abs=1e-12)
    bundle = json.loads(result.to_json())
    assert bundle["agreement"][0]["group"] == "(all)"
    assert "Gwet's AC1" in result.methods["agreement"]


def test_the_report_shows_agreement_by_group(crowd, tmp_path: Path) -> None:
    _, result = crowd
    path = tmp_path / "report.html"
    result.to_html(path)
    html = path.read_text()
    assert "Agreement between reviewers" in html
    everyone = result.agreement.set_index("group").loc["(all)"]
    assert f"{everyone['fleiss_kappa']:.2f}" in html
    median = result.reviewer_pairs["cohen_kappa"].median()
    assert f"median {median:.2f}" in html

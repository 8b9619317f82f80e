"""Does the human in the loop help? Published figures, measured with fairloop's outcome rows.

* Dressel and Farid (2018), Science Advances 4(1): 1,000 Broward defendants; COMPAS
  (decile > 4) 65.2% accurate against two-year recidivism; the crowd (majority of 20 lay
  participants, a tie scored as no recidivism) 67.0% without the defendant's race shown,
  66.5% with it.
* Lin, Jung, Goel and Skeem (2020), Science Advances 6(7), Table A1, "existing tool minus
  human", no feedback: 0.03 for general recidivism, 0.30 for violent recidivism (base rate
  0.11), the tool being the COMPAS decile refitted by a logistic regression on the 1,000
  defendants (a case is predicted to reoffend when the fitted probability exceeds 0.5).

The logs are read by ``studies.py`` apart from fairloop; the tool's refit is statsmodels'.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
import statsmodels.api as sm

import fairloop

sys.path.insert(0, str(Path(__file__).parent))
import studies

pytestmark = pytest.mark.skipif(
    not (studies.DRESSEL_FARID.exists() and studies.LIN.exists() and studies.COMPAS_CSV.exists()),
    reason=f"shared data not found at {studies.SHARED_DATA}",
)


def _all(result: fairloop.AuditResult, decision: str, metric: str = "accuracy") -> float:
    m = result.metrics
    row = m[
        (m["truth"] == "outcome")
        & (m["decision"] == decision)
        & (m["metric"] == metric)
        & (m["attribute_set"] == "(all)")
    ]
    return float(row["value"].iloc[0])


@pytest.mark.parametrize(("race_shown", "crowd"), [(False, 0.670), (True, 0.665)])
def test_dressel_farid_compas_and_the_crowd(race_shown: bool, crowd: float) -> None:
    log = studies.dressel_farid_log(race_shown)
    assert len(log) == 1_000
    result = fairloop.audit(
        log, prediction="compas", label="crowd", outcome="two_year_recid",
        sensitive=["race", "sex"], case_id="id",
    )  # fmt: skip
    assert _all(result, "model") == pytest.approx(0.652, abs=5e-4)
    assert _all(result, "final") == pytest.approx(crowd, abs=5e-4)
    # every defendant was judged and every outcome is known: nothing to weight
    assert result.outcomes is not None
    assert result.outcomes.selection.estimator == "reviewed"
    resolved = result.outcomes.resolved.set_index("group")
    assert resolved.loc["(all)", "known"] == 1_000
    # the rows against the human are the model against the crowd
    human = result.metrics[(result.metrics["truth"] == "human")
                           & (result.metrics["metric"] == "accuracy")
                           & (result.metrics["attribute_set"] == "(all)")]  # fmt: skip
    assert float(human["value"].iloc[0]) == pytest.approx((log["compas"] == log["crowd"]).mean())


def _tool(defendants: pd.DataFrame) -> pd.Series:
    """The existing tool as the paper scores it: the decile refitted in sample, p > 0.5."""
    model = sm.Logit(defendants["outcome"], sm.add_constant(defendants["score"])).fit(disp=0)
    fitted = model.predict(sm.add_constant(defendants["score"]))
    return pd.Series((fitted > 0.5).astype(int).to_numpy(), index=defendants["id"])


@pytest.mark.parametrize(("violent", "published"), [(False, 0.03), (True, 0.30)])
def test_lin_tool_minus_human_without_feedback(violent: bool, published: float) -> None:
    defendants, answers = studies.lin_logs(violent)
    tool = _tool(defendants)
    race = pd.read_csv(studies.LIN / "compas_vignettes.csv", usecols=["id", "race"])
    race = race.astype({"id": str}).set_index("id")["race"].map(studies.RACES)
    # the tool on every defendant: nobody reviewed, every outcome known
    cases = defendants.assign(
        tool=defendants["id"].map(tool), race=defendants["id"].map(race),
        human=pd.array([pd.NA] * len(defendants), dtype="Int64"),
    )  # fmt: skip
    on_cases = fairloop.audit(
        cases, prediction="tool", label="human", outcome="outcome", sensitive=["race"]
    )
    # the participants' answers: one row per answer, the participant as the reviewer
    judged = answers.assign(
        tool=answers["id"].map(tool), race=answers["id"].map(race),
        outcome=answers["id"].map(defendants.set_index("id")["outcome"]),
    )  # fmt: skip
    on_answers = fairloop.audit(
        judged, prediction="tool", label="prediction", outcome="outcome", sensitive=["race"],
        reviewer="participant", case_id="id",
    )  # fmt: skip
    difference = _all(on_cases, "model") - _all(on_answers, "final")
    assert round(difference, 2) == pytest.approx(published)
    expected_answers = 2_700 if not violent else 2_400  # the paper's Table 1
    assert len(answers) == expected_answers

"""The published human-versus-algorithm studies in ``../shared/data/``, as decision logs.

Written apart from fairloop: plain pandas readers of the authors' files, following each
folder's README (and, for Lin et al., the authors' R cleaning, ported). The tests measure
the logs with fairloop and compare with the papers' published figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DRESSEL_FARID = SHARED_DATA / "dressel_farid_2018"
LIN = SHARED_DATA / "lin_2020_human_vs_algorithm"
COMPAS_CSV = SHARED_DATA / "compas" / "compas-scores-two-years.csv"
RACES = {1: "White", 2: "Black", 3: "Hispanic", 4: "Asian", 5: "Native American", 6: "Other"}


def dressel_farid_defendants() -> pd.DataFrame:
    """The 1,000 defendants shown to participants, COMPAS's call (decile > 4) beside."""
    frame = pd.read_csv(DRESSEL_FARID / "BROWARD_CLEAN_SUBSET.csv")
    frame = frame.loc[:, [c for c in frame.columns if not c.startswith("Unnamed")]]
    frame = frame.dropna(how="all").astype({"id": int})
    frame["compas"] = (frame["compas_decile_score"] > 4).astype(int)
    frame["race"] = frame["race"].map(RACES)
    frame["sex"] = frame["sex"].map({0: "male", 1: "female"})
    return frame[["id", "race", "sex", "compas", "two_year_recid"]]


def dressel_farid_judgments(race_shown: bool) -> pd.DataFrame:
    """One row per (defendant, participant): the participant's prediction, long format.

    The files hold 1 (the participant was right) or -1 (wrong); the prediction is the
    truth where right, its opposite where wrong.
    """
    name = "MTURK_RACE.csv" if race_shown else "MTURK_NO_RACE.csv"
    wide = pd.read_csv(DRESSEL_FARID / name, header=0).iloc[1:]  # line 2: a sub-header
    wide = wide.rename(columns={wide.columns[0]: "id"}).dropna(subset=["id"])
    wide = wide.loc[:, [c for c in wide.columns if not str(c).startswith("Unnamed")]]
    wide["id"] = wide["id"].astype(float).astype(int)
    long = wide.melt(id_vars="id", var_name="participant", value_name="right")
    long = long.dropna(subset=["right"]).astype({"right": float})
    truth = dressel_farid_defendants().set_index("id")["two_year_recid"]
    outcome = long["id"].map(truth)
    long["prediction"] = np.where(long["right"] == 1, outcome, 1 - outcome).astype(int)
    return long[["id", "participant", "prediction"]].reset_index(drop=True)


def dressel_farid_log(race_shown: bool) -> pd.DataFrame:
    """One row per defendant: COMPAS's call, the crowd's (majority of 20; a tie is no
    recidivism, as the paper scores it) as the final decision, and the outcome."""
    votes = dressel_farid_judgments(race_shown).groupby("id")["prediction"].agg(["sum", "count"])
    crowd = (votes["sum"] > votes["count"] / 2).astype(int).rename("crowd")
    return dressel_farid_defendants().join(crowd, on="id")


# --- Lin, Jung, Goel and Skeem (2020) ---------------------------------------------------

_ANSWERS = 50  # each participant's real answers
_CHECKS = {"dummy1": 0, "dummy2": 1}  # attention checks: right answers 2 and 98


def _clean(user: pd.DataFrame, response: pd.DataFrame, outcome: pd.Series) -> pd.DataFrame:
    """The authors' cleaning (src/prepare_data.R clean_data, stanford-policylab @ 8c38ee8)."""
    user = user.drop(columns="id").drop_duplicates(["user_id", "assignment_id"])
    user = user[user["exit_status"] == "submitted"]
    user = user[user.groupby("user_id")["user_id"].transform("size") == 1]
    response = response.drop(columns="id").reset_index().rename(columns={"index": "_row"})
    joined = user.merge(response, on=["user_id", "user_block", "user_group"], how="left")
    joined = joined.sort_values("_row", kind="stable")
    joined["individual_id"] = joined["individual_id"].astype(str)
    joined["outcome"] = joined["individual_id"].map(pd.concat([outcome, pd.Series(_CHECKS)]))
    checks = joined[joined["individual_id"].str.contains("dummy")].copy()
    checks["right"] = np.where(checks["outcome"] == 0, 2, 98) == checks["predicted_decision"]
    passed = checks.groupby("user_id")["right"].mean()
    kept = joined[
        ~joined["individual_id"].str.contains("dummy")
        & joined["user_id"].isin(set(passed[passed == 1].index))
    ]
    # a user recorded twice is kept only when every block of 50 answers is the same
    # (R's all(a == b, na.rm = TRUE): empty cells are not compared)
    columns = [c for c in kept.columns if c != "_row"]
    keep = []
    for user_id, answers in kept.groupby("user_id", sort=False):
        blocks = [
            answers.iloc[i : i + _ANSWERS][columns].reset_index(drop=True)
            for i in range(0, len(answers), _ANSWERS)
        ]
        same = all(
            a.shape == b.shape and bool(((a == b) | a.isna() | b.isna()).all().all())
            for i, a in enumerate(blocks)
            for b in blocks[i + 1 :]
        )
        if same:
            keep.append(user_id)
    kept = kept[kept["user_id"].isin(keep)]
    return kept.groupby("user_id", sort=False).head(_ANSWERS)


def lin_logs(violent: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The defendants and the no-feedback participants' answers of one setting.

    Returns the 1,000 defendants (id, outcome, score) and the answers (id, participant,
    prediction = probability above 50%).
    """
    vignettes = pd.read_csv(LIN / "compas_vignettes.csv").astype({"id": str}).set_index("id")
    if violent:  # the violent outcome and score come from ProPublica's file
        compas = pd.read_csv(COMPAS_CSV, usecols=["id", "is_violent_recid", "v_decile_score"])
        compas = compas.astype({"id": str}).set_index("id").loc[vignettes.index]
        outcome, score = compas["is_violent_recid"], compas["v_decile_score"]
        prefix = "df_violent"
    else:
        outcome, score = vignettes["two_year_recid"], vignettes["compas_decile_score"]
        prefix = "df"
    user = pd.read_csv(LIN / f"{prefix}_user.csv")
    response = pd.read_csv(LIN / f"{prefix}_response.csv", dtype={"individual_id": str})
    answers = _clean(user, response, outcome)
    answers = answers[answers["user_group"] == "vignette"]  # no feedback
    defendants = pd.DataFrame(
        {"id": outcome.index, "outcome": outcome.to_numpy(), "score": score.to_numpy()}
    )
    answers = pd.DataFrame(
        {
            "id": answers["individual_id"].to_numpy(),
            "participant": answers["user_id"].to_numpy(),
            "prediction": (answers["predicted_decision"] > 50).astype(int).to_numpy(),
        }
    )
    return defendants, answers

"""UCI Adult as a decision log with five sensitive attributes, for the report's scale tests.

Adult holds no model decision: a logistic regression fitted on the training file's
non-sensitive columns decides "income >50K" on the test file, and the census label plays the
reviewer's final decision on every case. Sensitive: sex, race, age band, marital status and
native country (42 values: the many-valued attribute a report must stay readable with).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ADULT = Path(__file__).resolve().parents[3] / "shared" / "data" / "adult"
COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income",
]  # fmt: skip
SENSITIVE = ["sex", "race", "age_band", "marital_status", "native_country"]
FEATURES = ["education_num", "capital_gain", "capital_loss", "hours_per_week", "age"]


def _read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(ADULT / name, names=COLUMNS, skipinitialspace=True, comment="|",
                        na_values="?")  # fmt: skip
    frame["income"] = frame["income"].str.rstrip(".")
    return frame.dropna(subset=["income"])


def _age_bands(age: pd.Series) -> np.ndarray:
    bands = pd.cut(age, [0, 25, 35, 45, 55, 65, 120], right=False,
                   labels=["<25", "25-34", "35-44", "45-54", "55-64", "65+"])  # fmt: skip
    return bands.astype(str).to_numpy()


def adult_log() -> tuple[pd.DataFrame, dict[str, object]]:
    """The decision log and its roles; raises FileNotFoundError without the shared data."""
    from sklearn.linear_model import LogisticRegression

    if not (ADULT / "adult.data").exists():
        raise FileNotFoundError(ADULT / "adult.data")
    train, test = _read("adult.data"), _read("adult.test")
    model = LogisticRegression(max_iter=1000)
    model.fit(np.log1p(train[FEATURES]), train["income"] == ">50K")
    score = model.predict_proba(np.log1p(test[FEATURES]))[:, 1]
    log = pd.DataFrame(
        {
            "case_id": np.arange(len(test)).astype(str),
            "model": np.where(score >= 0.5, ">50K", "<=50K"),
            "score": score,
            "final": test["income"].to_numpy(),
            "sex": test["sex"].to_numpy(),
            "race": test["race"].to_numpy(),
            "age_band": _age_bands(test["age"]),
            "marital_status": test["marital_status"].to_numpy(),
            "native_country": test["native_country"].fillna("unknown").to_numpy(),
        }
    )
    roles: dict[str, object] = {
        "case_id": "case_id", "prediction": "model", "label": "final",
        "score": "score", "sensitive": SENSITIVE, "positive": ">50K",
    }  # fmt: skip
    return log, roles

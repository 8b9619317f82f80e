"""fairloop init's guesses: the written config loads, whatever the column names hold."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd

from fairloop.config import AuditConfig
from fairloop.roles import config_text, guess_roles, profile_columns


def test_profile_counts_missing_values_and_lists_few_values() -> None:
    frame = pd.DataFrame(
        {
            "sex": ["F", "M", None, "F"],
            "score": [0.1, 0.5, 0.9, np.nan],
            "when": ["2025-01-02", "2025-02-03", "2025-03-04", "2025-04-05"],
            "n": [10, 2, 1, 2],
        }
    )
    profiles = {p.name: p for p in profile_columns(frame)}
    assert (profiles["sex"].nulls, profiles["sex"].values) == (1, ["F", "M"])
    assert (profiles["score"].minimum, profiles["score"].maximum) == (0.1, 0.9)
    assert profiles["when"].kind == "temporal"  # text that parses as dates
    assert profiles["n"].values == ["1", "2", "10"] and profiles["n"].integral


def test_hostile_column_names_are_written_as_valid_toml() -> None:
    rng = np.random.default_rng(0)
    n = 400
    sensitive = 'ra"ce\\ \u202e#\nnew = 1'
    frame = pd.DataFrame(
        {
            "pred": rng.integers(0, 2, n),
            "label": np.where(rng.random(n) < 0.5, rng.integers(0, 2, n), np.nan),
            "gender": rng.choice(["a", "b"], n),
            sensitive.replace("ra", "sex_ra"): rng.choice(["x", "y"], n),
        }
    )
    guess = guess_roles(frame)
    text = config_text(guess, data="x.csv")
    options = tomllib.loads(text)
    assert options["prediction"] == "pred" and options["label"] == "label"
    assert options["sensitive"] == ["gender", sensitive.replace("ra", "sex_ra")]
    assert "new" not in options  # the newline in the name did not start a new TOML line
    AuditConfig.from_mapping(options)


def test_nothing_recognisable_leaves_the_required_roles_commented_out() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    guess = guess_roles(frame)
    options = tomllib.loads(config_text(guess, data="x.csv"))
    assert "prediction" not in options and "label" not in options and "sensitive" not in options
    assert guess.columns("sensitive") == [] and guess.column("prediction") is None


def test_the_routing_columns_are_guessed_and_not_taken_for_the_score() -> None:
    rng = np.random.default_rng(3)
    n = 400
    score = rng.random(n)
    reviewed = rng.random(n) < 0.4
    frame = pd.DataFrame({
        "sex": rng.choice(["F", "M"], n), "review_probability": np.where(score > 0.5, 0.6, 0.2),
        "model_score": score, "approved": (score >= 0.5).astype(int),
        "final_decision": np.where(reviewed, (rng.random(n) < score).astype(float), np.nan),
        "review_reason": np.where(reviewed, rng.choice(["quality sample", "appeal"], n), None),
    })  # fmt: skip
    guess = guess_roles(frame)
    assert guess.roles["review_probability"].columns == ("review_probability",)
    assert guess.roles["review_reason"].columns == ("review_reason",)
    assert guess.roles["score"].columns == ("model_score",)
    config = AuditConfig.from_mapping(tomllib.loads(config_text(guess, data="log.csv")))
    assert (config.review_probability, config.review_reason) == (
        "review_probability", "review_reason",
    )  # fmt: skip

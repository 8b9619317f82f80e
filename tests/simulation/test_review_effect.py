"""What review changes: intervals that cover, with a few reviewers of uneven skill.

The generator is written here, apart from fairloop, and knows the truth: each log draws
10 reviewers, each catching a share of the model's errors (Beta(4, 6), mean 0.4) and
overturning a share of its right calls (Beta(2, 18), mean 0.1); half the cases are
reviewed, at random. The expected gain in accuracy is then 0.5 x (0.3 x 0.4 - 0.7 x 0.1)
= 0.025; the groups are alike, so review changes no gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairloop

pytestmark = pytest.mark.slow

TRUE_GAIN = 0.5 * (0.3 * 0.4 - 0.7 * 0.1)


def _log(seed: int, reviewers: int = 10, n: int = 4_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    model = rng.integers(0, 2, n)
    outcome = np.where(rng.random(n) < 0.7, model, 1 - model)
    reviewed = rng.random(n) < 0.5
    who = rng.integers(0, reviewers, n)
    catch, spoil = rng.beta(4, 6, reviewers), rng.beta(2, 18, reviewers)
    flip = np.where(model != outcome, rng.random(n) < catch[who], rng.random(n) < spoil[who])
    human = np.where(flip, 1 - model, model)
    return pd.DataFrame({
        "group": rng.choice(["a", "b"], n), "model": model, "outcome": outcome,
        "human": pd.array(np.where(reviewed, human, None), dtype="Int64"),
        "reviewer": np.where(reviewed, who.astype(str), None),
    })  # fmt: skip


def test_gain_and_gap_change_intervals_cover_over_200_logs() -> None:
    gain_hits = gap_hits = gap_tests = 0
    runs = 200
    for seed in range(runs):
        result = fairloop.audit(
            _log(seed), prediction="model", label="human", outcome="outcome",
            sensitive=["group"], reviewer="reviewer", estimator="reviewed",
        )  # fmt: skip
        figures = result.outcomes
        assert figures is not None
        everyone = figures.review_effect.set_index("group").loc["(all)"]
        gain_hits += (
            everyone["accuracy_gain_ci_low"] <= TRUE_GAIN <= everyone["accuracy_gain_ci_high"]
        )
        gaps = figures.gap_changes[figures.gap_changes["group"] == "group=a"]
        gap_hits += int(((gaps["change_ci_low"] <= 0) & (gaps["change_ci_high"] >= 0)).sum())
        gap_tests += len(gaps)
    assert gain_hits / runs >= 0.93
    assert gap_hits / gap_tests >= 0.93

"""Metric definitions, loaded from ``fairloop/data/metrics.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from fairloop.vocabulary._cells import CELLS

__all__ = [
    "METRICS",
    "SCORE_METRICS",
    "MetricSpec",
    "ScoreMetricSpec",
    "cell_weights",
    "reviewed_metric",
    "test_identity",
]


@dataclass(frozen=True)
class MetricSpec:
    """A rate metric as a ratio of sums of count-cube cells.

    Parameters
    ----------
    name : str
        Identifier (fairlearn's name where it has one).
    title : str
        Human-readable name.
    numerator, denominator : tuple of str
        Cells summed above and below the line.
    population : {"all", "reviewed"}
        Rows the metric is defined on.
    description : str
        One sentence a governance officer can read.
    fairlearn : str or None
        The equivalent fairlearn or scikit-learn function, if any.
    """

    name: str
    title: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    population: Literal["all", "reviewed"]
    description: str
    fairlearn: str | None = None


@dataclass(frozen=True)
class ScoreMetricSpec:
    """A metric of the model's score by group (``fairloop/data/score_metrics.toml``).

    Parameters
    ----------
    name : str
        Identifier (scikit-learn's name where it has one).
    title : str
        Human-readable name.
    interval : str
        How its interval is made.
    description : str
        One sentence a governance officer can read.
    sklearn : str or None
        The equivalent scikit-learn function, if any.
    """

    name: str
    title: str
    interval: str
    description: str
    sklearn: str | None = None


def _load_score_metrics() -> dict[str, ScoreMetricSpec]:
    text = resources.files("fairloop").joinpath("data", "score_metrics.toml").read_text("utf-8")
    return {
        name: ScoreMetricSpec(
            name=name,
            title=entry["title"],
            interval=entry["interval"],
            description=entry["description"],
            sklearn=entry.get("sklearn"),
        )
        for name, entry in tomllib.loads(text).items()
    }


def _load() -> dict[str, MetricSpec]:
    text = resources.files("fairloop").joinpath("data", "metrics.toml").read_text("utf-8")
    specs = {}
    for name, entry in tomllib.loads(text).items():
        for cell in (*entry["numerator"], *entry["denominator"]):
            if cell not in CELLS:
                raise ValueError(f"metrics.toml: metric {name!r} uses unknown cell {cell!r}")
        if not set(entry["numerator"]) <= set(entry["denominator"]):
            raise ValueError(f"metrics.toml: {name!r} numerator must be a subset of denominator")
        specs[name] = MetricSpec(
            name=name,
            title=entry["title"],
            numerator=tuple(entry["numerator"]),
            denominator=tuple(entry["denominator"]),
            population=entry["population"],
            description=entry["description"],
            fairlearn=entry.get("fairlearn"),
        )
    return specs


#: Every defined metric, by name, in the order of metrics.toml.
METRICS: dict[str, MetricSpec] = _load()
#: Every metric of the score, by name, in the order of score_metrics.toml.
SCORE_METRICS: dict[str, ScoreMetricSpec] = _load_score_metrics()


def reviewed_metric(name: str) -> bool:
    """Whether a rate metric is defined on reviewed cases only (the human's decision).

    Those are the figures a selective review can bias, and the ones weighting adjusts.

    Examples
    --------
    >>> reviewed_metric("false_positive_rate"), reviewed_metric("selection_rate")
    (True, False)
    """
    return METRICS[name].population == "reviewed"


def cell_weights(names: tuple[str, ...] | list[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """0/1 matrices (cells x metrics) picking each metric's numerator and denominator cells.

    Parameters
    ----------
    names : sequence of str
        Metric names.

    Returns
    -------
    numerator, denominator : ndarray of shape (len(CELLS), len(names))
        ``counts @ numerator`` gives every metric's numerator for every group at once.
    """
    num = np.zeros((len(CELLS), len(names)), dtype=np.int64)
    den = np.zeros((len(CELLS), len(names)), dtype=np.int64)
    for j, name in enumerate(names):
        spec = METRICS[name]
        for cell in spec.numerator:
            num[CELLS.index(cell), j] = 1
        for cell in spec.denominator:
            den[CELLS.index(cell), j] = 1
    return num, den


def test_identity(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a two-group test of a metric compares, whatever the metric is called.

    Two metrics over the same denominator whose numerators split it between them (such
    as accuracy and override_rate, or the true positive and false negative rates) give
    the same test of the same cases, with the sign turned: they share this identity.

    Examples
    --------
    >>> test_identity("accuracy") == test_identity("override_rate")
    True
    >>> test_identity("accuracy") == test_identity("precision")
    False
    """
    spec = METRICS[name]
    denominator = tuple(sorted(spec.denominator))
    rest = tuple(sorted(set(spec.denominator) - set(spec.numerator)))
    return denominator, min(tuple(sorted(spec.numerator)), rest)

"""Synthetic decision logs with planted biases whose ground truth is known."""

from fairloop.datasets._synthetic import (
    DEFAULT_BIASES,
    PlantedBias,
    SyntheticLog,
    make_decision_log,
)

__all__ = ["DEFAULT_BIASES", "PlantedBias", "SyntheticLog", "make_decision_log"]

"""Per-group metrics, disparities and summary figures, all computed on the count cube."""

import pandas as pd

from fairloop.metrics._casemix import REVIEWER_COLUMNS, reviewer_case_mix
from fairloop.metrics._disparities import disparities_frame, reference_groups
from fairloop.metrics._groups import GroupTable, attribute_sets, group_table
from fairloop.metrics._rates import Rates, compute_rates, metrics_frame, weighted_rates
from fairloop.metrics._scores import ScoreFigures, score_figures, threshold_table
from fairloop.metrics._selection import SELECTION_LEVEL, Selection, diagnose_selection
from fairloop.metrics._summary import FOUR_FIFTHS, summary_figures
from fairloop.metrics._weighting import WeightedCounts, Weighting
from fairloop.vocabulary import METRICS, MetricSpec


def primary_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The metrics table with one row per (group, metric): the figure flags and verdicts use.

    Where a metric of reviewed cases is weighted to stand for every case, the audit's
    metrics table holds the weighted row first and the reviewed-only row after it
    (``estimator`` says which); this keeps the first.
    """
    if "estimator" not in frame or frame.empty:
        return frame
    keys = ["attribute_set", "group", "metric"]
    return frame[~frame.duplicated(keys, keep="first")]


__all__ = [
    "FOUR_FIFTHS",
    "METRICS",
    "REVIEWER_COLUMNS",
    "SELECTION_LEVEL",
    "GroupTable",
    "MetricSpec",
    "Rates",
    "ScoreFigures",
    "Selection",
    "WeightedCounts",
    "Weighting",
    "attribute_sets",
    "compute_rates",
    "diagnose_selection",
    "disparities_frame",
    "group_table",
    "metrics_frame",
    "primary_rows",
    "reference_groups",
    "reviewer_case_mix",
    "score_figures",
    "summary_figures",
    "threshold_table",
    "weighted_rates",
]

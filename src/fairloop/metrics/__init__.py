"""Per-group metrics, disparities and summary figures, all computed on the count cube."""

from fairloop.metrics._disparities import disparities_frame, reference_groups
from fairloop.metrics._groups import GroupTable, attribute_sets, group_table
from fairloop.metrics._rates import Rates, compute_rates, metrics_frame
from fairloop.metrics._summary import FOUR_FIFTHS, summary_figures
from fairloop.vocabulary import METRICS, MetricSpec

__all__ = [
    "FOUR_FIFTHS",
    "METRICS",
    "GroupTable",
    "MetricSpec",
    "Rates",
    "attribute_sets",
    "compute_rates",
    "disparities_frame",
    "group_table",
    "metrics_frame",
    "reference_groups",
    "summary_figures",
]

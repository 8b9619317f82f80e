"""Per-group metrics, disparities and summary figures, all computed on the count cube."""

from fairloop.metrics._agreement import (
    AGREEMENT_COLUMNS,
    PAIR_COLUMNS,
    agreement_by_group,
    pair_kappas,
)
from fairloop.metrics._casemix import REVIEWER_COLUMNS, reviewer_case_mix
from fairloop.metrics._disparities import disparities_frame, reference_groups
from fairloop.metrics._groups import GroupTable, attribute_sets, group_table
from fairloop.metrics._outcomes import OUTCOME_METRICS, OutcomeFigures, outcome_figures
from fairloop.metrics._rates import (
    Rates,
    compute_rates,
    metrics_frame,
    primary_rows,
    weighted_rates,
)
from fairloop.metrics._review_effect import (
    GAP_CHANGE_COLUMNS,
    REVIEW_EFFECT_COLUMNS,
    REVIEWER_EFFECT_COLUMNS,
)
from fairloop.metrics._scores import ScoreFigures, score_figures, threshold_table
from fairloop.metrics._selection import (
    SELECTION_LEVEL,
    Selection,
    diagnose_selection,
    with_notes,
)
from fairloop.metrics._summary import FOUR_FIFTHS, summary_figures
from fairloop.metrics._weighting import WeightedCounts, Weighting
from fairloop.vocabulary import METRICS, MetricSpec

__all__ = [
    "AGREEMENT_COLUMNS",
    "FOUR_FIFTHS",
    "GAP_CHANGE_COLUMNS",
    "METRICS",
    "OUTCOME_METRICS",
    "PAIR_COLUMNS",
    "REVIEWER_COLUMNS",
    "REVIEWER_EFFECT_COLUMNS",
    "REVIEW_EFFECT_COLUMNS",
    "SELECTION_LEVEL",
    "GroupTable",
    "MetricSpec",
    "OutcomeFigures",
    "Rates",
    "ScoreFigures",
    "Selection",
    "WeightedCounts",
    "Weighting",
    "agreement_by_group",
    "attribute_sets",
    "compute_rates",
    "diagnose_selection",
    "disparities_frame",
    "group_table",
    "metrics_frame",
    "outcome_figures",
    "pair_kappas",
    "primary_rows",
    "reference_groups",
    "reviewer_case_mix",
    "score_figures",
    "summary_figures",
    "threshold_table",
    "weighted_rates",
    "with_notes",
]

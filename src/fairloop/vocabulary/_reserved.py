"""Reserved column names of fairloop's internal tables."""

from __future__ import annotations

__all__ = ["Col"]


class Col:
    """Reserved names of the aggregated table's own columns (never a user's column name)."""

    PREFIX = "__fl_"
    PREDICTION = "__fl_prediction"
    LABEL = "__fl_label"
    N = "__fl_n"
    SCORE_N = "__fl_score_n"
    SCORE_BAD = "__fl_score_bad"
    SCORE_MIN = "__fl_score_min"
    SCORE_MAX = "__fl_score_max"
    SCORE_SUM = "__fl_score_sum"
    SCORE_OUT = "__fl_score_out"
    TIME_BAD = "__fl_time_bad"
    TIME_MIN = "__fl_time_min"
    TIME_MAX = "__fl_time_max"
    WINDOW = "__fl_window"
    BAND = "__fl_band"
    FINE = "__fl_fine"
    SCORE_SET = "__fl_score_set"
    REASON = "__fl_reason"
    OUTCOME = "__fl_outcome"
    PROB_N = "__fl_prob_n"
    PROB_BAD = "__fl_prob_bad"
    PROB_OUT = "__fl_prob_out"
    PROB_MIN = "__fl_prob_min"
    WEIGHT = "__fl_weight"
    WEIGHT_VAR = "__fl_weight_var"

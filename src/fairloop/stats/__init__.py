"""Vectorised intervals and tests on counts, thin over :mod:`scipy.stats`."""

from fairloop.stats._intervals import (
    ZERO_CELL_CORRECTION,
    clopper_pearson_interval,
    newcombe_difference_interval,
    normal_quantile,
    normal_upper_tail,
    proportion_interval,
    ratio_interval,
    wilson_interval,
)
from fairloop.stats._margins import (
    INTERACTION_SCALES,
    gap_difference_pvalue,
    interaction_pvalue,
    margin_pvalue,
    scale_gaps,
)
from fairloop.stats._multiplicity import bh, focused_bh, holm
from fairloop.stats._power import gap_power, gap_sample_size, rate_sample_size
from fairloop.stats._tests import (
    fisher_exact_pvalue,
    homogeneity_pvalue,
    two_proportion_pvalue,
)

__all__ = [
    "INTERACTION_SCALES",
    "ZERO_CELL_CORRECTION",
    "bh",
    "clopper_pearson_interval",
    "fisher_exact_pvalue",
    "focused_bh",
    "gap_difference_pvalue",
    "gap_power",
    "gap_sample_size",
    "holm",
    "homogeneity_pvalue",
    "interaction_pvalue",
    "margin_pvalue",
    "newcombe_difference_interval",
    "normal_quantile",
    "normal_upper_tail",
    "proportion_interval",
    "rate_sample_size",
    "ratio_interval",
    "scale_gaps",
    "two_proportion_pvalue",
    "wilson_interval",
]

"""Reference computations from the rows, written apart from fairloop (no fairloop import)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

__all__ = ["clustered_wilson"]


def clustered_wilson(
    hit: np.ndarray, cluster: np.ndarray, level: float = 0.95
) -> tuple[float, float]:
    """Korn-Graubard interval: Clopper-Pearson on effective counts (Wilson when the design
    effect is 1), the cluster-robust variance computed from rows.

    CR1 variance of the mean over clusters (reviewers), over the independent-rows variance,
    floored at 1, its excess over 1 times (t_{G-1} / z)^2 with G the effective number of
    clusters (Kish: (sum of sizes)^2 / sum of squared sizes); counts divided by it (Korn
    and Graubard).
    """
    frame = pd.DataFrame({"y": hit.astype(float), "c": cluster})
    p, x = frame["y"].mean(), len(frame)
    residual = (frame["y"] - p).groupby(frame["c"]).sum()
    sizes = frame.groupby("c").size()
    clusters = len(residual)
    effective = sizes.sum() ** 2 / (sizes**2).sum()
    clustered = clusters / (clusters - 1) * (residual**2).sum() / x**2
    deff = max(1.0, clustered / (p * (1 - p) / x)) if 0 < p < 1 else 1.0
    z = stats.norm.ppf(0.5 + level / 2)
    deff = 1 + (deff - 1) * (stats.t.ppf(0.5 + level / 2, max(effective - 1, 1)) / z) ** 2
    method = "beta" if deff > 1 else "wilson"  # statsmodels' "beta" is Clopper-Pearson
    low, high = proportion_confint(hit.sum() / deff, x / deff, alpha=1 - level, method=method)
    return float(low), float(high)

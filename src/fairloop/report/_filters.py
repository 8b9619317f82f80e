"""Number formatting for the report: every figure is formatted here, never in a template.

And one ordering: ``largest_first``, the order a long per-group table is folded in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["FILTERS", "number"]


from pandas import NA as _NA  # pandas' missing value (a suppressed count)


def number(value: Any) -> float | None:
    """A figure as a plain float for the report's data, None where it is missing (NA, NaN).

    Examples
    --------
    >>> number(0.25), number(float("nan")), number(None)
    (0.25, None, None)
    """
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):  # pandas' NA
        return None
    return None if math.isnan(result) else result


def _missing(value: Any) -> bool:
    """No figure: None, pandas' NA, NaN or an infinity (a suppressed or undefined figure)."""
    if value is None or value is _NA:
        return True
    return isinstance(value, float) and not math.isfinite(value)


def fmt_rate(value: Any, digits: int = 1) -> str:
    """A proportion as a percentage: ``0.4481 -> '44.8%'``; missing -> an en dash."""
    return "–" if _missing(value) else f"{100 * float(value):.{digits}f}%"


def fmt_points(value: Any, digits: int = 1) -> str:
    """A difference of proportions in percentage points, signed: ``+22.8 pts``."""
    return "–" if _missing(value) else f"{100 * float(value):+.{digits}f} pts"


def fmt_ci(low: Any, high: Any, kind: str = "rate") -> str:
    """An interval: ``[41.2%, 48.3%]``, ``[+19.9, +25.7] pts`` or ``[0.71, 0.83]``."""
    if _missing(low) or _missing(high):
        return ""
    if kind == "points":
        return f"[{100 * float(low):+.1f}, {100 * float(high):+.1f}] pts"
    if kind == "ratio":
        return f"[{float(low):.2f}, {float(high):.2f}]"
    return f"[{100 * float(low):.1f}%, {100 * float(high):.1f}%]"


def fmt_ratio(value: Any) -> str:
    """A ratio with two decimals."""
    return "–" if _missing(value) else f"{float(value):.2f}"


def fmt_n(value: Any) -> str:
    """A count with thousands separators; suppressed counts such as ``'<10'`` as given."""
    if _missing(value):
        return "–"
    if isinstance(value, str):
        return value
    return f"{int(value):,}"


def fmt_p(value: Any) -> str:
    """A p- or q-value: three significant digits, scientific below 0.001."""
    if _missing(value):
        return "–"
    number = float(value)
    return f"{number:.2e}" if number < 1e-3 else f"{number:.3f}"


def fmt_estimate(value: Any, measure: str) -> str:
    """A policy measure: a ratio, or a difference in points."""
    return fmt_ratio(value) if measure == "ratio" else fmt_points(value)


def largest_first(rows: Sequence[Mapping[str, Any]], key: str = "n") -> list[Mapping[str, Any]]:
    """Rows by the number under ``key``, largest first; rows without one keep their order, last.

    Examples
    --------
    >>> [r["g"] for r in largest_first([{"g": "a", "n": 3}, {"g": "b", "n": "<10"},
    ...                                 {"g": "c", "n": 9}])]
    ['c', 'a', 'b']
    """

    def size(row: Mapping[str, Any]) -> float:
        value = row.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or _missing(value):
            return math.inf
        return -float(value)

    return sorted(rows, key=size)


FILTERS = {
    "rate": fmt_rate,
    "points": fmt_points,
    "ci": fmt_ci,
    "ratio": fmt_ratio,
    "n": fmt_n,
    "p": fmt_p,
    "estimate": fmt_estimate,
    "largest_first": largest_first,
}

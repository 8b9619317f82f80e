"""Decision values compared as text: ``1``, ``1.0``, ``"1"`` and ``True`` are the same decision."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["favourable_values", "token"]


def token(value: Any) -> str:
    """Canonical text of a decision value, for matching it against ``positive`` and ``values``.

    Parameters
    ----------
    value : Any
        A value from the data or the configuration.

    Returns
    -------
    str
        Booleans and whole numbers as ``"1"``/``"0"``/``"42"``; ``"true"``/``"false"``
        (any case) as ``"1"``/``"0"``; other numbers by ``repr``; other text stripped.

    Examples
    --------
    >>> [token(v) for v in (True, 1, 1.0, "1", " yes ", "TRUE", 0.5)]
    ['1', '1', '1', '1', 'yes', '1', '0.5']
    """
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    text = str(value).strip()
    lower = text.lower()
    if lower in ("true", "false"):
        return "1" if lower == "true" else "0"
    try:
        number = float(text)
    except ValueError:
        return text
    if math.isfinite(number):
        return str(int(number)) if number.is_integer() else repr(number)
    return text


def favourable_values(values: Any, positive: Any) -> list[Any]:
    """The distinct raw values among ``values`` that read as the favourable value ``positive``.

    Examples
    --------
    >>> favourable_values(["1", 1.0, 0, None, "yes"], 1)
    ['1', 1.0]
    """
    wanted = token(positive)
    seen: dict[Any, None] = {}
    for value in values:
        if value is not None and value == value and value not in seen:  # not None, not NaN
            seen[value] = None
    return [v for v in seen if token(v) == wanted]

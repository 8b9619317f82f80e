"""CSV that is safe to open in a spreadsheet: cells from the data cannot run as formulas.

Values from the data (group names, reviewer names, rationales) are untrusted. A cell that a
spreadsheet reads as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is neutralised as OWASP's CSV injection guidance says: prefixed with a
single quote, so the spreadsheet shows it as text. Numbers are written as numbers (a
negative figure is not text); a text cell that is a plain number is left as it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise", "safe_csv"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: object) -> object:
    """A text cell a spreadsheet cannot run: formula-like text gets a leading quote.

    Examples
    --------
    >>> neutralise("=1+1"), neutralise("-0.5"), neutralise("F"), neutralise(3)
    ("'=1+1", '-0.5', 'F', 3)
    """
    formula = isinstance(value, str) and value.startswith(FORMULA_STARTS)
    if formula and not _NUMBER.fullmatch(str(value)):
        return "'" + str(value)
    return value


def safe_csv(frame: pd.DataFrame, path: str | Path | None = None) -> str | None:
    """Write ``frame`` as CSV (to ``path``, or return the text) with text cells neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its text cells and column names are neutralised, numbers kept.
    path : str or Path or None, default=None
        Where to write; None returns the CSV text.

    Returns
    -------
    str or None
    """
    import pandas as pd

    out = frame.copy()
    types = pd.api.types
    for column in out.columns:
        values = out[column]
        if not (types.is_numeric_dtype(values) or types.is_datetime64_any_dtype(values)):
            out[column] = values.astype(object).map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    if path is None:
        return str(out.to_csv(index=False))
    out.to_csv(path, index=False)
    return None

"""Memory, bounded before it is spent: the process's budget and the audit's estimate.

``FAIRLOOP_MEMORY_LIMIT`` (``8GB``, ``512MB``, ``2GiB`` or bytes) is the whole process's
budget; unset, three quarters of the machine's memory. DuckDB's share of it is the smaller
of 1 GB and two fifths of the budget (past it, DuckDB spills to disk).

The audit's memory grows with the number of groups it measures (every group of every
attribute set: each attribute alone and every intersection), not with the rows: the pass
is DuckDB's. Measured on this build (``python benchmarks/bench_memory.py``): about
:data:`AUDIT_BYTES_PER_GROUP` per group for the audit itself and
:data:`OUTPUT_BYTES_PER_GROUP` more when the evidence bundle, the tables and the report are
written. The audit counts its groups right after the pass and stops at once, naming the
attribute set that holds the most groups and the option that bounds them, when the
estimate passes the budget.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np

from fairloop.exceptions import ConfigError

__all__ = [
    "AUDIT_BYTES_PER_GROUP",
    "OUTPUT_BYTES_PER_GROUP",
    "duckdb_limit",
    "ensure_fits",
    "ensure_groups_fit",
    "memory_limit",
    "readable_size",
]

#: Peak memory per measured group, the audit alone (metrics, disparities, flags): measured
#: 23-31 KB without a score, 58 KB with a score and 20 reviewers (``bench_memory.py``).
AUDIT_BYTES_PER_GROUP = 60_000
#: Peak memory per measured group added by evidence.json, the CSV tables and the report:
#: measured 10-12 KB since the large tables are written beside a compact bundle (it was
#: 335 KB when every table went inline into one JSON document).
OUTPUT_BYTES_PER_GROUP = 40_000
#: DuckDB's own cap when no budget is given.
DUCKDB_DEFAULT = 2**30

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip


def _parse(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ConfigError(
            f"FAIRLOOP_MEMORY_LIMIT {text!r} is not a size: write it as 8GB, 512MB, 2GiB "
            "or a number of bytes."
        )
    return int(float(match.group(1)) * _UNITS[unit])


def _physical() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a laptop's
        return 16 * 10**9


def memory_limit() -> tuple[int, str]:
    """The process's memory budget in bytes, and where it comes from (for messages)."""
    given = os.environ.get("FAIRLOOP_MEMORY_LIMIT")
    if given:
        return _parse(given), "FAIRLOOP_MEMORY_LIMIT"
    return int(0.75 * _physical()), "three quarters of this machine's memory"


def duckdb_limit() -> str:
    """DuckDB's memory cap: 1 GB, or two fifths of a smaller given budget."""
    budget = int(0.4 * memory_limit()[0]) if os.environ.get("FAIRLOOP_MEMORY_LIMIT") else None
    cap = DUCKDB_DEFAULT if budget is None else min(DUCKDB_DEFAULT, budget)
    return f"{max(cap // 2**20, 64)}MB"


def readable_size(size: float) -> str:
    """A size in bytes for people.

    Examples
    --------
    >>> readable_size(3.2e9), readable_size(450e6)
    ('3.2 GB', '450 MB')
    """
    if size >= 1e9:
        return f"{size / 1e9:.1f} GB"
    return f"{size / 1e6:.0f} MB"


def ensure_fits(what: str, estimate: float, fix: str, *, option: str | None = None) -> None:
    """Stop before spending memory the budget does not have.

    Parameters
    ----------
    what : str
        What would need the memory, in words ("measuring 107,154 groups").
    estimate : float
        The estimate in bytes.
    fix : str
        What to change, naming options with ``{option}`` where one applies.
    option : str or None, default=None
        The option the fix names.

    Raises
    ------
    ConfigError
        When the estimate passes the budget.
    """
    limit, source = memory_limit()
    if estimate <= limit:
        return
    raise ConfigError(
        f"This audit would need about {readable_size(estimate)} of memory for {what}, more "
        f"than its budget of {readable_size(limit)} ({source}). {fix}",
        option=option,
    )


def ensure_groups_fit(
    sets: Sequence[tuple[str, ...]],
    set_index: np.ndarray,
    *,
    per_group: float,
    option: str,
    doing: str = "",
) -> None:
    """Stop before measuring more groups than the budget allows, naming what bounds them.

    Parameters
    ----------
    sets : sequence of tuple of str
        The attribute sets measured (``()`` is everyone).
    set_index : ndarray of int
        The set of each group.
    per_group : float
        Bytes per group (:data:`AUDIT_BYTES_PER_GROUP`, plus
        :data:`OUTPUT_BYTES_PER_GROUP` when the outputs are written).
    option : str
        The option that bounds the intersections (``max_intersection``,
        ``flags.max_depth``).
    doing : str, default=""
        What else the memory is for, in words (", with the evidence, tables and report").
    """
    per_set = np.bincount(np.asarray(set_index, dtype=np.int64), minlength=len(sets))
    groups = int(per_set.sum())
    if groups * per_group <= memory_limit()[0]:
        return
    limit = memory_limit()[0]
    biggest = int(np.argmax(per_set))
    many = " x ".join(sets[biggest]) or "everyone"
    sizes = np.asarray([len(s) for s in sets])
    # the largest bound on the intersections whose groups fit the budget
    fitting = [
        (k, int(per_set[sizes <= k].sum()))
        for k in range(int(sizes.max()) - 1, 0, -1)
        if per_set[sizes <= k].sum() * per_group <= limit
    ]
    singles = [(s[0], int(n)) for s, n in zip(sets, per_set, strict=True) if len(s) == 1]
    widest = max(singles, key=lambda item: item[1]) if singles else ("", 0)
    if fitting:
        k, bounded = fitting[0]
        fix = (
            f"Set {{option}} to {k} to measure intersections of at most {k} "
            f"attribute{'s' if k > 1 else ''} ({bounded:,} groups)"
        )
    else:
        fix = (
            f"Leave out, or group the values of, a many-valued attribute ({widest[0]}: "
            f"{widest[1]:,} values)"
        )
    ensure_fits(
        f"measuring {groups:,} groups ({many}: {int(per_set[biggest]):,} of them{doing})",
        groups * per_group,
        fix + ", or give the process more memory (FAIRLOOP_MEMORY_LIMIT).",
        option=option,
    )

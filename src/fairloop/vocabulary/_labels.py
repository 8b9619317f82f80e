"""How groups, subgroups and attribute sets are named, everywhere they are shown."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from fairloop.vocabulary._names import MISSING_GROUP

__all__ = [
    "OVERALL",
    "SET_SEPARATOR",
    "group_label",
    "set_name",
    "split_set_name",
    "subgroup_label",
    "value_order",
]

#: The name of the whole population, as a group and as an attribute set.
OVERALL = "(all)"
#: Joins the attributes of a set and the conditions of a subgroup.
SET_SEPARATOR = " & "


def set_name(attributes: Sequence[str]) -> str:
    """The name of an attribute set: ``"race & sex"``; ``"(all)"`` for the empty set.

    Examples
    --------
    >>> set_name(["race", "sex"]), set_name([])
    ('race & sex', '(all)')
    """
    return SET_SEPARATOR.join(attributes) if attributes else OVERALL


def split_set_name(name: str) -> tuple[str, ...]:
    """The attributes of a set's name (the inverse of :func:`set_name`).

    Examples
    --------
    >>> split_set_name("race & sex"), split_set_name("(all)")
    (('race', 'sex'), ())
    """
    return () if name == OVERALL else tuple(name.split(SET_SEPARATOR))


def group_label(attributes: Sequence[str], values: Sequence[str]) -> str:
    """Readable name of a group, such as ``race=Black & sex=Female``.

    Examples
    --------
    >>> group_label(["race", "sex"], ["Black", "Female"])
    'race=Black & sex=Female'
    >>> group_label([], [])
    '(all)'
    """
    if not attributes:
        return OVERALL
    return SET_SEPARATOR.join(f"{a}={v}" for a, v in zip(attributes, values, strict=True))


def subgroup_label(subgroup: Mapping[str, str]) -> str:
    """Readable name of a subgroup, conditions in the order given.

    Examples
    --------
    >>> subgroup_label({"race": "Black", "age_band": "18-24"})
    'race=Black & age_band=18-24'
    """
    return group_label(list(subgroup), list(subgroup.values()))


_BELOW = ("<", "less than", "under", "below", "up to", "younger than")
_ABOVE = (">", "+", "greater than", "over", "above", "older than", "or more", "and over")


def _band_key(value: str) -> tuple[float, float] | None:
    """Where a band such as ``<25``, ``18-24``, ``60+`` or ``Less than 25`` lies on its scale."""
    # a minus sign only at the start or after a space: "grade-1" is grade 1, not -1
    match = re.search(r"(?:(?<=^)|(?<=\s))-?\d+(?:\.\d+)?|\d+(?:\.\d+)?", value.replace(",", ""))
    if match is None:
        return None
    number = float(match.group())
    lower = value.lower()
    if any(word in lower for word in _BELOW):
        return number, -1.0
    if any(word in lower for word in _ABOVE):
        return number, 1.0
    return number, 0.0


def value_order(values: Sequence[str], declared: Sequence[str] = ()) -> list[str]:
    """The order groups of an attribute are shown in.

    A declared order first (a pandas ordered categorical's, a database enum's); then,
    when every value is a numeric band, the bands in numeric order; else text order.
    ``(missing)`` comes last.

    Examples
    --------
    >>> value_order(["60+", "18-24", "<18", "25-39"])
    ['<18', '18-24', '25-39', '60+']
    >>> value_order(["Greater than 45", "25 - 45", "Less than 25"])
    ['Less than 25', '25 - 45', 'Greater than 45']
    >>> value_order(["low", "high", "medium"], declared=["low", "medium", "high"])
    ['low', 'medium', 'high']
    >>> value_order(["grade-2", "grade-10", "grade-1"])
    ['grade-1', 'grade-2', 'grade-10']
    >>> value_order(["b", "(missing)", "a"])
    ['a', 'b', '(missing)']
    """
    present = [v for v in dict.fromkeys(values) if v != MISSING_GROUP]
    rank = {v: i for i, v in enumerate(declared)}
    known = sorted((v for v in present if v in rank), key=rank.__getitem__)
    rest = [v for v in present if v not in rank]
    keys = {v: _band_key(v) for v in rest}
    if rest and all(k is not None for k in keys.values()):
        rest.sort(key=lambda v: (keys[v], v))
    else:
        rest.sort()
    return [*known, *rest, *([MISSING_GROUP] if MISSING_GROUP in values else [])]

"""How groups, subgroups and attribute sets are named, everywhere they are shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "OVERALL",
    "SET_SEPARATOR",
    "group_label",
    "set_name",
    "split_set_name",
    "subgroup_label",
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

"""Subgroups as conjunctions of attribute = value, their readable names and stable ids."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from fairloop.vocabulary import subgroup_label

__all__ = ["describe", "flag_id", "is_ancestor"]


def describe(subgroup: Mapping[str, str]) -> str:
    """Readable name of a subgroup, conditions in the order given.

    Examples
    --------
    >>> describe({"race": "Black", "age_band": "18-24"})
    'race=Black & age_band=18-24'
    """
    return subgroup_label(subgroup)


def flag_id(source: str, metric: str, subgroup: Mapping[str, str], rule: str = "") -> str:
    """Stable id of a flag: a hash of its canonical subgroup, metric and source.

    The conditions are sorted, so the same pattern found in another run (or written in
    another order) has the same id.

    Examples
    --------
    >>> a = flag_id("discovery", "accuracy", {"sex": "F", "race": "B"})
    >>> a == flag_id("discovery", "accuracy", {"race": "B", "sex": "F"}), a[:3], len(a)
    (True, 'fl-', 19)
    """
    canonical = json.dumps(
        {"source": source, "metric": metric, "subgroup": sorted(subgroup.items()), "rule": rule},
        sort_keys=True,
        ensure_ascii=True,
    )
    return "fl-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def is_ancestor(parent: Mapping[str, str], child: Mapping[str, str]) -> bool:
    """Whether ``parent``'s conditions are a proper subset of ``child``'s.

    Examples
    --------
    >>> is_ancestor({"race": "B"}, {"race": "B", "sex": "F"})
    True
    >>> is_ancestor({"race": "B"}, {"race": "B"})
    False
    """
    return len(parent) < len(child) and all(child.get(k) == v for k, v in parent.items())

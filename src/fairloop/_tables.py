"""Reading a table of options (``[flags]``, ``[review]``, ``[system]``) into a dataclass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from fairloop.exceptions import ConfigError

__all__ = ["as_table", "from_table", "option_table"]

T = TypeVar("T")


def as_table(name: str, value: Any) -> Mapping[str, Any]:
    """``value`` as the ``[name]`` table of fairloop.toml, or a clear error."""
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"Option {name!r} must be a table ([{name}] in fairloop.toml). Got {value!r} instead.",
            option=name,
        )
    return value


def option_table(name: str, value: Any, cls: type) -> Mapping[str, Any]:
    """``value`` as the ``[name]`` table of the dataclass ``cls``, refusing unknown keys.

    Raises
    ------
    ConfigError
        If ``value`` is not a table, or has a key that is not a field of ``cls``.
    """
    table = as_table(name, value)
    known = [f.name for f in fields(cls)]
    unknown = [k for k in table if k not in known]
    if unknown:
        raise ConfigError(
            f"Unknown option '{name}.{unknown[0]}'. Known options: {', '.join(known)}.",
            option=f"{name}.{unknown[0]}",
        )
    return table


def from_table(name: str, value: Any, cls: type[T]) -> T:
    """The dataclass ``cls`` from its ``[name]`` table.

    ``None`` gives the defaults, an instance is kept, a table is checked
    (:func:`option_table`) and passed as keywords.
    """
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    return cls(**dict(option_table(name, value, cls)))

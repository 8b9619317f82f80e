"""What the organisation states about the audited system, parts of :class:`fairloop.AuditConfig`.

The governance report shows these statements as they were declared: the system's name,
owner, intended purpose and risk category (``[system]``), the safeguards for processing
special-category data under EU AI Act Art. 4a (``[safeguards]``), named people's
attestations of controls fairloop cannot evidence by itself (``[[attestations]]``), and
extra control catalogues (``catalogues``). fairloop reports them; it never judges them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from functools import cache
from importlib import resources
from typing import Any

from pydantic.dataclasses import dataclass

from fairloop.config._declare import STRICT, declared, option, table_of
from fairloop.exceptions import ConfigError

__all__ = [
    "Attestation",
    "SystemInfo",
    "attestations_from_value",
    "safeguard_points",
    "safeguards_from_value",
]


def _strip(instance: Any) -> None:
    for f in fields(instance):
        object.__setattr__(instance, f.name, getattr(instance, f.name).strip())


@declared("system")
@dataclass(frozen=True, config=STRICT)
class SystemInfo:
    """The audited AI system as its owner describes it (``[system]`` in fairloop.toml)."""

    name: str = option("", help="The system's name, e.g. 'Loan pre-screening model v3'.")
    owner: str = option("", help="The accountable person or unit.")
    intended_purpose: str = option(
        "", help="What the system is for, in the provider's words (EU AI Act Art. 3(12))."
    )
    risk_category: str = option(
        "", help="The organisation's classification, e.g. 'high-risk, Annex III point 5(b)'."
    )
    version: str = option("", help="The model or system version audited.")

    def __post_init__(self) -> None:
        _strip(self)

    @classmethod
    def from_value(cls, value: SystemInfo | Mapping[str, Any] | None) -> SystemInfo:
        """Accept an instance, a mapping (the ``[system]`` table) or None."""
        info: SystemInfo = table_of(cls, value)
        return info

    def to_dict(self) -> dict[str, str]:
        """Plain data."""
        return asdict(self)


@declared("attestations")
@dataclass(frozen=True, config=STRICT)
class Attestation:
    """A named person's statement that a control is met (one ``[[attestations]]`` table)."""

    control: str = option(
        min_length=1,
        help="The control id as its catalogue writes it, e.g. 'Art. 14(4)(b)'.",
        expect="text naming the control",
    )
    by: str = option(min_length=1, help="Who attests (name and role).", expect="text")
    date: str = option(
        min_length=1, help="When, as written (ISO dates are clearest).", expect="text"
    )
    statement: str = option(
        min_length=1,
        help="What they attest, and where the supporting documents are.",
        expect="text",
    )

    def __post_init__(self) -> None:
        _strip(self)

    def to_dict(self) -> dict[str, str]:
        """Plain data."""
        return asdict(self)


def attestations_from_value(value: Any) -> tuple[Attestation, ...]:
    """Accept Attestation objects or mappings (``[[attestations]]`` tables)."""
    if value is None:
        return ()
    if isinstance(value, Mapping | str) or not isinstance(value, Sequence):
        raise ConfigError(
            f"{{option}} must be a list of tables ([[attestations]] in fairloop.toml). "
            f"Got {value!r} instead."
        )
    out = []
    names = [f.name for f in fields(Attestation)]
    for i, item in enumerate(value):
        if isinstance(item, Attestation):
            out.append(item)
            continue
        if not isinstance(item, Mapping):
            raise ConfigError(f"{{option}} must be a table. Got {item!r}.", option=f"[{i}]")
        missing = [k for k in names if k not in item]
        extra = [str(k) for k in item if k not in names]
        if missing or extra:
            raise ConfigError(
                "{option} needs exactly control, by, date and statement. "
                f"Missing: {missing or 'none'}; unknown: {extra or 'none'}.",
                option=f"[{i}]",
            )
        try:
            out.append(Attestation(**{str(k): v for k, v in item.items()}))
        except ConfigError as exc:
            raise exc.within(f"[{i}]") from None
    return tuple(out)


@cache
def safeguard_points() -> dict[str, tuple[str, str]]:
    """The Art. 4a(1) safeguards: key -> (point, description), from data/safeguards.toml."""
    text = resources.files("fairloop").joinpath("data/safeguards.toml").read_text("utf-8")
    return {s["key"]: (s["point"], s["description"]) for s in tomllib.loads(text)["safeguard"]}


def safeguards_from_value(value: Any) -> dict[str, str]:
    """Accept the ``[safeguards]`` table: safeguard key -> how the organisation meets it."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{{option}} must be a table ([safeguards]). Got {value!r}.")
    known = safeguard_points()
    unknown = [k for k in value if k not in known]
    if unknown:
        raise ConfigError(
            f"Unknown safeguard {unknown[0]!r} in {{option}}. "
            f"Known (EU AI Act Art. 4a(1)(a)-(f)): {', '.join(known)}."
        )
    for key, text in value.items():
        if not isinstance(text, str):
            raise ConfigError(
                f"{{option}} must be text saying how the safeguard is met. Got {text!r}.",
                option=str(key),
            )
    return {str(k): v.strip() for k, v in value.items()}

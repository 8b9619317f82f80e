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
from dataclasses import asdict, dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

from fairloop._tables import as_table, option_table
from fairloop.exceptions import ConfigError

__all__ = [
    "Attestation",
    "SystemInfo",
    "attestations_from_value",
    "safeguard_points",
    "safeguards_from_value",
]


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"Option {key!r} must be text. Got {value!r} instead.", option=key)
    return value.strip()


@dataclass(frozen=True)
class SystemInfo:
    """The audited AI system as its owner describes it (``[system]`` in fairloop.toml).

    Parameters
    ----------
    name : str, default=""
        The system's name, e.g. ``"Loan pre-screening model v3"``.
    owner : str, default=""
        The accountable person or unit.
    intended_purpose : str, default=""
        What the system is for, in the provider's words (EU AI Act Art. 3(12)).
    risk_category : str, default=""
        The organisation's classification, e.g. ``"high-risk, Annex III point 5(b)"``.
    version : str, default=""
        The model or system version audited.
    """

    name: str = ""
    owner: str = ""
    intended_purpose: str = ""
    risk_category: str = ""
    version: str = ""

    @classmethod
    def from_value(cls, value: SystemInfo | Mapping[str, Any] | None) -> SystemInfo:
        """Accept an instance, a mapping (the ``[system]`` table) or None."""
        if value is None or isinstance(value, SystemInfo):
            return value or cls()
        table = option_table("system", value, cls)
        return cls(**{k: _text(f"system.{k}", v) for k, v in table.items()})

    def to_dict(self) -> dict[str, str]:
        """Plain data."""
        return asdict(self)


@dataclass(frozen=True)
class Attestation:
    """A named person's statement that a control is met (``[[attestations]]``).

    Parameters
    ----------
    control : str
        The control id as its catalogue writes it, e.g. ``"Art. 14(4)(b)"``.
    by : str
        Who attests (name and role).
    date : str
        When, as written (ISO dates are clearest).
    statement : str
        What they attest, and where the supporting documents are.
    """

    control: str
    by: str
    date: str
    statement: str

    def to_dict(self) -> dict[str, str]:
        """Plain data."""
        return asdict(self)


def attestations_from_value(value: Any) -> tuple[Attestation, ...]:
    """Accept Attestation objects or mappings (``[[attestations]]`` tables)."""
    if value is None:
        return ()
    if isinstance(value, Mapping) or not isinstance(value, Sequence) or isinstance(value, str):
        raise ConfigError(
            "Option 'attestations' must be a list of tables ([[attestations]] in "
            f"fairloop.toml). Got {value!r} instead.",
            option="attestations",
        )
    out = []
    for item in value:
        if isinstance(item, Attestation):
            out.append(item)
            continue
        table = as_table("attestations", item)
        names = [f.name for f in fields(Attestation)]
        missing = [k for k in names if not str(table.get(k, "")).strip()]
        extra = [k for k in table if k not in names]
        if missing or extra:
            raise ConfigError(
                "Each [[attestations]] entry needs exactly control, by, date and statement. "
                f"Missing: {missing or 'none'}; unknown: {extra or 'none'}.",
                option="attestations",
            )
        out.append(Attestation(**{k: _text(f"attestations.{k}", table[k]) for k in names}))
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
    table = as_table("safeguards", value)
    known = safeguard_points()
    unknown = [k for k in table if k not in known]
    if unknown:
        raise ConfigError(
            f"Unknown safeguard {unknown[0]!r} under [safeguards]. "
            f"Known (EU AI Act Art. 4a(1)(a)-(f)): {', '.join(known)}.",
            option=f"safeguards.{unknown[0]}",
        )
    return {k: _text(f"safeguards.{k}", v) for k, v in table.items()}

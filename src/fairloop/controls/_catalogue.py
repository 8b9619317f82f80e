"""Control catalogues: data files mapping regulatory controls to the evidence an audit makes.

A catalogue is a TOML file with a ``[catalogue]`` table (id, name, version, source_url,
attribution) and ``[[controls]]`` entries. Each control has an id, its official title, a
summary in our own words, the source citation and address, a verification label, the
evidence keys that support it (from ``fairloop/data/evidence_keys.toml``) and how its
status is decided. Every file is checked against this schema when it is loaded, so a
mistake in a user's own catalogue is reported with the file, the control and the fix.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeAlias, get_args

from fairloop.exceptions import ConfigError
from fairloop.vocabulary import is_web_link

__all__ = [
    "BUNDLED",
    "DECIDED_BY",
    "Catalogue",
    "Control",
    "EvidenceKey",
    "evidence_keys",
    "load_catalogue",
    "load_catalogues",
]

DecidedBy: TypeAlias = Literal["evidence", "evidence+attestation", "attestation"]
DECIDED_BY: tuple[str, ...] = get_args(DecidedBy)
VERIFICATION = ("verified-text", "verified-secondary", "unverified", "organisation")
#: The catalogues shipped in the package, in report order.
BUNDLED = ("eu_ai_act.toml", "nist_ai_rmf.toml")

_CATALOGUE_FIELDS = {"id", "name", "version", "source_url", "attribution"}
_REQUIRED = ("id", "title", "summary", "citation", "source_url", "evidence", "decided_by")
_OPTIONAL = ("machine_id", "verification", "applies_from", "attestation")


@dataclass(frozen=True)
class EvidenceKey:
    """One kind of evidence an audit produces, and the report section that shows it."""

    key: str
    code: str
    title: str
    section: str


@dataclass(frozen=True)
class Control:
    """One control of a catalogue (see the module docstring for the fields)."""

    id: str
    title: str
    summary: str
    citation: str
    source_url: str
    evidence: tuple[str, ...]
    decided_by: DecidedBy
    attestation: str = ""
    machine_id: str = ""
    verification: str = "unverified"
    applies_from: str = ""


@dataclass(frozen=True)
class Catalogue:
    """A named set of controls from one source."""

    id: str
    name: str
    version: str
    source_url: str
    attribution: str
    controls: tuple[Control, ...]
    path: str


@cache
def evidence_keys() -> dict[str, EvidenceKey]:
    """Every evidence key, from ``fairloop/data/evidence_keys.toml``, in report order."""
    text = resources.files("fairloop").joinpath("data/evidence_keys.toml").read_text("utf-8")
    return {e["key"]: EvidenceKey(**e) for e in tomllib.loads(text)["evidence"]}


def _invalid(where: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"Control catalogue {where}: {problem}. {fix}", option="catalogues")


def _control(raw: Any, where: str) -> Control:
    if not isinstance(raw, dict):
        raise _invalid(where, "each [[controls]] entry must be a table", "Check the TOML.")
    name = f"{where}, control {raw.get('id', '?')!r}"
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise _invalid(
            name, f"unknown field {unknown[0]!r}", f"Fields: {', '.join(_REQUIRED + _OPTIONAL)}."
        )
    for key in _REQUIRED + _OPTIONAL:
        if key == "evidence" or key not in raw:
            continue
        if not isinstance(raw[key], str) or (key in _REQUIRED and not raw[key].strip()):
            raise _invalid(name, f"{key!r} must be non-empty text", "Fill it in.")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise _invalid(
            name, f"missing {missing[0]!r}", f"Every control needs {', '.join(_REQUIRED)}."
        )
    evidence = raw["evidence"]
    known = evidence_keys()
    if not isinstance(evidence, list) or not evidence:
        raise _invalid(name, "'evidence' must be a non-empty list", f"Keys: {', '.join(known)}.")
    bad = [e for e in evidence if e not in known]
    if bad:
        raise _invalid(name, f"unknown evidence key {bad[0]!r}", f"Known keys: {', '.join(known)}.")
    if raw["decided_by"] not in DECIDED_BY:
        raise _invalid(
            name, f"decided_by {raw['decided_by']!r} is unknown", f"Use one of {DECIDED_BY}."
        )
    if "attestation" in raw["decided_by"] and not str(raw.get("attestation", "")).strip():
        raise _invalid(
            name, "'attestation' is empty", "Say what a named person must confirm for it."
        )
    if not is_web_link(raw["source_url"]):
        raise _invalid(
            name, f"source_url {raw['source_url']!r} is not a web address",
            "Give an http:// or https:// address of the source.",
        )  # fmt: skip
    if raw.get("verification", "unverified") not in VERIFICATION:
        raise _invalid(name, f"verification {raw['verification']!r}", f"Use one of {VERIFICATION}.")
    return Control(**{**raw, "evidence": tuple(evidence)})


def _parse(text: str, where: str) -> Catalogue:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _invalid(where, f"not valid TOML ({exc})", "Fix the syntax at that line.") from None
    head = data.get("catalogue")
    if not isinstance(head, dict) or not {"id", "name"} <= set(head):
        raise _invalid(where, "no [catalogue] table with id and name", "Add one at the top.")
    extra = sorted(set(head) - _CATALOGUE_FIELDS)
    if extra:
        raise _invalid(
            where,
            f"unknown [catalogue] field {extra[0]!r}",
            f"Fields: {', '.join(sorted(_CATALOGUE_FIELDS))}.",
        )
    if head.get("source_url") and not is_web_link(head["source_url"]):
        raise _invalid(
            where, f"[catalogue] source_url {head['source_url']!r} is not a web address",
            "Give an http:// or https:// address, or leave it out.",
        )  # fmt: skip
    raw_controls = data.get("controls")
    if not isinstance(raw_controls, list) or not raw_controls:
        raise _invalid(where, "no [[controls]] entries", "Add at least one control.")
    controls = tuple(_control(c, where) for c in raw_controls)
    ids = [c.id for c in controls]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise _invalid(where, f"control id {duplicated[0]!r} appears twice", "Ids must be unique.")
    return Catalogue(
        id=str(head["id"]),
        name=str(head["name"]),
        version=str(head.get("version", "")),
        source_url=str(head.get("source_url", "")),
        attribution=str(head.get("attribution", "")),
        controls=controls,
        path=where,
    )


def load_catalogue(path: str | Path) -> Catalogue:
    """Load and validate one catalogue file.

    Parameters
    ----------
    path : str or Path
        A TOML file in the catalogue schema.

    Returns
    -------
    Catalogue

    Raises
    ------
    ConfigError
        If the file is missing, is not TOML or breaks the schema; the message names the
        file, the control and the fix.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _invalid(
            str(path),
            f"cannot be read ({exc.strerror})",
            "Check the path under catalogues in fairloop.toml.",
        ) from None
    except UnicodeDecodeError as exc:
        raise _invalid(
            str(path), f"is not UTF-8 text (byte {exc.start})", "Save it as UTF-8."
        ) from None
    return _parse(text, str(path))


@cache
def _bundled(name: str) -> Catalogue:
    text = resources.files("fairloop").joinpath(f"data/controls/{name}").read_text("utf-8")
    return _parse(text, f"fairloop/data/controls/{name}")


def load_catalogues(extra: Sequence[str | Path] = ()) -> list[Catalogue]:
    """The bundled catalogues (EU AI Act, NIST AI RMF), then each extra file given.

    Examples
    --------
    >>> [c.id for c in load_catalogues()]
    ['eu-ai-act', 'nist-ai-rmf']
    """
    catalogues = [_bundled(name) for name in BUNDLED] + [load_catalogue(p) for p in extra]
    ids = [c.id for c in catalogues]
    for c in catalogues:
        if ids.count(c.id) > 1:
            raise _invalid(c.path, f"catalogue id {c.id!r} is used twice", "Give it its own id.")
    return catalogues

"""Audit configuration: column roles, the favourable value and statistical choices.

:class:`AuditConfig` is a frozen dataclass. It can be built directly, from keyword
arguments via :func:`fairloop.audit`, or from a ``fairloop.toml`` file whose top-level
keys are the field names below (command-line flags override the file).
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from fairloop._flag_options import FlagOptions, PolicyRule, ReviewOptions, policy_from_value
from fairloop._governance import (
    Attestation,
    SystemInfo,
    attestations_from_value,
    safeguards_from_value,
)
from fairloop._typing import (
    CI_METHODS,
    MISSING_SENSITIVE_MODES,
    WINDOWS,
    CIMethod,
    MissingSensitive,
    Window,
)
from fairloop.exceptions import ConfigError

__all__ = ["AuditConfig", "load_config"]

Scalar = str | int | float | bool

_MSG_UNKNOWN_KEY = "Unknown option {key!r} in {source}.{hint} Known options: {known}."
_MSG_BAD_TYPE = "Option {key!r} must be {expected}. Got {value!r} instead."
_MSG_REQUIRED = (
    "Option {key!r} is required. Pass it as --{flag} on the command line, as {key} = ... "
    "in fairloop.toml, or as {key}=... to fairloop.audit()."
)


def _as_names(value: str | Iterable[str] | None, key: str) -> tuple[str, ...]:
    """Accept a comma-separated string or a sequence of column names."""
    if value is None:
        return ()
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
        return tuple(item for item in items if item)
    if isinstance(value, Iterable):
        out = []
        for item in value:
            if not isinstance(item, str) or not item:
                raise ConfigError(
                    _MSG_BAD_TYPE.format(key=key, expected="a list of column names", value=value),
                    option=key,
                )
            out.append(item)
        return tuple(out)
    raise ConfigError(
        _MSG_BAD_TYPE.format(key=key, expected="a list of column names", value=value), option=key
    )


@dataclass(frozen=True)
class AuditConfig:
    """Everything an audit needs to know besides the data.

    Parameters
    ----------
    prediction : str
        Column holding the model's decision.
    label : str
        Column holding the human reviewer's final decision; missing where the case
        was not reviewed.
    sensitive : tuple of str
        Sensitive attributes; metrics are computed for each alone and for every
        intersection of them.
    context : tuple of str, default=()
        Context attributes (region, channel, ...) kept in the count cube for the
        subgroup search.
    score : str or None, default=None
        Column holding the model's score, a probability in [0, 1].
    reviewer, time, case_id : str or None, default=None
        Columns holding the reviewer id, the decision time and the case id.
    positive : str, int, float or bool, default=1
        The favourable decision value, compared with the data's values as text
        (so ``"1"`` matches the integer 1 and ``"yes"`` matches ``"yes"``).
    values : tuple or None, default=None
        The declared set of decision values. Needed only when decisions take more
        than two values: every declared value other than ``positive`` is then
        unfavourable, and values outside the set are an error.
    reference : mapping of str to str, default={}
        Reference group per sensitive attribute for disparities; the largest group
        is used for attributes not listed.
    ci_method : {"wilson", "clopper-pearson"}, default="wilson"
        Interval method for rates.
    confidence_level : float, default=0.95
        Confidence level of every interval.
    min_group_size : int, default=30
        Groups smaller than this are marked ``insufficient``.
    min_denominator : int, default=10
        Rates whose denominator is smaller than this are marked ``insufficient``.
    suppress_below : int or None, default=None
        Withhold the figures of groups smaller than this from every output.
    missing_sensitive : {"error", "group"}, default="error"
        What to do with missing sensitive values: refuse the log, or keep those rows
        as an explicit ``(missing)`` group.
    metrics : tuple of str or None, default=None
        Metrics to compute; ``None`` means every defined metric.
    flags : FlagOptions or mapping, default=FlagOptions()
        The subgroup search and its false-discovery control (a ``[flags]`` table).
    policy : sequence of PolicyRule or mappings, or None, default=None
        Tolerances every group is checked against (``[[policy]]`` tables); ``None``
        gives the defaults of ``fairloop/data/policy.toml``, ``[]`` none.
    review : ReviewOptions or mapping, default=ReviewOptions()
        Four-eyes review and the tolerance for reopening flags (a ``[review]`` table).
    window : {"day", "week", "month", "quarter", "year"} or None, default="month"
        Length of the time windows the cube is split into when the log has a time
        column (trends, and cubes that add up window by window); ``None`` for none.
    system : SystemInfo or mapping, default=SystemInfo()
        Name, owner, intended purpose and risk category of the audited system (a
        ``[system]`` table), shown in the governance report.
    safeguards : mapping of str to str, default={}
        How the organisation meets each EU AI Act Art. 4a(1) safeguard for processing
        special-category data (a ``[safeguards]`` table; keys in
        ``fairloop/data/safeguards.toml``).
    attestations : sequence of Attestation or mappings, default=()
        Named people's statements that a control is met (``[[attestations]]`` tables).
    catalogues : tuple of str, default=()
        Extra control catalogue files (TOML, same schema as the bundled ones), e.g. an
        organisation's ISO/IEC 42001 Annex A mapping or internal policy.
    """

    prediction: str
    label: str
    sensitive: tuple[str, ...]
    context: tuple[str, ...] = ()
    score: str | None = None
    reviewer: str | None = None
    time: str | None = None
    case_id: str | None = None
    positive: Scalar = 1
    values: tuple[Scalar, ...] | None = None
    reference: Mapping[str, str] = field(default_factory=dict)
    ci_method: CIMethod = "wilson"
    confidence_level: float = 0.95
    min_group_size: int = 30
    min_denominator: int = 10
    suppress_below: int | None = None
    missing_sensitive: MissingSensitive = "error"
    metrics: tuple[str, ...] | None = None
    flags: FlagOptions = field(default_factory=FlagOptions)
    policy: tuple[PolicyRule, ...] | None = None
    review: ReviewOptions = field(default_factory=ReviewOptions)
    window: Window | None = "month"
    system: SystemInfo = field(default_factory=SystemInfo)
    safeguards: Mapping[str, str] = field(default_factory=dict)
    attestations: tuple[Attestation, ...] = ()
    catalogues: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "system", SystemInfo.from_value(self.system))
        set_(self, "safeguards", safeguards_from_value(self.safeguards))
        set_(self, "attestations", attestations_from_value(self.attestations))
        set_(self, "catalogues", _as_names(self.catalogues, "catalogues"))
        if self.window is not None and self.window not in WINDOWS:
            raise ConfigError(
                _MSG_BAD_TYPE.format(key="window", expected=f"one of {WINDOWS}", value=self.window),
                option="window",
            )
        set_(self, "flags", FlagOptions.from_value(self.flags))
        set_(self, "policy", policy_from_value(self.policy))
        set_(self, "review", ReviewOptions.from_value(self.review))
        for key in ("prediction", "label"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value:
                raise ConfigError(
                    _MSG_REQUIRED.format(key=key, flag=key.replace("_", "-")), option=key
                )
        set_(self, "sensitive", _as_names(self.sensitive, "sensitive"))
        if not self.sensitive:
            raise ConfigError(
                _MSG_REQUIRED.format(key="sensitive", flag="sensitive"), option="sensitive"
            )
        set_(self, "context", _as_names(self.context, "context"))
        for key in ("score", "reviewer", "time", "case_id"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(
                    _MSG_BAD_TYPE.format(key=key, expected="a column name", value=value),
                    option=key,
                )
        if not isinstance(self.positive, str | int | float | bool):
            raise ConfigError(
                _MSG_BAD_TYPE.format(key="positive", expected="a value", value=self.positive),
                option="positive",
            )
        if self.values is not None:
            raw: Any = self.values  # a comma-separated string is accepted too
            vals = _as_names(raw, "values") if isinstance(raw, str) else tuple(raw)
            if len(vals) < 2:
                raise ConfigError(
                    _MSG_BAD_TYPE.format(
                        key="values", expected="at least two decision values", value=self.values
                    ),
                    option="values",
                )
            from fairloop._values import token

            if token(self.positive) not in {token(v) for v in vals}:
                raise ConfigError(
                    f"Option 'positive' ({self.positive!r}) must be one of the declared values "
                    f"{list(vals)}. Set --positive to the favourable value as written in --values.",
                    option="positive",
                )
            set_(self, "values", vals)
        if not isinstance(self.reference, Mapping):
            raise ConfigError(
                _MSG_BAD_TYPE.format(
                    key="reference",
                    expected="a table of attribute = reference value",
                    value=self.reference,
                ),
                option="reference",
            )
        set_(self, "reference", {str(k): str(v) for k, v in self.reference.items()})
        if self.ci_method not in CI_METHODS:
            raise ConfigError(
                _MSG_BAD_TYPE.format(
                    key="ci_method", expected=f"one of {CI_METHODS}", value=self.ci_method
                ),
                option="ci_method",
            )
        if (
            isinstance(self.confidence_level, bool)
            or not isinstance(self.confidence_level, int | float)
            or not 0 < self.confidence_level < 1
        ):
            raise ConfigError(
                _MSG_BAD_TYPE.format(
                    key="confidence_level",
                    expected="a number strictly between 0 and 1",
                    value=self.confidence_level,
                ),
                option="confidence_level",
            )
        for key in ("min_group_size", "min_denominator", "suppress_below"):
            value = getattr(self, key)
            if value is None and key == "suppress_below":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(
                    _MSG_BAD_TYPE.format(key=key, expected="a whole number >= 0", value=value),
                    option=key,
                )
        if self.missing_sensitive not in MISSING_SENSITIVE_MODES:
            raise ConfigError(
                _MSG_BAD_TYPE.format(
                    key="missing_sensitive",
                    expected=f"one of {MISSING_SENSITIVE_MODES}",
                    value=self.missing_sensitive,
                ),
                option="missing_sensitive",
            )
        if self.metrics is not None:
            from fairloop.metrics import METRICS  # local: metrics imports config types

            names = _as_names(self.metrics, "metrics")
            unknown = [name for name in names if name not in METRICS]
            if unknown or not names:
                hint = _closest(unknown[0], METRICS) if unknown else ""
                raise ConfigError(
                    f"Option 'metrics' names unknown metrics {unknown}.{hint} "
                    f"Known metrics: {', '.join(METRICS)}.",
                    option="metrics",
                )
            set_(self, "metrics", names)
        self._check_roles()

    def _check_roles(self) -> None:
        from fairloop._reserved import Col
        from fairloop.cube._cube import CELLS, SCORE_SUMS

        reserved = set(CELLS) | set(SCORE_SUMS)
        for name in (*self.sensitive, *self.context, *([self.reviewer] if self.reviewer else [])):
            if name in reserved or name.startswith(Col.PREFIX):
                raise ConfigError(
                    f"Attribute {name!r} has a name fairloop reserves for its count cube "
                    f"({', '.join(sorted(reserved))}, or names starting with {Col.PREFIX!r}). "
                    "Rename the column, e.g. df.rename(columns={...}).",
                    option="sensitive" if name in self.sensitive else "context",
                )
        roles: dict[str, list[str]] = {}
        for role, column in self.roles.items():
            for name in [column] if isinstance(column, str) else column:
                roles.setdefault(name, []).append(role)
        clashes = {name: r for name, r in roles.items() if len(r) > 1}
        if clashes:
            name, rs = next(iter(clashes.items()))
            raise ConfigError(
                f"Column {name!r} is given more than one role ({', '.join(rs)}). "
                "Give each column one role.",
                option=rs[0],
            )
        unknown_ref = [key for key in self.reference if key not in self.sensitive]
        if unknown_ref:
            raise ConfigError(
                f"Option 'reference' names {unknown_ref[0]!r}, which is not a sensitive "
                f"attribute. Sensitive attributes: {', '.join(self.sensitive)}.",
                option="reference",
            )

    @property
    def roles(self) -> dict[str, str | list[str]]:
        """Column roles as a mapping role -> column (or list of columns)."""
        out: dict[str, str | list[str]] = {
            "prediction": self.prediction,
            "label": self.label,
            "sensitive": list(self.sensitive),
        }
        if self.context:
            out["context"] = list(self.context)
        for key in ("score", "reviewer", "time", "case_id"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as plain JSON-compatible data."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        data["reference"] = dict(self.reference)
        data["flags"] = self.flags.to_dict()
        data["policy"] = [rule.to_dict() for rule in self.policy or ()]
        data["review"] = self.review.to_dict()
        data["system"] = self.system.to_dict()
        data["safeguards"] = dict(self.safeguards)
        data["attestations"] = [a.to_dict() for a in self.attestations]
        return data

    def replace(self, **changes: Any) -> AuditConfig:
        """Return a copy with some options changed."""
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "options") -> AuditConfig:
        """Build a configuration from a mapping, rejecting unknown keys with a suggestion.

        Parameters
        ----------
        data : mapping
            Option names to values.
        source : str, default="options"
            Where the mapping came from, for error messages.

        Returns
        -------
        AuditConfig

        Raises
        ------
        ConfigError
            If a key is unknown, a required option is missing or a value is invalid.

        Examples
        --------
        >>> cfg = AuditConfig.from_mapping(
        ...     {"prediction": "approved", "label": "final", "sensitive": "sex,race"})
        >>> cfg.sensitive
        ('sex', 'race')
        """
        known = [f.name for f in fields(cls)]
        for key in data:
            if key not in known:
                raise ConfigError(
                    _MSG_UNKNOWN_KEY.format(
                        key=key, source=source, hint=_closest(key, known), known=", ".join(known)
                    ),
                    option=key,
                )
        for key in ("prediction", "label", "sensitive"):
            if data.get(key) in (None, "", [], ()):
                raise ConfigError(
                    _MSG_REQUIRED.format(key=key, flag=key.replace("_", "-")), option=key
                )
        return cls(**dict(data))


def _closest(word: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {match[0]!r}?" if match else ""


def load_config(path: str | Path) -> dict[str, Any]:
    """Read the audit options from a ``fairloop.toml`` file.

    Parameters
    ----------
    path : str or Path
        The TOML file. Its top-level keys are :class:`AuditConfig` field names.

    Returns
    -------
    dict
        The options, unvalidated; pass them to :meth:`AuditConfig.from_mapping`
        after applying any overrides.

    Raises
    ------
    ConfigError
        If the file is missing or is not valid TOML.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"Config file {str(path)!r} does not exist. Check the path given to --config.",
            option="config",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Config file {str(path)!r} is not valid TOML: {exc}. Fix the syntax at that line.",
            option="config",
        ) from None
    return data

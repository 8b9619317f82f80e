"""Audit configuration: column roles, the favourable value and statistical choices.

:class:`AuditConfig` is a frozen, validated dataclass. It can be built directly, from
keyword arguments via :func:`fairloop.audit`, or from a ``fairloop.toml`` file whose
top-level keys are the field names below (command-line flags override the file). Every
option is declared once, with its type, range, default and help (:mod:`._declare`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, fields, replace
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator
from pydantic.dataclasses import dataclass

from fairloop.config._declare import STRICT, declared, option
from fairloop.config._flags import (
    FlagOptions,
    PolicyRule,
    ReviewOptions,
    default_policy,
    policy_from_value,
)
from fairloop.config._governance import (
    Attestation,
    SystemInfo,
    attestations_from_value,
    safeguards_from_value,
)
from fairloop.config._plan import PlanOptions
from fairloop.exceptions import ConfigError, Interface
from fairloop.vocabulary import (
    CELLS,
    METRICS,
    SCORE_SUMS,
    CIMethod,
    Col,
    MissingSensitive,
    Window,
    token,
)

__all__ = ["AuditConfig"]

Scalar = str | int | float | bool

_MSG_REQUIRED = "{{option}} is required: {what}."
_REQUIRED = {
    "prediction": "the column of the model's decisions",
    "label": "the column of the human reviewer's final decisions",
    "sensitive": "the columns of the sensitive attributes",
}


def _as_names(value: Any) -> Any:
    """Names or values as a tuple: a comma-separated string, a list, an array or an index.

    numpy and pandas sequences become Python values; anything else is left for the check.
    """
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if hasattr(value, "tolist") and not isinstance(value, tuple):
        value = value.tolist()
    if isinstance(value, list):
        return tuple(value)
    return value


def _as_reference(value: Any) -> Any:
    """A reference table's values as text (a group value written as a number is its text)."""
    if isinstance(value, Mapping):
        return {str(k): v if isinstance(v, str) else token(v) for k, v in value.items()}
    return value


def _every_intersection(value: Any) -> Any:
    """``"all"`` (any case) for every intersection: no bound."""
    return None if isinstance(value, str) and value.strip().lower() == "all" else value


def _or_none(convert: Any) -> Any:
    return lambda value: value if value is None else convert(value)


Names = Annotated[tuple[str, ...], BeforeValidator(_as_names)]
Column = str | None
#: How error rates are estimated (``auto`` chooses one from the log).
EstimatorOption = Literal["auto", "reviewed", "post-stratified", "inverse-probability"]


@declared("")
@dataclass(frozen=True, config=STRICT)
class AuditConfig:
    """Everything an audit needs to know besides the data.

    Examples
    --------
    >>> cfg = AuditConfig(prediction="approved", label="final", sensitive="sex,race")
    >>> cfg.sensitive, cfg.min_group_size
    (('sex', 'race'), 30)
    """

    prediction: str = option(min_length=1, help="Column of the model's decisions.")
    label: str = option(
        min_length=1,
        help="Column of the human reviewer's final decisions; missing where the case was "
        "not reviewed.",
    )
    sensitive: Names = option(
        min_length=1,
        help="Sensitive attributes, comma-separated or a list; metrics are computed for each "
        "alone and for every intersection of them.",
        expect="a list of column names (at least one)",
    )
    context: Names = option(
        (),
        help="Context attributes (region, channel, ...) kept in the count cube for the "
        "subgroup search.",
        expect="a list of column names",
    )
    score: Column = option(
        None, min_length=1, help="Column of the model's score, a probability in [0, 1]."
    )
    score_bins: int = option(
        50,
        ge=2,
        le=1000,
        help="Bands the score is counted in (equal-width over [0, 1]; each distinct value a "
        "band of its own when the score has no more of them): ROC AUC, calibration and "
        "threshold what-ifs are computed from them.",
    )
    strata_bands: int = option(
        10,
        ge=1,
        le=1000,
        help="Score bands of the weighting strata (adjacent bands merged): reviewed cases "
        "stand for every case of their stratum, score band x model decision x sensitive "
        "group.",
    )
    review_probability: Column = option(
        None,
        min_length=1,
        help="Column of each case's probability of being reviewed by the routing's design "
        "(in (0, 1]); reviewed cases are then weighted by its inverse.",
    )
    review_reason: Column = option(
        None,
        min_length=1,
        help="Column of why a case was reviewed (random quality sample, score rule, "
        "escalation, appeal ...); missing where it was not.",
    )
    outcome: Column = option(
        None,
        min_length=1,
        help="Column of what actually happened later (the loan was repaid, the defendant "
        "re-offended), missing where not yet known: the model's and the final decisions "
        "are then measured against it too, and what review changes.",
    )
    outcome_positive: Scalar | None = option(
        None,
        help="The outcome value that shows the positive decision was right (re-offended "
        "for a high-risk decision, repaid for an approval), compared as text.",
        shown_default="the positive value",
    )
    estimator: EstimatorOption = option(
        "auto",
        help="How error rates of reviewed cases are estimated for every case: auto "
        "(inverse-probability with review_probability; else post-stratified when review "
        "depends on the score or the model's decision; else reviewed), reviewed (the "
        "reviewed cases as they are, with a warning when review depends on the score or "
        "the decision), post-stratified or inverse-probability.",
    )
    reviewer: Column = option(None, min_length=1, help="Column of the reviewer id.")
    time: Column = option(None, min_length=1, help="Column of the decision time.")
    case_id: Column = option(
        None,
        min_length=1,
        help="Column of the case id; a case judged by several reviewers repeats it, once "
        "per reviewer.",
    )
    positive: Scalar = option(
        1,
        help="The positive decision value (scikit-learn's pos_label: an approval, or a label "
        "such as high risk), compared with the data's values as text (1 matches '1' and 1.0).",
    )
    favourable: Scalar | None = option(
        None,
        help="The decision value that favours the person (approve, low risk); the positive "
        "value when not given. Declare it when the positive value is punitive (risk, fraud, "
        "deny): the report's wording and the four-fifths check then read it.",
        shown_default="the positive value",
    )
    values: Annotated[tuple[Scalar, ...] | None, BeforeValidator(_or_none(_as_names))] = option(
        None,
        min_length=2,
        help="All decision values, when there are more than two: every one but positive is "
        "unfavourable, and values outside the set are an error.",
        expect="a list of at least two decision values",
    )
    reference: Annotated[Mapping[str, str], BeforeValidator(_as_reference)] = option(
        default_factory=dict,
        help="Reference group per sensitive attribute for disparities (attribute = value).",
        expect="a table of attribute = reference value",
        shown_default="largest group",
    )
    ci_method: CIMethod = option("wilson", help="Interval method for rates.")
    confidence_level: float = option(0.95, gt=0, lt=1, help="Confidence level of every interval.")
    min_group_size: int = option(30, ge=0, help="Groups smaller than this are marked insufficient.")
    min_denominator: int = option(
        10, ge=0, help="Rates whose denominator is smaller than this are marked insufficient."
    )
    suppress_below: int | None = option(
        None, ge=0, help="Withhold every figure of groups smaller than this (privacy)."
    )
    max_intersection: Annotated[int | None, BeforeValidator(_every_intersection)] = option(
        2,
        ge=1,
        help="Measure intersections of at most this many sensitive attributes (metrics, "
        'disparities, outcome figures), or "all". The default, pairs, keeps the report '
        "readable and its size in step with the attributes; the flag search still looks "
        "deeper (flags.max_depth).",
        expect='a whole number of at least 1, or "all"',
        shown_default="2 (pairs)",
    )
    missing_sensitive: MissingSensitive = option(
        "error",
        help="error (refuse the log) or group (keep missing sensitive values as an explicit "
        "'(missing)' group).",
    )
    metrics: Annotated[tuple[str, ...] | None, BeforeValidator(_or_none(_as_names))] = option(
        None,
        min_length=1,
        help="Metrics to compute; every defined metric when not given.",
        expect="a list of metric names",
    )
    flags: Annotated[FlagOptions, BeforeValidator(FlagOptions.from_value)] = option(
        default_factory=FlagOptions,
        help="The subgroup search and its false-discovery control (a [flags] table).",
    )
    policy: Annotated[tuple[PolicyRule, ...] | None, BeforeValidator(policy_from_value)] = option(
        None,
        help="Tolerances every group is checked against ([[policy]] tables); the defaults of "
        "fairloop/data/policy.toml when not given, none when an empty list.",
    )
    review: Annotated[ReviewOptions, BeforeValidator(ReviewOptions.from_value)] = option(
        default_factory=ReviewOptions,
        help="Four-eyes review and the tolerance for reopening flags (a [review] table).",
    )
    plan: Annotated[PlanOptions, BeforeValidator(PlanOptions.from_value)] = option(
        default_factory=PlanOptions,
        help="The review plan's budget, floor and quality sample (a [plan] table).",
    )
    window: Window | None = option(
        "month",
        help="Length of the time windows the cube is split into when the log has a time "
        "column (trends; cubes that add up window by window); none when null.",
    )
    system: Annotated[SystemInfo, BeforeValidator(SystemInfo.from_value)] = option(
        default_factory=SystemInfo,
        help="Name, owner, intended purpose and risk category of the audited system (a "
        "[system] table), shown in the governance report.",
    )
    safeguards: Annotated[Mapping[str, str], BeforeValidator(safeguards_from_value)] = option(
        default_factory=dict,
        help="How the organisation meets each EU AI Act Art. 4a(1) safeguard for processing "
        "special-category data (a [safeguards] table; keys in fairloop/data/safeguards.toml).",
    )
    attestations: Annotated[
        tuple[Attestation, ...],
        BeforeValidator(attestations_from_value),
    ] = option(
        (),
        help="Named people's statements that a control is met ([[attestations]] tables).",
    )
    catalogues: Names = option(
        (),
        help="Extra control catalogue files (TOML, the schema of the bundled ones), e.g. an "
        "organisation's ISO/IEC 42001 Annex A mapping or internal policy.",
        expect="a list of file paths",
    )

    def __post_init__(self) -> None:
        declared = self.values if self.values is not None else None
        if (
            self.favourable is not None
            and declared is not None
            and token(self.favourable) not in {token(v) for v in declared}
        ):
            raise ConfigError(
                f"{{option}} ({self.favourable!r}) must be one of the declared values "
                f"{list(declared)}.",
                option="favourable",
            )
        if self.policy is None:
            object.__setattr__(self, "policy", default_policy())
        if self.values is not None and token(self.positive) not in {token(v) for v in self.values}:
            raise ConfigError(
                f"{{option}} ({self.positive!r}) must be one of the declared values "
                f"{list(self.values)}: the favourable value as written in values.",
                option="positive",
            )
        if self.metrics is not None:
            unknown = [name for name in self.metrics if name not in METRICS]
            if unknown:
                hint = _closest(unknown[0], METRICS)
                raise ConfigError(
                    f"{{option}} names unknown metrics {unknown}.{hint} "
                    f"Known metrics: {', '.join(METRICS)}.",
                    option="metrics",
                )
        if self.strata_bands > self.score_bins:
            raise ConfigError(
                f"{{option}} ({self.strata_bands}) cannot exceed score_bins "
                f"({self.score_bins}): strata merge score bands. Lower it or raise score_bins.",
                option="strata_bands",
            )
        if self.estimator == "inverse-probability" and self.review_probability is None:
            raise ConfigError(
                "{option} inverse-probability weights each reviewed case by its review "
                "probability: name that column (review_probability), or choose auto or "
                "post-stratified.",
                option="estimator",
            )
        self._check_roles()

    def _check_roles(self) -> None:
        reserved = set(CELLS) | set(SCORE_SUMS)
        keyed = [c for c in (self.reviewer, self.review_reason) if c]
        for name in (*self.sensitive, *self.context, *keyed):
            if name in reserved or name.startswith(Col.PREFIX):
                raise ConfigError(
                    f"{{option}} names {name!r}, a name fairloop reserves for its count cube "
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
                f"Column {name!r} is given more than one role ({', '.join(rs)}): {{option}} "
                "and the others. Give each column one role.",
                option=rs[-1],
            )
        unknown_ref = [key for key in self.reference if key not in self.sensitive]
        if unknown_ref:
            raise ConfigError(
                f"{{option}} names {unknown_ref[0]!r}, which is not a sensitive "
                f"attribute. Sensitive attributes: {', '.join(self.sensitive)}.",
                option="reference",
            )

    @property
    def many_values(self) -> bool:
        """Whether decisions take more than two declared values.

        A human can then choose another negative value than the model's (refer to deny),
        which the override rate counts (cell ``tx``).
        """
        return self.values is not None and len(self.values) > 2

    @property
    def outcome_value(self) -> Scalar:
        """The outcome value that shows the positive decision was right."""
        return self.positive if self.outcome_positive is None else self.outcome_positive

    @property
    def favourable_is_positive(self) -> bool:
        """Whether the positive value is the one that favours the person."""
        return self.favourable is None or token(self.favourable) == token(self.positive)

    @property
    def favourable_rate(self) -> str:
        """The metric that is the share of cases decided favourably for the person."""
        return "selection_rate" if self.favourable_is_positive else "negative_rate"

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
        for key in ("score", "review_probability", "review_reason", "outcome", "reviewer",
                    "time", "case_id"):  # fmt: skip
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
        data["plan"] = self.plan.to_dict()
        data["system"] = self.system.to_dict()
        data["safeguards"] = dict(self.safeguards)
        data["attestations"] = [a.to_dict() for a in self.attestations]
        return data

    def replace(self, **changes: Any) -> AuditConfig:
        """Return a copy with some options changed."""
        return replace(self, **changes)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, source: str = "options", interface: Interface = "python"
    ) -> AuditConfig:
        """Build a configuration from a mapping, rejecting unknown keys with a suggestion.

        Parameters
        ----------
        data : mapping
            Option names to values.
        source : str, default="options"
            Where the mapping came from, for error messages.
        interface : {"python", "toml", "cli"}, default="python"
            How errors name the options: keywords, keys of fairloop.toml, or flags.

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
        try:
            for key in data:
                if key not in known:
                    raise ConfigError(
                        f"Unknown option {{option}} in {source}.{_closest(str(key), known)} "
                        f"Known options: {', '.join(known)}.",
                        option=str(key),
                    )
            for key, what in _REQUIRED.items():
                if data.get(key) in (None, "", [], ()):
                    raise ConfigError(
                        _MSG_REQUIRED.format(what=what),
                        option=key,
                    )
            return cls(**{str(k): v for k, v in data.items()})
        except ConfigError as exc:
            raise exc.given_in(interface) from None


def _closest(word: str, candidates: Iterable[str]) -> str:
    import difflib

    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {match[0]!r}?" if match else ""

"""Options of the flag search, the policy rules and the review (parts of AuditConfig)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from importlib import resources
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic.dataclasses import dataclass

from fairloop.config._declare import STRICT, declared, option, table_of
from fairloop.exceptions import ConfigError
from fairloop.vocabulary import METRICS, FdrMethod, PolicyCompare, PolicyMeasure

__all__ = [
    "DEFAULT_FLAG_METRICS",
    "FlagOptions",
    "PolicyRule",
    "ReviewOptions",
    "default_policy",
    "policy_from_value",
]

#: Metrics the subgroup search tests by default.
DEFAULT_FLAG_METRICS: tuple[str, ...] = (
    "false_positive_rate",
    "false_negative_rate",
    "selection_rate",
    "accuracy",
    "override_rate",
)


def _listed(value: Any) -> Any:
    """A single name as a list of one; a list as a tuple (other values are refused later)."""
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list) else value


def _known_metrics(names: tuple[str, ...], option_key: str) -> None:
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise ConfigError(
            f"{{option}} names unknown metric {unknown[0]!r}. Known metrics: {', '.join(METRICS)}.",
            option=option_key,
        )


@declared("flags")
@dataclass(frozen=True, config=STRICT)
class FlagOptions:
    """How suspected biased patterns are searched for and controlled (``[flags]``)."""

    enabled: bool = option(True, help="Search for flags at all.")
    max_depth: int = option(
        3, ge=1, help="Most conditions in a subgroup (race=Black & age_band=18-24 has two)."
    )
    min_support: int = option(30, ge=1, help="Fewest cases a subgroup must have to be tested.")
    min_denominator: int | None = option(
        None,
        ge=0,
        help="Fewest cases in a metric's denominator, in the subgroup and in its complement "
        "(default: the audit's min_denominator).",
    )
    metrics: Annotated[tuple[str, ...], BeforeValidator(_listed)] = option(
        DEFAULT_FLAG_METRICS,
        min_length=1,
        help="Metrics the search tests; review_rate is tested as an oversight signal "
        "whenever oversight is on.",
    )
    include_context: bool = option(
        True,
        help="Search over the context attributes too (a pattern such as sex=female & "
        "channel=broker), not only the sensitive ones; off searches the sensitive ones alone.",
    )
    fdr: float = option(
        0.05,
        gt=0,
        lt=1,
        help="False discovery rate of the flags shown (Focused BH over the subgroup tests), "
        "family-wise error of reviewer flags (Holm) and false discovery rate of policy flags "
        "(Benjamini-Hochberg over every verdict).",
    )
    fdr_method: FdrMethod = option(
        "bh",
        help="bh (Focused Benjamini-Hochberg) or by (its Benjamini-Yekutieli level, valid "
        "under any dependence).",
    )
    min_effect: float = option(
        0.05,
        ge=0,
        lt=1,
        help="The effect floor: a flag claims a gap larger than this, and its test tests that "
        "(the null is a gap within plus or minus min_effect).",
    )
    oversight: bool = option(
        True, help="Test review coverage by group and reviewers' override behaviour by group."
    )
    outcomes: bool = option(
        True,
        help="With an outcome column: test whether review widens a group's gap (false "
        "positive, false negative and selection rates) and whether a reviewer's overrides "
        "prove wrong more often than the other reviewers' on like cases.",
    )
    redundancy_alpha: float = option(
        0.05, gt=0, lt=1, help="Level of the tests deciding whether a parent explains a child."
    )
    sample_size: int = option(
        10, ge=0, help="Case ids sampled per flag for the reviewer (when the log has case ids)."
    )

    def __post_init__(self) -> None:
        _known_metrics(self.metrics, "metrics")

    @classmethod
    def from_value(cls, value: FlagOptions | Mapping[str, Any] | None) -> FlagOptions:
        """Build options from a mapping (a ``[flags]`` table), rejecting unknown keys."""
        options: FlagOptions = table_of(cls, value)
        return options

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible form."""
        data = asdict(self)
        data["metrics"] = list(self.metrics)
        return data


@declared("policy")
@dataclass(frozen=True, config=STRICT)
class PolicyRule:
    """A tolerance every group of the audit is checked against (one ``[[policy]]`` table).

    The measure should lie in [min, max]; either bound may be open. ``abs_max = x`` in a
    table sets both bounds, to -x and x.
    """

    metric: str = option(help="The metric compared.")
    measure: PolicyMeasure = option(
        help="Group value minus (difference), or divided by (ratio), the comparison value."
    )
    min: float | None = option(None, help="Lowest tolerated measure.")
    max: float | None = option(None, help="Highest tolerated measure.")
    compare: PolicyCompare = option(
        "to_overall", help="Against the whole population, or the attribute's reference group."
    )
    name: str = option("", help="How the report names the rule.")

    def __post_init__(self) -> None:
        _known_metrics((self.metric,), "metric")
        if self.min is None and self.max is None:
            raise ConfigError(
                f"{{option}}: the rule on {self.metric} needs a tolerance: min, max or both.",
                option="min",
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigError(
                f"{{option}} ({self.min}) is above max ({self.max}) in the rule on {self.metric}.",
                option="min",
            )
        if not self.name:
            bounds = " and ".join(
                part
                for part in (
                    f">= {self.min:g}" if self.min is not None else "",
                    f"<= {self.max:g}" if self.max is not None else "",
                )
                if part
            )
            object.__setattr__(self, "name", f"{self.metric} {self.measure} {bounds}")

    @classmethod
    def from_value(cls, value: PolicyRule | Mapping[str, Any]) -> PolicyRule:
        """Build a rule from a mapping (one ``[[policy]]`` table); ``abs_max`` sets both bounds."""
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{{option}} must be a table (a [[policy]] rule). Got {value!r}.")
        data = {str(k): v for k, v in value.items()}
        if "abs_max" in data:
            bound = data.pop("abs_max")
            if isinstance(bound, bool) or not isinstance(bound, int | float) or bound < 0:
                raise ConfigError(
                    f"{{option}} must be a number >= 0. Got {bound!r}.", option="abs_max"
                )
            data.setdefault("min", -float(bound))
            data.setdefault("max", float(bound))
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible form."""
        return asdict(self)


def default_policy() -> tuple[PolicyRule, ...]:
    """The default rules of ``fairloop/data/policy.toml``."""
    text = resources.files("fairloop").joinpath("data", "policy.toml").read_text("utf-8")
    return tuple(PolicyRule.from_value(rule) for rule in tomllib.loads(text)["policy"])


def policy_from_value(
    value: Sequence[PolicyRule | Mapping[str, Any]] | None,
) -> tuple[PolicyRule, ...]:
    """Rules from a list of tables; ``None`` means the defaults."""
    if value is None:
        return default_policy()
    if isinstance(value, Mapping | str) or not isinstance(value, Sequence):
        raise ConfigError(f"{{option}} must be a list of rules ([[policy]] tables). Got {value!r}.")
    rules = []
    for i, rule in enumerate(value):
        try:
            rules.append(PolicyRule.from_value(rule))
        except ConfigError as exc:
            raise exc.within(f"[{i}]") from None
    return tuple(rules)


@declared("review")
@dataclass(frozen=True, config=STRICT)
class ReviewOptions:
    """How adjudications are kept (the ``[review]`` table of fairloop.toml)."""

    four_eyes: bool = option(
        False, help="confirmed and justified are final only once a second reviewer agrees."
    )
    reopen_tolerance: float = option(
        0.05, ge=0, help="A flag found again is reopened when its effect grew by more than this."
    )

    @classmethod
    def from_value(cls, value: ReviewOptions | Mapping[str, Any] | None) -> ReviewOptions:
        """Build options from a ``[review]`` table, rejecting unknown keys."""
        options: ReviewOptions = table_of(cls, value)
        return options

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible form."""
        return asdict(self)

"""Options of the flag search and the policy rules, parts of :class:`fairloop.AuditConfig`."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from importlib import resources
from typing import Any, Literal, TypeAlias, get_args

from fairloop._tables import from_table
from fairloop.exceptions import ConfigError

__all__ = ["DEFAULT_FLAG_METRICS", "FlagOptions", "PolicyRule", "ReviewOptions", "default_policy"]

FdrMethod: TypeAlias = Literal["bh", "by"]
Measure: TypeAlias = Literal["difference", "ratio"]
Compare: TypeAlias = Literal["to_overall", "reference"]

#: Metrics the subgroup search tests by default.
DEFAULT_FLAG_METRICS: tuple[str, ...] = (
    "false_positive_rate",
    "false_negative_rate",
    "selection_rate",
    "accuracy",
    "override_rate",
)


def _bad(key: str, expected: str, value: object) -> ConfigError:
    return ConfigError(
        f"Option 'flags.{key}' must be {expected}. Got {value!r} instead.", option=f"flags.{key}"
    )


@dataclass(frozen=True)
class FlagOptions:
    """How suspected biased patterns are searched for and controlled.

    Parameters
    ----------
    enabled : bool, default=True
        Search for flags at all.
    max_depth : int, default=3
        Most conditions in a subgroup (``race=Black & age_band=18-24`` has two).
    min_support : int, default=30
        Fewest cases a subgroup must have to be tested.
    min_denominator : int or None, default=None
        Fewest cases in a metric's denominator, in the subgroup and in its
        complement (default: the audit's ``min_denominator``).
    metrics : tuple of str
        Metrics the search tests (default: false_positive_rate, false_negative_rate,
        selection_rate, accuracy, override_rate). review_rate is tested as an
        oversight signal whenever ``oversight`` is on.
    include_context : bool, default=False
        Search over the context attributes too, not only the sensitive ones.
    fdr : float, default=0.05
        False discovery rate of the flags shown (Focused BH over the subgroup tests), the
        family-wise error of reviewer flags (Holm) and the false discovery rate of policy
        flags (Benjamini-Hochberg over every verdict).
    fdr_method : {"bh", "by"}, default="bh"
        Focused Benjamini-Hochberg, or its Benjamini-Yekutieli level (valid under any
        dependence).
    min_effect : float, default=0.05
        The effect floor: a flag claims a gap larger than this, and that is what its test
        tests (the null is a gap within plus or minus ``min_effect``), so small gaps on
        huge data are not flagged.
    oversight : bool, default=True
        Test review coverage by group and reviewers' override behaviour by group.
    redundancy_alpha : float, default=0.05
        Level of the tests that decide whether a parent explains a child subgroup.
    sample_size : int, default=10
        Case ids sampled per flag for the reviewer (when the log has case ids).
    """

    enabled: bool = True
    max_depth: int = 3
    min_support: int = 30
    min_denominator: int | None = None
    metrics: tuple[str, ...] = DEFAULT_FLAG_METRICS
    include_context: bool = False
    fdr: float = 0.05
    fdr_method: FdrMethod = "bh"
    min_effect: float = 0.05
    oversight: bool = True
    redundancy_alpha: float = 0.05
    sample_size: int = 10

    def __post_init__(self) -> None:
        from fairloop.metrics._definitions import METRICS

        if not isinstance(self.enabled, bool):
            raise _bad("enabled", "true or false", self.enabled)
        for key in ("max_depth", "min_support", "sample_size"):
            value = getattr(self, key)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or value < (key != "sample_size")
            ):
                raise _bad(key, "a whole number >= 1", value)
        if self.min_denominator is not None and (
            isinstance(self.min_denominator, bool)
            or not isinstance(self.min_denominator, int)
            or self.min_denominator < 0
        ):
            raise _bad("min_denominator", "a whole number >= 0", self.min_denominator)
        raw: Any = self.metrics  # a single name is accepted too
        metrics = (raw,) if isinstance(raw, str) else tuple(raw)
        unknown = [m for m in metrics if m not in METRICS]
        if unknown or not metrics:
            raise _bad("metrics", f"a list of metric names from {list(METRICS)}", self.metrics)
        object.__setattr__(self, "metrics", metrics)
        for key in ("fdr", "redundancy_alpha"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
                raise _bad(key, "a number strictly between 0 and 1", value)
        if (
            isinstance(self.min_effect, bool)
            or not isinstance(self.min_effect, int | float)
            or not 0 <= self.min_effect < 1
        ):
            raise _bad("min_effect", "a number in [0, 1)", self.min_effect)
        if self.fdr_method not in get_args(FdrMethod):
            raise _bad("fdr_method", "'bh' (Benjamini-Hochberg) or 'by' (Benjamini-Yekutieli)",
                       self.fdr_method)  # fmt: skip
        for key in ("include_context", "oversight"):
            if not isinstance(getattr(self, key), bool):
                raise _bad(key, "true or false", getattr(self, key))

    @classmethod
    def from_value(cls, value: FlagOptions | Mapping[str, Any] | None) -> FlagOptions:
        """Build options from a mapping (a ``[flags]`` table), rejecting unknown keys."""
        return from_table("flags", value, cls)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible form."""
        data = asdict(self)
        data["metrics"] = list(self.metrics)
        return data


@dataclass(frozen=True)
class PolicyRule:
    """A tolerance every group of the audit is checked against.

    Parameters
    ----------
    metric : str
        The metric compared.
    measure : {"difference", "ratio"}
        Group value minus, or divided by, the comparison value.
    min, max : float or None
        The tolerance: the measure should lie in [min, max]; either bound may be open.
    compare : {"to_overall", "reference"}, default="to_overall"
        Against the whole population, or the attribute's reference group.
    name : str, default=""
        How the report names the rule.
    """

    metric: str
    measure: Measure
    min: float | None = None
    max: float | None = None
    compare: Compare = "to_overall"
    name: str = ""

    def __post_init__(self) -> None:
        from fairloop.metrics._definitions import METRICS

        if self.metric not in METRICS:
            raise ConfigError(
                f"Policy rule names unknown metric {self.metric!r}. Known: {', '.join(METRICS)}.",
                option="policy",
            )
        if self.measure not in get_args(Measure):
            raise ConfigError(
                f"Policy rule measure must be 'difference' or 'ratio'. Got {self.measure!r}.",
                option="policy",
            )
        if self.compare not in get_args(Compare):
            raise ConfigError(
                f"Policy rule compare must be 'to_overall' or 'reference'. Got {self.compare!r}.",
                option="policy",
            )
        if self.min is None and self.max is None:
            raise ConfigError(
                f"Policy rule on {self.metric} needs a tolerance: min, max or both.",
                option="policy",
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigError(
                f"Policy rule on {self.metric}: min ({self.min}) is above max ({self.max}).",
                option="policy",
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
            raise ConfigError(f"A policy rule must be a table. Got {value!r}.", option="policy")
        data = dict(value)
        if "abs_max" in data:
            bound = float(data.pop("abs_max"))
            data.setdefault("min", -bound)
            data.setdefault("max", bound)
        known = [f.name for f in fields(cls)]
        unknown = [k for k in data if k not in known]
        if unknown:
            raise ConfigError(
                f"Unknown key {unknown[0]!r} in a policy rule. Known: {', '.join(known)}, abs_max.",
                option="policy",
            )
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
    if isinstance(value, Mapping | str):
        raise ConfigError("Option 'policy' must be a list of rules ([[policy]] tables).",
                          option="policy")  # fmt: skip
    return tuple(PolicyRule.from_value(rule) for rule in value)


@dataclass(frozen=True)
class ReviewOptions:
    """How adjudications are kept (the ``[review]`` table of fairloop.toml).

    Parameters
    ----------
    four_eyes : bool, default=False
        ``confirmed`` and ``justified`` are final only once a second reviewer agrees.
    reopen_tolerance : float, default=0.05
        A flag found again is reopened when its effect grew by more than this.
    """

    four_eyes: bool = False
    reopen_tolerance: float = 0.05

    def __post_init__(self) -> None:
        if not isinstance(self.four_eyes, bool):
            raise ConfigError(
                f"Option 'review.four_eyes' must be true or false. Got {self.four_eyes!r}.",
                option="review.four_eyes",
            )
        tolerance = self.reopen_tolerance
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
            raise ConfigError(
                f"Option 'review.reopen_tolerance' must be a number >= 0. Got {tolerance!r}.",
                option="review.reopen_tolerance",
            )

    @classmethod
    def from_value(cls, value: ReviewOptions | Mapping[str, Any] | None) -> ReviewOptions:
        """Build options from a ``[review]`` table, rejecting unknown keys."""
        return from_table("review", value, cls)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible form."""
        return asdict(self)

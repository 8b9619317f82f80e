"""Options of the review plan (the ``[plan]`` table of fairloop.toml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic.dataclasses import dataclass

from fairloop.config._declare import STRICT, declared, option, table_of
from fairloop.exceptions import ConfigError
from fairloop.vocabulary import METRICS, Window, reviewed_metric

__all__ = ["DEFAULT_PLAN_METRICS", "PlanOptions"]

#: The error rates whose gaps the quality sample is sized to detect, by default.
DEFAULT_PLAN_METRICS: tuple[str, ...] = ("false_positive_rate", "false_negative_rate")


def _listed(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list) else value


@declared("plan")
@dataclass(frozen=True, config=STRICT)
class PlanOptions:
    """How the review plan spends a review budget (the ``[plan]`` table of fairloop.toml).

    The budget is a share of cases (``budget``) or a number of cases per period (``cases``
    and ``per``); when neither is given, the plan spends what the log's current routing
    spends, so that the two compare at the same budget.
    """

    budget: float | None = option(
        None,
        gt=0,
        le=1,
        help="Share of cases a human reviews under the plan (default: the log's current "
        "review share).",
    )
    cases: int | None = option(
        None, ge=1, help="Cases a human reviews per period (with per), instead of budget."
    )
    per: Window | None = option(
        None, help="The period of cases: day, week, month, quarter or year (needs a time column)."
    )
    floor: float | None = option(
        None,
        ge=0,
        le=1,
        help="Least share of every group's cases a human reviews (default: half the budget, "
        "lowered to what the budget allows).",
    )
    gap: float = option(
        0.10,
        gt=0,
        lt=1,
        help="Gap between a group's error rate and the rest's (as a share: 0.10 is 10 points) "
        "the random quality sample is sized to detect.",
    )
    power: float = option(
        0.8, gt=0, lt=1, help="Chance the quality sample detects that gap, per group and metric."
    )
    alpha: float = option(
        0.05, gt=0, lt=1, help="Significance level of the gap test the quality sample is sized for."
    )
    metrics: Annotated[tuple[str, ...], BeforeValidator(_listed)] = option(
        DEFAULT_PLAN_METRICS,
        min_length=1,
        help="Error rates the quality sample is sized for (metrics of reviewed cases).",
    )
    depth: int = option(
        1,
        ge=1,
        help="Groups the plan sizes, floors and reports: those of each sensitive attribute "
        "(1) or of intersections of up to this many.",
    )
    by: Annotated[tuple[str, ...], BeforeValidator(_listed)] = option(
        (), help="Context attributes the routing table also splits by (e.g. channel)."
    )
    quality_share: float = option(
        0.5,
        gt=0,
        le=1,
        help="Most of the budget the random quality sample may take; a sample that needs "
        "more is scaled down and its power said.",
    )
    prior_cases: float | None = option(
        None,
        ge=0,
        help="Targeted review ranks units by their score band's error rate times their groups' "
        "tested effects in it; a number also lets each unit's own error rate count, shrunk "
        "with this weight in reviewed cases.",
    )
    draws: int = option(2000, ge=200, help="Simulation draws behind the plan's intervals.")

    def __post_init__(self) -> None:
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown:
            raise ConfigError(
                f"{{option}} names unknown metric {unknown[0]!r}. Known metrics: "
                f"{', '.join(METRICS)}.",
                option="metrics",
            )
        unreviewed = [m for m in self.metrics if not reviewed_metric(m)]
        if unreviewed:
            raise ConfigError(
                f"{{option}} names {unreviewed[0]!r}, which is not a rate of reviewed cases: "
                "the quality sample sizes error rates against the human's decision, such as "
                f"{', '.join(DEFAULT_PLAN_METRICS)} or override_rate.",
                option="metrics",
            )
        if self.budget is not None and self.cases is not None:
            raise ConfigError(
                "Give the plan's budget as a share of cases ({option}) or as cases per period "
                "(cases and per), not both.",
                option="budget",
            )
        if (self.cases is None) != (self.per is None):
            raise ConfigError(
                "{option} needs both: a number of cases and the period they are per "
                '(e.g. cases = 500, per = "month").',
                option="cases" if self.per is None else "per",
            )

    @classmethod
    def from_value(cls, value: PlanOptions | Mapping[str, Any] | None) -> PlanOptions:
        """Build options from a ``[plan]`` table, rejecting unknown keys."""
        options: PlanOptions = table_of(cls, value)
        return options

    def replace(self, **changes: Any) -> PlanOptions:
        """A copy with some options changed (``None`` values are left as they are)."""
        data = {**self.to_dict(), **{k: v for k, v in changes.items() if v is not None}}
        if changes.get("budget") is not None:
            data.update(cases=None, per=None)
        if changes.get("cases") is not None:
            data["budget"] = None
        return PlanOptions(**data)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible form."""
        data = asdict(self)
        data["metrics"] = list(self.metrics)
        data["by"] = list(self.by)
        return data

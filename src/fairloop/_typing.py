"""Type aliases shared across fairloop; closed option sets are ``Literal`` aliases."""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

CIMethod: TypeAlias = Literal["wilson", "clopper-pearson"]
MissingSensitive: TypeAlias = Literal["error", "group"]
Status: TypeAlias = Literal["ok", "insufficient", "suppressed"]
Comparison: TypeAlias = Literal["reference", "to_overall", "between_groups"]
Window: TypeAlias = Literal["day", "week", "month", "quarter", "year"]

CI_METHODS: tuple[str, ...] = get_args(CIMethod)
MISSING_SENSITIVE_MODES: tuple[str, ...] = get_args(MissingSensitive)
COMPARISONS: tuple[str, ...] = get_args(Comparison)
WINDOWS: tuple[str, ...] = get_args(Window)

#: The label given to rows whose sensitive value is missing under ``missing_sensitive="group"``.
MISSING_GROUP = "(missing)"

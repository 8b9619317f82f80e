"""The audit's options, each declared once with its type, range, default and help.

:class:`AuditConfig` holds them all; the ``[flags]``, ``[[policy]]``, ``[review]``,
``[plan]``, ``[system]`` and ``[[attestations]]`` tables of fairloop.toml are the dataclasses below.
"""

from fairloop.config._audit import AuditConfig
from fairloop.config._declare import TABLES, default_of, expected, field_info, help_text
from fairloop.config._flags import (
    DEFAULT_FLAG_METRICS,
    FlagOptions,
    PolicyRule,
    ReviewOptions,
    default_policy,
)
from fairloop.config._governance import Attestation, SystemInfo, safeguard_points
from fairloop.config._load import load_config
from fairloop.config._plan import DEFAULT_PLAN_METRICS, PlanOptions

__all__ = [
    "DEFAULT_FLAG_METRICS",
    "DEFAULT_PLAN_METRICS",
    "TABLES",
    "Attestation",
    "AuditConfig",
    "FlagOptions",
    "PlanOptions",
    "PolicyRule",
    "ReviewOptions",
    "SystemInfo",
    "default_of",
    "default_policy",
    "expected",
    "field_info",
    "help_text",
    "load_config",
    "safeguard_points",
]

"""Outputs of an audit: the governance report (HTML) and the JSON evidence bundle.

Names load on first use: the evidence bundle needs only pandas, the report Jinja2 and
plotly (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fairloop.report._context import Adjudications, build_context
    from fairloop.report._evidence import SCHEMA_VERSION, evidence_bundle, to_json_text
    from fairloop.report._render import (
        adjudications_from_store,
        render_html,
        render_summary,
        write_report,
    )

_HOMES = {
    "SCHEMA_VERSION": "fairloop.report._evidence",
    "Adjudications": "fairloop.report._context",
    "adjudications_from_store": "fairloop.report._render",
    "build_context": "fairloop.report._context",
    "evidence_bundle": "fairloop.report._evidence",
    "render_html": "fairloop.report._render",
    "render_summary": "fairloop.report._render",
    "to_json_text": "fairloop.report._evidence",
    "write_report": "fairloop.report._render",
}

__all__ = [
    "SCHEMA_VERSION",
    "Adjudications",
    "adjudications_from_store",
    "build_context",
    "evidence_bundle",
    "render_html",
    "render_summary",
    "to_json_text",
    "write_report",
]


def __getattr__(name: str) -> Any:
    """Import a name's module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'fairloop.report' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

"""Outputs of an audit: the governance report (HTML) and the JSON evidence bundle.

Names load on first use: the evidence bundle needs only pandas, the report Jinja2 and
plotly (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fairloop._lazy import lazy_names

if TYPE_CHECKING:
    from fairloop.report._context import Adjudications, build_context
    from fairloop.report._evidence import (
        SCHEMA_VERSION,
        evidence_bundle,
        evidence_schema,
        read_evidence,
        to_json_text,
        write_evidence,
    )
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
    "evidence_schema": "fairloop.report._evidence",
    "read_evidence": "fairloop.report._evidence",
    "write_evidence": "fairloop.report._evidence",
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
    "evidence_schema",
    "read_evidence",
    "render_html",
    "render_summary",
    "to_json_text",
    "write_evidence",
    "write_report",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)

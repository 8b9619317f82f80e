"""Outputs of an audit: the governance report (HTML) and the JSON evidence bundle."""

from fairloop.report._context import Adjudications, build_context
from fairloop.report._evidence import SCHEMA_VERSION, evidence_bundle, to_json_text
from fairloop.report._render import (
    adjudications_from_store,
    render_html,
    render_summary,
    write_report,
)

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

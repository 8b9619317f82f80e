"""Outputs of an audit: the JSON evidence bundle (the HTML report comes with the report issue)."""

from fairloop.report._evidence import SCHEMA_VERSION, evidence_bundle, to_json_text

__all__ = ["SCHEMA_VERSION", "evidence_bundle", "to_json_text"]

"""Plotly figures of an audit with interval error bars: ``result.plot.metric(...)`` and kin."""

from fairloop.plot._plots import AuditPlots

__all__ = ["AuditPlots"]

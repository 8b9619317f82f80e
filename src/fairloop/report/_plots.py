"""Plotly figures of the report, built as plain figure dictionaries with interval error bars.

The builders return ``{"data": [...], "layout": {...}}`` dictionaries, the JSON form
Plotly.js draws: the report serialises them once with the template's ``tojson`` (escaped for
``<script>``), and ``plotly.graph_objects.Figure(spec)`` turns any of them into a Plotly
figure for notebooks.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from fairloop.vocabulary import VERDICTS

__all__ = [
    "as_plain_text", "dot_chart", "error_bars", "line_chart", "sideways", "tolerance_chart",
]  # fmt: skip

#: Colour-blind-safe palette (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
VERDICT_COLOURS = dict(zip(VERDICTS, ("#009E73", "#D55E00", "#999999"), strict=True))


def as_plain_text(spec: Any) -> Any:
    """A figure whose every text is drawn as text: ``&``, ``<`` and ``>`` escaped.

    Plotly.js reads a subset of HTML in any text it draws (labels, names, titles, hover
    text): ``<a href=...>`` becomes a live link, ``<b>`` bold. Group values and reviewer
    names come from the data, so every string of the figure is escaped (Plotly shows the
    entities as the characters). Numbers, colours and formats are left as they are.

    Examples
    --------
    >>> as_plain_text({"data": [{"x": ["<a href='x'>F</a>", 1], "name": "a & b"}]})
    {'data': [{'x': ["&lt;a href='x'&gt;F&lt;/a&gt;", 1], 'name': 'a &amp; b'}]}
    """
    if isinstance(spec, str):
        return html.escape(spec, quote=False)
    if isinstance(spec, dict):
        return {k: as_plain_text(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [as_plain_text(v) for v in spec]
    if isinstance(spec, np.ndarray) and spec.dtype == object:
        return [as_plain_text(v) for v in spec.tolist()]
    return spec


#: Charts of at least this many groups draw them down the side, one row each, so that every
#: label is read whole (a crowded category axis tilts and clips them).
SIDEWAYS_FROM = 13
#: Height of one group's row in a sideways chart, in pixels.
ROW_HEIGHT = 18


def sideways(spec: dict[str, Any], count: int) -> dict[str, Any]:
    """The chart with its groups down the side when there are ``count >= SIDEWAYS_FROM``.

    The axes swap (categories on y, first group at the top), interval bars turn with them,
    the height grows with the groups and the tolerance lines stand upright.
    """
    if count < SIDEWAYS_FROM:
        return spec
    for trace in spec["data"]:
        trace["x"], trace["y"] = trace.get("y", []), trace.get("x", [])
        if "error_y" in trace:
            trace["error_x"] = trace.pop("error_y")
        trace["orientation"] = "h"
        if trace.get("hoverinfo") == "x+y+name+text":
            trace["hoverinfo"] = "y+x+name+text"
    layout = spec["layout"]
    values, groups = layout["yaxis"], layout["xaxis"]
    groups.update({"autorange": "reversed", "automargin": True})
    values["automargin"] = True
    layout["xaxis"], layout["yaxis"] = values, groups
    layout["height"] = max(int(layout.get("height", 360)), ROW_HEIGHT * count + 170)
    layout["legend"] = {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0}
    layout["margin"] = {**layout.get("margin", {}), "t": 80, "b": 50}
    for shape in layout.get("shapes", []):
        shape.update({"xref": "x", "yref": "paper", "x0": shape["y0"], "x1": shape["y1"],
                      "y0": 0, "y1": 1})  # fmt: skip
    return spec


def error_bars(
    values: Sequence[float | None], lows: Sequence[float | None], highs: Sequence[float | None]
) -> dict[str, Any]:
    """Plotly's asymmetric ``error_y`` for points and their interval bounds (gaps stay gaps)."""
    plus = [None if v is None or h is None else h - v for v, h in zip(values, highs, strict=True)]
    minus = [
        None if v is None or lo is None else v - lo for v, lo in zip(values, lows, strict=True)
    ]
    return {
        "type": "data",
        "symmetric": False,
        "array": plus,
        "arrayminus": minus,
        "thickness": 1.5,
        "width": 4,
    }


def _layout(title: str, y_title: str, *, percent: bool = True, height: int = 360) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 80},
        "yaxis": {
            "title": {"text": y_title},
            "tickformat": ".0%" if percent else ".2f",
            "zeroline": True,
            "rangemode": "tozero" if percent else "normal",
        },
        "xaxis": {"automargin": True, "type": "category"},
        "legend": {"orientation": "h", "y": -0.25},
        "template": "plotly_white",
        "hovermode": "closest",
    }


def dot_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[dict[str, Any]],
    *,
    y_title: str = "rate",
) -> dict[str, Any]:
    """Points with interval bars, one trace per series, over text categories.

    Parameters
    ----------
    title : str
        Chart title.
    categories : sequence of str
        The x-axis categories (group names).
    series : sequence of dict
        Each with ``name``, ``values``, ``lows``, ``highs`` and optional ``hover`` (text
        per point), ``insufficient`` (bools: drawn as open markers) and ``x`` (its own
        categories, when the series do not share ``categories``).
    y_title : str, default="rate"
        The y-axis title.
    """
    data = []
    for i, s in enumerate(series):
        x = list(s.get("x") or categories)
        thin = s.get("insufficient") or [False] * len(x)
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": s["name"],
                "x": x,
                "y": list(s["values"]),
                "error_y": error_bars(s["values"], s["lows"], s["highs"]),
                "marker": {
                    "size": 9,
                    "color": PALETTE[i % len(PALETTE)],
                    "symbol": ["circle-open" if t else "circle" for t in thin],
                },
                "text": list(s.get("hover") or []),
                "hoverinfo": "x+y+name+text",
            }
        )
    layout = _layout(title, y_title)
    layout["scattermode"] = "group"
    count = max([len(categories)] + [len(t["x"]) for t in data])
    return sideways({"data": data, "layout": layout}, count)


def tolerance_chart(
    title: str,
    categories: Sequence[str],
    values: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    verdicts: Sequence[str],
    *,
    bounds: tuple[float | None, float | None],
    ratio: bool,
) -> dict[str, Any]:
    """A policy measure per group with its interval, the tolerance band and the verdicts."""
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": verdict,
            "x": [c for c, v in zip(categories, verdicts, strict=True) if v == verdict],
            "y": [y for y, v in zip(values, verdicts, strict=True) if v == verdict],
            "error_y": error_bars(
                [y for y, v in zip(values, verdicts, strict=True) if v == verdict],
                [lo for lo, v in zip(lows, verdicts, strict=True) if v == verdict],
                [h for h, v in zip(highs, verdicts, strict=True) if v == verdict],
            ),
            "marker": {"size": 10, "color": VERDICT_COLOURS.get(verdict, "#333333")},
        }
        for verdict in dict.fromkeys(verdicts)
    ]
    layout = _layout(
        title, "ratio to everyone" if ratio else "difference to everyone", percent=False
    )
    if not ratio:
        layout["yaxis"]["tickformat"] = "+.0%"
    layout["xaxis"]["categoryorder"] = "array"
    layout["xaxis"]["categoryarray"] = list(categories)
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": b,
            "y1": b,
            "line": {"dash": "dash", "color": "#D55E00", "width": 1.5},
        }
        for b in bounds
        if b is not None
    ]
    return sideways({"data": data, "layout": layout}, len(categories))


def line_chart(
    title: str,
    x: Sequence[str],
    series: Sequence[dict[str, Any]],
    *,
    y_title: str = "rate",
) -> dict[str, Any]:
    """Lines over time windows with interval bars, one trace per group."""
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": s["name"],
            "x": list(x),
            "y": list(s["values"]),
            "error_y": error_bars(s["values"], s["lows"], s["highs"]),
            "line": {"color": PALETTE[i % len(PALETTE)]},
            "connectgaps": False,
        }
        for i, s in enumerate(series)
    ]
    return {"data": data, "layout": _layout(title, y_title)}

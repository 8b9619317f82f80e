"""A flag as a notebook shows it: numbers, an interval chart, sample cases, history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from fairloop.store import next_action

__all__ = ["FlagCard"]


def _pct(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def _pts(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * float(value):+.1f}"


def _interval_svg(low: float | None, estimate: float | None, high: float | None) -> Markup:
    """A small inline SVG: the difference's interval against zero (no script, no CDN)."""
    if low is None or high is None or estimate is None or pd.isna(low) or pd.isna(high):
        return Markup("")
    span = max(abs(low), abs(high), 0.05) * 1.15
    width, mid = 300, 150

    def x(v: float) -> float:
        return mid + (v / span) * (width / 2 - 10)

    return Markup(
        '<svg width="300" height="36" role="img" aria-label="difference and its interval">'
        '<line x1="{z}" y1="4" x2="{z}" y2="32" stroke="#888" stroke-dasharray="3,3"/>'
        '<line x1="{lo}" y1="18" x2="{hi}" y2="18" stroke="#b03a2e" stroke-width="3"/>'
        '<circle cx="{est}" cy="18" r="5" fill="#b03a2e"/>'
        '<text x="{z}" y="12" font-size="9" text-anchor="middle" fill="#666">0</text></svg>'
    ).format(z=f"{x(0):.1f}", lo=f"{x(low):.1f}", hi=f"{x(high):.1f}", est=f"{x(estimate):.1f}")


class FlagCard:
    """One flag with its status and history, rendered as HTML in a notebook.

    Every value from the data (subgroup values, case ids, rationales) is escaped.

    Parameters
    ----------
    flag : mapping
        The flag's recorded fields.
    status : str
        Its current status.
    history : pandas.DataFrame
        Its decision events.
    """

    def __init__(self, flag: Mapping[str, Any], status: str, history: pd.DataFrame) -> None:
        self.flag = dict(flag)
        self.status = status
        self.history = history

    @property
    def flag_id(self) -> str:
        """The flag's id."""
        return str(self.flag["flag_id"])

    def __repr__(self) -> str:
        f = self.flag
        return f"FlagCard({f['flag_id']}, {self.status}, {f['metric']}, {f['description']})"

    def _repr_html_(self) -> str:
        f = self.flag
        rows = [
            ("subgroup", f.get("description")),
            ("metric", f.get("metric")),
            ("value in the subgroup", _pct(f.get("value"))),
            ("everyone else", _pct(f.get("complement_value"))),
            ("whole population", _pct(f.get("overall_value"))),
            ("difference", f"{_pts(f.get('difference'))} points "
                           f"({_pts(f.get('difference_ci_low'))} to "
                           f"{_pts(f.get('difference_ci_high'))})"),
            ("q-value", "–" if f.get("q_value") is None else f"{float(f['q_value']):.2g}"),
            ("cases", f.get("n")),
            ("sample cases", " ".join(f.get("sample_case_ids") or []) or "–"),
        ]  # fmt: skip
        table = Markup("").join(
            Markup(
                "<tr><th style='text-align:left;padding-right:1em'>{}</th><td>{}</td></tr>"
            ).format(k, v)
            for k, v in rows
        )
        events = Markup("").join(
            Markup("<li>{} — <b>{}</b>: {} <i>({})</i></li>").format(
                e["created_at"], e["decision"], e["rationale"], e["reviewer"]
            )
            for e in self.history.to_dict(orient="records")
        ) or Markup("<li>no decision yet</li>")
        html = Markup(
            "<div class='fairloop-flag' style='border:1px solid #ccc;padding:8px;"
            "border-radius:6px;max-width:720px'>"
            "<div><code>{fid}</code> · <b>{status}</b> · {severity} severity · {source}</div>"
            "<div><i>next: {after}</i></div>"
            "<p>{sentence}</p>{chart}<table>{table}</table>"
            "<div>History</div><ul>{events}</ul></div>"
        ).format(
            fid=f["flag_id"], status=self.status, after=next_action(self.status),
            severity=f.get("severity"),
            source=f.get("source"), sentence=f.get("sentence", ""),
            chart=_interval_svg(f.get("difference_ci_low"), f.get("difference"),
                                f.get("difference_ci_high")),
            table=table, events=events,
        )  # fmt: skip
        return str(html)


def escape_text(value: object) -> str:
    """Escaped text for widgets that take HTML."""
    return str(escape(value))

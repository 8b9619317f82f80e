"""The vendored plotly.js bundle is the published one, and the report inlines it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fairloop.report._environment import template_dir
from fairloop.report._render import PLOTLY_BUNDLE

#: sha256 of plotly-basic.min.js in the npm package plotly.js-basic-dist-min@4.1.1
#: (tarball sha1 27ea39207030c3e2f5c2d64d9b1366ca59cab97e).
PUBLISHED_SHA256 = "99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba"


def test_bundle_is_the_published_file() -> None:
    path = template_dir().joinpath(*PLOTLY_BUNDLE)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PUBLISHED_SHA256
    assert path.with_name("plotly-basic.LICENSE").read_text().startswith("MIT License")


def test_report_inlines_the_basic_bundle(demo_report: Path) -> None:
    html = demo_report.read_text(encoding="utf-8")
    assert "plotly.js (basic - minified) v4.1.1" in html
    assert len(html.encode()) < 2_000_000, len(html.encode())


def test_many_groups_are_drawn_down_the_side() -> None:
    from fairloop.report._plots import SIDEWAYS_FROM, dot_chart, tolerance_chart

    few = [f"g{i}" for i in range(SIDEWAYS_FROM - 1)]
    many = [f"country {i}" for i in range(41)]

    def series(groups: list[str]) -> list[dict[str, object]]:
        values = [0.1 * (i % 7) for i in range(len(groups))]
        return [{"name": "rate", "values": values, "lows": values, "highs": values}]

    upright = dot_chart("t", few, series(few))
    assert upright["data"][0]["x"] == few and "error_y" in upright["data"][0]
    side = dot_chart("t", many, series(many))
    trace = side["data"][0]
    assert trace["y"] == many and trace["orientation"] == "h" and "error_x" in trace
    assert side["layout"]["yaxis"]["type"] == "category"
    assert side["layout"]["yaxis"]["autorange"] == "reversed"  # first group on top
    assert side["layout"]["height"] >= 18 * 41  # a row per group, labels never crowded
    values = [0.0] * len(many)
    band = tolerance_chart("t", many, values, values, values, ["pass"] * len(many),
                           bounds=(-0.1, 0.1), ratio=False)  # fmt: skip
    assert [s["x0"] for s in band["layout"]["shapes"]] == [-0.1, 0.1]  # upright lines
    assert all(s["yref"] == "paper" for s in band["layout"]["shapes"])

"""Report rendering against Plotly's own serialisation of the report's figures, in one run.

Prints the demo report's size, the median time fairloop takes to render it (view model,
figures and templates: everything after the audit), and the median time Plotly needs to
serialise the same figures (``plotly.io.to_json`` of each ``go.Figure``), with their ratio.
Acceptance: size at most 2 MB (issue 18), ratio at most 2.

    python benchmarks/bench_report.py [--rows 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse

import plotly.graph_objects as go
import plotly.io as pio

import fairloop
from _timing import median_seconds
from fairloop.cli._demo import DEMO_SYSTEM
from fairloop.datasets import make_decision_log
from fairloop.report import build_context, render_html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    log = make_decision_log(n=args.rows, seed=0)
    result = fairloop.audit(log.data, **log.roles, system=DEMO_SYSTEM)
    html = render_html(result)  # warm: plotly.js read once per process, templates compiled
    specs = [c["spec"] for c in build_context(result)["charts"]]

    def plotly_serialise() -> None:  # Plotly's own path: a validated Figure, then its JSON
        for spec in specs:
            go.Figure(spec).to_json()

    def plotly_json_only() -> None:  # the JSON step alone, validation skipped
        for spec in specs:
            pio.to_json(spec, validate=False)

    render = median_seconds(lambda: render_html(result), args.repeat)
    serialise = median_seconds(plotly_serialise, args.repeat)
    json_only = median_seconds(plotly_json_only, args.repeat)
    print(f"demo log: {args.rows:,} rows, {len(specs)} figures")
    print(f"report size: {len(html.encode()) / 1e6:.2f} MB (limit 2 MB)")
    print(f"fairloop render_html (everything after the audit): {render:.3f} s")
    print(f"plotly: go.Figure(spec).to_json() per figure:     {serialise:.3f} s")
    print(f"plotly: pio.to_json(spec, validate=False):         {json_only:.3f} s")
    print(f"ratio to Plotly's serialisation: {render / serialise:.2f}x (limit 2x)")
    print(f"ratio to the bare JSON step:     {render / json_only:.2f}x")


if __name__ == "__main__":
    main()

"""``result.plot``: Plotly figures of an audit, every point with its interval.

Every figure is computed from the audit's count cube (any attribute set of the cube,
context attributes and reviewers included), never from the rows, and drawn with the
report's chart builders so notebooks and the report look alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from fairloop.metrics import (
    METRICS,
    Weighting,
    compute_rates,
    disparities_frame,
    group_table,
    metrics_frame,
    primary_rows,
    weighted_rates,
)
from fairloop.report._filters import number
from fairloop.report._oversight import window_series
from fairloop.report._plots import (
    PALETTE,
    as_plain_text,
    dot_chart,
    error_bars,
    line_chart,
    tolerance_chart,
)
from fairloop.report._scores import roc_chart, roc_curve
from fairloop.stats import proportion_interval
from fairloop.vocabulary import (
    CELLS,
    INSUFFICIENT,
    MISSING_GROUP,
    REVIEWED,
    cell_weights,
    reviewed_metric,
    set_name,
)

#: What the disparities chart shows when no policy rule sets a tolerance for it.
NO_RULE = "no tolerance set"

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from fairloop._audit import AuditResult

__all__ = ["AuditPlots"]


def _unsafe_figure(spec: dict[str, Any]) -> go.Figure:
    """A Plotly figure to add to before it is returned through :func:`_figure`."""
    import plotly.graph_objects as go

    return go.Figure(spec)


def _figure(spec: Any) -> go.Figure:
    """A Plotly figure from a figure dictionary (or figure), its text drawn as text."""
    import plotly.graph_objects as go

    if isinstance(spec, go.Figure):
        spec = spec.to_plotly_json()
    return go.Figure(as_plain_text(spec))


def _complement_deff(weighted: Any, row: int) -> float:
    """The design effect of a group's complement rate (its variance over the binomial's)."""
    k, n = weighted.complement_numerator[row, 0], weighted.complement_denominator[row, 0]
    p = k / n if n > 0 else 0.0
    binomial = p * (1 - p) / n if n > 0 else 0.0
    variance = weighted.complement_variance[row, 0]
    return float(max(variance / binomial, 1.0)) if binomial > 0 else 1.0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


class AuditPlots:
    """Plotly figures of an :class:`~fairloop.AuditResult`, reached as ``result.plot``.

    Each method returns a :class:`plotly.graph_objects.Figure` with the confidence
    interval of every point as an error bar (the audit's interval method and level).
    Groups below the audit's minimum size or denominator are drawn as open markers;
    suppressed groups are left out.

    Parameters
    ----------
    result : AuditResult
        The audit to draw.

    Examples
    --------
    >>> from fairloop.datasets import make_decision_log
    >>> from fairloop import audit
    >>> log = make_decision_log(n=2_000, seed=1)
    >>> result = audit(log.data, **log.roles)
    >>> fig = result.plot.metric("false_positive_rate", by=["race"])
    >>> fig.data[0].error_y.type
    'data'
    """

    def __init__(self, result: AuditResult) -> None:
        self._result = result

    # ------------------------------------------------------------------ helpers
    def _attributes(self, by: str | Sequence[str] | None) -> list[tuple[str, ...]]:
        """The attribute sets to draw: ``by`` as one set, or each sensitive attribute alone."""
        if by is None:
            return [(a,) for a in self._result.config.sensitive]
        names = (by,) if isinstance(by, str) else tuple(by)
        if not names:
            raise ValueError("by= names no attribute. Give e.g. by=['race'] or leave it out.")
        cube = self._result.cube
        known = cube.attributes + ((cube.reviewer,) if cube.reviewer else ())
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(
                f"by= names {unknown[0]!r}, which is not an attribute of this audit. "
                f"Choose from {list(known)} (sensitive, context and reviewer columns)."
            )
        return [names]

    @staticmethod
    def _check_metric(metric: str) -> None:
        if metric not in METRICS:
            raise ValueError(f"Unknown metric {metric!r}. Choose one of: {', '.join(METRICS)}.")

    def _frame(
        self, sets: Sequence[tuple[str, ...]], metric: str, *, weighted: bool = True
    ) -> pd.DataFrame:
        """The tidy metrics of ``metric`` for the given attribute sets, from the summed cube.

        Weighted for every case, as the audit's own figures, when the audit weighted the
        reviewed cases (``result.selection.estimator``) and ``weighted`` is true.
        """
        result = self._result
        cube = result.cube.without_windows()
        table = group_table(cube, [(), *sets])
        rates = compute_rates(table, result.config)
        selection = result.selection
        weigh = selection is not None and selection.estimator != REVIEWED and weighted
        if selection is not None and weigh and reviewed_metric(metric):
            named = {a for s in sets for a in s}
            source = cube.weighting_cube
            if cube.reviewer in named:
                source = cube.case_mix_cube
                if cube.reviewer_strata is not None and named & set(cube.context):
                    raise ValueError(
                        "by= names the reviewer with a context attribute, but the audit "
                        "weighted reviewed cases by score band and keeps reviewers' score "
                        "bands by sensitive attribute only. Draw by the reviewer with "
                        "sensitive attributes, the context attribute without the reviewer, "
                        "or the reviewed cases as they are (estimator='reviewed')."
                    )
            weighting = Weighting(source, selection.estimator, tuple(METRICS))
            rates = weighted_rates(
                rates, weighting.weighted(table.sets), selection.estimator, result.config
            )
        return metrics_frame(table, rates, (metric,))

    def _score_set(self, by: str | Sequence[str] | None) -> list[str]:
        """The attribute sets of the score figures to draw (sensitive attributes only)."""
        if self._result.calibration.empty:
            raise ValueError("The audit has no score: name the score column (score=...).")
        if by is None:
            return list(self._result.config.sensitive)
        names = [by] if isinstance(by, str) else list(by)
        name = set_name(names)
        known = list(dict.fromkeys(self._result.calibration["attribute_set"]))
        if name not in known:
            raise ValueError(
                f"by= must name sensitive attributes of the audit (score figures are kept for "
                f"them and their intersections). Choose from {known}."
            )
        return [name]

    def calibration(self, by: str | Sequence[str] | None = None) -> go.Figure:
        """Observed share decided positive per score stratum and group, with intervals.

        Parameters
        ----------
        by : str or list of str or None, default=None
            Sensitive attributes (an intersection when several); default each alone.

        Returns
        -------
        plotly.graph_objects.Figure
            One trace per group (Wilson or Clopper-Pearson intervals) and the mean score.
        """
        cal = self._result.calibration
        series: list[dict[str, Any]] = []
        bands: list[str] = []
        for name in self._score_set(by):
            part = cal[cal["attribute_set"] == name]
            bands = list(dict.fromkeys([*bands, *part["band"]]))
            for group, rows in part.groupby("group", sort=False):
                series.append({
                    "name": str(group), "x": list(rows["band"]),
                    "values": [number(v) for v in rows["observed"]],
                    "lows": [number(v) for v in rows["ci_low"]],
                    "highs": [number(v) for v in rows["ci_high"]],
                    "insufficient": [int(n) < self._result.config.min_denominator
                                     for n in rows["n"]],
                    "hover": [f"n={int(n)}, mean score {m:.3f}"
                              for n, m in zip(rows["n"], rows["mean_score"], strict=True)],
                })  # fmt: skip
        mean = cal.groupby("band", sort=False)["mean_score"].mean().reindex(bands)
        series.append({"name": "mean score", "x": bands, "values": [number(v) for v in mean],
                       "lows": [None] * len(bands), "highs": [None] * len(bands)})  # fmt: skip
        title = "Calibration: share the human decided positive per score band"
        return _figure(dot_chart(title, bands, series, y_title="share decided positive"))

    def roc(self, by: str | Sequence[str] | None = None) -> go.Figure:
        """ROC curves per group (from the score bands), each point with its intervals.

        The legend gives each group's AUC and its DeLong interval.

        Parameters
        ----------
        by : str or list of str or None, default=None
            Sensitive attributes (an intersection when several); default each alone.

        Returns
        -------
        plotly.graph_objects.Figure
        """
        result = self._result
        metrics = primary_rows(result.metrics)
        auc = metrics[metrics["metric"] == "roc_auc"].set_index("group")
        curves = []
        for name in self._score_set(by):
            part = result.roc[result.roc["attribute_set"] == name]
            for group, rows in part.groupby("group", sort=False):
                label = str(group)
                if label in auc.index:
                    row = auc.loc[label]
                    label += (
                        f" (AUC {row['value']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}])"
                    )
                curves.append(roc_curve(label, rows))
        return _figure(roc_chart("ROC by group (reviewed cases)", curves))

    # ------------------------------------------------------------------ figures
    def metric(
        self, metric: str, by: str | Sequence[str] | None = None, *, estimator: str | None = None
    ) -> go.Figure:
        """One metric per group with its interval, and a line at everyone's value.

        Parameters
        ----------
        metric : str
            A metric name, e.g. ``"false_positive_rate"`` (see :data:`fairloop.METRICS`).
        by : str or list of str or None, default=None
            The attribute set: ``["race"]``, ``["race", "sex"]`` (intersections), or any
            context or reviewer column of the audit. Default: each sensitive attribute
            alone, one trace each.
        estimator : {"reviewed"} or None, default=None
            ``reviewed`` draws the figures of the reviewed cases as they are; by default
            the figures flags and verdicts use (weighted for every case where the audit
            weighted them).

        Returns
        -------
        plotly.graph_objects.Figure
        """
        self._check_metric(metric)
        if estimator not in (None, REVIEWED):
            raise ValueError(
                f"estimator= must be {REVIEWED!r} (the reviewed cases as they are) or left "
                f"out (the audit's own figures), not {estimator!r}."
            )
        sets = self._attributes(by)
        frame = self._frame(sets, metric, weighted=estimator is None)
        overall = frame.iloc[0]
        series, categories = [], []
        for attrs in sets:
            part = frame[frame["attribute_set"] == " & ".join(attrs)]
            # suppressed groups are withheld; groups without a denominator have no value
            part = part[(part["status"] != "suppressed") & (part["denominator"].fillna(0) > 0)]
            names = [" & ".join(a[x] for x in attrs) for a in part["attributes"]]
            if by is None:  # several attributes on one axis: say which attribute
                names = [f"{attrs[0]}: {n}" for n in names]
            categories.extend(names)
            series.append(
                {
                    "name": " & ".join(attrs),
                    "x": names,
                    "values": [number(v) for v in part["value"]],
                    "lows": [number(v) for v in part["ci_low"]],
                    "highs": [number(v) for v in part["ci_high"]],
                    "insufficient": [s != "ok" for s in part["status"]],
                    "hover": [
                        f"{int(k)}/{int(d)}, n={int(n)} ({s})"
                        for k, d, n, s in zip(
                            part["numerator"], part["denominator"], part["n"], part["status"],
                            strict=True,
                        )
                    ],
                }
            )  # fmt: skip
        spec = dot_chart(
            f"{METRICS[metric].title} by {' / '.join(' & '.join(s) for s in sets)}",
            categories,
            series,
            y_title=METRICS[metric].title.lower(),
        )
        fig = _unsafe_figure(spec)
        everyone = number(overall["value"])
        if everyone is not None:
            fig.add_hline(
                y=everyone,
                line={"dash": "dot", "color": "#555555", "width": 1},
                annotation_text=f"everyone {_pct(everyone)}",
                annotation_position="top left",
            )
        return _figure(fig)

    def disparities(
        self,
        metric: str | None = None,
        by: str | Sequence[str] | None = None,
        *,
        measure: Literal["difference", "ratio"] = "difference",
        compare: Literal["to_overall", "reference"] = "to_overall",
        rule: str | None = None,
    ) -> go.Figure:
        """Each group's gap (difference or ratio) with its interval, and the policy's tolerance.

        Parameters
        ----------
        metric : str or None, default=None
            The metric compared; default ``"selection_rate"``, or the rule's metric.
        by : str or list of str or None, default=None
            The attribute set (as in :meth:`metric`); default each sensitive attribute.
        measure : {"difference", "ratio"}, default="difference"
            The gap's measure.
        compare : {"to_overall", "reference"}, default="to_overall"
            Against everyone (the interval and test against the group's complement) or
            against the set's reference group.
        rule : str or None, default=None
            A policy rule's name (see ``result.verdicts["rule"]``): draws that rule's
            measure, tolerance band and verdicts instead, as in the report.

        Returns
        -------
        plotly.graph_objects.Figure
        """
        if rule is not None:
            return self._rule(rule, by)
        metric = metric or "selection_rate"
        self._check_metric(metric)
        if measure not in ("difference", "ratio"):
            raise ValueError(f"measure= must be 'difference' or 'ratio', not {measure!r}.")
        if compare not in ("to_overall", "reference"):
            raise ValueError(f"compare= must be 'to_overall' or 'reference', not {compare!r}.")
        result = self._result
        sets = self._attributes(by)
        cube = result.cube.without_windows()
        table = group_table(cube, [(), *sets])
        rates = compute_rates(table, result.config)
        frame = disparities_frame(table, rates, result.config, (metric,))
        frame = frame[(frame["comparison"] == compare) & (frame["status"] != "suppressed")]
        ratio = measure == "ratio"
        value, low, high = (
            ("ratio", "ratio_ci_low", "ratio_ci_high")
            if ratio
            else ("difference", "difference_ci_low", "difference_ci_high")
        )
        labels = [
            (f"{s}: " if by is None else "") + " & ".join(a.values())
            for s, a in zip(frame["attribute_set"], frame["attributes"], strict=True)
        ]
        bounds, verdicts = self._policy(metric, measure, compare, frame)
        against = "everyone" if compare == "to_overall" else "the reference group"
        spec = tolerance_chart(
            f"{METRICS[metric].title}: {measure} to {against}",
            labels,
            [number(v) for v in frame[value]],
            [number(v) for v in frame[low]],
            [number(v) for v in frame[high]],
            verdicts,
            bounds=bounds,
            ratio=ratio,
        )
        spec["layout"]["yaxis"]["title"] = {"text": f"{measure} to {against}"}
        fig = _unsafe_figure(spec)
        fig.add_hline(y=1.0 if ratio else 0.0, line={"color": "#555555", "width": 1})
        return _figure(fig)

    def _policy(
        self, metric: str, measure: str, compare: str, frame: pd.DataFrame
    ) -> tuple[tuple[float | None, float | None], list[str]]:
        """The policy rule's tolerance on this metric, measure and comparison, and verdicts.

        Each group's verdict is the one the policy gave it (the verdicts table: one home
        for the decision and its false-discovery control). Without a rule: no band, no
        verdict.
        """
        v = self._result.verdicts
        if not v.empty:
            v = v[(v["metric"] == metric) & (v["measure"] == measure) & (v["compare"] == compare)]
        if v.empty:
            return (None, None), [NO_RULE] * len(frame)
        first = v[v["rule"] == v["rule"].iloc[0]]
        given = dict(zip(zip(first["attribute_set"], first["group"], strict=True),
                         first["verdict"], strict=True))  # fmt: skip
        verdicts = [
            str(given.get((s, g), INSUFFICIENT))
            for s, g in zip(frame["attribute_set"], frame["group"], strict=True)
        ]
        return (number(first["min"].iloc[0]), number(first["max"].iloc[0])), verdicts

    def _rule(self, rule: str, by: str | Sequence[str] | None) -> go.Figure:
        v = self._result.verdicts
        known = list(dict.fromkeys(v["rule"])) if len(v) else []
        if rule not in known:
            raise ValueError(f"No policy rule {rule!r} in this audit. Its rules: {known}.")
        part = v[v["rule"] == rule]
        sets = {" & ".join(s) for s in self._attributes(by)}
        part = part[part["attribute_set"].isin(sets)]
        first = v[v["rule"] == rule].iloc[0]
        labels = [
            (f"{s}: " if by is None else "") + " & ".join(a.values())
            for s, a in zip(part["attribute_set"], part["attributes"], strict=True)
        ]
        spec = tolerance_chart(
            rule,
            labels,
            [number(x) for x in part["estimate"]],
            [number(x) for x in part["ci_low"]],
            [number(x) for x in part["ci_high"]],
            [str(x) for x in part["verdict"]],
            bounds=(number(first["min"]), number(first["max"])),
            ratio=first["measure"] == "ratio",
        )
        return _figure(spec)

    def flag(self, flag_id: str) -> go.Figure:
        """A flag's evidence: the subgroup against its comparison, the gap, and over time.

        Left, the flagged metric for the subgroup, for what the flag compares it with
        (everyone else; for a reviewer flag, the same reviewer's other cases) and for
        everyone, with intervals. Middle, the flag's difference and interval against
        zero. Right, when the audit has time windows, the subgroup and its comparison
        per window.

        Parameters
        ----------
        flag_id : str
            A flag's id (``result.flags["flag_id"]``, or an explained pattern's).

        Returns
        -------
        plotly.graph_objects.Figure
        """
        from plotly.subplots import make_subplots

        flag = self._find_flag(flag_id)
        if flag["source"] == "outcome":
            return self._outcome_flag(flag)
        metric = str(flag["metric"])
        subgroup = {str(k): str(v) for k, v in dict(flag["subgroup"]).items()}
        cube = self._result.cube
        reviewer = cube.reviewer if cube.reviewer in subgroup else None
        inside = cube.member_mask(subgroup)
        if reviewer is not None and flag["source"] == "oversight":
            others = cube.member_mask({reviewer: subgroup[reviewer]}) & ~inside
            other_name = f"{reviewer}={subgroup[reviewer]}, other cases"
        else:
            others, other_name = ~inside, "everyone else"
        bars = [
            (str(flag["description"]), inside),
            (other_name, others),
            ("everyone", np.ones(len(inside), dtype=bool)),
        ]
        counts = cube.cells[list(CELLS)].to_numpy(dtype=np.int64)
        stats = [self._rate(metric, counts[mask].sum(axis=0)) for _, mask in bars]
        selection = self._result.selection
        weighted = (
            selection is not None and selection.estimator != REVIEWED
            and reviewed_metric(metric) and reviewer is None
        )  # fmt: skip
        if weighted and selection is not None:  # the flag's own (weighted) figures
            stats = self._weighted_bars(subgroup, metric, selection.estimator)
        windows = cube.windows
        has_trend = len(windows) > 1
        fig = make_subplots(
            rows=1,
            cols=3 if has_trend else 2,
            column_widths=[0.38, 0.17, 0.45] if has_trend else [0.7, 0.3],
            subplot_titles=[
                METRICS[metric].title,
                "difference (interval)",
                *([f"by {self._result.config.window}"] if has_trend else []),
            ],
        )
        for i, ((name, _), (value, low, high, den)) in enumerate(zip(bars, stats, strict=True)):
            if value is None:
                continue
            fig.add_trace(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": name,
                    "x": [name],
                    "y": [value],
                    "error_y": error_bars([value], [low], [high]),
                    "marker": {"size": 11, "color": PALETTE[i]},
                    "text": [f"denominator {den}"],
                    "legendgroup": name,
                },
                row=1,
                col=1,
            )
        difference, d_low, d_high = (
            number(flag["difference"]),
            number(flag["difference_ci_low"]),
            number(flag["difference_ci_high"]),
        )
        fig.add_trace(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "difference",
                "x": ["gap"],
                "y": [difference],
                "error_y": error_bars([difference], [d_low], [d_high]),
                "marker": {"size": 11, "color": "#D55E00", "symbol": "diamond"},
                "showlegend": False,
            },
            row=1,
            col=2,
        )
        fig.add_hline(y=0, line={"color": "#555555", "width": 1}, row=1, col=2)
        if has_trend:
            window = cube.window
            assert window is not None
            keys = cube.cells[window].to_numpy(dtype=object)
            for i, (name, mask) in enumerate(bars[:2]):
                sums = pd.DataFrame(counts[mask], columns=list(CELLS)).groupby(keys[mask]).sum()
                sums = sums.reindex([w for w in windows if w != MISSING_GROUP], fill_value=0)
                points = [self._rate(metric, row) for row in sums.to_numpy()]
                fig.add_trace(
                    {
                        "type": "scatter",
                        "mode": "lines+markers",
                        "name": name,
                        "x": list(sums.index),
                        "y": [p[0] for p in points],
                        "error_y": error_bars(*([p[j] for p in points] for j in range(3))),
                        "line": {"color": PALETTE[i]},
                        "legendgroup": name,
                        "showlegend": False,
                        "connectgaps": False,
                    },
                    row=1,
                    col=3,
                )
        fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=1)
        fig.update_yaxes(tickformat="+.0%", zeroline=True, row=1, col=2)
        if has_trend:
            fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=3)
        fig.update_layout(
            title={"text": f"{flag['flag_id']}: {flag['description']}", "font": {"size": 15}},
            template="plotly_white",
            height=400,
            legend={"orientation": "h", "y": -0.2},
        )
        return _figure(fig)

    def _outcome_flag(self, flag: pd.Series) -> go.Figure:
        """A flag measured against the outcome: the figures before and after review.

        For a widened gap, the group's and everyone else's rate under the model's and
        the final decisions; for a reviewer, the share of their overrides proved right
        against the other reviewers' on like cases. Right, the flag's difference.
        """
        from plotly.subplots import make_subplots

        figures = self._result.outcomes
        assert figures is not None  # an outcome flag comes from an audit with outcomes
        config = self._result.config
        subgroup = {str(k): str(v) for k, v in dict(flag["subgroup"]).items()}
        metric = str(flag["metric"])
        points: list[tuple[str, float, float]] = []  # (name, value, cases)
        if metric == "accuracy":  # a reviewer's overrides
            n = float(flag["n"])
            points = [
                (f"{flag['description']}: overrides proved right", float(flag["value"]), n),
                ("other reviewers, like cases", float(flag["complement_value"]), n),
            ]
            title = "overrides proved right"
        else:
            gaps = figures.gap_changes
            row = gaps[
                (gaps["metric"] == metric)
                & np.asarray([dict(a) == subgroup for a in gaps["attributes"]], dtype=bool)
            ].iloc[0]
            points = [
                (f"{flag['description']}, model", float(row["rate_model"]), float(row["n"])),
                (f"{flag['description']}, final", float(row["rate_final"]), float(row["n"])),
                ("everyone else, model", float(row["rest_model"]), float(row["n_rest"])),
                ("everyone else, final", float(row["rest_final"]), float(row["n_rest"])),
            ]
            title = f"{METRICS[metric].title}, against the outcome"
        fig = make_subplots(rows=1, cols=2, column_widths=[0.7, 0.3],
                            subplot_titles=[title, "difference (interval)"])  # fmt: skip
        for i, (name, value, n) in enumerate(points):
            low, high = proportion_interval(
                np.array([round(value * n)]), np.array([n]), method=config.ci_method,
                confidence_level=config.confidence_level,
            )  # fmt: skip
            fig.add_trace(
                {
                    "type": "scatter", "mode": "markers", "name": name, "x": [name],
                    "y": [value], "error_y": error_bars([value], [low[0]], [high[0]]),
                    "marker": {"size": 11, "color": PALETTE[i % len(PALETTE)]},
                    "text": [f"cases {int(n):,}"],
                },
                row=1, col=1,
            )  # fmt: skip
        difference = number(flag["difference"])
        fig.add_trace(
            {
                "type": "scatter", "mode": "markers", "name": "difference", "x": ["change"],
                "y": [difference],
                "error_y": error_bars([difference], [number(flag["difference_ci_low"])],
                                      [number(flag["difference_ci_high"])]),
                "marker": {"size": 11, "color": "#D55E00", "symbol": "diamond"},
                "showlegend": False,
            },
            row=1, col=2,
        )  # fmt: skip
        fig.add_hline(y=0, line={"color": "#555555", "width": 1}, row=1, col=2)
        fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=1)
        fig.update_yaxes(tickformat="+.0%", zeroline=True, row=1, col=2)
        fig.update_layout(
            title={"text": f"{flag['flag_id']}: {flag['description']}", "font": {"size": 15}},
            template="plotly_white", height=400, legend={"orientation": "h", "y": -0.2},
        )  # fmt: skip
        return _figure(fig)

    def _find_flag(self, flag_id: str) -> pd.Series:
        for frame in (self._result.flags, self._result.explained):
            if len(frame) and "flag_id" in frame:
                hit = frame[frame["flag_id"] == flag_id]
                if len(hit):
                    return hit.iloc[0]
        known = self._result.flags["flag_id"].tolist()
        shown = ", ".join(known[:5]) + (" ..." if len(known) > 5 else "")
        raise KeyError(f"No flag {flag_id!r} in this audit. Its flags: {shown or 'none'}.")

    def _weighted_bars(
        self, subgroup: dict[str, str], metric: str, estimator: str
    ) -> list[tuple[float | None, float | None, float | None, int]]:
        """The subgroup, everyone else and everyone, weighted as the audit weighted them."""
        result = self._result
        banded = result.cube.weighting_cube
        attrs = tuple(subgroup)
        weighted = Weighting(banded, estimator, (metric,)).weighted([(), attrs])
        values, members, _ = banded.grouping(list(attrs))
        n_group = np.bincount(members, banded.column_matrix(CELLS).sum(axis=1))
        present = np.flatnonzero(n_group > 0)
        row = 1 + next(
            i for i, g in enumerate(present)
            if all(str(values[j][g]) == subgroup[a] for j, a in enumerate(attrs))
        )  # fmt: skip
        deff, _ = weighted.design_effects()
        config = result.config
        out: list[tuple[float | None, float | None, float | None, int]] = []
        for k, n, d in (
            (weighted.numerator[row, 0], weighted.denominator[row, 0], deff[row, 0]),
            (weighted.complement_numerator[row, 0], weighted.complement_denominator[row, 0],
             _complement_deff(weighted, row)),
            (weighted.numerator[0, 0], weighted.denominator[0, 0], deff[0, 0]),
        ):  # fmt: skip
            if not n > 0:
                out.append((None, None, None, 0))
                continue
            low, high = proportion_interval(
                np.array([k / d]), np.array([n / d]), method="clopper-pearson",
                confidence_level=config.confidence_level,
            )  # fmt: skip
            out.append((float(k / n), float(low[0]), float(high[0]), round(float(n))))
        return out

    def _rate(
        self, metric: str, cells: np.ndarray
    ) -> tuple[float | None, float | None, float | None, int]:
        """A metric's value, interval and denominator from summed cells, or None when small."""
        config = self._result.config
        num_w, den_w = cell_weights([metric])
        k = int(cells @ num_w[:, 0])
        n = int(cells @ den_w[:, 0])
        size = int(cells.sum())
        if n == 0 or (config.suppress_below is not None and size < config.suppress_below):
            return None, None, None, n
        low, high = proportion_interval(
            np.array([k]), np.array([n]), method=config.ci_method,
            confidence_level=config.confidence_level,
        )  # fmt: skip
        return k / n, float(low[0]), float(high[0]), n

    def trend(self, metric: str, by: str | Sequence[str] | None = None) -> go.Figure:
        """A metric per time window, for everyone or per group, with intervals.

        Parameters
        ----------
        metric : str
            A metric name.
        by : str or list of str or None, default=None
            Draw one line per group of this attribute set; default one line for everyone.

        Returns
        -------
        plotly.graph_objects.Figure

        Raises
        ------
        ValueError
            If the audit has no time windows (no ``time`` column, or ``window = "none"``).
        """
        self._check_metric(metric)
        result = self._result
        cube = result.cube
        window = cube.window
        if window is None:
            raise ValueError(
                "This audit has no time windows. Give the log's time column (time=...) and "
                "a window (window='month', the default) to draw trends."
            )
        attrs = () if by is None else self._attributes(by)[0]
        table = group_table(cube, [(), (window, *attrs)])
        frame = metrics_frame(table, compute_rates(table, result.config), (metric,)).iloc[1:]
        keys = frame["attributes"].map(lambda a: a[window])
        frame = frame[(keys != MISSING_GROUP) & (frame["status"] != "suppressed")]
        frame = frame.assign(window=frame["attributes"].map(lambda a: a[window]))
        windows = sorted(frame["window"].unique().tolist())
        names = frame["attributes"].map(
            lambda a: " & ".join(a[x] for x in attrs) if attrs else "everyone"
        )
        series = window_series(frame, names, windows)
        title = f"{METRICS[metric].title} by {result.config.window}" + (
            f" and {' & '.join(attrs)}" if attrs else ""
        )
        spec = line_chart(title, windows, series, y_title=METRICS[metric].title.lower())
        return _figure(spec)

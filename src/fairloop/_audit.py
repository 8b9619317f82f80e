"""Audit(config).run(log) -> AuditResult, and the one-call :func:`audit`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from fairloop._memory import ensure_groups_fit
from fairloop._version import __version__
from fairloop.config import AuditConfig
from fairloop.cube import CountCube
from fairloop.decision_log import DecisionLog, read_decision_log
from fairloop.exceptions import ConfigError, StoreError
from fairloop.flags import (
    FDR_CORRECTIONS,
    FLAG_COLUMNS,
    REVIEWER_CORRECTION,
    VERDICT_ADJUSTMENT,
    FlagReport,
    find_flags,
    policy_verdicts,
    severity_rule,
)
from fairloop.metrics import (
    FOUR_FIFTHS,
    METRICS,
    GroupTable,
    OutcomeFigures,
    Selection,
    Weighting,
    agreement_by_group,
    attribute_sets,
    compute_rates,
    diagnose_selection,
    disparities_frame,
    group_table,
    metrics_frame,
    outcome_figures,
    pair_kappas,
    primary_rows,
    reviewer_case_mix,
    score_figures,
    summary_figures,
    threshold_table,
    weighted_rates,
    with_notes,
)
from fairloop.report._evidence import evidence_bundle, to_json_text
from fairloop.stats import ZERO_CELL_CORRECTION
from fairloop.stats._tests import MIN_EXPECTED_COUNT
from fairloop.vocabulary import (
    ALL_CASES,
    INVERSE_PROBABILITY,
    MISSING_GROUP,
    POST_STRATIFIED,
    REVIEWED,
    SCORE_METRICS,
    STATUS_ORDER,
    SUPPRESSED_CODE,
    set_name,
    split_set_name,
)

if TYPE_CHECKING:
    from fairloop.plan import ReviewPlan
    from fairloop.plot import AuditPlots
    from fairloop.store import ReviewStore

__all__ = ["Audit", "AuditResult", "Progress", "audit"]


class Progress(Protocol):
    """What :meth:`Audit.run` reports to, always on the caller's thread.

    ``progress(description)`` as a stage begins; ``progress(description, share)`` within a
    long stage, with the share done (0 to 1), and at least once with 1.0 when the pass over
    the rows ends. An exception raised by the callback stops the audit and reaches the
    caller.
    """

    def __call__(self, description: str, share: float | None = None) -> None:
        """Report a stage (``share`` None) or how far the current stage has got."""


@dataclass(frozen=True, eq=False)
class AuditResult:
    """The outcome of an audit: tidy tables, summary figures and provenance.

    Parameters
    ----------
    config : AuditConfig
        The options the audit ran with.
    cube : CountCube
        The count cube every figure was computed from.
    metrics : pandas.DataFrame
        One row per (group, metric): value, numerator, denominator, n, interval, status.
    disparities : pandas.DataFrame
        One row per comparison (reference, to_overall, between_groups) and metric.
    summary : dict
        Named summary figures per attribute set.
    provenance : dict
        Where the data came from and how the audit ran.
    methods : dict
        The statistical methods used, named.
    flags : pandas.DataFrame
        Suspected biased patterns for reviewers, most severe first (see
        :mod:`fairloop.flags`).
    explained : pandas.DataFrame
        Patterns not flagged on their own because another flag explains them.
    verdicts : pandas.DataFrame
        Every group against every policy rule: pass, flag or insufficient evidence.
    tests : dict
        How many tests the flag search made and how they were corrected.
    transitions : pandas.DataFrame
        Reviewed cases per sensitive group by the model's value and the human's value
        (attribute, group, model, human, n); groups whose figures are withheld
        (``suppress_below``) are left out. Every override is a row with model != human.
    selection : Selection or None
        How cases reached a human: the tests of selective review, the estimator chosen
        for error rates and why, and the strata left out as never reviewed.
    calibration : pandas.DataFrame
        Per group and score stratum: reviewed cases, observed positive share with its
        interval, and mean score (empty without a score).
    roc : pandas.DataFrame
        Per group and score band edge: the true and false positive rates of the rule
        ``score >= threshold`` (empty without a score).
    reviewers : pandas.DataFrame
        Per named reviewer: reviews, overrides, the override rate with its interval, and
        the rate within case mix (score band x model decision, indirect standardisation):
        expected rate, case-mix ratio, adjusted rate and interval (empty without a
        reviewer column).
    outcomes : OutcomeFigures or None
        With an outcome column: the model's and the final decisions against it (also rows
        of ``metrics`` with ``truth = "outcome"``), whether knowing the outcome depends on
        the decision or the group, and how many cases have a known outcome.
    agreement : pandas.DataFrame
        When the same cases are judged by several people (the case id repeats, with a
        reviewer column): per group, observed agreement, Fleiss' kappa and Gwet's AC1 with
        bootstrap intervals (empty otherwise).
    reviewer_pairs : pandas.DataFrame
        Likewise per pair of reviewers with enough cases in common: Cohen's kappa.
    """

    config: AuditConfig
    cube: CountCube
    metrics: pd.DataFrame
    disparities: pd.DataFrame
    summary: dict[str, dict[str, Any]]
    provenance: dict[str, Any]
    methods: dict[str, Any] = field(default_factory=dict)
    flags: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FLAG_COLUMNS))
    explained: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    tests: dict[str, Any] = field(default_factory=dict)
    transitions: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["attribute", "group", "model", "human", "n"])
    )
    selection: Selection | None = None
    reviewers: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    roc: pd.DataFrame = field(default_factory=pd.DataFrame)
    outcomes: OutcomeFigures | None = None
    agreement: pd.DataFrame = field(default_factory=pd.DataFrame)
    reviewer_pairs: pd.DataFrame = field(default_factory=pd.DataFrame)

    def threshold(self, threshold: float, *, by: str | list[str] | None = None) -> pd.DataFrame:
        """What each group's rates would be had the model decided positive at ``score >= t``.

        Parameters
        ----------
        threshold : float
            The threshold in [0, 1], taken at the nearest score band edge
            (``threshold_used``).
        by : str or list of str or None, default=None
            The attribute set; default each sensitive attribute alone.

        Returns
        -------
        pandas.DataFrame
            Per group: selection rate (every case), false positive and false negative
            rates (reviewed cases, weighted for every case as the audit's error rates are),
            each with numerator, denominator, interval and ``estimator``.
        """
        names = [by] if isinstance(by, str) else by
        estimator = self.selection.estimator if self.selection is not None else REVIEWED
        try:
            return threshold_table(
                self.cube.without_windows(), threshold, self.config, names, estimator
            )
        except ValueError as exc:
            raise ConfigError(str(exc), option="threshold") from None

    def review_plan(
        self,
        budget: float | None = None,
        *,
        cases: int | None = None,
        per: str | None = None,
        **options: Any,
    ) -> ReviewPlan:
        """Plan who should review what at a review budget, and state what it buys.

        A random quality sample sized by power, a floor of review for every group, and
        targeted review where a reviewer is expected to catch most model errors, over score
        stratum x sensitive group x model decision; compared per group with the log's
        current routing and the best score-only routing at the same budget
        (:mod:`fairloop.plan`).

        Parameters
        ----------
        budget : float or None, default=None
            Share of cases reviewed (default ``config.plan.budget``, else the log's current
            review share).
        cases : int or None, default=None
            Cases reviewed per period instead, with ``per``.
        per : {"day", "week", "month", "quarter", "year"} or None, default=None
            The period of ``cases``; needs the log's time column.
        **options
            Any other option of the ``[plan]`` table (``floor``, ``gap``, ``power``,
            ``alpha``, ``metrics``, ``depth``, ``by``, ``quality_share``, ``prior_cases``,
            ``draws``).

        Returns
        -------
        ReviewPlan
            With :meth:`ReviewPlan.write` for the routing table (JSON or TOML).
        """
        from fairloop.plan import review_plan

        default = budget is None and cases is None and per is None and not options
        cached: ReviewPlan | None = self.__dict__.get("_default_plan")
        if default and cached is not None:
            return cached
        # an unknown option is refused by the [plan] table's declaration, with a suggestion
        chosen = self.config.plan.replace(budget=budget, cases=cases, per=per, **options)
        plan = review_plan(
            self.cube.without_windows(), self.config, options=chosen, provenance=self.provenance
        )
        if default:  # the report and the control mapping read the same plan
            self.__dict__["_default_plan"] = plan
        return plan

    def sample_size(
        self,
        metric: str = "false_positive_rate",
        *,
        gap: float = 0.10,
        power: float = 0.8,
        alpha: float = 0.05,
        attribute_set: str | None = None,
    ) -> pd.DataFrame:
        """Reviewed cases each group needs to detect a gap in a metric, and what it has.

        "To detect a gap of ``gap`` in ``metric`` for a group with ``power`` you need N
        reviewed cases; you have n" (:func:`fairloop.plan.sample_sizes`), from the audit's
        own estimates, effective counts and design effects.

        Parameters
        ----------
        metric : str, default="false_positive_rate"
            A rate of reviewed cases the audit computed.
        gap : float, default=0.10
            The gap to detect, as a share (0.10 is 10 points).
        power : float, default=0.8
            The chance of detecting it.
        alpha : float, default=0.05
            The test's level (two-sided).
        attribute_set : str or None, default=None
            Only the groups of this set (``race``, ``race & sex``).

        Returns
        -------
        pandas.DataFrame
        """
        from fairloop.plan import sample_sizes

        return sample_sizes(self.metrics, metric=metric, gap=gap, power=power, alpha=alpha,
                            attribute_set=attribute_set)  # fmt: skip

    def by_group(
        self,
        attributes: str | list[str],
        *,
        statistic: str = "value",
        estimator: str | None = None,
        truth: str = "human",
        decision: str = "model",
    ) -> pd.DataFrame:
        """A wide table like fairlearn's ``MetricFrame.by_group``.

        Parameters
        ----------
        attributes : str or list of str
            The attribute set, e.g. ``"race"`` or ``["race", "sex"]``.
        statistic : str, default="value"
            Which column to spread: ``value``, ``ci_low``, ``ci_high``, ``n``, ...
        estimator : str or None, default=None
            ``reviewed`` for the figures of the reviewed cases as they are; by default the
            figures flags and verdicts use (weighted for every case where the audit
            weighted them).
        truth : {"human", "outcome"}, default="human"
            What the decision is measured against: the human's final decision, or (with
            an outcome column) what actually happened.
        decision : {"model", "final"}, default="model"
            Against the outcome: the model's decision, or the final one (the human's
            where a human reviewed the case).

        Returns
        -------
        pandas.DataFrame
            Indexed by the attributes' values, one column per metric.
        """
        names = [attributes] if isinstance(attributes, str) else list(attributes)
        pairs = set(zip(self.metrics["truth"], self.metrics["decision"], strict=True))
        if (truth, decision) not in pairs:
            shown = ", ".join(f"truth={t!r}, decision={d!r}" for t, d in sorted(pairs))
            raise ValueError(
                f"No figures with truth={truth!r} and decision={decision!r} in this audit. "
                f"It has: {shown}."
            )
        # the audit names each set in one order; any order of the same attributes is it
        sets = {frozenset(split_set_name(s)): s for s in self.metrics["attribute_set"].unique()}
        chosen = sets.get(frozenset(names), set_name(names))
        frame = self.metrics
        if estimator is None:
            frame = primary_rows(frame, truth, decision)
        else:
            frame = frame[(frame["truth"] == truth) & (frame["decision"] == decision)]
            frame = frame[frame["estimator"].isin([estimator, ALL_CASES])]
        part = frame[frame["attribute_set"] == chosen]
        if part.empty or len(set(names)) != len(names):
            known = sorted(set(self.metrics["attribute_set"]))
            raise KeyError(f"No attribute set {set_name(names)!r}. Known: {known}")
        if statistic not in part.columns or statistic in ("attribute_set", "group", "metric"):
            columns = [c for c in part.columns if c not in ("attribute_set", "group",
                                                            "attributes", "metric",
                                                            "estimator", "note")]  # fmt: skip
            raise ValueError(
                f"statistic= must be one of {', '.join(columns)}. Got {statistic!r} instead."
            )
        index = pd.MultiIndex.from_tuples(
            [tuple(a[n] for n in names) for a in part["attributes"]], names=names
        )
        wide = pd.DataFrame({"metric": part["metric"].to_numpy(),
                             statistic: part[statistic].to_numpy()}, index=index)  # fmt: skip
        out = wide.pivot_table(index=names, columns="metric", values=statistic, aggfunc="first",
                               dropna=False, sort=False)  # fmt: skip
        out.columns.name = None
        ordered = [m for m in (*METRICS, *SCORE_METRICS) if m in out.columns]
        return out[ordered]

    def to_dict(self) -> dict[str, Any]:
        """The JSON evidence bundle as plain data (see :func:`fairloop.report.evidence_bundle`)."""
        self._outputs_fit()
        return evidence_bundle(self)

    def to_record(self) -> dict[str, Any]:
        """What a review store keeps of the run: provenance, summary and flags.

        The same values as in :meth:`to_dict`, without building the whole bundle.
        """
        from fairloop.report._evidence import run_record

        return run_record(self)

    def _outputs_fit(self) -> None:
        """Stop before building outputs of more groups than the memory budget allows."""
        from fairloop._memory import OUTPUT_BYTES_PER_GROUP, ensure_groups_fit

        frame = self.metrics
        if frame.empty:
            return
        groups = frame.drop_duplicates(["attribute_set", "group"])
        names = list(dict.fromkeys(groups["attribute_set"]))
        sets = [split_set_name(str(n)) for n in names]
        index = groups["attribute_set"].map({n: i for i, n in enumerate(names)}).to_numpy()
        ensure_groups_fit(sets, index, per_group=OUTPUT_BYTES_PER_GROUP,
                          option="max_intersection",
                          doing=", written as evidence, tables and report")  # fmt: skip

    def to_json(self, path: str | Path | None = None, *, indent: int | None = 2) -> str:
        """Serialise the evidence bundle; write it to ``path`` when given.

        Parameters
        ----------
        path : str or Path or None, default=None
            File to write (parent folders are created).
        indent : int or None, default=2
            JSON indentation.

        Returns
        -------
        str
            The JSON text.
        """
        text = to_json_text(self.to_dict(), indent=indent)
        if path is not None:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text + "\n", encoding="utf-8")
        return text

    def write_evidence(self, folder: str | Path) -> list[Path]:
        """Write the evidence bundle into ``folder``: evidence.json and its tables beside it.

        What ``fairloop audit --out`` writes: a compact evidence.json whose large tables
        (metrics, disparities, verdicts, calibration, roc) are CSV files beside it, each
        referenced with its SHA-256, and flags.csv (see
        :func:`fairloop.report.write_evidence`; :func:`fairloop.report.read_evidence`
        reads it back). :meth:`to_json` writes the same bundle as one file, tables inline.

        Parameters
        ----------
        folder : str or Path
            Where to write (created when missing).

        Returns
        -------
        list of Path
            The files written, evidence.json first.
        """
        from fairloop.report._evidence import write_evidence

        self._outputs_fit()
        return write_evidence(self, folder)

    def to_html(
        self,
        path: str | Path | None = None,
        *,
        store: ReviewStore | None = None,
        run_id: str | None = None,
        template_dir: str | Path | None = None,
    ) -> str:
        """The governance report: one self-contained HTML file that works offline.

        Parameters
        ----------
        path : str or Path or None, default=None
            File to write (parent folders are created).
        store : ReviewStore or None, default=None
            The review store this run was recorded in; the report then shows every
            flag's adjudication and the audit trail's head hash.
        run_id : str or None, default=None
            The run's id in ``store`` (from :meth:`ReviewStore.record_run`); default the
            store's latest run.
        template_dir : str or Path or None, default=None
            A folder of templates overriding the shipped ones, for an organisation's
            branding.

        Returns
        -------
        str
            The HTML document.
        """
        from fairloop.report import adjudications_from_store, render_html, write_report
        from fairloop.report._render import latest_run

        self._outputs_fit()
        adjudications = None
        if store is not None:
            adjudications = adjudications_from_store(store, run_id or latest_run(store))
        html = render_html(self, adjudications=adjudications, template_dir=template_dir)
        if path is not None:
            write_report(html, path)
        return html

    def controls(
        self, *, store: ReviewStore | None = None, run_id: str | None = None
    ) -> pd.DataFrame:
        """The status of every regulatory control (EU AI Act, NIST AI RMF, your catalogues).

        The same statuses as the report's control mapping: ``evidenced``, ``partial``,
        ``gap`` or ``needs attestation``, each with its reason.

        Parameters
        ----------
        store : ReviewStore or None, default=None
            The review store this run was recorded in: adjudications and the verified
            audit trail count as evidence. Without it, those controls are gaps.
        run_id : str or None, default=None
            The run's id in ``store``; default the store's latest run.

        Returns
        -------
        pandas.DataFrame
            One row per control: catalogue, control, title, citation, status, reason,
            evidence (each key with its state) and attested_by.
        """
        from fairloop.report import adjudications_from_store
        from fairloop.report._context import controls_view
        from fairloop.report._render import latest_run

        adjudications = None
        if store is not None:
            adjudications = adjudications_from_store(store, run_id or latest_run(store))
        view = controls_view(self, adjudications)
        rows = [
            {
                "catalogue": catalogue["id"],
                "control": row["id"],
                "title": row["title"],
                "citation": row["citation"],
                "status": row["status"],
                "reason": row["reason"],
                "evidence": "; ".join(f"{e['key']}: {e['state']}" for e in row["evidence"]),
                "attested_by": (row["attested"] or {}).get("by"),
            }
            for catalogue in view["catalogues"]
            for row in catalogue["rows"]
        ]
        return pd.DataFrame(rows)

    @property
    def plot(self) -> AuditPlots:
        """Plotly figures of this audit with interval error bars.

        ``result.plot.metric("false_positive_rate", by=["race"])``,
        ``result.plot.disparities("selection_rate")``, ``result.plot.flag(flag_id)`` and
        ``result.plot.trend("override_rate", by="sex")``; see :class:`fairloop.plot.AuditPlots`.
        """
        from fairloop.plot import AuditPlots

        return AuditPlots(self)

    def _repr_html_(self) -> str:
        from fairloop.report import render_summary

        return render_summary(self)

    def __repr__(self) -> str:
        p = self.provenance
        return (
            f"AuditResult(rows={p['rows']}, reviewed={p['reviewed_rows']}, "
            f"sensitive={list(self.config.sensitive)}, metrics={len(self.metrics)} rows, "
            f"disparities={len(self.disparities)} rows, flags={len(self.flags)})"
        )


class Audit:
    """An audit configuration, ready to run on decision logs.

    Parameters
    ----------
    config : AuditConfig
        Column roles and options.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"pred": [1, 0] * 20, "final": [1, 1] * 20, "sex": ["F", "M"] * 20})
    >>> result = Audit(AuditConfig(prediction="pred", label="final", sensitive=("sex",))).run(df)
    >>> result.by_group("sex")["accuracy"].round(2).to_dict()
    {'F': 1.0, 'M': 0.0}
    """

    def __init__(self, config: AuditConfig, *, writes_outputs: bool = False) -> None:
        self.config = config
        #: Whether evidence, tables and the report will be written (the command line's
        #: ``--out``): their memory is counted in the estimate made after the pass.
        self.writes_outputs = writes_outputs

    def run(
        self,
        data: Any,
        *,
        progress: Progress | None = None,
        history: ReviewStore | None = None,
        replace_windows: bool = False,
    ) -> AuditResult:
        """Validate the log, build its cube in one pass and compute everything from the cube.

        Parameters
        ----------
        data : DataFrame, Table, str or Path
            A pandas, polars or pyarrow table, or a CSV or Parquet path.
        progress : callable or None, default=None
            Called with a short description as each stage of the work begins, and again
            with the share done (0 to 1) while a long stage runs (the command line draws
            a progress bar with it).
        history : ReviewStore or None, default=None
            Add the time windows that earlier audits of the same series recorded in this
            store (same decisions, attributes and window length) to this log's windows:
            the result covers them all, and no old row is read again. Each window comes
            from one log only.
        replace_windows : bool, default=False
            With ``history``: where this log has rows in a window already stored, use this
            log's counts for it instead of refusing.

        Returns
        -------
        AuditResult

        Raises
        ------
        DecisionLogError
            If the log cannot be audited as configured; lists every problem.
        """
        step: Progress = progress or _silent
        step("reading and counting the log")
        log = read_decision_log(
            data, self.config, progress=lambda share: step("reading and counting the log", share)
        )
        cube, provenance = log.cube, _provenance(log)
        if history is not None:
            step("adding the stored windows")
            cube, provenance = _with_stored_windows(
                cube, provenance, self.config, history, replace_windows
            )
        result = self.run_cube(cube, provenance=provenance, progress=step)
        if self.config.case_id is not None and len(result.flags):
            step("sampling cases of each flag")
            result.flags["sample_case_ids"] = log.sample_cases(
                result.flags, k=self.config.flags.sample_size
            )
        return result

    def _ensure_fits(self, table: GroupTable) -> None:
        from fairloop._memory import AUDIT_BYTES_PER_GROUP, OUTPUT_BYTES_PER_GROUP

        per_group = AUDIT_BYTES_PER_GROUP + (OUTPUT_BYTES_PER_GROUP if self.writes_outputs else 0)
        what = ", with the evidence, tables and report" if self.writes_outputs else ""
        ensure_groups_fit(table.sets, table.set_index, per_group=per_group,
                          option="max_intersection", doing=what)  # fmt: skip

    def run_cube(
        self,
        cube: CountCube,
        *,
        provenance: dict[str, Any],
        progress: Progress | None = None,
    ) -> AuditResult:
        """Compute metrics, disparities, summary figures and flags from a count cube alone."""
        config = self.config
        step: Progress = progress or _silent
        step("metrics and disparities")
        metrics = config.metrics or tuple(METRICS)
        windowed = cube
        cube = cube.without_windows()  # trends read the windows; nothing else
        table = group_table(cube, attribute_sets(config.sensitive, config.max_intersection))
        self._ensure_fits(table)
        raw = compute_rates(table, config)
        rates, weighting = raw, None
        selection = diagnose_selection(cube.weighting_cube, config)
        if config.score is not None and cube.strata is None and cube.scores is not None:
            selection = replace(selection, reason=f"{selection.reason} {_NO_STRATA}")
        if selection.estimator != REVIEWED:
            # reviewed cases weighted to stand for every case: what flags and verdicts use
            weighting = Weighting(cube.weighting_cube, selection.estimator, tuple(METRICS))
            weighted = weighting.weighted(table.sets)
            rates = weighted_rates(raw, weighted, selection.estimator, config)
            left_out = weighting.left_out
            if config.suppress_below is not None:  # small counts withheld, as everywhere
                k = config.suppress_below
                for column in ("cases", "reviewed"):
                    left_out[column] = [v if v >= k else f"<{k}" for v in left_out[column]]
            selection = replace(selection, left_out=left_out)
        disparities = disparities_frame(table, rates, config, tuple(METRICS))
        between = disparities[disparities["comparison"] == "between_groups"]
        summary = summary_figures(
            table, rates, between, confidence_level=config.confidence_level,
            fdr=config.flags.fdr, favourable_rate=config.favourable_rate,
        )  # fmt: skip
        every_metric = with_notes(metrics_frame(table, rates, tuple(METRICS)), selection)
        shown = every_metric
        if weighting is not None:  # the reviewed-only figures stay beside the weighted ones
            reviewed = with_notes(metrics_frame(table, raw, tuple(METRICS)), selection)
            reviewed = reviewed[reviewed["estimator"] == REVIEWED]
            shown = pd.concat([every_metric, reviewed]).sort_index(kind="stable")
        scores = score_figures(cube, config, selection.estimator)
        if scores is not None:
            parts = [shown.reset_index(drop=True), _score_rows(scores.metrics)]
            if selection.estimator != REVIEWED:  # the reviewed-only score figures beside
                reviewed_scores = score_figures(cube, config, tables=False)
                if reviewed_scores is not None:
                    parts.append(_score_rows(reviewed_scores.metrics))
            shown = pd.concat(parts, ignore_index=True)
        shown = shown[shown["metric"].isin([*metrics, *SCORE_METRICS])].reset_index(drop=True)
        # the rows above measure the model's decision against the human's
        shown.insert(list(shown.columns).index("metric") + 1, "truth", "human")
        shown.insert(list(shown.columns).index("truth") + 1, "decision", "model")
        outcomes = outcome_figures(cube.outcomes, config) if cube.outcomes is not None else None
        if outcomes is not None:
            against = outcomes.metrics
            shown = pd.concat([shown, against[against["metric"].isin(metrics)]], ignore_index=True)
        step("searching for flags")
        report = (
            find_flags(
                cube, every_metric, disparities, config, weighting=weighting, outcomes=outcomes
            )
            if config.flags.enabled
            else FlagReport(
                pd.DataFrame(columns=FLAG_COLUMNS),
                pd.DataFrame(),
                # the policy's verdicts do not depend on the search: they are always given
                policy_verdicts(
                    disparities, config.policy or (), every_metric, fdr=config.flags.fdr
                ),
            )
        )
        return AuditResult(
            config=config,
            cube=windowed,
            metrics=shown.reset_index(drop=True),
            disparities=disparities[disparities["metric"].isin(metrics)].reset_index(drop=True),
            summary=summary,
            provenance=provenance,
            methods=_methods(config, rates.clusters, selection),
            flags=report.flags,
            explained=report.explained,
            verdicts=report.verdicts,
            tests=report.tests,
            transitions=_shown_transitions(windowed.transitions, every_metric),
            selection=selection,
            reviewers=reviewer_case_mix(cube.case_mix_cube, config),
            calibration=scores.calibration if scores is not None else _empty_calibration(),
            roc=scores.roc if scores is not None else pd.DataFrame(),
            outcomes=outcomes,
            agreement=(
                agreement_by_group(
                    cube.agreement,
                    config,
                    attribute_sets(config.sensitive, config.max_intersection),
                )
                if cube.agreement is not None
                else pd.DataFrame()
            ),
            reviewer_pairs=(
                pair_kappas(cube.agreement, config)
                if cube.agreement is not None
                else pd.DataFrame()
            ),
        )


#: Why a score audit over stored windows weights within group and decision only.
_NO_STRATA = (
    "Some stored time windows added to this audit keep no score strata (recorded by an "
    "earlier fairloop), so reviewed cases are weighted within group and model decision "
    "only, not within score band."
)


def _empty_calibration() -> pd.DataFrame:
    return pd.DataFrame(columns=["attribute_set", "group", "attributes", "band", "n",
                                 "observed", "ci_low", "ci_high", "mean_score"])  # fmt: skip


def _score_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Score metrics as rows of the metrics table (no numerator or design effect)."""
    out = frame.copy()
    for column in ("numerator", "denominator"):
        out[column] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["n"] = out["n"].astype("Int64")
    out["design_effect"] = np.nan
    out["gap_design_effect"] = np.nan
    out["support"] = np.nan
    out["note"] = None
    return out


def _shown_transitions(transitions: pd.DataFrame | None, metrics: pd.DataFrame) -> pd.DataFrame:
    """The transition table without the groups whose figures are withheld."""
    columns = ["attribute", "group", "model", "human", "n"]
    if transitions is None or transitions.empty:
        return pd.DataFrame(columns=columns)
    hidden = metrics[metrics["status"] == STATUS_ORDER[SUPPRESSED_CODE]]
    withheld = {
        (s, str(a.get(s)))
        for s, a in zip(hidden["attribute_set"], hidden["attributes"], strict=True)
    }
    keep = [
        (a, str(g)) not in withheld
        for a, g in zip(transitions["attribute"], transitions["group"], strict=True)
    ]
    return transitions[keep].reset_index(drop=True)[columns]


def _with_stored_windows(
    cube: CountCube,
    provenance: dict[str, Any],
    config: AuditConfig,
    store: ReviewStore,
    replace: bool,
) -> tuple[CountCube, dict[str, Any]]:
    """The log's cube plus the stored windows it does not cover, and the provenance to say so."""
    if cube.window is None:
        raise ConfigError(
            "{option} adds stored windows, which needs time windows: give the log's time "
            "column and a window length (month by default).",
            option="history",
        )
    stored = store.window_cubes(config)
    read = [w for w in cube.windows if w != MISSING_GROUP]
    overlap = sorted(set(read) & set(stored))
    if overlap and not replace:
        shown = ", ".join(overlap[:6]) + (" ..." if len(overlap) > 6 else "")
        raise ConfigError(
            f"The log has rows in {len(overlap)} window(s) the store holds already ({shown}). "
            "Audit only the rows of new windows, or replace the stored counts of those "
            "windows with this log's ({option}).",
            option="replace_windows",
        )
    kept = {w: c for w, c in stored.items() if w not in read}
    merged = cube.merge(*kept.values()) if kept else cube
    out = dict(provenance)
    out.update(
        rows=merged.n_rows,
        reviewed_rows=merged.n_reviewed,
        cube_cells=len(merged.cells),
        windows_read=read,
        windows_from_store=sorted(kept),
        windows_replaced=overlap,
    )
    if kept and out.get("period"):
        first = min(kept)
        if first < out["period"]["start"][:10]:
            out["period"] = {**out["period"], "start": f"{first}T00:00:00"}
    return merged, out


def _silent(description: str, share: float | None = None) -> None:
    """No progress to show."""


def _provenance(log: DecisionLog) -> dict[str, Any]:
    return {
        "fairloop_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_sha256": log.sha256,
        "rows": log.rows,
        "reviewed_rows": log.cube.n_reviewed,
        "columns": log.config.roles,
        "config": log.config.to_dict(),
        "source": log.describe_source(),
        "period": (
            {"start": log.period[0].isoformat(), "end": log.period[1].isoformat()}
            if log.period
            else None
        ),
        "missing_values": _disclosable(log.missing_values, log.config.suppress_below),
        "cube_cells": len(log.cube.cells),
    }


def _disclosable(counts: dict[str, int], k: int | None) -> dict[str, int | str]:
    """Missing-value counts, with counts below the suppression threshold shown as ``"<k"``."""
    if k is None:
        return dict(counts)
    return {column: rows if rows >= k else f"<{k}" for column, rows in counts.items()}


def _methods(
    config: AuditConfig, clusters: tuple[str, ...] = (), selection: Selection | None = None
) -> dict[str, Any]:
    from fairloop.plan._plan import plan_methods

    return {
        "review_plan": plan_methods(config.plan, config),
        **_selection_methods(config, selection),
        "rate_interval": {
            "wilson": "Wilson score interval (no continuity correction)",
            "clopper-pearson": "Clopper-Pearson exact interval",
        }[config.ci_method],
        "confidence_level": config.confidence_level,
        "difference_interval": "Newcombe hybrid score interval (method 10, from Wilson intervals)",
        "ratio_interval": (
            f"Katz log interval; {ZERO_CELL_CORRECTION:g} added to each cell when a count is zero"
        ),
        "test": (
            "two-sided pooled two-proportion z-test; Fisher's exact test when an expected "
            f"count is below {MIN_EXPECTED_COUNT:g}, for every comparison (between_groups: of "
            "its highest and lowest groups)"
        ),
        "to_overall": "interval and test from the group against its complement",
        "between_groups_note": (
            "the interval and the test are of the selected largest and smallest groups "
            "and are not adjusted for that selection; homogeneity_p_value is the Pearson "
            "chi-square test that every group of the set has the same rate"
        ),
        "ratios": (
            "reference: group / reference group; to_overall: group / everyone; "
            "between_groups: lowest / highest (fairlearn's min / max, at most 1)"
        ),
        "multiple_testing": (
            "disparity p-values are per comparison and unadjusted. Flags: each subgroup test "
            "is of the claim a flag makes, a gap beyond the effect floor "
            f"({config.flags.min_effect:g}), by two one-sided Miettinen-Nurminen score tests; "
            "a test repeated under other names (the two values of a two-valued attribute, "
            "complementary metrics such as accuracy and override_rate) is made once; the flags "
            "shown after explained subgroups are filtered out keep the false discovery rate "
            f"{config.flags.fdr:g} by {FDR_CORRECTIONS[config.flags.fdr_method]}"
            " (Katsevich, Sabatti and Bogomolov 2023), whose threshold counts the flags shown; "
            "q = tests x p / flags shown. Reviewer flags name a person: a reviewer-by-group "
            "interaction test per decision of the model, significant on five scales at once "
            "(an intersection-union test that a reviewer who is merely stricter or more lenient "
            "with everyone, or who catches a fixed share of the model's errors, does not "
            f"pass), under {REVIEWER_CORRECTION}'s family-wise control over every reviewer test. "
            "With an outcome column, the tests that review changed a group's gap join the "
            "subgroup tests' family (shown when the final gap is the wider and no broader "
            "group's widened gap of the same rate is shown) and those that a reviewer's "
            "overrides prove wrong more often join the reviewer tests' family (see "
            "review_effect)"
        ),
        "flag_severity": (
            "score: the assured effect (the end of the difference's interval nearest zero) "
            "times the metric's denominator, i.e. the cases the gap concerns at the least; "
            "flags of every source are ranked by this score alone (then by flag id); "
            f"level: {severity_rule()} (engineering choices, not legal thresholds)"
        ),
        "policy_verdicts": (
            "pass when the interval of the measure lies inside the tolerance; "
            + VERDICT_ADJUSTMENT
            + "; insufficient evidence otherwise; never from a point estimate alone"
        ),
        "four_fifths": (
            f"{config.favourable_rate.replace('_', ' ')} (the share decided favourably for the "
            "person) ratio of each group to the highest-rate group with the Katz log "
            "interval: pass when every assessed group's interval lies at or above "
            f"{FOUR_FIFTHS:g}, fail when one lies wholly below and its one-sided score test "
            "survives Benjamini-Hochberg over every group checked, insufficient otherwise"
        ),
        "independence": _independence(clusters),
        "insufficient": (
            f"group size below {config.min_group_size} or denominator below "
            f"{config.min_denominator}"
        ),
        "suppressed": (
            f"groups smaller than {config.suppress_below} have every figure withheld, and in "
            "an attribute set where only one group would be withheld, the next smallest too; "
            "the protection is per attribute set, not across linked tables"
            if config.suppress_below is not None
            else None
        ),
        "reviewed_only": (
            "performance metrics are of reviewed cases (label present); see estimator for "
            "whether they are weighted to stand for every case"
        ),
        "outcome": (
            f"metrics rows with truth = outcome measure the model's decision and the final "
            f"decision (the human's where reviewed, else the model's) against the outcome "
            f"column {config.outcome!r} (positive value {config.outcome_value!r}), on the "
            "cases whose outcome is known, with the same intervals; knowing the outcome is "
            "tested against the model's decision and each sensitive attribute (Pearson "
            "chi-square, level 0.01) and, when it depends on the decision, the known cases "
            "are post-stratified by sensitive group x model decision to stand for every case "
            "(assumes the outcome is known at random within those strata), the known-only "
            "rows kept beside them. Not kept by stored or merged time windows"
            if config.outcome is not None
            else None
        ),
        "agreement": (
            "when the case id repeats with a reviewer column: per group, observed agreement "
            "of the binary decision (mean share of agreeing pairs of judgments per case), "
            "Fleiss' kappa (chance pi^2 + (1 - pi)^2) and Gwet's AC1 (chance 2 pi (1 - pi)), "
            "with percentile bootstrap intervals over cases (2,000 resamples, seed 0); per "
            "pair of reviewers with at least min_denominator cases in common, Cohen's kappa "
            "with the large-sample interval of Fleiss, Cohen and Everitt (1969)"
            if config.case_id is not None and config.reviewer is not None
            else None
        ),
        "review_effect": (
            "what review changes, case by case: the gain in accuracy (final minus model, "
            "over cases with a known outcome) and each group's change of its false "
            "positive, false negative and selection rate gaps to its complement are paired "
            "differences with Agresti-Min intervals (0.5 added to each cell, then Wald) "
            "widened by a design effect for reviewers (at least 1); a gap's change adds the "
            "group's and the complement's variances; 'widening' is one-sided, positive when "
            "the final gap is wider in the direction of the model's. The share of overrides "
            "proved right has a " + config.ci_method + " interval; a reviewer's wrong "
            "overrides are compared with the count the other named reviewers' wrong shares "
            "give on the reviewer's own case mix (model decision x sensitive groups, x score "
            "stratum when the log has a score; strata no other reviewer overrode in are left "
            "out), with a one-sided normal test whose variance adds the reviewer's binomial "
            "variance and that of the others' shares (assumes a reviewer's cases are "
            "independent given the strata, and that within a stratum reviewers see like "
            "cases). Flags (source outcome, when flags.outcomes is on): a group's gap changed "
            f"by review by more than the effect floor ({config.flags.min_effect:g}; two-sided "
            "against the floor, shown when the final gap is the wider), in the subgroup tests' "
            "family under "
            f"{FDR_CORRECTIONS[config.flags.fdr_method]}; a reviewer's overrides wrong more "
            "often than the others' by more than the floor, in the reviewer tests' family "
            f"under {REVIEWER_CORRECTION}. Measured on the cases whose outcome is known; "
            "when a case is judged several times each judgment counts once and the outcome "
            "figures' intervals treat judgments as independent (too narrow for the model's "
            "decision of a case judged many times)"
            if config.outcome is not None
            else None
        ),
    }


def _selection_methods(config: AuditConfig, selection: Selection | None) -> dict[str, Any]:
    """How error rates were estimated, and the tests of selective review, in words."""
    estimator = selection.estimator if selection is not None else REVIEWED
    described = {
        REVIEWED: "reviewed: error rates describe the reviewed cases as they are (valid for "
        "every case only if review is a random sample)",
        POST_STRATIFIED: "post-stratified: each reviewed case weighted by cases / reviewed "
        "cases of its stratum (score band x model decision x sensitive group); assumes "
        "review is random within strata; variance of stratified sampling conditional on "
        "the reviewed counts, linearised; an unreviewed stratum joins its neighbouring band "
        "when chance explains its zero reviews (p >= 0.01), else its (band, decision) cell "
        "is left out for every group (support < 1)",
        INVERSE_PROBABILITY: "inverse-probability: each reviewed case weighted by 1 / its "
        "review probability (Hajek ratio estimator); assumes the probabilities are the "
        "routing's design; Poisson-sampling variance",
    }[estimator]
    out: dict[str, Any] = {
        "estimator": described
        + (
            "; intervals and tests on effective counts (weighted counts over the design "
            "effect, Korn and Graubard 1998), reviewed-only figures kept beside them"
            if estimator != REVIEWED
            else ""
        ),
        "selection_tests": (
            "Pearson chi-square tests of independence of review and score band, model "
            "decision and each sensitive attribute, at level 0.01"
            + (f"; {selection.reason}" if selection is not None else "")
        ),
    }
    if config.score is not None:
        out["score_metrics"] = (
            f"from the cube's score bands ({config.score_bins} equal-width, or one per "
            "distinct score when it has no more values): roc_auc (Mann-Whitney, ties one "
            "half; DeLong interval on the logit scale), calibration per stratum (Wilson), "
            "calibration in the large and expected calibration error, on reviewed cases as "
            "they are"
        )
    return out


def _independence(clusters: tuple[str, ...]) -> str:
    """What the intervals and tests assume independent, in words."""
    if not clusters:
        return (
            "the rows are taken as independent cases (the log names no reviewer and no case "
            "is judged twice)"
        )
    kinds = " and ".join(
        {"reviewer": "reviewers (a reviewer's decisions share the reviewer)",
         "case": "cases (the judgments of one case share the case)"}[c]
        for c in clusters
    )  # fmt: skip
    return (
        f"clusters are {kinds}: cluster-robust (linearisation) variances, two-way "
        "(Cameron, Gelbach and Miller 2011) when both, give a design effect (floored at 1; "
        "the part above 1 widened by (t/z)^2 with the effective number of reviewers less "
        "one as degrees of freedom) that divides the counts of every interval and test; a "
        "clustered rate's interval is Clopper-Pearson on the effective counts (Korn and "
        "Graubard 1998); clusters are taken as independent of each other. "
        "Reviewer clusters apply to the metrics of reviewed cases; the reviewer flag's own "
        "test and the explanation tests between nested subgroups take rows as independent"
    )


def audit(
    data: Any,
    *,
    prediction: str | None = None,
    label: str | None = None,
    sensitive: str | list[str] | tuple[str, ...] | None = None,
    config: AuditConfig | None = None,
    **options: Any,
) -> AuditResult:
    """Audit a decision log in one call.

    Parameters
    ----------
    data : DataFrame, Table, str or Path
        A pandas, polars or pyarrow table, or a CSV or Parquet path.
    prediction : str or None
        Column of the model's decisions (required unless ``config`` names it).
    label : str or None
        Column of the human's final decisions, missing where not reviewed (required unless
        ``config`` names it).
    sensitive : str or list of str or None
        Sensitive attributes, a list or a comma-separated string (required unless
        ``config`` names them).
    config : AuditConfig or None, default=None
        A base configuration; the other arguments override it.
    **options
        Any other :class:`AuditConfig` field (``score``, ``context``, ``positive``,
        ``ci_method``, ``min_group_size``, ``suppress_below``, ...).

    Returns
    -------
    AuditResult

    Raises
    ------
    DecisionLogError
        If the log cannot be audited as configured.
    ConfigError
        If an option is unknown or invalid.

    Examples
    --------
    >>> from fairloop.datasets import make_decision_log
    >>> log = make_decision_log(n=2_000, seed=1)
    >>> result = audit(log.data, prediction="approved", label="reviewer_decision",
    ...                sensitive=["sex", "race"], score="score")
    >>> sorted(result.metrics["attribute_set"].unique())
    ['(all)', 'race', 'sex', 'sex & race']
    """
    if config is not None and not isinstance(config, AuditConfig):
        raise ConfigError(
            f"config= must be an AuditConfig (AuditConfig.from_mapping or .from_toml). "
            f"Got {type(config).__name__} instead.",
            option="config",
        )
    base = config.to_dict() if config is not None else {}
    roles = {"prediction": prediction, "label": label, "sensitive": sensitive}
    missing = [name for name, value in roles.items() if value is None and name not in base]
    if missing:
        raise ConfigError(
            f"audit() needs {', '.join(f'{m}=' for m in missing)}: the column(s) of the "
            "model's decision, the human's final decision and the sensitive attributes, "
            "or a config= that names them.",
            option=missing[0],
        )
    given = {name: value for name, value in roles.items() if value is not None}
    return Audit(AuditConfig.from_mapping({**base, **options, **given})).run(data)


def rerun_from_store(store: ReviewStore, run_id: str | None = None) -> tuple[AuditResult, str]:
    """Rebuild a recorded run's result from its stored configuration and count cube.

    Nothing reads the decision log again: every figure is recomputed from the cube, and the
    flags keep their stored sample case ids.

    Parameters
    ----------
    store : ReviewStore
        The review store.
    run_id : str or None, default=None
        The run; default the latest.

    Returns
    -------
    result : AuditResult
    run_id : str
    """
    from fairloop.report._render import latest_run

    run_id = run_id or latest_run(store)
    stored = store.run(run_id)
    cube = store.run_cube(run_id)
    if cube is None:
        raise StoreError(
            f"Run {run_id} was recorded without its count cube (by an older fairloop), so it "
            "cannot be re-rendered. Audit the log again to record a new run."
        )
    config = AuditConfig.from_mapping(stored["config"], source=f"run {run_id}")
    result = Audit(config).run_cube(cube, provenance=stored["provenance"])
    recorded = store.flags(run_id=run_id)
    if len(result.flags) and len(recorded) and "sample_case_ids" in recorded:
        samples = dict(zip(recorded["flag_id"], recorded["sample_case_ids"], strict=True))
        result.flags["sample_case_ids"] = [samples.get(f) or [] for f in result.flags["flag_id"]]
    return result, run_id

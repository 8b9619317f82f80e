"""What the audit and demo commands share: summaries, the store, the files, ``--fail-on``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fairloop._files import written
from fairloop.cli._output import EXIT_FINDINGS, EXIT_OK, Output
from fairloop.exceptions import ConfigError
from fairloop.vocabulary import MISSING_GROUP, SEVERITIES

if TYPE_CHECKING:
    import pandas as pd

    from fairloop._audit import AuditResult

__all__ = [
    "SEVERITIES",
    "audit_document",
    "check_severity",
    "fail_on_check",
    "finish",
    "prepare_out",
    "print_flags",
    "print_summary",
    "record_run",
    "write_outputs",
    "write_report_file",
]

#: Store statuses after which a flag no longer fails a pipeline: the disparity is
#: accepted as justified, or it has been mitigated.
SETTLED = ("justified", "mitigated")


def prepare_out(out: Path) -> None:
    """Create the output folder, refusing a path that is a file."""
    if out.exists() and not out.is_dir():
        raise ConfigError(
            f"--out {str(out)!r} is a file. Give a folder to write the outputs into.",
            option="out",
        )
    out.mkdir(parents=True, exist_ok=True)


def write_outputs(result: AuditResult, out: Path) -> list[Path]:
    """Write evidence.json and the tables beside it (metrics.csv, disparities.csv, ...)."""
    prepare_out(out)
    return result.write_evidence(out)


def print_summary(result: AuditResult, out: Output) -> None:
    """A one-screen summary: coverage, then the fairlearn summary figures per attribute set."""
    if not out.talks:
        return
    p = result.provenance
    reviewed = p["reviewed_rows"] / p["rows"] if p["rows"] else 0.0
    typer.echo(
        f"Audited {p['rows']:,} decisions ({p['reviewed_rows']:,} reviewed, {reviewed:.1%})."
    )
    for column, rows in p["missing_values"].items():
        shown = f"{rows:,}" if isinstance(rows, int) else rows
        typer.echo(f"  {shown} rows have no {column}: kept as the '{MISSING_GROUP}' group.")
    insufficient = result.metrics[result.metrics["status"] != "ok"]
    groups = insufficient["group"].nunique()
    if groups:
        typer.echo(f"  {groups} groups have too few cases for some metrics (marked insufficient).")
    selection = result.selection
    if selection is not None and selection.estimator != "reviewed":
        typer.echo(
            f"  Error rates are {selection.estimator} estimates for every case "
            f"({selection.reason})."
        )
    warning = selection.warning() if selection is not None else None
    if warning:
        typer.echo(f"  Warning: {warning}")
    typer.echo("")
    header = (
        f"{'attributes':28s} {'DP diff':>9s} {'DP ratio':>9s} {'EO diff':>9s} {'4/5 rule':>12s}"
    )
    typer.echo(header)
    marked = False
    for name, figures in result.summary.items():
        verdict = {"pass": "pass", "fail": "FAIL"}.get(
            figures["four_fifths_rule"]["verdict"], "insufficient"
        )
        weak = set(figures.get("on_insufficient_groups", ()))
        marked |= bool(weak & {"demographic_parity_difference", "demographic_parity_ratio",
                               "equalized_odds_difference"})  # fmt: skip

        def cell(
            key: str, width: int, weak: set[str] = weak, figures: dict[str, Any] = figures
        ) -> str:
            return f"{_fmt(figures[key]) + ('*' if key in weak else ''):>{width}s}"

        typer.echo(
            f"{name[:28]:28s} {cell('demographic_parity_difference', 9)} "
            f"{cell('demographic_parity_ratio', 9)} {cell('equalized_odds_difference', 9)} "
            f"{verdict:>12s}"
        )
    typer.echo(
        f"\n4/5 rule: each group's {result.config.favourable_rate.replace('_', ' ')} (decided "
        "favourably for the person) against the highest group's, from intervals (the same "
        "check as the report's and evidence.json's four_fifths_rule)."
    )
    if marked:
        typer.echo("* rests on a group with too few cases (marked insufficient).")


def write_report_file(
    result: AuditResult,
    out: Path,
    *,
    db: str | None = None,
    run_id: str | None = None,
    template_dir: Path | None = None,
) -> Path:
    """Write ``out/report.html``, with the store's adjudications when the run is recorded."""
    from fairloop.store import ReviewStore

    prepare_out(out)
    path = out / "report.html"
    folder = None if template_dir is None else str(template_dir)
    if run_id is None:
        return written(path, lambda target: result.to_html(target, template_dir=folder))
    # the store the run was just recorded in: opened as its writer, so closing it
    # checkpoints SQLite's write-ahead log (a read-only reader would leave -wal/-shm files)
    with ReviewStore(db) as store:
        return written(path, lambda target: result.to_html(target, store=store, run_id=run_id,
                                                           template_dir=folder))  # fmt: skip


def record_run(result: AuditResult, db: str | None, out: Output) -> tuple[str, pd.DataFrame]:
    """Record the run in the review store and say where; return its id and flag statuses."""
    import pandas as pd

    from fairloop.store import ReviewStore

    options = result.config.review
    with ReviewStore(db, four_eyes=options.four_eyes,
                     reopen_tolerance=options.reopen_tolerance) as store:  # fmt: skip
        run_id = store.record_run(result)
        reopened = store.history()
        reopened = reopened[(reopened["kind"] == "auto") & (reopened["run_id"] == run_id)]
        out.echo(f"\nrecorded {run_id} in the review store {store.display_url}")
        for event in reopened.itertuples(index=False):
            out.echo(f"  reopened {event.flag_id}: {event.rationale}")
        recorded = store.flags(run_id=run_id)
        statuses = pd.DataFrame(
            {c: recorded[c] if len(recorded) else [] for c in ("flag_id", "status")}
        )
        out.put(run_id=run_id, store=store.display_url,
                reopened=reopened["flag_id"].tolist())  # fmt: skip
    return run_id, statuses


def print_flags(result: AuditResult, out: Output, *, top: int = 10) -> None:
    """The most severe flags, one line each, and how many tests were corrected how."""
    if not out.talks:
        return
    flags = result.flags
    tests = result.tests
    typer.echo("")
    if not tests:
        return
    typer.echo(
        f"Flags: {len(flags)} ({tests['explained']} more explained by these), from "
        f"{tests['count']:,} tests, {tests['correction']} at q <= {tests['fdr']:g}, "
        f"effect >= {tests['min_effect']:g}; {tests['policy_flags']} policy breaches."
    )
    if flags.empty:
        typer.echo("  No suspected biased pattern.")
        return
    typer.echo(f"{'severity':9s} {'source':10s} {'metric':26s} {'difference':>11s}  subgroup")
    head = flags.head(top)
    for severity, source, metric, difference, description in zip(
        head["severity"], head["source"], head["metric"], head["difference"].to_numpy(float),
        head["description"], strict=True,
    ):  # fmt: skip
        typer.echo(
            f"{severity!s:9s} {source!s:10s} {str(metric)[:26]:26s} "
            f"{100 * difference:+10.1f}p  {description}"
        )
    if len(flags) > top:
        typer.echo(f"... and {len(flags) - top} more in evidence.json (flags).")
    typer.echo(f"\nTop flag: {flags['sentence'].tolist()[0]}")


def audit_document(result: AuditResult) -> dict[str, Any]:
    """The ``--json`` summary of an audit (the full evidence is in evidence.json)."""
    p = result.provenance
    columns = ["flag_id", "severity", "source", "metric", "description", "value",
               "complement_value", "difference", "difference_ci_low", "difference_ci_high",
               "q_value", "n", "sentence"]  # fmt: skip
    flags = result.flags[[c for c in columns if c in result.flags]]
    return {
        "rows": p["rows"],
        "reviewed_rows": p["reviewed_rows"],
        "period": p["period"],
        "data_sha256": p["data_sha256"],
        "missing_values": p["missing_values"],
        "summary": result.summary,
        "tests": result.tests,
        "flags": flags.to_dict(orient="records"),
        "insufficient_groups": int(
            result.metrics.loc[result.metrics["status"] != "ok", "group"].nunique()
        ),
        "selection": result.selection.to_dict() if result.selection is not None else None,
    }


def check_severity(fail_on: str | None) -> None:
    """Refuse a ``--fail-on`` value that is no severity."""
    if fail_on is not None and fail_on not in SEVERITIES:
        raise ConfigError(
            f"--fail-on must be one of {', '.join(SEVERITIES)}. Got {fail_on!r}.",
            option="fail-on",
        )


def finish(
    result: AuditResult,
    out: Output,
    *,
    step: Callable[[str], None],
    db: str | None,
    store: bool,
    out_dir: Path | None,
    template_dir: Path | None = None,
    fail_on: str | None = None,
    written: Sequence[Path] = (),
) -> int:
    """Write the files, record the run, write the report; return the ``--fail-on`` code.

    The files come first, so a store that cannot be opened loses nothing; the report
    comes last, with the store's adjudications when the run is recorded, and is written
    even when recording fails.
    """
    files = list(written)
    if out_dir is not None:
        step("writing evidence and tables")
        files += write_outputs(result, out_dir)
    run_id, statuses = None, None
    try:
        if store:
            step("recording in the review store")
            run_id, statuses = record_run(result, db, out)
    finally:
        if out_dir is not None:
            step("writing the governance report")
            report = write_report_file(result, out_dir, db=db, run_id=run_id,
                                       template_dir=template_dir)  # fmt: skip
            files.insert(len(written), report)
        if files:
            out.echo("")
            for path in files:
                out.echo(f"wrote {path}")
            out.put(files=[str(p) for p in files])
    return fail_on_check(result, fail_on, statuses, out)


def fail_on_check(
    result: AuditResult, fail_on: str | None, statuses: pd.DataFrame | None, out: Output
) -> int:
    """The exit code of ``--fail-on``: 1 when an unsettled flag is at or above the severity.

    A flag stops counting once the review store says it is justified or mitigated.
    """
    check_severity(fail_on)
    if fail_on is None:
        return EXIT_OK
    flags = result.flags
    at_least = flags["severity"].map(SEVERITIES.index).fillna(-1) >= SEVERITIES.index(fail_on)
    failing = flags[at_least.to_numpy(bool)]
    if statuses is not None and len(failing):
        status = dict(zip(statuses["flag_id"], statuses["status"], strict=True))
        failing = failing[[status.get(f) not in SETTLED for f in failing["flag_id"]]]
    ids = failing["flag_id"].tolist()
    out.put(fail_on=fail_on, failing_flags=ids)
    if ids:
        out.echo(
            f"\n--fail-on {fail_on}: {len(ids)} flag(s) of {fail_on} severity or above are not "
            "settled (justified or mitigated); exit code 1."
        )
        return EXIT_FINDINGS
    out.echo(f"\n--fail-on {fail_on}: no unsettled flag of {fail_on} severity or above.")
    return EXIT_OK


def _fmt(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.3f}"

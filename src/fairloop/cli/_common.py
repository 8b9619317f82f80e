"""What every command shares: turning fairloop's errors into a message and an exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from fairloop.audit import AuditResult
from fairloop.exceptions import ConfigError, FairloopError

__all__ = [
    "EXIT_BAD_INPUT",
    "fairloop_errors",
    "prepare_out",
    "print_flags",
    "print_summary",
    "record_run",
    "write_outputs",
]

EXIT_BAD_INPUT = 2


@contextmanager
def fairloop_errors() -> Iterator[None]:
    """Print a fairloop error as plain text on stderr and exit with code 2 (no traceback)."""
    try:
        yield
    except FairloopError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def prepare_out(out: Path) -> None:
    """Create the output folder, refusing a path that is a file."""
    if out.exists() and not out.is_dir():
        raise ConfigError(
            f"--out {str(out)!r} is a file. Give a folder to write the outputs into.",
            option="out",
        )
    out.mkdir(parents=True, exist_ok=True)


def write_outputs(result: AuditResult, out: Path) -> list[Path]:
    """Write evidence.json, metrics.csv, disparities.csv and flags.csv into ``out``."""
    prepare_out(out)
    evidence = out / "evidence.json"
    result.to_json(evidence)
    metrics = out / "metrics.csv"
    disparities = out / "disparities.csv"
    flags = out / "flags.csv"
    frames = ((result.metrics, metrics), (result.disparities, disparities), (result.flags, flags))
    for frame, path in frames:
        flat = frame.copy()
        for column in ("attributes", "reference", "subgroup"):
            if column in flat:
                flat[column] = ["; ".join(f"{k}={v}" for k, v in d.items()) for d in flat[column]]
        for column in ("sample_case_ids", "explains"):
            if column in flat:
                flat[column] = [" ".join(v) if isinstance(v, list) else "" for v in flat[column]]
        flat.to_csv(path, index=False)
    return [evidence, metrics, disparities, flags]


def print_summary(result: AuditResult) -> None:
    """A one-screen summary: coverage, then the fairlearn summary figures per attribute set."""
    p = result.provenance
    reviewed = p["reviewed_rows"] / p["rows"] if p["rows"] else 0.0
    typer.echo(
        f"Audited {p['rows']:,} decisions ({p['reviewed_rows']:,} reviewed, {reviewed:.1%})."
    )
    for column, rows in p["missing_values"].items():
        shown = f"{rows:,}" if isinstance(rows, int) else rows
        typer.echo(f"  {shown} rows have no {column}: kept as the '(missing)' group.")
    insufficient = result.metrics[result.metrics["status"] != "ok"]
    groups = insufficient["group"].nunique()
    if groups:
        typer.echo(f"  {groups} groups have too few cases for some metrics (marked insufficient).")
    typer.echo("")
    header = f"{'attributes':28s} {'DP diff':>8s} {'DP ratio':>9s} {'EO diff':>8s} {'4/5 rule':>9s}"
    typer.echo(header)
    for name, figures in result.summary.items():
        rule = figures["four_fifths_rule"]["passed"]
        verdict = "n/a" if rule is None else ("pass" if rule else "FAIL")
        typer.echo(
            f"{name[:28]:28s} {_fmt(figures['demographic_parity_difference']):>8s} "
            f"{_fmt(figures['demographic_parity_ratio']):>9s} "
            f"{_fmt(figures['equalized_odds_difference']):>8s} {verdict:>9s}"
        )


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
        result.to_html(path, template_dir=folder)
    else:
        with ReviewStore(db, read_only=True) as store:
            result.to_html(path, store=store, run_id=run_id, template_dir=folder)
    return path


def record_run(result: AuditResult, db: str | None) -> str:
    """Record the run in the review store and say where."""
    from fairloop.store import ReviewStore

    options = result.config.review
    with ReviewStore(db, four_eyes=options.four_eyes,
                     reopen_tolerance=options.reopen_tolerance) as store:  # fmt: skip
        run_id = store.record_run(result)
        reopened = store.history()
        reopened = reopened[(reopened["kind"] == "auto") & (reopened["run_id"] == run_id)]
        typer.echo(f"\nrecorded {run_id} in the review store {store.display_url}")
        for event in reopened.itertuples(index=False):
            typer.echo(f"  reopened {event.flag_id}: {event.rationale}")
    return run_id


def print_flags(result: AuditResult, *, top: int = 10) -> None:
    """The most severe flags, one line each, and how many tests were corrected how."""
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


def _fmt(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.3f}"

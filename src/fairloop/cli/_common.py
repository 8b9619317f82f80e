"""What every command shares: turning fairloop's errors into a message and an exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from fairloop.audit import AuditResult
from fairloop.exceptions import ConfigError, FairloopError

__all__ = ["EXIT_BAD_INPUT", "fairloop_errors", "prepare_out", "print_summary", "write_outputs"]

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
    """Write evidence.json, metrics.csv and disparities.csv into ``out``."""
    prepare_out(out)
    evidence = out / "evidence.json"
    result.to_json(evidence)
    metrics = out / "metrics.csv"
    disparities = out / "disparities.csv"
    for frame, path in ((result.metrics, metrics), (result.disparities, disparities)):
        flat = frame.copy()
        for column in ("attributes", "reference"):
            if column in flat:
                flat[column] = ["; ".join(f"{k}={v}" for k, v in d.items()) for d in flat[column]]
        flat.to_csv(path, index=False)
    return [evidence, metrics, disparities]


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


def _fmt(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.3f}"

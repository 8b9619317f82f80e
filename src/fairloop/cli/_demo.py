"""``fairloop demo``: audit a bundled synthetic log and write its outputs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fairloop.audit import audit
from fairloop.cli._common import (
    fairloop_errors,
    prepare_out,
    print_flags,
    print_summary,
    record_run,
    write_outputs,
)
from fairloop.datasets import make_decision_log

__all__ = ["demo_command"]


def demo_command(
    out: Path = typer.Option(Path("demo"), "--out", "-o", help="Folder to write into."),
    rows: int = typer.Option(20_000, help="Number of synthetic decisions."),
    seed: int = typer.Option(0, help="Random seed of the synthetic log."),
) -> None:
    """Generate a synthetic loan-decision log with planted biases, audit it, write the outputs.

    Writes decisions.csv (the log), ground_truth.json (what was planted), and
    evidence.json, metrics.csv, disparities.csv (the audit).
    """
    with fairloop_errors():
        log = make_decision_log(n=rows, seed=seed)
        prepare_out(out)
        log_path = out / "decisions.csv"
        log.data.to_csv(log_path, index=False)
        (out / "ground_truth.json").write_text(
            json.dumps(log.planted, indent=2) + "\n", encoding="utf-8"
        )
        result = audit(log_path, **log.roles)
        print_summary(result)
        print_flags(result)
        record_run(result, str(out / "fairloop.db"))
        written = write_outputs(result, out)
        typer.echo("")
        for path in [log_path, out / "ground_truth.json", *written]:
            typer.echo(f"wrote {path}")

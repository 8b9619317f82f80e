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
    write_report_file,
)
from fairloop.datasets import make_decision_log

__all__ = ["demo_command"]

#: How the demo describes its synthetic system in the report's executive summary.
DEMO_SYSTEM = {
    "name": "Loan pre-screening (synthetic demo)",
    "owner": "Credit Risk Analytics (fictional)",
    "intended_purpose": "Recommend approval or decline of consumer loan applications; "
    "a credit officer reviews a share of the recommendations and makes the final decision.",
    "risk_category": "High-risk (EU AI Act Annex III point 5(b), creditworthiness)",
    "version": "synthetic",
}


def demo_command(
    out: Path = typer.Option(Path("demo"), "--out", "-o", help="Folder to write into."),
    rows: int = typer.Option(20_000, help="Number of synthetic decisions."),
    seed: int = typer.Option(0, help="Random seed of the synthetic log."),
) -> None:
    """Generate a synthetic loan-decision log with planted biases, audit it, write the outputs.

    Writes decisions.csv (the log), ground_truth.json (what was planted), the governance
    report report.html, evidence.json, metrics.csv, disparities.csv and flags.csv (the
    audit), and fairloop.db (the review store the run is recorded in).
    """
    with fairloop_errors():
        log = make_decision_log(n=rows, seed=seed)
        prepare_out(out)
        log_path = out / "decisions.csv"
        log.data.to_csv(log_path, index=False)
        (out / "ground_truth.json").write_text(
            json.dumps(log.planted, indent=2) + "\n", encoding="utf-8"
        )
        result = audit(log_path, **log.roles, system=DEMO_SYSTEM)
        print_summary(result)
        print_flags(result)
        db = str(out / "fairloop.db")
        run_id = record_run(result, db)
        written = [write_report_file(result, out, db=db, run_id=run_id),
                   *write_outputs(result, out)]  # fmt: skip
        typer.echo("")
        for path in [log_path, out / "ground_truth.json", *written]:
            typer.echo(f"wrote {path}")

"""``fairloop demo``: audit a bundled synthetic log and write its outputs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fairloop.cli._common import (
    audit_document,
    check_severity,
    finish,
    prepare_out,
    print_flags,
    print_summary,
)
from fairloop.cli._output import FailOnOption, JsonOption, Output, QuietOption
from fairloop.config import AuditConfig

__all__ = ["DEMO_SYSTEM", "demo_command"]

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
    out_dir: Path = typer.Option(Path("demo"), "--out", "-o", help="Folder to write into."),
    rows: int = typer.Option(20_000, help="Number of synthetic decisions."),
    seed: int = typer.Option(0, help="Random seed of the synthetic log."),
    fail_on: FailOnOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Generate a synthetic loan-decision log with planted biases, audit it, write the outputs.

    Writes decisions.csv (the log), ground_truth.json (what was planted), the governance
    report report.html, evidence.json, metrics.csv, disparities.csv and flags.csv (the
    audit), and fairloop.db (the review store the run is recorded in).
    """
    from fairloop._audit import Audit
    from fairloop.datasets import make_decision_log

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        check_severity(fail_on)
        with out.progress(8) as step:
            step("generating the synthetic log")
            log = make_decision_log(n=rows, seed=seed)
            prepare_out(out_dir)
            log_path = out_dir / "decisions.csv"
            log.data.to_csv(log_path, index=False)
            truth = out_dir / "ground_truth.json"
            truth.write_text(json.dumps(log.planted, indent=2) + "\n", encoding="utf-8")
            config = AuditConfig.from_mapping({**log.roles, "system": DEMO_SYSTEM})
            result = Audit(config).run(log_path, progress=step)
            out.put(**audit_document(result), planted=log.planted)
            code = finish(result, out, step=step, db=str(out_dir / "fairloop.db"), store=True,
                          out_dir=out_dir, fail_on=fail_on, written=[log_path, truth])  # fmt: skip
        print_summary(result, out)
        print_flags(result, out)
        out.flush()
        out.emit()
    raise typer.Exit(code)

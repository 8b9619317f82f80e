"""``fairloop plan`` and ``fairloop sample-size``: the review plan of a recorded run.

Both read a run the review store holds (``fairloop audit`` records it): its options and
count cube, so no decision log is read again.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import typer

from fairloop._files import written
from fairloop._spreadsheet import safe_csv
from fairloop.cli._common import prepare_out
from fairloop.cli._output import JsonOption, Output, QuietOption
from fairloop.config import PlanOptions, help_text

__all__ = ["plan_command", "sample_size_command"]

_RUN = typer.Option(
    None, "--run", help="Run id (see `fairloop review list`) [default: the latest]."
)
_DB = typer.Option(
    None, "--db", envvar="FAIRLOOP_DB", help="Review store [default: $FAIRLOOP_DB or fairloop.db]."
)


def _help(name: str) -> str:
    return help_text(PlanOptions, name)


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


def plan_command(
    run: str | None = _RUN,
    db: str | None = _DB,
    budget: float | None = typer.Option(None, help=_help("budget")),
    cases: int | None = typer.Option(None, help=_help("cases")),
    per: str | None = typer.Option(None, help=_help("per")),
    floor: float | None = typer.Option(None, help=_help("floor")),
    gap: float | None = typer.Option(None, help=_help("gap")),
    power: float | None = typer.Option(None, help=_help("power")),
    alpha: float | None = typer.Option(None, help=_help("alpha")),
    metrics: str | None = typer.Option(None, help="Comma-separated. " + _help("metrics")),
    depth: int | None = typer.Option(None, help=_help("depth")),
    by: str | None = typer.Option(None, help="Comma-separated. " + _help("by")),
    quality_share: float | None = typer.Option(
        None, "--quality-share", help=_help("quality_share")
    ),
    out_dir: Path = typer.Option(
        Path("plan"),
        "--out",
        "-o",
        help="Folder for routing.json, routing.toml (the routing table), plan_units.csv, "
        "plan_groups.csv and plan_precision.csv.",
    ),
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Plan who should review what at a review budget, beside the current routing.

    A random quality sample sized by power, a floor of review for every group, and targeted
    review where a reviewer is expected to catch most model errors; per group, what each
    routing buys (coverage, errors caught, residual error, with intervals). Options not
    given come from the run's [plan] table.
    """
    from fairloop._audit import rerun_from_store
    from fairloop.store import ReviewStore

    out = Output(json=as_json, quiet=quiet)
    out.aliases.update(quality_share="quality-share")
    with out.errors():
        with out.progress(3) as step, ReviewStore(db, read_only=True) as store:
            step("rebuilding the run from the store")
            result, run_id = rerun_from_store(store, run)
        changes: dict[str, Any] = {
            "floor": floor, "gap": gap, "power": power, "alpha": alpha,
            "metrics": _names(metrics), "depth": depth, "by": _names(by),
            "quality_share": quality_share,
        }  # fmt: skip
        plan = result.review_plan(budget, cases=cases, per=per, **changes)
        prepare_out(out_dir)
        files = [plan.write(out_dir / "routing.json"), plan.write(out_dir / "routing.toml")]
        for name, frame in (("plan_units.csv", plan.units), ("plan_groups.csv", plan.groups),
                            ("plan_precision.csv", plan.precision)):  # fmt: skip
            files.append(written(out_dir / name, partial(safe_csv, frame)))
        out.flush()
        out.echo(plan.summary())
        out.echo(f"wrote {', '.join(str(f) for f in files)} (run {run_id})")
        out.put(run_id=run_id, plan=plan.to_dict(), files=[str(f) for f in files])
        out.emit()


def sample_size_command(
    metric: str = typer.Option(
        "false_positive_rate", help="A rate of reviewed cases (false_negative_rate, ...)."
    ),
    gap: float = typer.Option(0.10, help="The gap to detect, as a share (0.10 is 10 points)."),
    power: float = typer.Option(0.8, help="The chance of detecting it."),
    alpha: float = typer.Option(0.05, help="The test's level (two-sided)."),
    attribute_set: str | None = typer.Option(
        None, "--set", help="Only the groups of this attribute set (race, or 'race & sex')."
    ),
    run: str | None = _RUN,
    db: str | None = _DB,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """How many reviewed cases each group needs to detect a gap, and how many it has."""
    from fairloop._audit import rerun_from_store
    from fairloop.store import ReviewStore

    out = Output(json=as_json, quiet=quiet)
    out.aliases.update(attribute_set="set")
    with out.errors():
        with ReviewStore(db, read_only=True) as store:
            result, run_id = rerun_from_store(store, run)
        table = result.sample_size(metric, gap=gap, power=power, alpha=alpha,
                                   attribute_set=attribute_set)  # fmt: skip
        for sentence in table["sentence"]:
            out.echo(sentence)
        out.put(run_id=run_id, sample_sizes=table.to_dict("records"))
        out.emit()

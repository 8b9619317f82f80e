"""``fairloop review ...`` and ``fairloop verify``: adjudicate flags, keep the trail honest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairloop.cli._output import EXIT_FINDINGS, JsonOption, Output, QuietOption
from fairloop.config import ReviewOptions, load_config
from fairloop.exceptions import ConfigError
from fairloop.vocabulary import DECISIONS

if TYPE_CHECKING:
    from fairloop.store import ReviewStore

__all__ = ["review_app", "verify_command"]

review_app = typer.Typer(
    help="Adjudicate flags: list them, read their evidence, record decisions, export the trail.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

DB_HELP = "Review store: a SQLAlchemy URL or a SQLite file [default: $FAIRLOOP_DB or fairloop.db]."
CONFIG_HELP = "fairloop.toml whose [review] table sets four_eyes and reopen_tolerance."


# the options every review command shares
DbOption = Annotated[
    str | None, typer.Option("--db", envvar="FAIRLOOP_DB", help=DB_HELP, show_default=False)
]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help=CONFIG_HELP)]
FourEyesOption = Annotated[
    bool | None, typer.Option("--four-eyes/--one-reviewer", help="Four-eyes review.")
]


def _open(
    db: str | None, config: Path | None, four_eyes: bool | None, *, read_only: bool = False
) -> ReviewStore:
    """The review store, read-only for commands that only read.

    A mistyped --db is then an error rather than a new, empty store.
    """
    from fairloop.store import ReviewStore

    options = ReviewOptions.from_value((load_config(config) if config else {}).get("review"))
    return ReviewStore(
        db,
        four_eyes=options.four_eyes if four_eyes is None else four_eyes,
        reopen_tolerance=options.reopen_tolerance,
        read_only=read_only,
    )


@review_app.command("list")
def list_command(
    status: str | None = typer.Option(None, help="Only flags with this status (e.g. open)."),
    run: str | None = typer.Option(None, "--run", help="A run id [default: the latest run]."),
    db: DbOption = None,
    config: ConfigOption = None,
    four_eyes: FourEyesOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """List the flags of a run with their status, most severe first."""
    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        store = _open(db, config, four_eyes, read_only=True)
        flags = store.flags(status=status, run_id=run)
        out.put(flags=flags.to_dict(orient="records"))
        out.emit()
        if not out.talks:
            return
        if flags.empty:
            typer.echo("No flags." if status is None else f"No {status} flags.")
            return
        typer.echo(
            f"{'flag_id':20s} {'status':26s} {'severity':8s} {'metric':26s} {'diff':>7s}  subgroup"
        )
        for record in flags.to_dict(orient="records"):
            typer.echo(
                f"{record['flag_id']:20s} {str(record['status'])[:26]:26s} "
                f"{record['severity']:8s} {str(record['metric'])[:26]:26s} "
                f"{100 * float(record['difference']):+6.1f}p  {record['description']}"
            )
        waiting = flags[~flags["status"].isin(("justified", "mitigated"))]
        if len(waiting):
            typer.echo("\nNext:")
            for status, who in dict(zip(waiting["status"], waiting["next"], strict=True)).items():
                count = int((waiting["status"] == status).sum())
                typer.echo(f"  {count} {status}: {who}")


@review_app.command("show")
def show_command(
    flag_id: str = typer.Argument(..., help="The flag."),
    db: DbOption = None,
    config: ConfigOption = None,
    four_eyes: FourEyesOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Show a flag: its sentence, numbers, sample cases and decision history."""
    from fairloop.store import next_action

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        store = _open(db, config, four_eyes, read_only=True)
        flag = store.flag(flag_id)
        history = store.history(flag_id)
        status = store.status(flag_id)
        out.put(flag=dict(flag), status=status, next=next_action(status),
                history=history.to_dict(orient="records"))  # fmt: skip
        out.emit()
        if not out.talks:
            return
        typer.echo(f"{flag['flag_id']}  [{status}]  {flag['severity']} severity")
        typer.echo(f"next: {next_action(status)}")
        typer.echo(f"{flag['source']} / {flag['metric']} / {flag['description']}\n")
        typer.echo(flag["sentence"] + "\n")
        for key in (
            "value",
            "complement_value",
            "overall_value",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
            "ratio",
            "p_value",
            "q_value",
            "n",
        ):
            typer.echo(f"  {key:20s} {flag.get(key)}")
        if flag.get("sample_case_ids"):
            typer.echo(f"  {'sample cases':20s} {' '.join(flag['sample_case_ids'])}")
        typer.echo("\nHistory:" if len(history) else "\nNo decision yet.")
        for event in history.to_dict(orient="records"):
            typer.echo(
                f"  {event['created_at']}  {event['reviewer']}: {event['decision']}. "
                f"{event['rationale']}"
            )
            if isinstance(event["mitigation"], str) and event["mitigation"]:
                typer.echo(f"      mitigation: {event['mitigation']}")


@review_app.command("runs")
def runs_command(
    db: DbOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """List the recorded runs, newest first: id, time, rows, open and total flags."""
    from fairloop.store import ReviewStore

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        with ReviewStore(db, read_only=True) as store:
            runs = store.runs()
            counts: dict[str, tuple[int, int]] = {}
            for run in runs["run_id"]:
                flags = store.flags(run_id=run)
                opened = int((flags["status"] == "open").sum()) if len(flags) else 0
                counts[run] = (opened, len(flags))
        records = [
            {**r, "open_flags": counts[r["run_id"]][0], "flags": counts[r["run_id"]][1]}
            for r in runs.to_dict(orient="records")
        ]
        out.put(runs=records)
        out.emit()
        if not out.talks:
            return
        if not records:
            typer.echo("No run recorded yet. `fairloop audit` records one.")
            return
        typer.echo(f"{'run_id':24s} {'recorded at':26s} {'rows':>12s} {'open':>5s} {'flags':>6s}")
        for r in records:
            typer.echo(
                f"{r['run_id']:24s} {str(r['created_at'])[:26]:26s} {r['rows']:>12,} "
                f"{r['open_flags']:>5d} {r['flags']:>6d}"
            )


@review_app.command("decide")
def decide_command(
    flag_id: str = typer.Argument(..., help="The flag."),
    decision: str = typer.Option(..., help=f"One of: {', '.join(DECISIONS)}."),
    rationale: str = typer.Option(..., help="Why (required)."),
    reviewer: str = typer.Option(..., help="Who decides (required)."),
    mitigation: str | None = typer.Option(None, help="The mitigation plan, if any."),
    link: list[str] = typer.Option(
        [], "--link", help="A link to a ticket or document (repeatable)."
    ),
    db: DbOption = None,
    config: ConfigOption = None,
    four_eyes: FourEyesOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Record a decision on a flag. Decisions are appended; nothing is overwritten."""
    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        store = _open(db, config, four_eyes)
        event = store.decide(flag_id, decision, rationale=rationale, reviewer=reviewer,
                             mitigation=mitigation, links=link)  # fmt: skip
        status = store.status(flag_id)
        out.echo(f"recorded {event}: {flag_id} is now {status}")
        out.put(event=event, flag_id=flag_id, status=status)
        out.emit()


@review_app.command("bind")
def bind_command(
    name: str = typer.Argument(..., help="The reviewer's display name."),
    principal: str = typer.Argument(
        ..., help="pg:<role> (a PostgreSQL role) or os:<account> (an operating-system account)."
    ),
    db: DbOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Bind a display name to the account that alone may decide under it (on the record).

    A name is bound to the first account that decides under it; this binds one ahead of
    use, or moves it to another account. The binding is chained, with who made it.
    """
    from fairloop.store import ReviewStore

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        with ReviewStore(db) as store:
            store.bind(name, principal)
            bound = store.reviewers()
        out.echo(f"bound {name!r} to {principal}")
        out.put(reviewers=bound.to_dict(orient="records"))
        out.emit()


@review_app.command("export")
def export_command(
    fmt: str = typer.Option("json", "--format", help="csv or json."),
    path: Path | None = typer.Option(None, "--out", "-o", help="File to write [default: stdout]."),
    db: DbOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Export every decision event (with the trail's head hash in JSON), for GRC tools.

    With --json and no --out, the JSON export itself is printed (the same as --format json).
    """
    from fairloop.store import ReviewStore

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        out.aliases["fmt"] = "format"
        if as_json and path is None:
            fmt = "json"
        with ReviewStore(db, read_only=True) as store:
            text = store.export(fmt)  # type: ignore[arg-type]
        if path is None:
            typer.echo(text)
            return
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"Cannot write --out {str(path)!r}: {exc.strerror}. Give a file path in an "
                "existing folder.",
                option="out",
            ) from None
        out.echo(f"wrote {path}")
        out.put(files=[str(path)], format=fmt)
        out.emit()


def verify_command(
    db: DbOption = None,
    expect_head: str | None = typer.Option(
        None, "--expect-head", help="A head hash published earlier (a report prints it)."
    ),
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Walk the audit trail's hash chain; exit 1 naming the first event that does not match.

    Opens the store read-only: it creates nothing and upgrades nothing.
    """
    from fairloop.store import ReviewStore

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        with ReviewStore(db, read_only=True) as store:
            report = store.verify(expect_head=expect_head)
        out.put(**report.__dict__)
        out.emit()
        if report.ok:
            out.echo(f"ok: {report.checked} events and {report.records} records verify; "
                     f"head {report.head}")  # fmt: skip
        elif not as_json:  # the failure is said even when quiet
            typer.echo(f"FAILED after {report.checked} good events: {report.problem}", err=True)
        if not report.ok:
            raise typer.Exit(EXIT_FINDINGS)

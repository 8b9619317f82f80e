"""``fairloop init``: look at a decision log and write a commented fairloop.toml."""

from __future__ import annotations

from pathlib import Path

import typer

from fairloop.cli._output import JsonOption, Output, QuietOption
from fairloop.exceptions import ConfigError

__all__ = ["init_command"]


def init_command(
    data: Path = typer.Argument(
        ..., help="Decision log: a CSV or Parquet file, a folder or glob of Parquet files."
    ),
    config: Path = typer.Option(
        Path("fairloop.toml"), "--config", "-c", help="The config file to write."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing config file."),
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Guess each column's role from its name and values; write a commented fairloop.toml.

    Asks nothing: it prints what it guessed and why, and writes every guess with its
    reason into the file for you to check. Personal data (names, birth dates, contact
    details) is left out on purpose.
    """
    from fairloop.roles import config_text, guess_roles

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        if config.exists() and not force:
            raise ConfigError(
                f"{str(config)!r} exists already. Give another --config path, or --force to "
                "overwrite it.",
                option="config",
            )
        with out.progress(1) as step:
            step("reading the columns")
            guess = guess_roles(str(data))
        try:
            config.write_text(config_text(guess, data=str(data)), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"Cannot write {str(config)!r}: {exc.strerror}. Give a path in an existing "
                "folder with --config.",
                option="config",
            ) from None
        out.flush()
        for role, g in guess.roles.items():
            shown = ", ".join(g.columns) if g.columns else "-"
            out.echo(f"{role:11s} {shown:30s} {g.reason}")
        for name, why in guess.left_out.items():
            out.echo(f"{'left out':11s} {name:30s} {why}")
        for note in guess.notes:
            out.echo(f"\nnote: {note}")
        missing = [r for r in ("prediction", "label", "sensitive") if not guess.roles[r].columns]
        out.echo(f"\nwrote {config}")
        if missing:
            out.echo(f"Name {', '.join(missing)} in {config}, then run:")
        else:
            out.echo("Check it, then run:")
        out.echo(f"  fairloop audit {data} --config {config} --out report")
        out.put(**guess.to_dict(), config=str(config), required_missing=missing)
        out.emit()

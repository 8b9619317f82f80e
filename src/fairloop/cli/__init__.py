"""The ``fairloop`` command line: a thin Typer layer over the public API.

Exit codes, for every command: 0 done; 1 a finding (``audit``/``demo`` with
``--fail-on``: an unsettled flag at or above that severity; ``verify``: a record that
does not match); 2 bad input (the decision log, an option, the config, the store).
Every command takes ``--json`` (one JSON document on stdout) and ``--quiet``.
"""

from __future__ import annotations

import typer

from fairloop._version import __version__
from fairloop.cli._audit import audit_command
from fairloop.cli._demo import demo_command
from fairloop.cli._init import init_command
from fairloop.cli._report import report_command
from fairloop.cli._review import review_app, verify_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="fairloop",
    help="Audit AI decision systems with humans in the loop for bias.\n\n"
    "Exit codes: 0 done; 1 findings (--fail-on, verify); 2 bad input.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are literal: "[default: ...]" is not markup
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fairloop {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Audit AI decision systems with humans in the loop for bias."""


app.command("init")(init_command)
app.command("audit")(audit_command)
app.command("demo")(demo_command)
app.command("report")(report_command)
app.add_typer(review_app, name="review")
app.command("verify")(verify_command)


def main() -> None:
    """Entry point of the ``fairloop`` console script."""
    app()

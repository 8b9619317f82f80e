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
from fairloop.cli._plan import plan_command, sample_size_command
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
app.command("plan")(plan_command)
app.command("sample-size")(sample_size_command)
app.add_typer(review_app, name="review")
app.command("verify")(verify_command)


def main() -> None:
    """Entry point of the ``fairloop`` console script.

    Once the command is done and its output flushed, the process ends without tearing down
    the interpreter: freeing every module of pandas, SciPy and SQLAlchemy one by one takes a
    quarter of a second, longer than a small audit. The command's files and stores are
    closed by then; DuckDB's database is closed first, so that it removes its spill files.
    """
    import contextlib
    import os
    import sys

    try:
        app()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    _close_duckdb()
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # a closed or broken pipe: nothing more to say
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code or 0)


def _close_duckdb() -> None:
    """Close the process's DuckDB database, if a command opened one."""
    import sys

    module = sys.modules.get("fairloop.decision_log._duckdb")
    if module is not None and module._database.cache_info().currsize:
        module._database().close()

"""``fairloop init``: look at a decision log and write a commented fairloop.toml."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import typer

from fairloop.cli._output import JsonOption, Output, QuietOption
from fairloop.exceptions import ConfigError, DecisionLogError, IssueReason

__all__ = ["init_command"]

#: The roles an audit cannot do without.
REQUIRED = ("prediction", "label", "sensitive")


def init_command(
    data: Path = typer.Argument(
        ..., help="Decision log: a CSV or Parquet file, a folder or glob of Parquet files."
    ),
    config: Path = typer.Option(
        Path("fairloop.toml"), "--config", "-c", help="The config file to write."
    ),
    prediction: str | None = typer.Option(
        None, help="The column of the model's decisions, when init cannot tell it."
    ),
    label: str | None = typer.Option(
        None, help="The column of the human's final decisions, when init cannot tell it."
    ),
    sensitive: str | None = typer.Option(
        None, help="The sensitive attributes, comma-separated, when init cannot tell them."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing config file."),
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Guess each column's role from its name and values; write a commented fairloop.toml.

    Asks nothing: it prints what it guessed and why, and writes every guess with its
    reason into the file for you to check. It writes only a file that `fairloop audit`
    accepts on the same log (it runs the audit's checks first); when it cannot tell a
    required role, it writes nothing and says which flag names it. Personal data (names,
    birth dates, contact details) is left out on purpose.
    """
    from fairloop.roles import Guess, config_text, guess_roles

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        if config.exists() and not force:
            raise ConfigError(
                f"{str(config)!r} exists already. Give another --config path, or --force to "
                "overwrite it.",
                option="config",
            )
        with out.progress(2) as step:
            step("reading the columns")
            guess = guess_roles(str(data))
            given = {"prediction": prediction, "label": label, "sensitive": sensitive}
            for role, value in given.items():
                if value:
                    columns = tuple(c.strip() for c in value.split(",") if c.strip())
                    guess.roles[role] = Guess(columns, f"given with --{role}")
            missing = [r for r in REQUIRED if not guess.roles[r].columns]
            if missing:
                reasons = "; ".join(f"{r}: {guess.roles[r].reason}" for r in missing)
                flags = " ".join(f"--{r} COLUMN" for r in missing)
                raise ConfigError(
                    f"init cannot tell the {', '.join(missing)} of {str(data)!r} ({reasons}), "
                    f"so it writes no config that audit would refuse. Name them: fairloop init "
                    f"{data} {flags}."
                )
            step("checking the config against the log")
            text = config_text(guess, data=str(data))
            text = _accepted(text, str(data))
        try:
            config.write_text(text, encoding="utf-8")
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
        out.echo(f"\nwrote {config}; fairloop audit accepts it on this log. Check it, then run:")
        out.echo(f"  fairloop audit {data} --config {config} --out report")
        out.put(**guess.to_dict(), config=str(config), required_missing=[])
        out.emit()


def _with_positive(text: str, data: str, options: dict[str, object]) -> str:
    """The text with ``positive`` set to a value the decisions hold, read as audit reads them.

    A CSV's yes/no stays text for the audit, though a profile may read it as true/false.
    """
    from fairloop.decision_log import open_source
    from fairloop.roles._guess import positive_of

    column = str(options["prediction"])
    source = open_source(data, text_columns=[column])
    value = positive_of(source.sample_values(column, limit=3))
    if value is None:
        return text
    lines = [line for line in text.splitlines() if not line.startswith("positive =")]
    lines.append(f"# The decisions read as {value!r} and its other value: {value!r} is positive.")
    lines.append(f"positive = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _accepted(text: str, data: str) -> str:
    """The config text, once the audit's own checks accept it on ``data``.

    Missing sensitive values are kept as an explicit group (and said so in the file);
    any other problem is an error, and nothing is written.
    """
    from fairloop.config import AuditConfig
    from fairloop.decision_log import read_decision_log

    repairable = {IssueReason.MISSING_SENSITIVE, IssueReason.POSITIVE_NOT_FOUND}
    for attempt in range(2):
        options = tomllib.loads(text)
        try:
            read_decision_log(data, AuditConfig.from_mapping(options, interface="toml"))
            return text
        except DecisionLogError as exc:
            reasons = {issue.reason for issue in exc.issues}
            if attempt == 0 and reasons <= repairable:
                if IssueReason.MISSING_SENSITIVE in reasons:
                    columns = ", ".join(
                        sorted(
                            {
                                str(i.column)
                                for i in exc.issues
                                if i.reason == IssueReason.MISSING_SENSITIVE
                            }
                        )
                    )
                    text += (
                        f"\n# {columns}: some rows have no value. They are audited as an "
                        'explicit "(missing)" group;\n# set "error" to refuse such a log '
                        'instead.\nmissing_sensitive = "group"\n'
                    )  # fmt: skip
                if IssueReason.POSITIVE_NOT_FOUND in reasons:
                    text = _with_positive(text, data, options)
                continue
            raise ConfigError(
                "init's guesses do not pass the audit's checks on this log, so it writes no "
                f"config: {exc.worded('toml')}"
            ) from None
    return text

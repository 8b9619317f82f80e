"""How a command speaks: plain text, nothing (``--quiet``) or one JSON document (``--json``).

Exit codes, for every command:

* 0: done; nothing at or above the ``--fail-on`` severity.
* 1: a finding: open flags at or above ``--fail-on`` (``audit``, ``demo``), or a record
  of the audit trail that does not verify (``verify``).
* 2: bad input: the decision log, an option, the config file or the store.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from fairloop.exceptions import FairloopError

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "FailOnOption",
    "JsonOption",
    "Output",
    "QuietOption",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2

JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help="Print one JSON document on stdout instead of text (implies --quiet)."
    ),
]
FailOnOption = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a flag of this severity or above (low, medium, high) is not settled "
        "(justified or mitigated in the review store): a gate for CI pipelines.",
        show_default=False,
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing but errors; the exit code tells.")
]


def environment_message(exc: OSError) -> str:
    """One sentence for an error of the machine: what could not be done, where, and the fix.

    Examples
    --------
    >>> import errno
    >>> environment_message(OSError(errno.ENOSPC, "No space left on device", "out/a.json"))[:50]
    "cannot write 'out/a.json': the disk is full (No sp"
    """
    import errno

    where = f" {str(exc.filename)!r}" if exc.filename else ""
    reason = exc.strerror or str(exc) or type(exc).__name__
    hints = {
        errno.ENOSPC: ("the disk is full", "Free space or write elsewhere."),
        errno.EROFS: ("the file system is read-only", "Write to a writable folder."),
        errno.EACCES: ("permission denied", "Check the folder's and file's permissions."),
        errno.EPERM: ("permission denied", "Check the folder's and file's permissions."),
        errno.ENOENT: ("it does not exist", "Check the path."),
        errno.EISDIR: ("it is a folder", "Give a file."),
    }
    what, fix = hints.get(exc.errno or -1, ("the system refused", "Check the path and the disk."))
    verb = "read" if exc.errno == errno.ENOENT else "write"
    return f"cannot {verb}{where}: {what} ({reason}). {fix}"


def _database_message(exc: Exception) -> str | None:
    """One sentence for a database error that reached the command (None: not one)."""
    sqlalchemy = sys.modules.get("sqlalchemy")
    if sqlalchemy is None or not isinstance(exc, sqlalchemy.exc.SQLAlchemyError):
        return None
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    lowered = first.lower()
    if "readonly" in lowered or "read-only" in lowered or "permission denied" in lowered:
        fix = "The review store is read-only for this account: use one you may write to."
    elif "full" in lowered or "no space" in lowered:
        fix = "The disk holding the review store is full: free space and run again."
    else:
        fix = "Check the --db URL, that the server runs, and that the store is not damaged."
    return f"the review store failed: {first}. {fix}"


class _FlagNames(dict[str, str]):
    """Flags by option key, by the naming rule of every command.

    ``--`` and the key with dashes; options of a table only through ``aliases``; none for
    what the config file set.
    """

    def __init__(self, aliases: dict[str, str], from_file: set[str]) -> None:
        super().__init__()
        self.aliases = aliases
        self.from_file = from_file

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str) or key in self.from_file:
            return False
        return key in self.aliases or not any(ch in key for ch in ".[")

    def __getitem__(self, key: str) -> str:
        return "--" + self.aliases.get(key, key).replace("_", "-")


@dataclass
class Output:
    """Where a command's words go.

    Parameters
    ----------
    json : bool
        Collect a JSON document (:meth:`put`) and print it once at the end; no text.
    quiet : bool
        Print no text (errors still go to stderr).
    """

    json: bool = False
    quiet: bool = False
    document: dict[str, Any] = field(default_factory=dict)
    #: Options set by a flag of another name (``flags.max_depth`` by ``max_depth``).
    aliases: dict[str, str] = field(default_factory=lambda: {"path": "config"})
    #: Options the config file set and no flag overrode: errors name them as keys.
    from_file: set[str] = field(default_factory=set)
    _held: list[str] | None = field(default=None, repr=False)

    @property
    def talks(self) -> bool:
        """Whether plain text is printed."""
        return not (self.json or self.quiet)

    def echo(self, text: str = "") -> None:
        """Print a line of text, unless quiet or JSON."""
        if not self.talks:
            return
        if self._held is not None:  # a progress bar is drawn: print once it is gone
            self._held.append(text)
        else:
            typer.echo(text)

    def flush(self) -> None:
        """Print the lines held back while a progress bar was drawn."""
        held, self._held = self._held or [], None
        for text in held:
            typer.echo(text)

    def put(self, **items: Any) -> None:
        """Add keys to the JSON document."""
        self.document.update(items)

    def emit(self) -> None:
        """Print the JSON document (in JSON mode)."""
        from fairloop.report._evidence import json_safe

        if self.json:
            typer.echo(json.dumps(json_safe(self.document), default=str, ensure_ascii=False))

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn a fairloop error into one message and exit code 2 (never a traceback).

        In JSON mode the document becomes ``{"error": ..., "exit_code": 2}`` on stdout;
        the message goes to stderr in every mode.
        """
        try:
            yield
        except FairloopError as exc:
            self._fail(exc.worded("cli", self._flags()))
        except OSError as exc:  # the environment: a full disk, a read-only or missing folder
            self._fail(environment_message(exc))
        except Exception as exc:
            message = _database_message(exc)
            if message is None:
                raise
            self._fail(message)

    def _fail(self, message: str) -> None:
        """Say the error (stderr; in JSON mode also as the document) and exit 2."""
        typer.echo(f"error: {message}", err=True)
        if self.json:
            typer.echo(json.dumps({"error": message, "exit_code": EXIT_BAD_INPUT}))
        raise typer.Exit(EXIT_BAD_INPUT) from None

    def _flags(self) -> _FlagNames:
        """The flag setting each option: ``--min-group-size`` for ``min_group_size``."""
        return _FlagNames(self.aliases, self.from_file)

    @contextmanager
    def progress(self, total: int) -> Iterator[Callable[..., None]]:
        """A progress bar over ``total`` steps on stderr; yields ``step(description)``.

        Drawn only when text is wanted and stderr is a terminal, so logs and pipes stay
        clean; the bar disappears when the work is done.
        """
        self._held = []
        try:
            with self._bar(total) as step:
                yield step
        except BaseException:
            self.flush()  # what was done before the failure is still said
            raise

    @contextmanager
    def _bar(self, total: int) -> Iterator[Callable[..., None]]:
        if not self.talks or not sys.stderr.isatty():
            yield lambda _description, _share=None: None
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (SpinnerColumn(), TextColumn("{task.description:<34}"), BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn())  # fmt: skip
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("starting", total=total)
            started = False

            def step(description: str, share: float | None = None) -> None:
                nonlocal started
                if share is not None:  # within a stage: how much of it is done
                    bar.update(task, description=f"{description} {share:4.0%}")
                    return
                if started:
                    bar.advance(task)
                started = True
                bar.update(task, description=description)

            yield step
            bar.update(task, completed=total)

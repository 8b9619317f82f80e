"""Exceptions and warnings raised by fairloop.

The tree is rooted in builtins, so ``except ValueError`` keeps working::

    Exception
    └── FairloopError
        ├── DecisionLogError (ValueError)   the log cannot be audited as declared
        ├── ConfigError (ValueError)        an option or a config file is invalid
        └── StoreError (RuntimeError)       the review store cannot do what was asked
            └── StoreIntegrityError         the store's records do not verify

    UserWarning
    └── FairloopWarning
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

__all__ = [
    "ConfigError",
    "DecisionLogError",
    "EvidenceError",
    "FairloopError",
    "FairloopWarning",
    "Interface",
    "Issue",
    "IssueReason",
    "StoreError",
    "StoreIntegrityError",
    "fill_mentions",
    "mention",
    "option_name",
]


#: The ways options are given: keywords, keys of fairloop.toml, flags of the command line.
Interface = Literal["python", "toml", "cli"]


class FairloopError(Exception):
    """Base class of every error fairloop raises on purpose.

    A message may name options with :func:`mention`; ``str()`` names them as Python
    keywords, :meth:`worded` as another interface does.
    """

    def __init__(self, message: str = "") -> None:
        self.template = message
        super().__init__(fill_mentions(message))

    def worded(
        self, interface: Interface = "python", flags: Mapping[str, str] | None = None
    ) -> str:
        """The message, with the options it names written as ``interface`` writes them."""
        return fill_mentions(self.template, interface, flags)


def option_name(
    option: str, interface: Interface = "python", flags: Mapping[str, str] | None = None
) -> str:
    """How the user of an interface writes an option.

    ``option`` is a dotted key: ``min_group_size``, ``flags.max_depth``,
    ``policy[1].min`` (rules counted from 0). ``flags`` maps keys to the command-line
    flags that set them; keys without one are named as in fairloop.toml.

    Examples
    --------
    >>> [option_name("flags.max_depth", i) for i in ("python", "toml")]
    ['max_depth= in flags=', "'max_depth' in the [flags] table"]
    >>> option_name("policy[1].min", "toml"), option_name("policy[1].min")
    ("'min' in [[policy]] table 2", 'min= in policy[1]')
    >>> option_name("fdr", "cli", {"fdr": "--fdr"}), option_name("window", "cli")
    ('--fdr', "'window' in fairloop.toml")
    """
    if interface == "cli" and flags is not None and option in flags:
        return flags[option]
    head, dot, leaf = option.rpartition(".")
    if not dot and "[" in option:  # a whole table of a list: policy[1]
        table, _, index = option.partition("[")
        if interface == "python":
            return option
        return f"[[{table}]] table {int(index.rstrip(']')) + 1}"
    if interface == "python":
        if not dot:
            return f"{option}="
        return f"{leaf}= in {head}" if "[" in head else f"{leaf}= in {head}="
    if not dot:
        return f"{option!r} in fairloop.toml"
    table, _, index = head.partition("[")
    if index:
        return f"{leaf!r} in [[{table}]] table {int(index.rstrip(']')) + 1}"
    return f"{leaf!r} in the [{head}] table"


_MARK = "\x1e"


def mention(option: str, value: str | None = None) -> str:
    """A placeholder for an option (and a value for it) in a message or a fix.

    :func:`fill_mentions` writes it as the interface in use does: ``positive=`` or
    ``missing_sensitive='group'`` in Python, ``--positive`` or ``--missing-sensitive group``
    on the command line, ``missing_sensitive = "group"`` in fairloop.toml.
    """
    return f"{_MARK}{option}{'=' + value if value is not None else ''}{_MARK}"


def fill_mentions(
    text: str, interface: Interface = "python", flags: Mapping[str, str] | None = None
) -> str:
    """Replace the placeholders of :func:`mention` in ``text``.

    Examples
    --------
    >>> fix = f"Set {mention('positive')} or pass {mention('missing_sensitive', 'group')}."
    >>> fill_mentions(fix)
    "Set positive= or pass missing_sensitive='group'."
    >>> flags = {"positive": "--positive", "missing_sensitive": "--missing-sensitive"}
    >>> fill_mentions(fix, "cli", flags)
    'Set --positive or pass --missing-sensitive group.'
    """
    parts = text.split(_MARK)
    for i in range(1, len(parts), 2):
        option, has_value, value = parts[i].partition("=")
        name = option_name(option, interface, flags)
        if not has_value:
            parts[i] = name
        elif interface == "python":
            parts[i] = f"{option}={value!r}"
        elif name.startswith("--"):
            parts[i] = f"{name} {value}"
        else:
            parts[i] = f'{option} = "{value}" in fairloop.toml'
    return "".join(parts)


class IssueReason(str, Enum):
    """Why a decision log cannot be audited as declared."""

    MISSING_COLUMN = "missing_column"
    VALUE_OUTSIDE_SET = "value_outside_set"
    NOT_BINARY = "not_binary"
    POSITIVE_NOT_FOUND = "positive_not_found"
    SCORE_NOT_NUMERIC = "score_not_numeric"
    SCORE_OUT_OF_RANGE = "score_out_of_range"
    BAD_REVIEW_PROBABILITY = "bad_review_probability"
    MISSING_SENSITIVE = "missing_sensitive"
    EMPTY_LOG = "empty_log"
    SINGLE_GROUP = "single_group"
    DUPLICATE_CASE_ID = "duplicate_case_id"
    UNREADABLE_FILE = "unreadable_file"
    BAD_TIME = "bad_time"
    ROLE_CONFLICT = "role_conflict"
    UNSUPPORTED_INPUT = "unsupported_input"


@dataclass(frozen=True)
class Issue:
    """One problem found in a decision log.

    Parameters
    ----------
    reason : IssueReason
        The kind of problem.
    column : str or None
        The column it concerns (``None`` for problems of the whole log or file).
    message : str
        What is wrong, with the values that show it.
    fix : str
        What the user can do about it. Options it names (:func:`mention`) read as Python
        keywords here; :meth:`worded` names them for another interface.
    rows : int or None, default=None
        How many rows are affected, where that is known.
    """

    reason: IssueReason
    column: str | None
    message: str
    fix: str
    rows: int | None = None
    _template: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_template", f"{self.message} Fix: {self.fix}")
        object.__setattr__(self, "message", fill_mentions(self.message))
        object.__setattr__(self, "fix", fill_mentions(self.fix))

    def worded(
        self, interface: Interface = "python", flags: Mapping[str, str] | None = None
    ) -> str:
        """The issue, with the options it mentions named as ``interface`` writes them."""
        where = f"[{self.column}] " if self.column is not None else ""
        return where + fill_mentions(self._template, interface, flags)

    def __str__(self) -> str:
        return self.worded()


class DecisionLogError(FairloopError, ValueError):
    """The decision log cannot be audited as declared.

    Every problem found is listed in :attr:`issues`; the message lists them all,
    one per line, each naming the column and the fix.
    """

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__(self.worded())

    def worded(
        self, interface: Interface = "python", flags: Mapping[str, str] | None = None
    ) -> str:
        """Every issue, one per line, with options named as ``interface`` writes them."""
        count = len(self.issues)
        head = f"The decision log has {count} problem{'s' if count != 1 else ''}:"
        lines = [head]
        lines += [
            f"  {i}. {issue.worded(interface, flags)}" for i, issue in enumerate(self.issues, 1)
        ]
        return "\n".join(lines)

    @property
    def columns(self) -> list[str]:
        """Columns named by the issues, in order of first mention."""
        seen: dict[str, None] = {}
        for issue in self.issues:
            if issue.column is not None:
                seen.setdefault(issue.column, None)
        return list(seen)


class ConfigError(FairloopError, ValueError):
    """An audit option or a configuration file is invalid.

    The message names the option as the interface in use writes it: a keyword in Python
    (``min_group_size=``), a key in fairloop.toml, a flag on the command line. Messages
    about one option write ``{option}`` where its name goes; :meth:`worded` fills it in.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it; ``{option}`` stands for the option's name.
    option : str or None, default=None
        The option concerned, as a dotted key (``flags.max_depth``, ``policy[0].min``).
    interface : {"python", "toml", "cli"}, default="python"
        Where the option was given, for :func:`str`.
    """

    def __init__(
        self, message: str, *, option: str | None = None, interface: Interface = "python"
    ) -> None:
        self.option = option
        self.interface: Interface = interface
        super().__init__(message)
        self.args = (self.worded(interface),)

    def worded(
        self, interface: Interface = "python", flags: Mapping[str, str] | None = None
    ) -> str:
        """The message with the option named for ``interface`` (see :func:`option_name`)."""
        name = "The value" if self.option is None else option_name(self.option, interface, flags)
        return fill_mentions(self.template.replace("{option}", name), interface, flags)

    def within(self, table: str) -> ConfigError:
        """The same error for an option of the table ``table`` (``flags``, ``policy[0]``)."""
        if self.option is None:
            option = table
        else:
            option = f"{table}{'' if self.option.startswith('[') else '.'}{self.option}"
        return ConfigError(self.template, option=option, interface=self.interface)

    def given_in(self, interface: Interface) -> ConfigError:
        """The same error, worded for another interface."""
        return ConfigError(self.template, option=self.option, interface=interface)

    def __str__(self) -> str:
        return self.worded(self.interface)


class StoreError(FairloopError, RuntimeError):
    """The review store cannot do what was asked (unknown flag or run, unreachable server)."""


class StoreIntegrityError(StoreError):
    """The review store's records are inconsistent (see :meth:`ReviewStore.verify`)."""


class EvidenceError(FairloopError, ValueError):
    """An evidence bundle that cannot be read as written.

    A table it references is missing or changed (see :func:`fairloop.report.read_evidence`).
    """


class FairloopWarning(UserWarning):
    """A result is valid but needs care in reading (for example small groups)."""

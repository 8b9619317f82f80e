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

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "ConfigError",
    "DecisionLogError",
    "FairloopError",
    "FairloopWarning",
    "Issue",
    "IssueReason",
    "StoreError",
    "StoreIntegrityError",
]


class FairloopError(Exception):
    """Base class of every error fairloop raises on purpose."""


class IssueReason(str, Enum):
    """Why a decision log cannot be audited as declared."""

    MISSING_COLUMN = "missing_column"
    VALUE_OUTSIDE_SET = "value_outside_set"
    NOT_BINARY = "not_binary"
    POSITIVE_NOT_FOUND = "positive_not_found"
    SCORE_NOT_NUMERIC = "score_not_numeric"
    SCORE_OUT_OF_RANGE = "score_out_of_range"
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
        What the user can do about it.
    rows : int or None, default=None
        How many rows are affected, where that is known.
    """

    reason: IssueReason
    column: str | None
    message: str
    fix: str
    rows: int | None = None

    def __str__(self) -> str:
        where = f"[{self.column}] " if self.column is not None else ""
        return f"{where}{self.message} Fix: {self.fix}"


class DecisionLogError(FairloopError, ValueError):
    """The decision log cannot be audited as declared.

    Every problem found is listed in :attr:`issues`; the message lists them all,
    one per line, each naming the column and the fix.
    """

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        count = len(self.issues)
        head = f"The decision log has {count} problem{'s' if count != 1 else ''}:"
        lines = [head, *(f"  {i}. {issue}" for i, issue in enumerate(self.issues, 1))]
        super().__init__("\n".join(lines))

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

    Parameters
    ----------
    message : str
        What is wrong and how to fix it.
    option : str or None, default=None
        The option concerned.
    """

    def __init__(self, message: str, *, option: str | None = None) -> None:
        self.option = option
        super().__init__(message)


class StoreError(FairloopError, RuntimeError):
    """The review store cannot do what was asked (unknown flag or run, unreachable server)."""


class StoreIntegrityError(StoreError):
    """The review store's records are inconsistent (see :meth:`ReviewStore.verify`)."""


class FairloopWarning(UserWarning):
    """A result is valid but needs care in reading (for example small groups)."""

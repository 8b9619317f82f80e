"""Who wrote a record: the authenticated principal, and reviewer names that cannot pass as others.

A reviewer's display name is typed; the *principal* is who the database or the operating
system says is writing: ``current_user`` on PostgreSQL (the role the connection logged in
as), the operating-system account on SQLite (the file has no users of its own). Every
record the store writes carries the principal beside the name; four-eyes review counts
principals, so one account typing two names is one person.

Display names are normalised (Unicode NFKC, spaces collapsed) and refused when they could
pass for another name: invisible or control characters (a zero-width space), or letters of
more than one script (a Cyrillic ``а`` in a Latin ``ana``).
"""

from __future__ import annotations

import getpass
import os
import unicodedata

import sqlalchemy as sa

from fairloop.exceptions import ConfigError

__all__ = ["current_principal", "name_key", "normalise_name"]

#: Unicode categories a name may not hold: controls, format (zero-width and direction
#: marks), private use, unassigned, line and paragraph separators.
_HIDDEN = {"Cc", "Cf", "Co", "Cn", "Zl", "Zp"}
#: The longest display name.
MAX_NAME = 200


def _script(char: str) -> str | None:
    """The script of a letter, from its Unicode name (LATIN, CYRILLIC, GREEK ...)."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else None


def normalise_name(name: str, *, option: str = "reviewer") -> str:
    """A reviewer's display name in its one written form, or an error saying why not.

    Parameters
    ----------
    name : str
        The name as typed.
    option : str, default="reviewer"
        The option to name in the error.

    Returns
    -------
    str
        NFKC-normalised, with runs of spaces collapsed to one.

    Raises
    ------
    ConfigError
        If the name is empty, too long, holds an invisible or control character, or mixes
        the letters of several scripts.

    Examples
    --------
    >>> normalise_name("  Ana   Lopez ")
    'Ana Lopez'
    >>> normalise_name("Ａｎａ")  # full-width letters read as the plain ones
    'Ana'
    """
    text = " ".join(unicodedata.normalize("NFKC", str(name)).split())
    if not text:
        raise ConfigError("{option} is empty: give the reviewer's name.", option=option)
    if len(text) > MAX_NAME:
        raise ConfigError(
            f"{{option}}: a reviewer's name may have at most {MAX_NAME} characters.",
            option=option,
        )
    hidden = [c for c in str(name) if unicodedata.category(c) in _HIDDEN and c not in "\t\n\r"]
    if hidden:
        raise ConfigError(
            f"{{option}} {text!r} holds an invisible or control character "
            f"(U+{ord(hidden[0]):04X}): type the name again without it.",
            option=option,
        )
    scripts = {s for s in (_script(c) for c in text) if s is not None}
    if len(scripts) > 1:
        raise ConfigError(
            f"{{option}} {text!r} mixes letters of {' and '.join(sorted(scripts))} scripts, "
            "which lets one name pass for another: type it in one script.",
            option=option,
        )
    return text


def name_key(name: str) -> str:
    """The key under which two display names are one reviewer's (case and spaces aside).

    Examples
    --------
    >>> name_key("Ana  LOPEZ") == name_key("ana lopez")
    True
    """
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def current_principal(connection: sa.Connection) -> str:
    """Who the store's connection writes as: the database user, or the OS account.

    PostgreSQL authenticates the connection, so its ``current_user`` is the principal
    (``pg:<role>``). SQLite has no users: the operating-system account running fairloop
    (``os:<account>``) is the principal, as the file's permissions see it.
    """
    if connection.dialect.name == "postgresql":
        role = connection.exec_driver_sql("SELECT current_user").scalar_one()
        return f"pg:{role}"
    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container without passwd entry)
        account = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"os:{account}"

"""Reading the options of a ``fairloop.toml`` file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from fairloop.exceptions import ConfigError

__all__ = ["load_config"]


def load_config(path: str | Path) -> dict[str, Any]:
    """Read the audit options from a ``fairloop.toml`` file.

    Parameters
    ----------
    path : str or Path
        The TOML file. Its top-level keys are :class:`AuditConfig` field names.

    Returns
    -------
    dict
        The options, unvalidated; pass them to :meth:`AuditConfig.from_mapping`
        after applying any overrides.

    Raises
    ------
    ConfigError
        If the file is missing or is not valid TOML.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"Config file {str(path)!r} does not exist. Check the path ({{option}}).",
            option="path",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Config file {str(path)!r} is not valid TOML: {exc}. Fix the syntax at that line.",
            option="path",
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"Config file {str(path)!r} is not UTF-8 text (byte {exc.start}): save it as "
            "UTF-8 ({option}).",
            option="path",
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"Config file {str(path)!r} is a folder: give the fairloop.toml file ({{option}}).",
            option="path",
        ) from None
    return data

"""Versions of fairloop, Python and the dependencies, for bug reports."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

__all__ = ["show_versions"]

_PACKAGES = (
    "fairloop", "numpy", "pandas", "scipy", "narwhals", "duckdb", "pyarrow", "fairlearn",
    "scikit-learn", "jinja2", "plotly", "typer", "sqlalchemy", "polars", "psycopg",
    "ipywidgets",
)  # fmt: skip


def versions() -> dict[str, str | None]:
    """Installed versions, ``None`` for a package that is not installed."""
    out: dict[str, str | None] = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def show_versions() -> None:
    """Print the versions of fairloop, Python and its dependencies.

    Examples
    --------
    >>> show_versions()  # doctest: +ELLIPSIS
    python: ...
    """
    for name, version in versions().items():
        print(f"{name}: {version or 'not installed'}")

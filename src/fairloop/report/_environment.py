"""The single Jinja2 Environment of the report: autoescape on, StrictUndefined, one loader.

Templates are looked for first in an organisation's own folder (``--template-dir``), so
any template can be overridden for branding, then in the package: ``fairloop/templates``
inside an installed wheel, or the checkout's ``reports/templates`` in an editable install
(hatchling force-includes that folder into wheels only).
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2

from fairloop.exceptions import ConfigError
from fairloop.report._filters import FILTERS

__all__ = ["environment", "template_dir"]


def template_dir() -> Path:
    """The folder of the shipped templates, in a wheel or in a source checkout."""
    packaged = Path(str(resources.files("fairloop"))) / "templates"
    if (packaged / "report.html.j2").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "reports" / "templates"
    if (checkout / "report.html.j2").is_file():
        return checkout
    raise FileNotFoundError(  # a broken install, not a user error
        f"fairloop's report templates are missing (looked in {packaged} and {checkout}). "
        "Reinstall fairloop."
    )


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between processes in the user's cache folder.

    ``$XDG_CACHE_HOME/fairloop/templates-<version>`` (default ``~/.cache``). Jinja2 checks
    each cached template against its source's checksum, so an edited or overriding
    template is compiled afresh. Without a writable cache folder, templates are compiled
    in every process, as before.
    """
    from fairloop._version import __version__

    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = root / "fairloop" / f"templates-{__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


@cache
def environment(override: str | None = None) -> jinja2.Environment:
    """The report's Environment; ``override`` is a folder whose templates win.

    Parameters
    ----------
    override : str or None, default=None
        A folder of templates with the same names as the shipped ones (``base.html.j2``,
        ``sections/_summary.html.j2``, ``assets/report.css``, ...).

    Returns
    -------
    jinja2.Environment
    """
    folders = [str(template_dir())]
    if override is not None:
        if not Path(override).is_dir():
            raise ConfigError(
                f"{{option}} {override!r} is not a folder. Give a folder holding the "
                "templates to override, named as in fairloop's reports/templates.",
                option="template_dir",
            )
        folders.insert(0, override)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        bytecode_cache=_bytecode_cache(),
        autoescape=jinja2.select_autoescape(["html", "j2", "htm", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env

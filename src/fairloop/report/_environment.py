"""The single Jinja2 Environment of the report: autoescape on, StrictUndefined, one loader.

Templates are looked for first in an organisation's own folder (``--template-dir``), so
any template can be overridden for branding, then in the package: ``fairloop/templates``
inside an installed wheel, or the checkout's ``reports/templates`` in an editable install
(hatchling force-includes that folder into wheels only).
"""

from __future__ import annotations

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
        autoescape=jinja2.select_autoescape(["html", "j2", "htm", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env

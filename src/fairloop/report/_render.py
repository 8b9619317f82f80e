"""Render the governance report: one self-contained HTML file (inlined CSS, JS and plotly.js).

The report inlines plotly.js's *basic* bundle (scatter, bar and pie traces; the report draws
only scatter traces), vendored unchanged in the templates' ``assets/vendor`` folder: a
quarter of the full bundle the Python ``plotly`` package ships, and it opens twice as fast.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from fairloop.exceptions import ConfigError
from fairloop.report._context import Adjudications, build_context
from fairloop.report._environment import environment, template_dir

if TYPE_CHECKING:
    from fairloop._audit import AuditResult
    from fairloop.store import ReviewStore

__all__ = ["adjudications_from_store", "latest_run", "render_html", "render_summary",
           "write_report"]  # fmt: skip


#: The vendored plotly.js bundle, inside the templates folder.
PLOTLY_BUNDLE = ("assets", "vendor", "plotly-basic.min.js")


@cache
def _plotly_js() -> Markup:
    """plotly.js, read once per process; the one string the report inlines unescaped."""
    text = template_dir().joinpath(*PLOTLY_BUNDLE).read_text(encoding="utf-8")
    # a literal "</script" inside would end the element early: break it, as browsers allow
    return Markup(text.replace("</script", "<\\/script"))


def adjudications_from_store(store: ReviewStore, run_id: str) -> Adjudications:
    """What a review store knows of a run now: statuses, decisions, head hash, verification."""
    store.check_run(run_id)  # a clear StoreError for an unknown run
    return Adjudications(
        run_id=run_id,
        flags=store.flags(run_id=run_id),
        history=store.history(),
        head=store.head(),
        verified=store.verify().ok,
        store=store.display_url,
    )


def render_html(
    result: AuditResult,
    *,
    adjudications: Adjudications | None = None,
    template_dir: str | Path | None = None,
    generated_at: str | None = None,
) -> str:
    """The governance report of an audit as one HTML document.

    Parameters
    ----------
    result : AuditResult
        The audit.
    adjudications : Adjudications or None, default=None
        The run's flags, decisions and audit-trail head from a review store (see
        :func:`adjudications_from_store`); without it every flag shows as open.
    template_dir : str or Path or None, default=None
        A folder of templates overriding the shipped ones (branding).
    generated_at : str or None, default=None
        Generation time to print (ISO 8601); default now.

    Returns
    -------
    str
        A self-contained HTML document that works offline.
    """
    context: dict[str, Any] = build_context(
        result, adjudications=adjudications, generated_at=generated_at
    )
    env = environment(None if template_dir is None else str(template_dir))
    import jinja2

    try:
        return env.get_template("report.html.j2").render(**context, plotly_js=_plotly_js())
    except jinja2.TemplateSyntaxError as exc:
        if template_dir is None:
            raise  # a shipped template: a bug, not the user's input
        raise ConfigError(
            f"The template {exc.filename or exc.name!r} in {{option}} has a syntax error at "
            f"line {exc.lineno}: {exc.message}. Fix it, or remove it to use the shipped one.",
            option="template_dir",
        ) from None
    except jinja2.TemplateError as exc:
        if template_dir is None:
            raise
        raise ConfigError(
            f"A template in {{option}} cannot be rendered: {exc}. Fix it, or remove it to "
            "use the shipped one.",
            option="template_dir",
        ) from None


def render_summary(result: AuditResult) -> str:
    """The compact HTML summary a notebook shows (no charts, no scripts)."""
    context = build_context(result)
    return environment(None).get_template("notebook.html.j2").render(**context)


def write_report(html: str, path: str | Path) -> Path:
    """Write a rendered report, creating parent folders; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target


def latest_run(store: ReviewStore) -> str:
    """The id of the store's most recent run; a clear error when it holds none."""
    from fairloop.exceptions import StoreError

    runs = store.runs()
    if runs.empty:
        raise StoreError("The review store holds no run. Run `fairloop audit` first.")
    return str(runs["run_id"].iloc[0])

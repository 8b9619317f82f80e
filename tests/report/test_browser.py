"""The report in a real browser: Debian's chromium driven by Playwright, network blocked.

Never `playwright install`: the tests use /usr/bin/chromium, which .ci/run installs.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest

import fairloop
from fairloop.datasets import make_decision_log

from .conftest import ARTIFACTS, SECTIONS

#: A real browser: the full suite only.
pytestmark = pytest.mark.slow

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Hostile strings: group names, a column name and config text all carry them.
SCRIPT = "</script><script>window.__pwned = 'script'</script>"
IMG = '"><img src=x onerror="window.__pwned = \'img\'">'
TEMPLATE = "{{ 7*7 }}{% raw %}"
RTL = "\u202eevil\u202c\u200bzero\u200dwidth"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    """Open a report from file:// with every other request refused; collect errors."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    blocked: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith("file:"):
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri())
    page.wait_for_function(
        "document.querySelectorAll('div.chart').length === "
        "document.querySelectorAll('div.chart .main-svg').length / 3"
    )
    return page, errors, blocked


def test_demo_report_offline_no_errors_every_chart_and_navigation(browser, demo_report) -> None:
    page, errors, blocked = _open(browser, demo_report)
    assert errors == [] and blocked == []
    n_specs = page.locator("script[type='application/json']").count()
    rendered = page.evaluate(
        "Array.from(document.querySelectorAll('div.chart'))"
        ".filter(d => d.classList.contains('js-plotly-plot') && d.data"
        " && d.querySelector('svg.main-svg')).length"
    )
    assert n_specs > 10 and rendered == n_specs
    for section in SECTIONS:
        assert page.locator(f"main > section#{section}").count() == 1
    page.click("nav.toc a[href='#controls']")
    page.wait_for_function("location.hash === '#controls'")
    top = page.evaluate("document.getElementById('controls').getBoundingClientRect().top")
    assert 0 <= top < 50
    page.wait_for_function(
        "document.querySelector(\"nav a[href='#controls']\").classList.contains('active')"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(demo_report.resolve().as_uri() + "#summary")
    page.screenshot(path=str(ARTIFACTS / "report-summary.png"))
    page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
    pdf = page.pdf(format="A4")  # the print stylesheet lays it out
    assert pdf[:4] == b"%PDF" and len(pdf) > 50_000
    page.close()


def test_hostile_names_and_config_appear_as_text(browser, tmp_path: Path) -> None:
    log = make_decision_log(n=6_000, seed=11)
    data = log.data.copy()
    races = sorted(data["race"].unique())
    hostile = dict(zip(races, [SCRIPT, IMG, TEMPLATE, RTL, "White"], strict=False))
    data["race"] = data["race"].map(hostile)
    column = '<b onmouseover="window.__pwned=1">grp</b>'
    data = data.rename(columns={"race": column})
    roles = {**log.roles, "sensitive": ["sex", column, "age_band"]}
    result = fairloop.audit(
        data,
        **roles,
        system={"name": SCRIPT, "owner": IMG, "intended_purpose": TEMPLATE, "risk_category": RTL},
    )
    path = tmp_path / "hostile.html"
    html = result.to_html(path)
    assert SCRIPT not in html and IMG not in html and "<b onmouseover" not in html
    assert "{{ 7*7 }}{% raw %}" in html  # rendered as data, never as a template
    page, errors, _ = _open(browser, path)
    assert errors == []
    assert page.evaluate("window.__pwned") is None
    text = page.inner_text("main")
    for payload in (SCRIPT, IMG, TEMPLATE, column):
        assert payload in text, payload
    assert RTL in page.inner_text("#summary")
    # the JSON inside <script> carried the names into the charts as text (Plotly reads a
    # subset of HTML in labels, so they are entities there) and the charts draw them as
    # the very characters, never as markup
    categories = page.evaluate(
        "Array.from(document.querySelectorAll('div.chart'))"
        ".flatMap(d => d.data.flatMap(t => t.x || []))"
    )
    assert html_escape(SCRIPT, quote=False) in categories
    assert html_escape(IMG, quote=False) in categories
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('div.chart .xtick text, div.chart .legendtext'))"
        ".map(t => t.textContent)"
    )
    assert any(SCRIPT in t for t in drawn) and any(IMG in t for t in drawn), drawn[:8]
    assert page.evaluate("document.querySelectorAll('div.chart a, div.chart img').length") == 0
    page.get_by_text("grp", exact=False).first.hover()
    assert page.evaluate("window.__pwned") is None
    page.close()


def test_readme_screenshots_are_refreshed(browser, demo_report) -> None:
    """The README's pictures of the report are taken from the demo report on every run."""
    docs = Path(__file__).resolve().parents[2] / "docs"
    docs.mkdir(exist_ok=True)
    page, errors, _ = _open(browser, demo_report)
    page.set_viewport_size({"width": 1280, "height": 900})
    shots = {
        "report-summary.png": page.locator("main > section#summary"),
        "report-disparities.png": page.locator("main > section#disparities .chart").first,
    }
    for name, element in shots.items():
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(docs / name))
        data = (docs / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, name
    page.close()
    assert errors == []
    readme = (docs.parent / "README.md").read_text(encoding="utf-8")
    for name in shots:
        assert f"docs/{name}" in readme, f"README.md does not show docs/{name}"

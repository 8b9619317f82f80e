"""Shared fixtures of the report tests: a demo audit recorded in a store, rendered once."""

from __future__ import annotations

from pathlib import Path

import pytest

import fairloop
from fairloop.cli._demo import DEMO_SYSTEM
from fairloop.datasets import make_decision_log
from fairloop.store import ReviewStore

#: The report's ten sections, in order (written out here, not read from the code).
SECTIONS = ("summary", "coverage", "performance", "disparities", "flags", "oversight",
            "review_help", "plan", "trends", "controls", "methodology", "provenance")  # fmt: skip

#: Where browser screenshots are kept (CI keeps the folder as an artefact).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def demo_result() -> fairloop.AuditResult:
    log = make_decision_log(n=20_000, seed=0)
    return fairloop.audit(log.data, **log.roles, system=DEMO_SYSTEM)


@pytest.fixture(scope="session")
def demo_report(
    demo_result: fairloop.AuditResult, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The demo's report.html, from a run recorded in a store with one flag adjudicated."""
    folder = tmp_path_factory.mktemp("demo-report")
    with ReviewStore(folder / "fairloop.db") as store:
        run_id = store.record_run(demo_result)
        first = store.flags(run_id=run_id)["flag_id"].iloc[0]
        store.decide(
            first,
            "confirmed",
            rationale="Checked 10 sample cases; the gap is real.",
            reviewer="Ada Auditor",
        )
        demo_result.to_html(folder / "report.html", store=store, run_id=run_id)
    return folder / "report.html"

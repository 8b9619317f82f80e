"""Cubes per time window in the review store: a later audit adds its windows, reads no old row."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.config import AuditConfig
from fairloop.datasets import make_decision_log
from fairloop.exceptions import ConfigError
from fairloop.store import ReviewStore

#: Several audits and stores per test: the full suite only.
pytestmark = pytest.mark.slow

runner = CliRunner()


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame, dict]:
    log = make_decision_log(n=12_000, seed=21)
    folder = tmp_path_factory.mktemp("halves")
    month = pd.to_datetime(log.data["decided_at"]).dt.month
    first, second = folder / "h1.parquet", folder / "h2.parquet"
    log.data[month <= 6].to_parquet(first)
    log.data[month > 6].to_parquet(second)
    return first, second, log.data, log.roles


def test_second_half_adds_to_the_first_without_reading_it(halves, tmp_path: Path) -> None:
    first, second, whole, roles = halves
    config = AuditConfig.from_mapping(roles)
    with ReviewStore(tmp_path / "s.db") as store:
        store.record_run(fairloop.Audit(config).run(first))
        assert store.windows(config)["window"].str.slice(5, 7).tolist() == [
            f"{m:02d}" for m in range(1, 7)
        ]
        moved = tmp_path / "elsewhere.parquet"
        first.rename(moved)  # the old rows are gone: only the stored cubes remain
        try:
            year = fairloop.Audit(config).run(second, history=store)
        finally:
            moved.rename(first)
        run_id = store.record_run(year)
        assert len(store.windows(config)) == 12
        # the run stores the cells of the six windows it read once, with those windows;
        # the six it took from the store stay in its own cube
        assert store.run(run_id)["cube"]["windows_apart"] == year.provenance["windows_read"]
        assert store.run_cube(run_id).equals(year.cube)  # type: ignore[union-attr]
    expected = fairloop.audit(whole, **roles)
    assert year.cube.equals(expected.cube)
    pd.testing.assert_frame_equal(year.metrics, expected.metrics)
    assert year.provenance["rows"] == len(whole)
    assert len(year.provenance["windows_from_store"]) == 6
    assert len(year.provenance["windows_read"]) == 6
    assert year.provenance["period"]["start"].startswith("2025-01-01")
    # the report's trends show the twelve months
    assert [w for w in year.cube.windows if w != "(missing)"] == [
        f"2025-{m:02d}-01" for m in range(1, 13)
    ]


def test_overlapping_windows_are_refused_unless_replaced(halves, tmp_path: Path) -> None:
    first, second, whole, roles = halves
    config = AuditConfig.from_mapping(roles)
    with ReviewStore(tmp_path / "s.db") as store:
        store.record_run(fairloop.Audit(config).run(first))
        store.record_run(fairloop.Audit(config).run(second, history=store))
        with pytest.raises(ConfigError, match=r"6 window\(s\) the store holds already"):
            fairloop.Audit(config).run(second, history=store)
        again = fairloop.Audit(config).run(second, history=store, replace_windows=True)
        assert again.provenance["windows_replaced"] == again.provenance["windows_read"]
    assert again.cube.equals(fairloop.audit(whole, **roles).cube)


def test_other_series_do_not_mix(halves, tmp_path: Path) -> None:
    first, second, _, roles = halves
    with ReviewStore(tmp_path / "s.db") as store:
        store.record_run(fairloop.Audit(AuditConfig.from_mapping(roles)).run(first))
        weekly = AuditConfig.from_mapping({**roles, "window": "week"})
        alone = fairloop.Audit(weekly).run(second, history=store)
        assert alone.provenance["windows_from_store"] == []
        assert store.windows(weekly).empty and len(store.windows()) == 6


def test_cli_accumulates_month_by_month(halves, tmp_path: Path) -> None:
    first, second, whole, roles = halves
    db = str(tmp_path / "s.db")
    args = ["--prediction", roles["prediction"], "--label", roles["label"], "--sensitive",
            ",".join(roles["sensitive"]), "--time", roles["time"], "--window", "month",
            "--db", db, "--json"]  # fmt: skip
    assert runner.invoke(app, ["audit", str(first), *args, "--accumulate"]).exit_code == 0
    out = tmp_path / "report"
    second_run = runner.invoke(app, ["audit", str(second), *args, "--accumulate",
                                     "--out", str(out)])  # fmt: skip
    assert second_run.exit_code == 0, second_run.output
    document = json.loads(second_run.stdout)
    assert document["rows"] == len(whole)
    evidence = json.loads((out / "evidence.json").read_text())
    assert evidence["provenance"]["windows_from_store"][0] == "2025-01-01"
    html = (out / "report.html").read_text()
    assert "2025-01-01" in html and "2025-12-01" in html
    refused = runner.invoke(app, ["audit", str(second), *args, "--accumulate"])
    assert refused.exit_code == 2 and "--replace-windows" in refused.stdout
    no_store = runner.invoke(app, ["audit", str(second), *args, "--accumulate", "--no-store"])
    assert no_store.exit_code == 2

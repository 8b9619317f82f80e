"""Memory is bounded before it is spent: the budget, and the estimate that stops an audit.

The per-group costs come from measured runs (see fairloop._memory); here, what the user
sees: a budget read from FAIRLOOP_MEMORY_LIMIT, and an audit over it stopped right after
the pass, naming the attribute set with the most groups and the option that bounds it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fairloop
from fairloop._memory import duckdb_limit, memory_limit
from fairloop.cli import app
from fairloop.exceptions import ConfigError


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    """Three attributes of 20 values on 40,000 rows: about 9,000 groups with intersections."""
    rng = np.random.default_rng(0)
    n = 40_000
    data = {f"a{i}": rng.integers(0, 20, n).astype(str) for i in range(3)}
    pred = rng.integers(0, 2, n)
    return pd.DataFrame({**data, "pred": pred,
                         "lab": np.where(rng.random(n) < 0.7, pred, 1 - pred)})  # fmt: skip


@pytest.mark.parametrize(
    ("given", "size"),
    [("8GB", 8 * 10**9), ("512MB", 512 * 10**6), ("2GiB", 2 * 2**30), ("1000", 1000)],
)
def test_the_budget_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, given: str, size: int
) -> None:
    monkeypatch.setenv("FAIRLOOP_MEMORY_LIMIT", given)
    assert memory_limit() == (size, "FAIRLOOP_MEMORY_LIMIT")


def test_a_bad_budget_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRLOOP_MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigError, match="FAIRLOOP_MEMORY_LIMIT 'lots' is not a size"):
        memory_limit()


def test_duckdb_takes_a_share_of_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAIRLOOP_MEMORY_LIMIT", raising=False)
    assert duckdb_limit() == "1024MB"
    monkeypatch.setenv("FAIRLOOP_MEMORY_LIMIT", "1GiB")
    assert duckdb_limit() == "409MB"  # two fifths of a budget smaller than 2.5 GB


def test_an_audit_over_the_budget_stops_at_once_naming_the_fix(
    wide: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    roles = {"prediction": "pred", "label": "lab", "sensitive": ["a0", "a1", "a2"]}
    monkeypatch.setenv("FAIRLOOP_MEMORY_LIMIT", "100MB")
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        fairloop.audit(wide, **roles, max_intersection="all")
    assert time.perf_counter() - started < 20
    message = str(caught.value)
    assert "a0 x a1 x a2: 7,947 of them" in message
    assert "Set max_intersection= to 2" in message  # the option, as Python names it
    assert "100 MB" in message and "FAIRLOOP_MEMORY_LIMIT" in message
    # bounded (the metrics' intersections and the flag search's), the audit runs
    with pytest.raises(ConfigError, match=r"searched for flags.*max_depth"):
        fairloop.audit(wide, **roles, max_intersection=1)
    result = fairloop.audit(wide, **roles, max_intersection=1, flags={"max_depth": 1})
    assert set(result.metrics["attribute_set"]) == {"(all)", "a0", "a1", "a2"}
    # and its outputs are checked before they are built
    monkeypatch.setenv("FAIRLOOP_MEMORY_LIMIT", "1MB")
    with pytest.raises(ConfigError, match="written as evidence"):
        result.to_json()
    # the review store keeps only what it needs (provenance, summary, flags): recorded
    from fairloop.store import ReviewStore

    with ReviewStore(tmp_path / "r.db") as store:
        run_id = store.record_run(result)
        monkeypatch.delenv("FAIRLOOP_MEMORY_LIMIT")
        bundle = result.to_dict()
        assert store.run(run_id)["summary"] == bundle["summary"]
        assert store.run(run_id)["provenance"] == bundle["provenance"]


def test_the_command_line_counts_the_outputs_and_says_the_flag(
    wide: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wide.parquet"
    wide.to_parquet(path)
    monkeypatch.setenv("FAIRLOOP_MEMORY_LIMIT", "700MB")  # the audit fits, its outputs not
    args = ["audit", str(path), "--prediction", "pred", "--label", "lab", "--sensitive",
            "a0,a1,a2", "--max-intersection", "all", "--no-store"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code in (0, 1)
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout.strip().splitlines()[-1])["error"]
    assert "--max-intersection to 2" in error and "with the evidence, tables and report" in error
    assert not (tmp_path / "out" / "evidence.json").exists()

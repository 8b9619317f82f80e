"""The same log as pandas, polars, pyarrow, CSV and Parquet gives the same cube and metrics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import fairloop
from fairloop.datasets import make_decision_log

ROLES = {
    "prediction": "approved", "label": "reviewer_decision", "sensitive": ["sex", "race"],
    "context": ["channel"], "score": "score", "time": "decided_at", "case_id": "case_id",
    "reviewer": "reviewer_id",
}  # fmt: skip


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return make_decision_log(n=3_000, seed=5).data


def _containers(log: pd.DataFrame, tmp: Path) -> dict[str, object]:
    csv = tmp / "log.csv"
    log.to_csv(csv, index=False)
    parquet = tmp / "log.parquet"
    log.to_parquet(parquet)
    parts = tmp / "parts"
    parts.mkdir()
    for i, chunk in enumerate((log.iloc[:1000], log.iloc[1000:])):
        chunk.to_parquet(parts / f"part-{i}.parquet")
    return {
        "pandas": log,
        "polars": pl.from_pandas(log),
        "polars-lazy": pl.from_pandas(log).lazy(),
        "pyarrow": pa.Table.from_pandas(log, preserve_index=False),
        "csv": csv,
        "parquet": parquet,
        "parquet-folder": parts,
        "parquet-glob": str(parts / "*.parquet"),
    }


@pytest.mark.slow
def test_every_container_gives_identical_results(log: pd.DataFrame, tmp_path: Path) -> None:
    results = {
        name: fairloop.audit(data, **ROLES) for name, data in _containers(log, tmp_path).items()
    }
    reference = results["pandas"]
    for name, result in results.items():
        assert result.cube.equals(reference.cube), name
        # counts are exact; sums of the score (calibration) are floats an engine may add in
        # another order, equal to the last bits
        pd.testing.assert_frame_equal(result.metrics, reference.metrics, check_exact=False,
                                      rtol=1e-12, atol=1e-15, obj=name)  # fmt: skip
        pd.testing.assert_frame_equal(result.disparities, reference.disparities, obj=name)
        assert result.provenance["period"] == reference.provenance["period"], name


def test_in_memory_hash_is_canonical_across_libraries(log: pd.DataFrame) -> None:
    a = fairloop.audit(log, **ROLES).provenance["data_sha256"]
    b = fairloop.audit(pl.from_pandas(log), **ROLES).provenance["data_sha256"]
    c = fairloop.audit(pa.Table.from_pandas(log, preserve_index=False), **ROLES).provenance[
        "data_sha256"
    ]
    assert a == b == c
    changed = log.copy()
    changed.loc[5, "race"] = "Other" if changed.loc[5, "race"] != "Other" else "White"
    assert fairloop.audit(changed, **ROLES).provenance["data_sha256"] != a


def test_file_hash_is_the_file_sha256(log: pd.DataFrame, tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert fairloop.audit(path, **ROLES).provenance["data_sha256"] == expected


def test_attribute_values_stay_as_written_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    rows = ["code,pred,final"] + [
        f"{c},{p},{p}" for c in ("007", "01", "1.50") for p in (0, 1) for _ in range(20)
    ]
    path.write_text("\n".join(rows) + "\n")
    result = fairloop.audit(path, prediction="pred", label="final", sensitive="code")
    assert set(result.by_group("code").index) == {"007", "01", "1.50"}


def test_numeric_attribute_values_become_their_text() -> None:
    frame = pd.DataFrame({"grp": [1, 2] * 20, "pred": [0, 1] * 20, "final": [1, 1] * 20})
    result = fairloop.audit(frame, prediction="pred", label="final", sensitive="grp")
    assert list(result.by_group("grp").index) == ["1", "2"]

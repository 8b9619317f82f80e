"""DuckDB reports how far the grouped pass over a file has got; memory is bounded."""

from __future__ import annotations

from pathlib import Path

import duckdb

import fairloop
from fairloop.config import AuditConfig
from fairloop.decision_log._duckdb import DuckDBSource, _database


def _big_csv(path: Path, rows: int) -> None:
    duckdb.sql(
        f"COPY (SELECT i % 2 AS pred, CASE WHEN i % 3 = 0 THEN NULL ELSE (i // 7) % 2 END "
        f"AS final, ['F', 'M', 'X'][1 + i % 3] AS sex, 'r' || (i % 5) AS region "
        f"FROM range({rows}) t(i)) TO '{path}' (HEADER)"
    )


def test_the_pass_over_a_file_reports_its_progress(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "big.csv"
    _big_csv(path, 3_000_000)
    monkeypatch.setattr(DuckDBSource, "poll_seconds", 0.02)
    calls: list[tuple[str, float | None]] = []

    def progress(description: str, share: float | None = None) -> None:
        calls.append((description, share))

    config = AuditConfig(prediction="pred", label="final", sensitive=("sex",), context=("region",))
    result = fairloop.Audit(config).run(path, progress=progress)
    assert result.provenance["rows"] == 3_000_000
    shares = [s for d, s in calls if s is not None]
    assert shares, "no progress was reported while DuckDB read 3M rows"
    assert all(d == "reading and counting the log" for d, s in calls if s is not None)
    assert all(0 <= s <= 1 for s in shares) and shares == sorted(shares)
    assert next(d for d, s in calls if s is None) == "reading and counting the log"


def test_memory_is_bounded_and_order_not_kept() -> None:
    settings = dict(
        _database()
        .execute(
            "SELECT name, value FROM duckdb_settings() "
            "WHERE name IN ('memory_limit', 'preserve_insertion_order')"
        )
        .fetchall()
    )
    assert settings["preserve_insertion_order"] == "false"
    number, unit = settings["memory_limit"].split()
    assert unit == "MiB" and float(number) < 1024


def test_table_hash_does_not_depend_on_slices_or_chunks(monkeypatch) -> None:
    """The content hash converts a column slice by slice; slicing must not change it."""
    import numpy as np
    import pyarrow as pa

    from fairloop.decision_log import _digest

    rng = np.random.default_rng(3)
    n = 1_003
    words = np.array(["", "a", "ümlaut", "longer text value", None], dtype=object)
    table = pa.table(
        {
            "text": pa.array(words[rng.integers(0, 5, n)], pa.string_view()),
            "number": pa.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 9, n))),
            "score": pa.array(rng.random(n)),
        }
    )
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=97))
    whole = _digest.table_sha256(table, ["text", "number", "score"])
    monkeypatch.setattr(_digest, "SLICE_ROWS", 16)
    assert _digest.table_sha256(table, ["text", "number", "score"]) == whole
    assert _digest.table_sha256(chunked, ["text", "number", "score"]) == whole
    changed = table.set_column(0, "text", pa.array(["x"] * n, pa.string_view()))
    assert _digest.table_sha256(changed, ["text", "number", "score"]) != whole

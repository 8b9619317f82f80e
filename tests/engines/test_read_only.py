"""Reading a log never writes: --query and --table run read-only and are rolled back.

A statement that would write (a smuggled second statement, a data-modifying WITH, a
sequence's nextval) fails with exit 2 and changes nothing. On SQLite every connection is
``query_only``; on PostgreSQL every query runs prepared (one statement) in a READ ONLY
transaction that is rolled back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fairloop.cli import app
from fairloop.datasets import make_decision_log
from fairloop.decision_log._database import DatabaseSource, DatabaseTable
from fairloop.exceptions import DecisionLogError

POSTGRES = os.environ.get("FAIRLOOP_TEST_POSTGRES_URL")
runner = CliRunner()
ROLES = ["--prediction", "approved", "--label", "reviewer_decision", "--sensitive", "sex,race"]


def _fill(url: str, prefix: str = "") -> None:
    engine = sa.create_engine(url)
    data = make_decision_log(n=3_000, seed=1).data.drop(columns=["decided_at"])
    data.to_sql(f"{prefix}decisions", engine, index=False, if_exists="replace")
    with engine.begin() as con:
        con.exec_driver_sql(f"DROP TABLE IF EXISTS {prefix}victim")
        con.exec_driver_sql(f"CREATE TABLE {prefix}victim (x INTEGER)")
        con.exec_driver_sql(f"INSERT INTO {prefix}victim VALUES (1), (2)")
    engine.dispose()


def _victim_rows(url: str, prefix: str = "") -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            return int(con.exec_driver_sql(f"SELECT count(*) FROM {prefix}victim").scalar_one())
    finally:
        engine.dispose()


def _audit(url: str, *where: str) -> Any:
    return runner.invoke(app, ["audit", url, *where, *ROLES])


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    _fill(url)
    return url


def test_a_sqlite_query_that_writes_fails_with_exit_2_and_changes_nothing(
    sqlite_url: str,
) -> None:
    smuggled = "SELECT * FROM decisions) AS x; DROP TABLE victim; --"
    for query in (smuggled, "DELETE FROM victim RETURNING *", "SELECT * FROM decisions; "
                  "DELETE FROM victim"):  # fmt: skip
        result = _audit(sqlite_url, "--query", query)
        assert result.exit_code == 2, (query, result.output)
        assert "Traceback" not in result.output
    assert _victim_rows(sqlite_url) == 2
    # the connection itself refuses a write, whatever the statement
    source = DatabaseSource(DatabaseTable(sqlite_url, table="decisions"))
    with pytest.raises(DecisionLogError, match=r"readonly|read-only|query_only"):
        source._run("DELETE FROM victim")
    assert _victim_rows(sqlite_url) == 2
    # and reading still works
    assert _audit(sqlite_url, "--table", "decisions").exit_code in (0, 1)


@pytest.fixture
def postgres_url() -> str:
    if not POSTGRES:
        pytest.skip("set FAIRLOOP_TEST_POSTGRES_URL to test against PostgreSQL (.ci/run does)")
    _fill(POSTGRES, "ro_")
    engine = sa.create_engine(POSTGRES)
    with engine.begin() as con:
        con.exec_driver_sql("DROP SEQUENCE IF EXISTS ro_seq")
        con.exec_driver_sql("CREATE SEQUENCE ro_seq")
    engine.dispose()
    return POSTGRES


def test_a_postgres_query_that_writes_fails_with_exit_2_and_changes_nothing(
    postgres_url: str,
) -> None:
    queries = [
        "SELECT * FROM ro_decisions) AS x; DROP TABLE ro_victim; COMMIT; --",
        "SELECT * FROM ro_decisions) AS x; COMMIT; DROP TABLE ro_victim; --",
        "WITH gone AS (DELETE FROM ro_victim RETURNING x) SELECT d.* FROM ro_decisions d, gone",
        "SELECT d.*, nextval('ro_seq') AS n FROM ro_decisions d",
    ]
    for query in queries:
        result = _audit(postgres_url, "--query", query)
        assert result.exit_code == 2, (query, result.output)
        assert "Traceback" not in result.output
    assert _victim_rows(postgres_url, "ro_") == 2
    engine = sa.create_engine(postgres_url)
    with engine.connect() as con:  # the sequence never moved: its first value is still 1
        assert con.exec_driver_sql("SELECT nextval('ro_seq')").scalar_one() == 1
    engine.dispose()
    # a plain query and a table read as before, with a percent sign in the query
    ok = _audit(postgres_url, "--query", "SELECT * FROM ro_decisions WHERE race LIKE '%'")
    assert ok.exit_code in (0, 1), ok.output
    assert _audit(postgres_url, "--table", "ro_decisions").exit_code in (0, 1)

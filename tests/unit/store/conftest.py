from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import fairloop
from fairloop.datasets import PlantedBias, make_decision_log

POSTGRES = os.environ.get("FAIRLOOP_TEST_POSTGRES_URL")


#: The store's own schema in the test database (other tests keep tables in public).
SCHEMA = "fairloop_store_test"


def store_postgres_url(url: str) -> str:
    """The test database's URL with the store's own schema first on the search path."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    engine.dispose()
    parsed = sa.make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(
        hide_password=False
    )


def _clean_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in ("fairloop_events", "fairloop_flags", "fairloop_windows", "fairloop_runs",
                      "fairloop_ledger", "fairloop_settings", "fairloop_reviewers",
                      "fairloop_meta"):  # fmt: skip
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE")
    engine.dispose()


@pytest.fixture(autouse=True)
def _close_stores(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Dispose every engine a test opens (stores and direct ones), so no connection leaks."""
    from fairloop.store import _store

    engines: list[sa.Engine] = []
    real_store_engine, real_create = _store._engine, sa.create_engine

    def tracked_store_engine(url: str, **kwargs: bool) -> sa.Engine:
        engines.append(real_store_engine(url, **kwargs))
        return engines[-1]

    def tracked_create(*args: object, **kwargs: object) -> sa.Engine:
        engines.append(real_create(*args, **kwargs))  # type: ignore[arg-type]
        return engines[-1]

    monkeypatch.setattr(_store, "_engine", tracked_store_engine)
    monkeypatch.setattr(sa, "create_engine", tracked_create)
    yield
    for engine in engines:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty review store: a SQLite file, and PostgreSQL where a server is given."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reviews.db'}"
        return
    if not POSTGRES:
        pytest.skip("set FAIRLOOP_TEST_POSTGRES_URL to test against PostgreSQL (.ci/run does)")
    url = store_postgres_url(POSTGRES)
    _clean_postgres(url)
    yield url
    _clean_postgres(url)


PLANTED = {"race": "Hispanic", "age_band": "18-24"}


@pytest.fixture(scope="session")
def planted_audit() -> fairloop.AuditResult:
    log = make_decision_log(
        n=50_000, seed=2000, biases=[PlantedBias(PLANTED, "false_positive_rate", 0.25)]
    )
    # the generator plants its effects in the reviewed cases: the reviewed-only estimator
    return fairloop.audit(log.data, **log.roles, estimator="reviewed")


@pytest.fixture(scope="session")
def worse_audit() -> fairloop.AuditResult:
    """The same pattern a month later, with a larger effect."""
    log = make_decision_log(
        n=50_000, seed=2000, biases=[PlantedBias(PLANTED, "false_positive_rate", 0.40)]
    )
    # the generator plants its effects in the reviewed cases: the reviewed-only estimator
    return fairloop.audit(log.data, **log.roles, estimator="reviewed")


@pytest.fixture
def acting_as(monkeypatch: pytest.MonkeyPatch) -> Callable[[str | None], None]:
    """Make the store see another principal (an account) from now on; None: the real one.

    Stands for a second person at another desk: on SQLite the principal is the OS
    account, which a test cannot switch.
    """
    from fairloop.store import _store

    real = _store.current_principal
    who: dict[str, str | None] = {"value": None}

    def fake(connection: sa.Connection) -> str:
        return who["value"] or real(connection)

    monkeypatch.setattr(_store, "current_principal", fake)

    def act(principal: str | None) -> None:
        who["value"] = principal

    return act


def drop_guards(engine: sa.Engine) -> None:
    """Drop the store's triggers, as someone with the database's owner rights can."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            names = (
                connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master "
                    "WHERE type = 'trigger' AND name LIKE 'fairloop_%'"
                )
                .scalars()
                .all()
            )
            for name in names:
                connection.exec_driver_sql(f"DROP TRIGGER {name}")
            return
        rows = connection.exec_driver_sql(
            "SELECT tgname, relname FROM pg_trigger JOIN pg_class ON tgrelid = pg_class.oid "
            "WHERE tgname LIKE 'fairloop_%%' AND NOT tgisinternal"
        ).all()
        for trigger, table in rows:
            connection.exec_driver_sql(f"DROP TRIGGER {trigger} ON {table}")

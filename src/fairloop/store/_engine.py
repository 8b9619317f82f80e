"""Database engines for the review store, with appends serialised across processes."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa

__all__ = ["store_engine"]


def store_engine(url: str, *, read_only: bool = False) -> sa.Engine:
    """An engine whose write transactions are serialised across processes.

    SQLite: WAL journal, a busy timeout, and ``BEGIN IMMEDIATE`` so that a transaction
    takes the write lock before it reads the chain's head. PostgreSQL: the head row is
    read ``FOR UPDATE`` in the append transaction. Read-only SQLite engines open the file
    with ``mode=ro`` and change nothing about it (no pragma, no lock).
    """
    if url.startswith("sqlite") and read_only:
        path = sa.engine.make_url(url).database
        return sa.create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        )
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let BEGIN below take effect
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)

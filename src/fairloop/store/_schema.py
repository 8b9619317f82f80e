"""The review store's tables, and the steps that upgrade an older database to this schema.

Version 1 held runs, flags and hash-chained adjudication events. Version 2 adds the count
cube to each run (so a report can be re-rendered without the data), and to each event its
kind (a reviewer's decision or an automatic reopening), links and the evidence snapshot
the decision was made on. Version 3 adds the count cube of each time window, so a later
audit of new data can add its windows to the earlier ones without reading old rows.
Upgrades only add columns and tables: no recorded value is rewritten, so every hash of the
chain still verifies.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

__all__ = ["SCHEMA_VERSION", "UPGRADES", "meta_value", "metadata", "tables"]

SCHEMA_VERSION = 3

metadata = sa.MetaData()

meta = sa.Table(
    "fairloop_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

runs = sa.Table(
    "fairloop_runs",
    metadata,
    sa.Column("run_id", sa.String(40), primary_key=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("fairloop_version", sa.String(40), nullable=False),
    sa.Column("data_sha256", sa.String(64)),
    sa.Column("rows", sa.BigInteger),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("provenance", sa.Text, nullable=False),
    sa.Column("cube", sa.Text),  # version 2
)

flags = sa.Table(
    "fairloop_flags",
    metadata,
    sa.Column("run_id", sa.String(40), sa.ForeignKey("fairloop_runs.run_id"), primary_key=True),
    sa.Column("flag_id", sa.String(40), primary_key=True),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("metric", sa.String(64), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("difference", sa.Float),
    sa.Column("ci_low", sa.Float),
    sa.Column("ci_high", sa.Float),
    sa.Column("severity", sa.String(10)),
    sa.Column("payload", sa.Text, nullable=False),
)

events = sa.Table(
    "fairloop_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(40), nullable=False, unique=True),
    sa.Column("flag_id", sa.String(40), nullable=False, index=True),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("mitigation", sa.Text),
    sa.Column("run_id", sa.String(40)),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(20)),  # version 2
    sa.Column("links", sa.Text),  # version 2
    sa.Column("evidence", sa.Text),  # version 2
)

windows = sa.Table(  # version 3
    "fairloop_windows",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    # which audits' cubes add up: a hash of the roles and keys that shape the cube
    sa.Column("series", sa.String(64), nullable=False, index=True),
    sa.Column("window", sa.String(10), nullable=False),
    sa.Column("run_id", sa.String(40), sa.ForeignKey("fairloop_runs.run_id"), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("data_sha256", sa.String(64)),
    sa.Column("cube", sa.Text, nullable=False),
)

tables = {"meta": meta, "runs": runs, "flags": flags, "events": events, "windows": windows}


def meta_value(connection: sa.Connection, key: str, *, lock: bool = False) -> str | None:
    """A record of ``fairloop_meta`` (``None`` if absent); ``lock`` reads it FOR UPDATE."""
    query = sa.select(meta.c.value).where(meta.c.key == key)
    if lock and connection.dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE locks
        query = query.with_for_update()
    value = connection.execute(query).scalar_one_or_none()
    return None if value is None else str(value)


def _to_2(connection: sa.Connection) -> None:
    inspector = sa.inspect(connection)
    for table, column in (
        ("fairloop_runs", "cube"),
        ("fairloop_events", "kind"),
        ("fairloop_events", "links"),
        ("fairloop_events", "evidence"),
    ):
        present = {c["name"] for c in inspector.get_columns(table)}
        if column not in present:  # idempotent: a step half-applied by hand is completed
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")


def _to_3(connection: sa.Connection) -> None:
    windows.create(connection, checkfirst=True)


#: Step from version N to N + 1, by N.
UPGRADES: dict[int, Callable[[sa.Connection], None]] = {1: _to_2, 2: _to_3}

"""The review store's tables, and the steps that upgrade an older database to this schema.

Version 1 held runs, flags and hash-chained adjudication events. Version 2 adds the count
cube to each run (so a report can be re-rendered without the data), and to each event its
kind (a reviewer's decision or an automatic reopening), links and the evidence snapshot
the decision was made on. Version 3 adds the count cube of each time window, so a later
audit of new data can add its windows to the earlier ones without reading old rows.
Version 4 adds the ledger (one hash chain over every record: runs, flags, windows,
events, settings, name bindings; :mod:`fairloop.store._ledger`), the principal of each
event, the chained policy settings and name bindings, and triggers that refuse UPDATE and
DELETE on every recorded table. Upgrades only add columns, tables and triggers: no
recorded value is rewritten, so every hash of the chain still verifies; version 4 chains
what was recorded before it, in the order it was recorded. Version 5 stores count cubes
packed (each table a compressed Arrow stream, :meth:`fairloop.CountCube.to_dict`); the cubes
recorded before stay as they are and are read as they are.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

__all__ = [
    "GUARDED",
    "SCHEMA_VERSION",
    "UPGRADES",
    "guard",
    "meta_value",
    "metadata",
    "tables",
]

SCHEMA_VERSION = 5

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
    sa.Column("principal", sa.String(200)),  # version 4
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

ledger = sa.Table(  # version 4
    "fairloop_ledger",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("record_id", sa.String(300), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
)

settings = sa.Table(  # version 4: policies, appended when set or changed
    "fairloop_settings",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("setting_id", sa.String(40), nullable=False, unique=True),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("note", sa.Text),
)

reviewers = sa.Table(  # version 4: display names bound to principals
    "fairloop_reviewers",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("binding_id", sa.String(40), nullable=False, unique=True),
    sa.Column("name_key", sa.String(200), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("bound_by", sa.String(200), nullable=False),
)

tables = {
    "meta": meta, "runs": runs, "flags": flags, "events": events, "windows": windows,
    "ledger": ledger, "settings": settings, "reviewers": reviewers,
}  # fmt: skip

#: The recorded tables: rows are appended, never changed (:func:`guard`).
GUARDED = ("runs", "flags", "windows", "events", "ledger", "settings", "reviewers")

# (``%%``: the driver reads a lone ``%`` as a placeholder; PostgreSQL receives ``%``)
_PG_REFUSE = """
CREATE OR REPLACE FUNCTION fairloop_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'fairloop: %% on %% refused: a review store''s records are never changed',
    TG_OP, TG_TABLE_NAME;
END $$
"""


def guard(connection: sa.Connection) -> None:
    """Triggers that refuse UPDATE and DELETE (and TRUNCATE) on every recorded table.

    Whoever can drop a trigger can still rewrite a row: the ledger then names it.
    """
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql(_PG_REFUSE)
    for name in GUARDED:
        table = f"fairloop_{name}"
        if dialect == "sqlite":
            for operation in ("UPDATE", "DELETE"):
                connection.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} BEFORE "
                    f"{operation} ON {table} BEGIN SELECT RAISE(ABORT, 'fairloop: "
                    f"{operation} on {table} refused: a review store''s records are never "
                    "changed'); END"
                )
        elif dialect == "postgresql":
            connection.exec_driver_sql(
                f"CREATE OR REPLACE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON "
                f"{table} FOR EACH ROW EXECUTE FUNCTION fairloop_refuse()"
            )
            connection.exec_driver_sql(
                f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION fairloop_refuse()"
            )


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


def _to_4(connection: sa.Connection) -> None:
    """The ledger, settings and bindings tables, the events' principal, and the guards.

    The records written before are chained by the store right after (it knows the
    principal); nothing recorded is rewritten.
    """
    present = {c["name"] for c in sa.inspect(connection).get_columns("fairloop_events")}
    if "principal" not in present:
        connection.exec_driver_sql("ALTER TABLE fairloop_events ADD COLUMN principal TEXT")
    for table in (ledger, settings, reviewers):
        table.create(connection, checkfirst=True)


def _to_5(connection: sa.Connection) -> None:
    """Count cubes are stored packed from version 5 (tables as compressed Arrow).

    No table changes: the cubes written before stay JSON rows and are read as they are. The
    version says that an older fairloop, which cannot read packed cubes, must not open it.
    """


#: Step from version N to N + 1, by N.
UPGRADES: dict[int, Callable[[sa.Connection], None]] = {
    1: _to_2, 2: _to_3, 3: _to_4, 4: _to_5,
}  # fmt: skip

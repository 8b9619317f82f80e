"""ReviewStore: runs, flags and an append-only, hash-chained record of adjudications."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import sqlalchemy as sa

import fairloop.store._schema as schema
from fairloop._spreadsheet import safe_csv
from fairloop._version import __version__
from fairloop.config import ReviewOptions, default_of
from fairloop.cube import CountCube
from fairloop.exceptions import ConfigError, StoreError, StoreIntegrityError, mention
from fairloop.flags import rank_flags
from fairloop.store._engine import store_engine as _engine
from fairloop.store._hashchain import GENESIS, chain_hash
from fairloop.store._ledger import append_entries, append_entry, ledger_head
from fairloop.store._principal import current_principal, name_key, normalise_name
from fairloop.store._status import (
    derive_status,
    next_action,
    refusal,
    reopen_reason,
    same_reviewer,
)
from fairloop.store._verify import VerifyReport, walk_chain
from fairloop.vocabulary import DECISIONS, MISSING_GROUP, REVIEW_STATUSES, Decision, is_web_link

if TYPE_CHECKING:
    from fairloop._audit import AuditResult
    from fairloop.config import AuditConfig

__all__ = [
    "DECISIONS",
    "Decision",
    "ReviewStore",
    "VerifyReport",
    "resolve_url",
    "series_key",
]

DEFAULT_URL = "sqlite:///fairloop.db"
SYSTEM_REVIEWER = "fairloop"


def series_key(config: AuditConfig) -> str:
    """Which audits' window cubes add up: a hash of what shapes the cube's cells.

    Two audits are of one series when they read the same decisions the same way (the
    prediction, label, favourable and declared values), keep the same keys (sensitive and
    context attributes, reviewer column, window length) and the same score and time columns.
    """
    keys = ("prediction", "label", "positive", "values", "sensitive", "context", "reviewer",
            "window", "score", "time")  # fmt: skip
    everything = config.to_dict()
    shape = {key: everything[key] for key in keys}
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()


def resolve_url(db: str | os.PathLike[str] | None) -> str:
    """The database URL: the argument, else ``$FAIRLOOP_DB``, else ``sqlite:///fairloop.db``.

    A plain path is taken as a SQLite file.

    Examples
    --------
    >>> resolve_url("reviews.db")
    'sqlite:///reviews.db'
    >>> resolve_url("postgresql+psycopg://u:p@localhost/db")
    'postgresql+psycopg://u:p@localhost/db'
    """
    value = os.fspath(db) if db is not None else os.environ.get("FAIRLOOP_DB", DEFAULT_URL)
    return value if "://" in value else f"sqlite:///{value}"


def _stored_windows(result: AuditResult) -> list[str]:
    """The time windows a run stores a cube of: those the audit read from the log.

    Windows added from the store are stored already; rows without a time have no window.
    """
    cube = result.cube
    if cube.window is None:
        return []
    read = result.provenance.get("windows_read")
    return [w for w in (read if read is not None else cube.windows) if w != MISSING_GROUP]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class ReviewStore:
    """Where reviewers adjudicate flags: runs, flags and hash-chained decision events.

    Decisions are appended, never updated: a flag's status is derived from its events.
    Each event stores ``sha256(previous hash + canonical JSON of the event)``, so
    :meth:`verify` detects any event edited or deleted in the database.

    Parameters
    ----------
    db : str or path or None, default=None
        A SQLAlchemy URL (``sqlite:///fairloop.db``, ``postgresql+psycopg://...``) or a
        SQLite file path; default ``$FAIRLOOP_DB`` or ``sqlite:///fairloop.db``. The
        database is created on first use and upgraded when an older fairloop made it.
    four_eyes : bool, default=False
        ``confirmed`` and ``justified`` count as final only after a second, different
        reviewer records the same decision.
    reopen_tolerance : float, default=0.05
        A flag found again is reopened when its effect grew by more than this beyond the
        adjudicated one, or its interval no longer overlaps the adjudicated interval.

    Examples
    --------
    >>> import tempfile, os
    >>> from fairloop.datasets import make_decision_log
    >>> import fairloop
    >>> log = make_decision_log(n=20_000, seed=1)
    >>> result = fairloop.audit(log.data, **log.roles)
    >>> store = ReviewStore(os.path.join(tempfile.mkdtemp(), "reviews.db"))
    >>> run_id = store.record_run(result)
    >>> flag = result.flags["flag_id"].iloc[0]
    >>> _ = store.decide(flag, "confirmed", rationale="Real gap; model retraining planned.",
    ...                  reviewer="ana")
    >>> store.status(flag)
    'confirmed'
    >>> store.verify().ok
    True
    """

    def __init__(
        self,
        db: str | os.PathLike[str] | None = None,
        *,
        four_eyes: bool = False,
        reopen_tolerance: float = default_of(ReviewOptions, "reopen_tolerance"),
        read_only: bool = False,
    ) -> None:
        self.url = resolve_url(db)
        self.four_eyes = four_eyes
        self.reopen_tolerance = reopen_tolerance
        self.read_only = read_only
        self._reflected: sa.Table | None = None
        try:
            if read_only and self.url.startswith("sqlite"):
                path = sa.engine.make_url(self.url).database
                if not path or not os.path.exists(path):
                    raise StoreError(
                        f"No review store at {self._safe_url()}: the file does not exist. "
                        f"Check {mention('db')} (or FAIRLOOP_DB)."
                    )
            self.engine = _engine(self.url, read_only=read_only)
            self._prepare()
        except ImportError as exc:
            raise ConfigError(
                f"{{option}} {self._safe_url()} needs a database driver that is not installed "
                f"({exc.name or exc}). For PostgreSQL: pip install 'fairloop[postgres]'.",
                option="db",
            ) from None
        except sa.exc.ArgumentError as exc:
            raise ConfigError(
                f"{{option}} {self.url!r} is not a database URL: {exc}. Use sqlite:///file.db or "
                "postgresql+psycopg://user:password@host/database.",
                option="db",
            ) from None
        except sa.exc.DBAPIError as exc:
            if hasattr(self, "engine"):
                self.engine.dispose()
            raise StoreError(
                f"Cannot open the review store {self._safe_url()}: "
                f"{str(exc.orig).strip().splitlines()[0]}. Check that the URL names a fairloop "
                "review store (or a new file) and that the server is running."
            ) from None

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        mode = ", read-only" if self.read_only else ""
        return f"ReviewStore({url!r}, four_eyes={self.four_eyes}{mode})"

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def display_url(self) -> str:
        """The store's address with any password hidden, for reports and messages."""
        return self._safe_url()

    def _safe_url(self) -> str:
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    # ------------------------------------------------------------------ schema

    def _prepare(self) -> None:
        if self.read_only:
            with self.engine.connect() as connection:
                if not sa.inspect(connection).has_table("fairloop_meta"):
                    raise StoreError(f"{self._safe_url()} is not a fairloop review store.")
                self.four_eyes = self.four_eyes or self._chained_four_eyes(connection)
            return
        with self._write() as connection:
            if connection.dialect.name == "postgresql":
                # two processes creating or upgrading the same store wait for each other
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")
            inspector = sa.inspect(connection)
            if not inspector.has_table("fairloop_meta"):
                self._refuse_foreign(connection, inspector)
                schema.metadata.create_all(connection)
                connection.execute(
                    schema.meta.insert(),
                    [
                        {"key": "schema_version", "value": str(schema.SCHEMA_VERSION)},
                        {"key": "head_hash", "value": GENESIS},
                        {"key": "event_count", "value": "0"},
                        {"key": "ledger_head", "value": GENESIS},
                    ],
                )
                schema.guard(connection)
                self._remember_policies(connection)
                return
            version = int(self._meta(connection, "schema_version"))
            if version > schema.SCHEMA_VERSION:
                raise StoreError(
                    f"The review store {self._safe_url()} has schema version {version}, newer "
                    f"than this fairloop ({__version__}, version {schema.SCHEMA_VERSION}). "
                    "Upgrade fairloop."
                )
            before = version
            while version < schema.SCHEMA_VERSION:
                schema.UPGRADES[version](connection)
                version += 1
                connection.execute(
                    schema.meta.update()
                    .where(schema.meta.c.key == "schema_version")
                    .values(value=str(version))
                )
            self._record_head_event(connection)
            if before < 4:
                self._chain_recorded(connection, before)
            if before < schema.SCHEMA_VERSION:  # the owner upgrades; reviewers only append
                schema.guard(connection)
            self._remember_policies(connection)

    def _refuse_foreign(self, connection: sa.Connection, inspector: Any) -> None:
        """Refuse to make a store inside another application's database, or a broken one."""
        names = set(inspector.get_table_names())
        ours = sorted(n for n in names if n.startswith("fairloop_"))
        if ours:
            raise StoreIntegrityError(
                f"The review store {self._safe_url()} has fairloop tables ({', '.join(ours)}) "
                "but no fairloop_meta record: it was damaged (its head and schema records "
                "are gone). Restore it from a backup; fairloop will not start a new chain "
                "over it."
            )
        if names:
            listed = f"{', '.join(sorted(names)[:3])}{' ...' if len(names) > 3 else ''}"
            if connection.dialect.name == "sqlite":
                fix = f"Give {mention('db')} a new file or an existing fairloop store."
            else:
                fix = (
                    "Give the store a schema of its own: CREATE SCHEMA fairloop, then add "
                    "?options=-csearch_path%3Dfairloop to the URL."
                )
            raise StoreError(
                f"{self._safe_url()} is not a fairloop review store: it holds other tables "
                f"({listed}), and fairloop does not create its tables among another "
                f"application's. {fix}"
            )

    def _chain_recorded(self, connection: sa.Connection, version: int) -> None:
        """Chain the records of a store made before the ledger, in the order recorded.

        An upgrade from an older schema: nothing recorded is rewritten.
        """
        principal = current_principal(connection)
        items: list[tuple[str, int, str, dict[str, Any]]] = []
        order = {"run": 0, "flag": 1, "window": 2, "event": 3}
        runs = {r["run_id"]: dict(r) for r in connection.execute(
            sa.select(schema.runs)).mappings()}  # fmt: skip
        for run in runs.values():
            items.append((str(run["created_at"]), order["run"], "run", run))
        for flag in connection.execute(sa.select(schema.flags)).mappings():
            created = str(runs.get(flag["run_id"], {}).get("created_at", ""))
            items.append((created, order["flag"], "flag", dict(flag)))
        for window in connection.execute(
            sa.select(schema.windows).order_by(schema.windows.c.seq)
        ).mappings():
            items.append((str(window["created_at"]), order["window"], "window", dict(window)))
        for event in connection.execute(
            sa.select(schema.events).order_by(schema.events.c.seq)
        ).mappings():
            items.append((str(event["created_at"]), order["event"], "event", dict(event)))
        items.sort(key=lambda item: (item[0], item[1]))
        for created, _, kind, row in items:
            append_entry(connection, kind, row, principal=principal, created_at=created)
        if schema.meta_value(connection, "four_eyes") == "1":  # the setting as it was kept
            self._append_setting(connection, "four_eyes", "1", principal,
                                 note=f"carried over from schema version {version}")  # fmt: skip
        self._set_ledger_head(connection)

    @staticmethod
    def _record_head_event(connection: sa.Connection) -> None:
        """Stores made before the last event's id was recorded get it now.

        Under the append lock: a reviewer appending meanwhile (which writes the id too)
        cannot slip between the check and the insert.
        """
        schema.meta_value(connection, "head_hash", lock=True)
        known = schema.meta_value(connection, "head_event_id")
        last = connection.execute(
            sa.select(schema.events.c.event_id).order_by(schema.events.c.seq.desc()).limit(1)
        ).scalar_one_or_none()
        if known is None and last is not None:
            connection.execute(schema.meta.insert().values(key="head_event_id", value=last))

    # ------------------------------------------------------------------ policies

    @staticmethod
    def _policy(connection: sa.Connection, key: str) -> str | None:
        """The latest chained value of a policy setting (None if never set)."""
        value = connection.execute(
            sa.select(schema.settings.c.value)
            .where(schema.settings.c.key == key)
            .order_by(schema.settings.c.seq.desc())
            .limit(1)
        ).scalar_one_or_none()
        return None if value is None else str(value)

    def _chained_four_eyes(self, connection: sa.Connection) -> bool:
        if not sa.inspect(connection).has_table("fairloop_settings"):  # an older schema
            return schema.meta_value(connection, "four_eyes") == "1"
        return self._policy(connection, "four_eyes") == "1"

    def _remember_policies(self, connection: sa.Connection) -> None:
        """Chain the policies: four-eyes review (once asked for, kept) and the reopen tolerance.

        The tolerance a writer uses is chained whenever it changes.
        """
        schema.meta_value(connection, "head_hash", lock=True)  # the append lock
        principal = current_principal(connection)
        if self._policy(connection, "four_eyes") == "1":
            self.four_eyes = True
        elif self.four_eyes:
            self._append_setting(connection, "four_eyes", "1", principal)
        tolerance = repr(float(self.reopen_tolerance))
        if self._policy(connection, "reopen_tolerance") != tolerance:
            self._append_setting(connection, "reopen_tolerance", tolerance, principal)
        self._set_ledger_head(connection)

    def _append_setting(
        self, connection: sa.Connection, key: str, value: str, principal: str,
        *, note: str | None = None,
    ) -> None:  # fmt: skip
        setting_id = "set-" + uuid.uuid4().hex[:16]
        created = _now()
        connection.execute(schema.settings.insert().values(
            setting_id=setting_id, key=key, value=value, created_at=created,
            principal=principal, note=note,
        ))  # fmt: skip
        self._chain(connection, "setting", schema.settings.c.setting_id == setting_id,
                    principal, created)  # fmt: skip

    # ------------------------------------------------------------------ the ledger

    def _chain(
        self,
        connection: sa.Connection,
        kind: str,
        where: Any,
        principal: str,
        created_at: str,
    ) -> None:
        """Chain the records just written (read back, so the digest is of what is stored)."""
        table = {
            "run": schema.runs, "flag": schema.flags, "window": schema.windows,
            "event": schema.events, "setting": schema.settings, "binding": schema.reviewers,
        }[kind]  # fmt: skip
        query = sa.select(table).where(where)
        if "seq" in table.c:
            query = query.order_by(table.c.seq)
        rows = [dict(row) for row in connection.execute(query).mappings().all()]
        append_entries(connection, kind, rows, principal=principal, created_at=created_at)

    @staticmethod
    def _set_ledger_head(connection: sa.Connection) -> None:
        """Record the ledger's head with the write, so a tail cut from it shows."""
        head = ledger_head(connection)
        updated = connection.execute(
            schema.meta.update().where(schema.meta.c.key == "ledger_head").values(value=head)
        )
        if updated.rowcount == 0:
            connection.execute(schema.meta.insert().values(key="ledger_head", value=head))

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        with self.engine.connect() as connection:
            return int(self._meta(connection, "schema_version"))

    @staticmethod
    def _meta(connection: sa.Connection, key: str, *, lock: bool = False) -> str:
        value = schema.meta_value(connection, key, lock=lock)
        if value is None:
            raise StoreIntegrityError(f"The review store has no {key!r} record.")
        return str(value)

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A transaction that holds the write lock from its start (appends are serialised)."""
        with self.engine.begin() as connection:
            yield connection

    # ------------------------------------------------------------------ runs and flags

    def record_run(self, result: AuditResult) -> str:
        """Record an audit: its provenance, configuration, summary, count cube and flags.

        Flags found before keep their status (it is derived from their events). A flag
        whose effect grew beyond the adjudicated one by more than ``reopen_tolerance``, or
        whose interval no longer overlaps the adjudicated interval, is reopened by an
        automatic event that says why.

        Parameters
        ----------
        result : AuditResult
            The audit.

        Returns
        -------
        str
            The run id.
        """
        run_id = "run-" + uuid.uuid4().hex[:12]
        p = result.provenance
        flags = result.flags
        record = result.to_record()  # built once, without the bundle's large tables
        starts = _stored_windows(result)
        with self._write() as connection:
            # take the append lock first: no decision can land between the reading of a
            # flag's history below and an automatic reopening written from it
            self._meta(connection, "head_hash", lock=True)
            principal, created = current_principal(connection), _now()
            connection.execute(
                schema.runs.insert().values(
                    run_id=run_id,
                    created_at=created,
                    fairloop_version=__version__,
                    data_sha256=p.get("data_sha256"),
                    rows=p.get("rows"),
                    config=json.dumps(result.config.to_dict()),
                    summary=json.dumps(record["summary"]),
                    provenance=json.dumps(record["provenance"]),
                    # the windows' cells are stored once, with their windows
                    cube=json.dumps(
                        result.cube.to_dict(packed=True, apart=starts), separators=_COMPACT
                    ),
                )
            )
            self._chain(connection, "run", schema.runs.c.run_id == run_id, principal, created)
            self._record_windows(connection, result, run_id, starts)
            self._chain(connection, "window", schema.windows.c.run_id == run_id, principal,
                        created)  # fmt: skip
            records = record["flags"]
            if records:
                connection.execute(
                    schema.flags.insert(),
                    [
                        {
                            "run_id": run_id,
                            "flag_id": f["flag_id"],
                            "source": f["source"],
                            "metric": f["metric"],
                            "description": f["description"],
                            "difference": f["difference"],
                            "ci_low": f["difference_ci_low"],
                            "ci_high": f["difference_ci_high"],
                            "severity": f["severity"],
                            "payload": json.dumps(f),
                        }
                        for f in records
                    ],
                )
            self._chain(connection, "flag", schema.flags.c.run_id == run_id, principal, created)
            history = self._events_by_flag([r["flag_id"] for r in records], connection)
            for record in records if len(flags) else []:
                self._carry_over(connection, record, history.get(record["flag_id"], []), run_id)
            self._set_ledger_head(connection)
        return run_id

    @staticmethod
    def _record_windows(
        connection: sa.Connection, result: AuditResult, run_id: str, starts: list[str]
    ) -> None:
        """One cube per time window the audit read (see :func:`_stored_windows`)."""
        if not starts:
            return
        cube = result.cube
        series = series_key(result.config)
        created = _now()
        rows = []
        parts = cube.window_dicts(packed=True)
        sizes = cube.window_sizes()
        for start in starts:
            part = parts.get(start) or cube.select_windows([start]).to_dict(packed=True)
            rows.append(
                {
                    "series": series,
                    "window": start,
                    "run_id": run_id,
                    "created_at": created,
                    "rows": sizes.get(start, 0),
                    "data_sha256": result.provenance.get("data_sha256"),
                    "cube": json.dumps(part, separators=_COMPACT),
                }
            )
        connection.execute(schema.windows.insert(), rows)

    def windows(self, config: AuditConfig | None = None) -> pd.DataFrame:
        """The stored time windows: the latest cube of each window, per series of audits.

        Parameters
        ----------
        config : AuditConfig or None, default=None
            Only the windows of audits whose cubes add up with this configuration's
            (same decisions, attributes, reviewer column and window length).

        Returns
        -------
        pandas.DataFrame
            series, window, run_id, created_at, rows, data_sha256, one row per window.
        """
        query = sa.select(
            schema.windows.c.seq, schema.windows.c.series, schema.windows.c.window,
            schema.windows.c.run_id, schema.windows.c.created_at, schema.windows.c.rows,
            schema.windows.c.data_sha256,
        ).order_by(schema.windows.c.seq)  # fmt: skip
        if config is not None:
            query = query.where(schema.windows.c.series == series_key(config))
        with self.engine.connect() as connection:
            frame = pd.DataFrame(connection.execute(query).mappings().all())
        if frame.empty:
            return pd.DataFrame(
                columns=["series", "window", "run_id", "created_at", "rows", "data_sha256"]
            )
        latest = frame.drop_duplicates(["series", "window"], keep="last")
        return latest.drop(columns="seq").sort_values(["series", "window"]).reset_index(drop=True)

    def window_cubes(self, config: AuditConfig) -> dict[str, CountCube]:
        """The latest stored cube of each time window of this configuration's series."""
        series = series_key(config)
        query = (
            sa.select(schema.windows.c.window, schema.windows.c.cube)
            .where(schema.windows.c.series == series)
            .order_by(schema.windows.c.seq)
        )
        latest: dict[str, str] = {}
        with self.engine.connect() as connection:
            for window, cube in connection.execute(query):
                latest[str(window)] = cube  # later runs replace earlier cubes of a window
        return {w: CountCube.from_dict(json.loads(c)) for w, c in sorted(latest.items())}

    def _carry_over(
        self,
        connection: sa.Connection,
        flag: dict[str, Any],
        history: list[dict[str, Any]],
        run_id: str,
    ) -> None:
        if not history or self._derive(history)[0] == "open":
            return
        last = next((e for e in reversed(history) if e["evidence"]), None)
        if last is None:
            return
        why = reopen_reason(json.loads(last["evidence"]), flag, self.reopen_tolerance)
        if why is None:
            return
        self._append_in(
            connection,
            flag_id=flag["flag_id"],
            decision="reopened",
            rationale=f"Reopened automatically in run {run_id}: {why}.",
            reviewer=SYSTEM_REVIEWER,
            run_id=run_id,
            kind="auto",
            evidence=_evidence(flag, run_id),
        )

    def runs(self) -> pd.DataFrame:
        """Every recorded run, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(
                    schema.runs.c.run_id, schema.runs.c.created_at, schema.runs.c.rows,
                    schema.runs.c.data_sha256, schema.runs.c.fairloop_version,
                ).order_by(schema.runs.c.created_at.desc())
            ).mappings().all()  # fmt: skip
        return pd.DataFrame([dict(r) for r in rows], columns=["run_id", "created_at", "rows",
                            "data_sha256", "fairloop_version"])  # fmt: skip

    def check_run(self, run_id: str) -> None:
        """Raise a clear :class:`StoreError` unless the store holds the run (reads its id only)."""
        with self.engine.connect() as connection:
            found = connection.execute(
                sa.select(schema.runs.c.run_id).where(schema.runs.c.run_id == run_id)
            ).first()
        if found is None:
            raise _no_run(run_id)

    def run_cube(self, run_id: str) -> CountCube | None:
        """A recorded run's count cube, its windows put back; None if it was not recorded.

        Raises
        ------
        StoreError
            No such run.
        """
        stored = self.run(run_id)["cube"]
        if not stored:
            return None
        windows: dict[str, dict[str, Any]] = {}
        if stored.get("windows_apart"):
            query = sa.select(schema.windows.c.window, schema.windows.c.cube).where(
                schema.windows.c.run_id == run_id
            )
            with self.engine.connect() as connection:
                windows = {str(w): json.loads(c) for w, c in connection.execute(query)}
        try:
            return CountCube.from_dict(stored, windows)
        except ValueError as exc:
            raise StoreIntegrityError(
                f"The count cube of run {run_id} cannot be rebuilt: {exc} Run `fairloop "
                "verify` to see what changed in the store."
            ) from None

    def run(self, run_id: str) -> dict[str, Any]:
        """A recorded run: provenance, configuration, summary and count cube.

        The cube is as stored: when it keeps its windows apart (``windows_apart``), they are
        in the windows table; :meth:`run_cube` puts them back.
        """
        with self.engine.connect() as connection:
            row = (
                connection.execute(sa.select(schema.runs).where(schema.runs.c.run_id == run_id))
                .mappings()
                .one_or_none()
            )
        if row is None:
            raise _no_run(run_id)
        out = dict(row)
        for key in ("config", "summary", "provenance", "cube"):
            out[key] = json.loads(out[key]) if out.get(key) else None
        return out

    def _latest_flags(self, run_id: str | None) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            if run_id is None:
                run_id = (
                    connection.execute(
                        sa.select(schema.runs.c.run_id).order_by(schema.runs.c.created_at.desc())
                    )
                    .scalars()
                    .first()
                )
                if run_id is None:
                    return []
            rows = (
                connection.execute(
                    sa.select(schema.flags.c.payload).where(schema.flags.c.run_id == run_id)
                )
                .scalars()
                .all()
            )
        return [json.loads(r) for r in rows]

    def flag(self, flag_id: str) -> dict[str, Any]:
        """The most recent evidence recorded for a flag."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.flags.c.payload, schema.flags.c.run_id)
                .join(schema.runs, schema.runs.c.run_id == schema.flags.c.run_id)
                .where(schema.flags.c.flag_id == flag_id)
                .order_by(schema.runs.c.created_at.desc())
            ).first()
        if row is None:
            raise StoreError(
                f"No flag {flag_id!r} in the review store. `fairloop review list` shows the "
                "flags of the latest run."
            )
        return {**json.loads(row[0]), "run_id": row[1]}

    def flags(self, *, status: str | None = None, run_id: str | None = None) -> pd.DataFrame:
        """The flags of a run (default: the latest) with their current status.

        Parameters
        ----------
        status : str or None, default=None
            Keep only flags with this status: one of :data:`REVIEW_STATUSES` (``open``,
            ``awaiting``, ``confirmed``, ``justified``, ``needs-data``, ``mitigated``).
        run_id : str or None, default=None
            The run; default the most recent.

        Returns
        -------
        pandas.DataFrame
        """
        if status is not None and status not in REVIEW_STATUSES:
            raise ConfigError(
                f"{{option}} must be one of {', '.join(REVIEW_STATUSES)}. Got {status!r} instead.",
                option="status",
            )
        records = self._latest_flags(run_id)
        all_events = self._events_by_flag([r["flag_id"] for r in records])
        rows = []
        for record in records:
            state, detail = self._derive(all_events.get(record["flag_id"], []))
            rows.append({**record, "status": state, "status_detail": detail,
                         "next": next_action(state)})  # fmt: skip
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        if status is not None:  # "awaiting" matches every "awaiting second reviewer (...)"
            frame = frame[frame["status"].str.startswith(status)]
        return rank_flags(frame)  # as the audit ranks them

    # ------------------------------------------------------------------ decisions

    def decide(
        self,
        flag_id: str,
        decision: str,
        *,
        rationale: str,
        reviewer: str,
        mitigation: str | None = None,
        links: Sequence[str] = (),
    ) -> str:
        """Record a reviewer's decision on a flag (appended, never overwritten).

        Parameters
        ----------
        flag_id : str
            The flag.
        decision : {"confirmed", "justified", "needs-data", "mitigated", "reopened"}
            What the reviewer decided.
        rationale : str
            Why (required).
        reviewer : str
            Who (required).
        mitigation : str or None, default=None
            The mitigation plan, if any.
        links : sequence of str, default=()
            Links to tickets or documents.

        Returns
        -------
        str
            The event id.

        Raises
        ------
        ConfigError
            If the decision is unknown or the rationale or reviewer is empty.
        StoreError
            If the flag is not in the store.
        """
        if decision not in DECISIONS:
            raise ConfigError(
                f"{{option}} must be one of {', '.join(DECISIONS)}. Got {decision!r} instead.",
                option="decision",
            )
        if not rationale or not rationale.strip():
            raise ConfigError(
                "A decision needs a rationale ({option}): say why, in words.", option="rationale"
            )
        if not reviewer or not str(reviewer).strip():
            raise ConfigError(
                "A decision needs the reviewer who made it ({option}).", option="reviewer"
            )
        name = normalise_name(reviewer)
        if same_reviewer(name, SYSTEM_REVIEWER):
            raise ConfigError(
                f"{{option}} {name!r} is fairloop's own name for automatic events: give the "
                "reviewer's own name.",
                option="reviewer",
            )
        bad = [link for link in links if not is_web_link(link)]
        if bad:
            raise ConfigError(
                f"{{option}} {bad[0]!r} is not a web address. Give an http:// or https:// "
                "address of the ticket or document.",
                option="link",
            )
        flag = self.flag(flag_id)
        with self._write() as connection:
            self._meta(connection, "head_hash", lock=True)  # the append lock
            principal = current_principal(connection)
            history = self._events_by_flag([flag_id], connection).get(flag_id, [])
            why = refusal(history, decision, principal, four_eyes=self.four_eyes)
            if why is not None:
                raise StoreError(f"Cannot record {decision} on {flag_id}: {why}.")
            self._bind_in(connection, name, principal, bound_by=principal)
            return self._append_in(
                connection,
                flag_id=flag_id,
                decision=decision,
                rationale=rationale.strip(),
                reviewer=name,
                mitigation=mitigation,
                links=json.dumps(list(links)) if links else None,
                run_id=flag.get("run_id"),
                kind="decision",
                evidence=_evidence(flag, flag.get("run_id")),
                principal=principal,
            )

    def bind(self, name: str, principal: str) -> None:
        """Bind a reviewer's display name to a principal (an account), on the record.

        A name is bound to the first principal that decides under it; from then on only
        that principal may decide as that name. An administrator binds names ahead of
        use, or moves one to another account, with this (the binding is chained, with who
        made it).

        Parameters
        ----------
        name : str
            The display name (normalised as :func:`~fairloop.store._principal.normalise_name`).
        principal : str
            ``pg:<role>`` for a PostgreSQL role, ``os:<account>`` for an operating-system
            account (SQLite stores).
        """
        display = normalise_name(name)
        who = str(principal).strip()
        if not who.startswith(("pg:", "os:")) or len(who) < 4:
            raise ConfigError(
                f"{{option}} {principal!r} is not a principal: write pg:<role> for a "
                "PostgreSQL role or os:<account> for an operating-system account.",
                option="principal",
            )
        with self._write() as connection:
            self._meta(connection, "head_hash", lock=True)
            me = current_principal(connection)
            self._append_binding(connection, display, who, me)
            self._set_ledger_head(connection)

    def reviewers(self) -> pd.DataFrame:
        """Every display name with the principal it is bound to (the latest binding)."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(sa.select(schema.reviewers).order_by(schema.reviewers.c.seq))
                .mappings()
                .all()
            )
        columns = ["seq", "binding_id", "name_key", "name", "principal", "created_at",
                   "bound_by"]  # fmt: skip
        frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
        latest = frame.drop_duplicates("name_key", keep="last")
        return latest[["name", "principal", "created_at", "bound_by"]].reset_index(drop=True)

    def _bind_in(
        self, connection: sa.Connection, name: str, principal: str, *, bound_by: str
    ) -> None:
        """The name's principal must be this one; an unbound name is bound to it now."""
        bound = connection.execute(
            sa.select(schema.reviewers.c.principal)
            .where(schema.reviewers.c.name_key == name_key(name))
            .order_by(schema.reviewers.c.seq.desc())
            .limit(1)
        ).scalar_one_or_none()
        if bound is None:
            self._append_binding(connection, name, principal, bound_by)
        elif bound != principal:
            raise StoreError(
                f"The reviewer name {name!r} is bound to {bound}, and this decision is made "
                f"as {principal}. Decide under your own name, or have the name bound to your "
                "account (ReviewStore.bind)."
            )

    def _append_binding(
        self, connection: sa.Connection, name: str, principal: str, bound_by: str
    ) -> None:
        binding_id = "bind-" + uuid.uuid4().hex[:16]
        created = _now()
        connection.execute(schema.reviewers.insert().values(
            binding_id=binding_id, name_key=name_key(name), name=name, principal=principal,
            created_at=created, bound_by=bound_by,
        ))  # fmt: skip
        self._chain(connection, "binding", schema.reviewers.c.binding_id == binding_id,
                    bound_by, created)  # fmt: skip

    def _append(self, **fields: Any) -> str:
        with self._write() as connection:
            return self._append_in(connection, **fields)

    def _append_in(self, connection: sa.Connection, **fields: Any) -> str:
        """Append an event inside a write transaction (which holds the append lock)."""
        event = {"event_id": "ev-" + uuid.uuid4().hex, "created_at": _now(), **fields}
        event.setdefault("mitigation", None)
        event.setdefault("links", None)
        event.setdefault("run_id", None)
        head = self._meta(connection, "head_hash", lock=True)
        count = int(self._meta(connection, "event_count"))
        principal = event.setdefault("principal", current_principal(connection))
        digest = chain_hash(head, event)
        connection.execute(schema.events.insert().values(**event, prev_hash=head, hash=digest))
        self._chain(connection, "event", schema.events.c.event_id == event["event_id"],
                    str(principal), str(event["created_at"]))  # fmt: skip
        self._set_ledger_head(connection)
        for key, value in (("head_hash", digest), ("event_count", str(count + 1)),
                           ("head_event_id", str(event["event_id"]))):  # fmt: skip
            updated = connection.execute(
                schema.meta.update().where(schema.meta.c.key == key).values(value=value)
            )
            if updated.rowcount == 0:
                connection.execute(schema.meta.insert().values(key=key, value=value))
        return str(event["event_id"])

    def _events(self, flag_id: str) -> list[dict[str, Any]]:
        return self._events_by_flag([flag_id]).get(flag_id, [])

    def _events_by_flag(
        self, flag_ids: Iterable[str], connection: sa.Connection | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        ids = list(flag_ids)
        if not ids:
            return {}
        events = self._events_table()
        query = sa.select(events).where(events.c.flag_id.in_(ids)).order_by(events.c.seq)
        if connection is not None:
            rows = connection.execute(query).mappings().all()
        else:
            with self.engine.connect() as own:
                rows = own.execute(query).mappings().all()
        out: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            out.setdefault(row["flag_id"], []).append(dict(row))
        return out

    def _events_table(self) -> sa.Table:
        """The events table as this store has it.

        A reader of an older schema (read-only, not upgraded) reads the columns there are.
        """
        if not self.read_only:
            return schema.events
        if self._reflected is None:
            self._reflected = sa.Table("fairloop_events", sa.MetaData(),
                                       autoload_with=self.engine)  # fmt: skip
        return self._reflected

    def _derive(self, history: list[dict[str, Any]]) -> tuple[str, str]:
        return derive_status(history, four_eyes=self.four_eyes)

    def status(self, flag_id: str) -> str:
        """A flag's current status, derived from its events."""
        return self._derive(self._events(flag_id))[0]

    def history(self, flag_id: str | None = None) -> pd.DataFrame:
        """Events in the order they were recorded (one flag's, or every event)."""
        events = self._events_table()
        query = sa.select(events).order_by(events.c.seq)
        if flag_id is not None:
            query = query.where(events.c.flag_id == flag_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        columns = [c.name for c in events.columns]
        return pd.DataFrame([dict(r) for r in rows], columns=columns)

    # ------------------------------------------------------------------ integrity

    def verify(self, *, expect_head: str | None = None) -> VerifyReport:
        """Walk the hash chain; name the first event that does not match.

        Detects an event whose content was edited (its hash no longer matches), an event
        deleted from the middle (the next one no longer points at its predecessor) or
        from the end (the count, head and last event id recorded with the last append
        disagree). Whoever can rewrite the database can also rewrite those records, so
        keep the head hash somewhere else too (every report prints it) and pass it as
        ``expect_head``: the chain must still contain it.

        Parameters
        ----------
        expect_head : str or None, default=None
            A head hash (or its first 12+ characters) published earlier.

        Returns
        -------
        VerifyReport
        """
        with self.engine.connect() as connection:
            return walk_chain(connection, expect_head=expect_head)

    def head(self) -> str:
        """The hash of the ledger's last entry: the head of everything the store records."""
        with self.engine.connect() as connection:
            if not sa.inspect(connection).has_table("fairloop_ledger"):  # an older schema
                return self._meta(connection, "head_hash")
            return ledger_head(connection)

    def export(self, fmt: Literal["csv", "json"] = "json") -> str:
        """Every event, for GRC tools, as CSV or JSON text."""
        frame = self.history()
        if fmt == "csv":
            return str(safe_csv(frame))
        if fmt == "json":
            records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
            return json.dumps(
                {"head_hash": self.head(), "events": records},
                indent=2, default=str, allow_nan=False,
            )  # fmt: skip
        raise ConfigError(f"{{option}} must be csv or json. Got {fmt!r} instead.", option="fmt")


def _evidence(flag: dict[str, Any], run_id: str | None) -> str:
    return json.dumps(
        {
            "run_id": run_id,
            "difference": flag.get("difference"),
            "ci_low": flag.get("difference_ci_low"),
            "ci_high": flag.get("difference_ci_high"),
            "value": flag.get("value"),
            "q_value": flag.get("q_value"),
        },
        sort_keys=True,
    )


#: JSON without spaces, for the count cubes (the largest records).
_COMPACT = (",", ":")


def _no_run(run_id: str) -> StoreError:
    return StoreError(
        f"No run {run_id!r} in the review store. Its runs: ReviewStore.runs(), or "
        "`fairloop review runs`."
    )

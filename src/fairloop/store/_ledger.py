"""The ledger: one hash chain over every record the report relies on.

Each record the store writes (a run with its configuration, summary, provenance and
cube; each of its flags; each time-window cube; each decision event; each policy setting;
each binding of a display name to a principal) gets a ledger entry in the same
transaction: the record's kind and id, the sha256 of its canonical content, the principal
who wrote it and the time, chained to the entry before (``sha256(previous hash + canonical
entry)``). :func:`walk_ledger` then detects

* an edited record (its content no longer matches its digest),
* a deleted record (an entry whose record is gone),
* an inserted record (a row no entry accounts for),
* an edited, inserted or deleted entry (the chain breaks), and a tail cut from the end
  (the head recorded with the last write no longer matches).

What a chain cannot prove on its own: someone who can write the database can append new
entries and re-chain a rewritten tail, or empty the store and start again. The published
head (every report prints it; ``verify --expect-head`` takes it) closes that gap up to the
moment it was published.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import fairloop.store._schema as schema
from fairloop.store._hashchain import GENESIS

__all__ = [
    "LEDGER_KINDS",
    "LedgerProblem",
    "append_entries",
    "append_entry",
    "content_digest",
    "entry_hash",
    "ledger_head",
    "walk_ledger",
]

#: The recorded tables, by the ledger's kind of record, with the columns that identify a
#: row (its record id) and those left out of its digest (numbering the database assigns).
LEDGER_KINDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "run": ("runs", ("run_id",), ()),
    "flag": ("flags", ("run_id", "flag_id"), ()),
    "window": ("windows", ("run_id", "series", "window"), ("seq",)),
    "event": ("events", ("event_id",), ("seq",)),
    "setting": ("settings", ("setting_id",), ("seq",)),
    "binding": ("reviewers", ("binding_id",), ("seq",)),
}
_ENTRY_FIELDS = ("kind", "record_id", "digest", "principal", "created_at")


def _canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: v for k, v in value.items() if v is not None},
        sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str,
    )  # fmt: skip


def record_id(kind: str, row: Mapping[str, Any]) -> str:
    """A record's id in the ledger: its identifying columns, joined by ``/``."""
    return "/".join(str(row[c]) for c in LEDGER_KINDS[kind][1])


def content_digest(kind: str, row: Mapping[str, Any]) -> str:
    """sha256 of a record's canonical content (columns the database numbers left out).

    Null columns are left out, so a column an upgrade adds does not change the digest of
    a record written before it.

    Examples
    --------
    >>> content_digest("run", {"run_id": "r1", "rows": 3}) == content_digest(
    ...     "run", {"rows": 3, "run_id": "r1", "cube": None})
    True
    """
    skip = LEDGER_KINDS[kind][2]
    content = {k: v for k, v in row.items() if k not in skip}
    return hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest()


def entry_hash(previous: str, entry: Mapping[str, Any]) -> str:
    """sha256 of the previous entry's hash followed by this entry's canonical fields."""
    fields = {k: entry[k] for k in _ENTRY_FIELDS}
    return hashlib.sha256((previous + _canonical(fields)).encode("utf-8")).hexdigest()


def ledger_head(connection: sa.Connection) -> str:
    """The hash of the last entry (GENESIS for an empty ledger)."""
    last = connection.execute(
        sa.select(schema.ledger.c.hash).order_by(schema.ledger.c.seq.desc()).limit(1)
    ).scalar_one_or_none()
    return GENESIS if last is None else str(last)


def append_entry(
    connection: sa.Connection,
    kind: str,
    row: Mapping[str, Any],
    *,
    principal: str,
    created_at: str,
) -> str:
    """Chain one record, inside the write transaction that wrote it; returns the new head.

    The caller holds the append lock (the head record read ``FOR UPDATE``, or SQLite's
    ``BEGIN IMMEDIATE``), so entries are chained one after another.
    """
    return append_entries(connection, kind, [row], principal=principal, created_at=created_at)


def append_entries(
    connection: sa.Connection,
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    principal: str,
    created_at: str,
) -> str:
    """Chain records in order (as :func:`append_entry` one by one, in one insert).

    The head is read once; each entry's hash takes the one before it. Returns the new head.
    """
    previous = ledger_head(connection)
    entries = []
    for row in rows:
        entry = {
            "kind": kind,
            "record_id": record_id(kind, row),
            "digest": content_digest(kind, row),
            "principal": principal,
            "created_at": created_at,
        }
        digest = entry_hash(previous, entry)
        entries.append({**entry, "prev_hash": previous, "hash": digest})
        previous = digest
    if entries:
        connection.execute(schema.ledger.insert(), entries)
    return previous


@dataclass(frozen=True)
class LedgerProblem:
    """The first thing in the ledger that does not hold: what, and the record concerned."""

    problem: str
    record: str | None = None


def _rows(connection: sa.Connection, kind: str) -> dict[str, dict[str, Any]]:
    """Every row of a recorded table, by record id (reflected: older schemas too)."""
    name = f"fairloop_{LEDGER_KINDS[kind][0]}"
    if not sa.inspect(connection).has_table(name):
        return {}
    table = sa.Table(name, sa.MetaData(), autoload_with=connection)
    out: dict[str, dict[str, Any]] = {}
    for row in connection.execute(sa.select(table)).mappings():
        values = dict(row)
        out[record_id(kind, values)] = values
    return out


def walk_ledger(
    connection: sa.Connection,
) -> tuple[int, str, set[str], LedgerProblem | None]:
    """Check every entry's chain and record, then that every row has its entry.

    Returns
    -------
    checked, head, hashes, problem
        Entries checked, the head reached, every hash met on the way, and the first
        problem (None when all holds).
    """
    rows = {kind: _rows(connection, kind) for kind in LEDGER_KINDS}
    seen: dict[str, set[str]] = {kind: set() for kind in LEDGER_KINDS}
    previous, checked, hashes = GENESIS, 0, {GENESIS}
    entries = connection.execute(sa.select(schema.ledger).order_by(schema.ledger.c.seq))
    for mapping in entries.mappings():
        entry = dict(mapping)
        problem = _entry_problem(entry, previous, rows)
        if problem is not None:
            return checked, previous, hashes, problem
        kind = str(entry["kind"])
        seen[kind].add(str(entry["record_id"]))
        previous = str(entry["hash"])
        hashes.add(previous)
        checked += 1
    for kind, by_id in rows.items():
        extra = sorted(set(by_id) - seen[kind])
        if extra:
            return checked, previous, hashes, LedgerProblem(
                f"the {kind} {extra[0]} is in the store but not in the ledger: it was "
                "inserted outside fairloop" + (f" ({len(extra)} such)" if len(extra) > 1 else ""),
                extra[0],
            )  # fmt: skip
    return checked, previous, hashes, None


def _entry_problem(
    entry: dict[str, Any], previous: str, rows: dict[str, dict[str, dict[str, Any]]]
) -> LedgerProblem | None:
    """What is wrong with one ledger entry: its chain, its hash, its kind or its record."""
    label = f"{entry['kind']} {entry['record_id']}"
    record = entry["record_id"]
    if entry["prev_hash"] != previous:
        return LedgerProblem(
            f"ledger entry #{entry['seq']} ({label}) does not follow the entry before it: "
            "an entry before it was deleted, inserted or altered", record,
        )  # fmt: skip
    if entry_hash(previous, entry) != entry["hash"]:
        return LedgerProblem(
            f"ledger entry #{entry['seq']} ({label}) was altered: it no longer matches "
            "its hash", record,
        )  # fmt: skip
    kind = str(entry["kind"])
    if kind not in LEDGER_KINDS:
        return LedgerProblem(
            f"ledger entry #{entry['seq']} names an unknown kind of record {kind!r}"
        )
    row = rows[kind].get(str(record))
    if row is None:
        return LedgerProblem(
            f"the {label} recorded in the ledger (#{entry['seq']}) is gone: it was deleted", record
        )
    if content_digest(kind, row) != entry["digest"]:
        return LedgerProblem(
            f"the {label} was altered after it was recorded: its content no longer matches "
            "the digest in the ledger", record,
        )  # fmt: skip
    return None

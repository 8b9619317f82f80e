"""Walking the hash chains: what `fairloop review verify` checks.

Two chains: the decision events' own (every event seals the one before it, since the
first schema) and the ledger (every record the report relies on: runs with their cubes,
flags, windows, events, policy settings and name bindings; :mod:`fairloop.store._ledger`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

import fairloop.store._schema as schema
from fairloop.exceptions import ConfigError, StoreIntegrityError
from fairloop.store._hashchain import GENESIS, chain_hash
from fairloop.store._ledger import walk_ledger

__all__ = ["VerifyReport", "walk_chain"]


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of walking the hash chain.

    Parameters
    ----------
    ok : bool
        Whether every event matches and none is missing.
    checked : int
        Events checked.
    head : str
        The hash of the last event (the trail's head).
    problem : str or None
        What does not match, naming the first event concerned.
    event_id : str or None
        That event's (or record's) id.
    records : int
        Ledger entries checked (every record: runs, flags, windows, events, settings).
    """

    ok: bool
    checked: int
    head: str
    problem: str | None = None
    event_id: str | None = None
    records: int = 0


def _meta(connection: sa.Connection, key: str) -> str:
    value = schema.meta_value(connection, key)
    if value is None:
        raise StoreIntegrityError(f"The review store has no {key!r} record.")
    return str(value)


def walk_chain(connection: sa.Connection, *, expect_head: str | None = None) -> VerifyReport:
    """Check every event against its hash and its predecessor, then the recorded head.

    See :meth:`fairloop.store.ReviewStore.verify`.
    """
    if expect_head is not None:
        expect_head = expect_head.strip().lower()
        if len(expect_head) != 64 or any(c not in "0123456789abcdef" for c in expect_head):
            raise ConfigError(
                "{option} must be a published head hash: all 64 hexadecimal characters "
                f"(a prefix could be matched by a forged chain). Got {expect_head!r}.",
                option="expect_head",
            )
    if not sa.inspect(connection).has_table("fairloop_events"):
        return VerifyReport(False, 0, GENESIS, "the events table is missing: it was dropped")
    previous, checked, hashes = GENESIS, 0, {GENESIS}
    # reflected, so that a store of an older schema verifies without an upgrade
    events = sa.Table("fairloop_events", sa.MetaData(), autoload_with=connection)
    rows = connection.execute(sa.select(events).order_by(events.c.seq)).mappings()
    for row in rows:
        event = dict(row)
        if event["prev_hash"] != previous:
            return VerifyReport(
                False, checked, previous,
                f"event {event['event_id']} (#{event['seq']}) does not follow the event "
                "before it: an event before it was deleted or altered",
                event["event_id"],
            )  # fmt: skip
        if chain_hash(previous, event) != event["hash"]:
            return VerifyReport(
                False, checked, previous,
                f"event {event['event_id']} (#{event['seq']}) was altered: its content "
                "no longer matches its hash",
                event["event_id"],
            )  # fmt: skip
        previous = event["hash"]
        hashes.add(previous)
        checked += 1
    head = _meta(connection, "head_hash")
    count = int(_meta(connection, "event_count"))
    last_id = schema.meta_value(connection, "head_event_id")
    if checked != count or head != previous:
        return VerifyReport(
            False, checked, previous,
            f"the trail holds {checked} events ending in {previous[:12]}, but {count} were "
            f"recorded ending in {head[:12]}: events were deleted from its end"
            + (f", the last recorded being {last_id}" if last_id else ""),
            last_id,
        )  # fmt: skip
    head_reached, records = previous, 0
    if sa.inspect(connection).has_table("fairloop_ledger"):
        records, head_reached, ledger_hashes, found = walk_ledger(connection)
        if found is not None:
            return VerifyReport(False, checked, head_reached, found.problem, found.record,
                                records)  # fmt: skip
        recorded = _meta(connection, "ledger_head")
        if recorded != head_reached:
            return VerifyReport(
                False, checked, head_reached,
                f"the ledger holds {records} records ending in {head_reached[:12]}, but the "
                f"last write recorded the head {recorded[:12]}: records were cut from its end",
                None, records,
            )  # fmt: skip
        hashes |= ledger_hashes
    if expect_head is not None and expect_head not in hashes:
        return VerifyReport(
            False, checked, head_reached,
            f"the published head {expect_head[:12]} is not in the chain: records up to it "
            "were rewritten or removed (or the store was emptied and started again)",
            None, records,
        )  # fmt: skip
    return VerifyReport(True, checked, head_reached, records=records)

"""Walking the hash chain of adjudication events: what `fairloop verify` checks."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

import fairloop.store._schema as schema
from fairloop.exceptions import ConfigError, StoreIntegrityError
from fairloop.store._hashchain import GENESIS, chain_hash

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
        That event's id.
    """

    ok: bool
    checked: int
    head: str
    problem: str | None = None
    event_id: str | None = None


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
        if len(expect_head) < 12 or any(c not in "0123456789abcdef" for c in expect_head):
            raise ConfigError(
                "{option} must be a published head hash: at least its first 12 "
                f"hexadecimal characters. Got {expect_head!r}.",
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
    if expect_head is not None and not any(h.startswith(expect_head) for h in hashes):
        return VerifyReport(
            False, checked, previous,
            f"the published head {expect_head[:12]} is not in the trail: events up to it "
            "were rewritten or removed",
        )  # fmt: skip
    return VerifyReport(True, checked, previous)

"""Hash chaining of adjudication events: each event seals the one before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["GENESIS", "HASHED_FIELDS", "canonical_json", "chain_hash"]

#: The previous hash of the first event.
GENESIS = "0" * 64

#: The fields an event's hash covers. Fields that are null are left out, so events written
#: before a field existed keep their hash after an upgrade adds it.
HASHED_FIELDS = (
    "event_id", "flag_id", "decision", "rationale", "reviewer", "created_at", "mitigation",
    "run_id", "kind", "links", "evidence", "principal",
)  # fmt: skip


def canonical_json(event: Mapping[str, Any]) -> str:
    """The event's hashed fields as canonical JSON (sorted keys, no spaces, ASCII).

    Examples
    --------
    >>> canonical_json({"reviewer": "ana", "flag_id": "fl-1", "mitigation": None, "x": 1})
    '{"flag_id":"fl-1","reviewer":"ana"}'
    """
    fields = {k: event[k] for k in HASHED_FIELDS if event.get(k) is not None}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_hash(previous: str, event: Mapping[str, Any]) -> str:
    """sha256 of the previous event's hash followed by this event's canonical JSON.

    Examples
    --------
    >>> len(chain_hash(GENESIS, {"event_id": "e1"}))
    64
    """
    return hashlib.sha256((previous + canonical_json(event)).encode("utf-8")).hexdigest()

"""The review store: the human in the loop, on the record."""

from fairloop.store._hashchain import GENESIS, canonical_json, chain_hash
from fairloop.store._schema import SCHEMA_VERSION
from fairloop.store._status import next_action
from fairloop.store._store import DECISIONS, Decision, ReviewStore, VerifyReport, resolve_url

__all__ = [
    "DECISIONS",
    "GENESIS",
    "SCHEMA_VERSION",
    "Decision",
    "ReviewStore",
    "VerifyReport",
    "canonical_json",
    "chain_hash",
    "next_action",
    "resolve_url",
]

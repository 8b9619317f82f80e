"""Control catalogues (EU AI Act, NIST AI RMF, your own) and the status of each control."""

from fairloop.controls._catalogue import (
    Catalogue,
    Control,
    EvidenceKey,
    evidence_keys,
    load_catalogue,
    load_catalogues,
)
from fairloop.controls._mapping import (
    ControlStatus,
    EvidenceState,
    control_statuses,
    evidence_states,
    status_counts,
)

__all__ = [
    "Catalogue",
    "Control",
    "ControlStatus",
    "EvidenceKey",
    "EvidenceState",
    "control_statuses",
    "evidence_keys",
    "evidence_states",
    "load_catalogue",
    "load_catalogues",
    "status_counts",
]

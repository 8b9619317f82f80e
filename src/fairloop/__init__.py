"""fairloop: audit AI decision systems with humans in the loop for bias.

The public API is small; everything is computed from a count cube built in one
pass over the decision log. Names are imported when first used, so ``import fairloop``
(and ``fairloop --help``) costs little more than Python itself: an audit loads pandas
and DuckDB, the review store SQLAlchemy, the report Jinja2 and plotly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fairloop._lazy import lazy_names
from fairloop._version import __version__

if TYPE_CHECKING:
    from fairloop._audit import Audit, AuditResult, audit
    from fairloop._versions import show_versions
    from fairloop.config import AuditConfig
    from fairloop.cube import CountCube
    from fairloop.decision_log import DatabaseTable, DecisionLog, read_decision_log
    from fairloop.notebook import ReviewQueue
    from fairloop.store import ReviewStore
    from fairloop.vocabulary import METRICS

#: Where each public name lives.
_HOMES = {
    "Audit": "fairloop._audit",
    "AuditConfig": "fairloop.config",
    "AuditResult": "fairloop._audit",
    "CountCube": "fairloop.cube",
    "DatabaseTable": "fairloop.decision_log",
    "DecisionLog": "fairloop.decision_log",
    "METRICS": "fairloop.vocabulary",
    "ReviewQueue": "fairloop.notebook",
    "ReviewStore": "fairloop.store",
    "audit": "fairloop._audit",
    "read_decision_log": "fairloop.decision_log",
    "show_versions": "fairloop._versions",
}

__all__ = [
    "METRICS",
    "Audit",
    "AuditConfig",
    "AuditResult",
    "CountCube",
    "DatabaseTable",
    "DecisionLog",
    "ReviewQueue",
    "ReviewStore",
    "__version__",
    "audit",
    "read_decision_log",
    "show_versions",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)

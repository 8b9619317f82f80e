"""fairloop: audit AI decision systems with humans in the loop for bias.

The public API is small; everything is computed from a count cube built in one
pass over the decision log.
"""

from fairloop._version import __version__
from fairloop.audit import Audit, AuditResult, audit
from fairloop.config import AuditConfig
from fairloop.cube import CountCube
from fairloop.decision_log import DatabaseTable, DecisionLog, read_decision_log
from fairloop.metrics import METRICS
from fairloop.notebook import ReviewQueue
from fairloop.show_versions import show_versions
from fairloop.store import ReviewStore

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

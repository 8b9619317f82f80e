"""Reading and validating decision logs."""

from fairloop.decision_log._database import DatabaseTable
from fairloop.decision_log._log import DecisionLog, read_decision_log, run_cube_pass
from fairloop.decision_log._open import open_source

__all__ = ["DatabaseTable", "DecisionLog", "open_source", "read_decision_log", "run_cube_pass"]

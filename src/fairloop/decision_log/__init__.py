"""Reading and validating decision logs."""

from fairloop.decision_log._engines import DatabaseTable
from fairloop.decision_log._log import DecisionLog, read_decision_log, run_cube_pass
from fairloop.decision_log._read import open_source

__all__ = ["DatabaseTable", "DecisionLog", "open_source", "read_decision_log", "run_cube_pass"]

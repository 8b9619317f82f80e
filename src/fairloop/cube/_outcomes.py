"""What actually happened: the decisions against the outcome, as count cubes.

With an ``outcome`` column the pass also groups by the outcome, and three tables are made
from it. Two are count cubes of the usual cells in which the outcome plays the human's
part (:class:`fairloop.cube.Outcomes`): ``model`` (the model's decision against the
outcome) and ``final`` (the final decision, the human's where a human reviewed the case and
the model's otherwise, against the outcome). A case whose outcome is known is "reviewed"
there, so every metric, interval, weighting and test of the audit applies to them as it
is: the share of cases resolved, whether resolution depends on the decision or the group,
and the error rates estimated for every case. The third, ``joint``, counts cases by the
model's decision, the final decision and the outcome together: what review changed, case
by case (paired).
"""

from __future__ import annotations

__all__ = ["JOINT_COLUMNS", "joint_column"]


def joint_column(model: bool, final: bool, outcome: bool | None) -> str:
    """The joint table's column of cases with these decisions and outcome.

    Examples
    --------
    >>> joint_column(True, False, None)
    'm1_f0_ou'
    """
    tail = "u" if outcome is None else str(int(outcome))
    return f"m{int(model)}_f{int(final)}_o{tail}"


#: The joint table's count columns: model decision x final decision x outcome (1, 0 or
#: unknown).
JOINT_COLUMNS: tuple[str, ...] = tuple(
    joint_column(m, f, o) for m in (True, False) for f in (True, False) for o in (True, False, None)
)

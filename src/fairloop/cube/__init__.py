"""The count cube: integer counts per cell of attributes x decision x correction x reviewed."""

from fairloop.cube._bands import ScoreBands
from fairloop.cube._build import ScoreParts, cube_from_aggregate, decision_cells
from fairloop.cube._cube import Agreement, CountCube, Outcomes, WindowStrata
from fairloop.cube._outcomes import JOINT_COLUMNS, joint_column

__all__ = [
    "JOINT_COLUMNS",
    "Agreement",
    "CountCube",
    "Outcomes",
    "ScoreBands",
    "ScoreParts",
    "WindowStrata",
    "cube_from_aggregate",
    "decision_cells",
    "joint_column",
]

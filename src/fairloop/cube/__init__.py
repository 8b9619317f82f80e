"""The count cube: integer counts per cell of attributes x decision x correction x reviewed."""

from fairloop.cube._bands import ScoreBands
from fairloop.cube._build import cube_from_aggregate
from fairloop.cube._cube import CountCube

__all__ = ["CountCube", "ScoreBands", "cube_from_aggregate"]

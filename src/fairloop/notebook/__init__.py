"""Reviewing flags in notebooks."""

from fairloop.notebook._card import FlagCard
from fairloop.notebook._queue import ReviewQueue

__all__ = ["FlagCard", "ReviewQueue"]

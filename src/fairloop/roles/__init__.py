"""``fairloop init``: guess a decision log's column roles and write a commented config."""

from fairloop.roles._guess import Guess, RoleGuess, guess_roles
from fairloop.roles._profile import ColumnProfile, profile_columns
from fairloop.roles._toml import config_text

__all__ = ["ColumnProfile", "Guess", "RoleGuess", "config_text", "guess_roles", "profile_columns"]

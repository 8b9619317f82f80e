"""Write a guessed configuration as a commented ``fairloop.toml``."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fairloop._version import __version__
from fairloop.config import TABLES, default_of, expected, field_info
from fairloop.roles._guess import RoleGuess

__all__ = ["config_text"]


def _string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str) -> str:
    """One comment line, whatever the column names hold."""
    return "# " + " ".join(str(text).split())


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _string(str(value))


def _positive_value(text: str) -> Any:
    """A decision value as TOML: a number when it reads as one, else text."""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def config_text(guessed: RoleGuess, *, data: str) -> str:
    """A commented ``fairloop.toml`` from a :class:`RoleGuess`.

    Every guessed role is written as an active line after a comment saying why; roles
    with no guess are written commented out, with what to put there. The result loads
    with :func:`fairloop.config.load_config`.

    Parameters
    ----------
    guessed : RoleGuess
        From :func:`fairloop.roles.guess_roles`.
    data : str
        How the log was named on the command line (for the header's example command).

    Returns
    -------
    str
    """
    out: list[str] = [
        _comment(
            f"fairloop.toml written by `fairloop init` (fairloop {__version__}) on "
            f"{date.today().isoformat()} from {data}."
        ),
        "# Every role below is a guess from the column names and values: check each line.",
        "# Flags on the command line override this file. Run:",
        _comment(f"  fairloop audit {data} --config fairloop.toml --out report"),
        "",
    ]
    text = {
        "prediction": "The model's decision per case.",
        "label": "The human reviewer's final decision; empty where nobody reviewed.",
        "positive": "The positive decision value (scikit-learn's pos_label) [default: 1].",
        "favourable": "The decision value that favours the person [default: the positive one].",
        "sensitive": "Sensitive attributes: metrics per group and per intersection.",
        "context": "Context attributes (e.g. region, channel) for the subgroup search.",
        "score": "The model's score, a probability in [0, 1] (optional).",
        "review_probability": (
            "Each case's probability of being reviewed by the routing's design: reviewed "
            "cases are weighted by its inverse (optional)."
        ),
        "review_reason": "Why a case was reviewed (quality sample, rule, appeal ...) (optional).",
        "outcome": (
            "What actually happened later (repaid, re-offended), empty where not yet known: "
            "the model's and the final decisions are measured against it (optional)."
        ),
        "time": "When each decision was made: trends and time windows (optional).",
        "reviewer": "Who reviewed each case: oversight signals per reviewer (optional).",
        "case_id": "A unique case id: sample cases in flags, duplicate checks (optional).",
    }
    for role, guess in guessed.roles.items():
        out.append(_comment(text[role]))
        found = f"Guessed because {guess.reason}." if guess.columns else f"Not set: {guess.reason}."
        out.append(_comment(found))
        if role in ("sensitive", "context"):
            if guess.columns or role == "context":
                out.append(f"{role} = {_value(list(guess.columns))}")
            else:
                out.append(f'# {role} = ["sex", "race"]   # REQUIRED: name them')
        elif role in ("positive", "favourable"):
            if guess.columns:
                out.append(f"{role} = {_value(_positive_value(guess.columns[0]))}")
            else:
                out.append(f"# {role} = 1")
        elif guess.columns:
            out.append(f"{role} = {_string(guess.columns[0])}")
        elif role in ("prediction", "label"):
            out.append(f'# {role} = ""   # REQUIRED: name the column, then remove the "#"')
        else:
            out.append(f'# {role} = ""')
        if role == "time" and guess.columns:
            out.append('window = "month"   # trends per day, week, month, quarter or year')
        out.append("")
    if guessed.notes:
        out += [_comment(f"NOTE: {note}") for note in guessed.notes] + [""]
    if guessed.left_out:
        out.append("# Left out on purpose:")
        out += [_comment(f"  {name}: {why}") for name, why in guessed.left_out.items()]
        out.append("")
    if guessed.unused:
        out.append(_comment("Not used: " + ", ".join(guessed.unused)))
        out.append("")
    out.append("# Statistics (the defaults; uncomment to change).")
    out += _declared("", ("ci_method", "confidence_level", "min_group_size", "min_denominator",
                          "suppress_below", "missing_sensitive"))  # fmt: skip
    out += ["", "# [flags]   # the subgroup search"]
    out += _declared("flags", ("max_depth", "min_support", "fdr", "min_effect",
                               "include_context"))  # fmt: skip
    out += ["", "# [plan]   # the review plan: who should review what (fairloop plan)"]
    out += _declared("plan", ("budget", "floor", "gap", "power", "metrics"))
    out += ["", "# [system]   # the governance report's executive summary"]
    out += _declared("system", ("name", "owner", "intended_purpose", "risk_category"))
    out.append("")
    return "\n".join(out)


def _declared(table: str, keys: tuple[str, ...]) -> list[str]:
    """Commented-out options with their declared defaults and help."""
    cls = TABLES[table]
    lines = []
    for key in keys:
        default = default_of(cls, key)
        lines.append(_comment(str(field_info(cls, key).description)))
        if default is None:
            lines.append(f"# {key} =   ({expected(cls, key)}; not set by default)")
        else:
            lines.append(f"# {key} = {_value(default)}")
    return lines

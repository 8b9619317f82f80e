"""Guess each column's role in a decision log from its name and its values."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from fairloop.roles._profile import ColumnProfile, profile_columns

__all__ = ["Guess", "RoleGuess", "guess_roles"]

#: Decision values read as favourable when a log writes decisions as text.
FAVOURABLE = ("1", "true", "yes", "y", "approve", "approved", "accept", "accepted", "grant",
              "granted", "pass", "passed", "positive", "hire", "hired", "eligible", "admit",
              "admitted", "allow", "allowed")  # fmt: skip
#: Words naming a punitive outcome in a decision column's name: its positive value is then
#: unfavourable to the person (COMPAS's high_risk, a fraud flag, a denial).
PUNITIVE = ("risk", "fraud", "deny", "denied", "denial", "reject", "rejected", "default",
            "recid", "recidivism", "arrest", "decline", "declined", "fail", "failed",
            "suspicious", "block", "blocked")  # fmt: skip
#: Most context attributes guessed (more makes the subgroup search slower and weaker).
MAX_CONTEXT = 6
#: Most groups of a guessed sensitive or context attribute.
MAX_GROUPS = 50


@dataclass(frozen=True)
class Guess:
    """One role's guess: the column(s) and why."""

    columns: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class RoleGuess:
    """What ``fairloop init`` guessed of a log.

    Parameters
    ----------
    roles : dict of str to Guess
        For each role (``prediction``, ``label``, ``positive``, ``sensitive``,
        ``context``, ``score``, ``time``, ``reviewer``, ``case_id``) the column(s)
        chosen, possibly none, and the reason.
    left_out : dict of str to str
        Columns deliberately not used, with the reason (personal data, model outputs).
    unused : list of str
        Every other column.
    notes : list of str
        What a person should check or do (e.g. derive a decision from a score).
    profiles : list of ColumnProfile
        The column profiles the guesses came from.
    """

    roles: dict[str, Guess]
    left_out: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profiles: list[ColumnProfile] = field(default_factory=list)

    def column(self, role: str) -> str | None:
        """The single column guessed for ``role``, or None."""
        guess = self.roles.get(role)
        return guess.columns[0] if guess and guess.columns else None

    def columns(self, role: str) -> list[str]:
        """Every column guessed for ``role``."""
        guess = self.roles.get(role)
        return list(guess.columns) if guess else []

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for ``--json``."""
        return {
            "roles": {
                role: {"columns": list(g.columns), "reason": g.reason}
                for role, g in self.roles.items()
            },
            "left_out": dict(self.left_out),
            "unused": list(self.unused),
            "notes": list(self.notes),
        }


def _patterns() -> dict[str, dict[str, set[str]]]:
    text = resources.files("fairloop").joinpath("data", "roles.toml").read_text("utf-8")
    return {
        role: {key: {str(v) for v in values} for key, values in entry.items()}
        for role, entry in tomllib.loads(text).items()
    }


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[_\-\s.]+", name.lower()) if w]


def _name_score(name: str, patterns: dict[str, set[str]]) -> tuple[int, str]:
    """3 for a whole-name match, 1 for a word match, 0 otherwise; and what matched."""
    lower = name.lower()
    if lower in patterns.get("names", set()):
        return 3, f"its name is {lower!r}"
    hits = [w for w in _words(name) if w in patterns.get("words", set())]
    if hits:
        return 1, f"its name has {hits[0]!r}"
    return 0, ""


def _two_values(p: ColumnProfile) -> bool:
    return p.kind in ("numeric", "string", "boolean") and p.distinct == 2 and len(p.values) == 2


def _fmt_values(values: list[str]) -> str:
    return "{" + ", ".join(values) + "}"


def positive_of(values: list[str]) -> str | None:
    """The positive value of two decision values read as text, or None for 0/1 and false/true.

    A favourable word (approve, yes, ...) if one is there, else the last value.
    """
    return _positive([v for v in values if v is not None])


def _positive(values: list[str]) -> str | None:
    """The favourable value of two decision values, when it is not the default 1."""
    lowered = [v.lower() for v in values]
    if sorted(lowered) in (["0", "1"], ["false", "true"]):
        return None  # 1 / true: the default
    for word in FAVOURABLE:
        if word in lowered:
            return values[lowered.index(word)]
    return values[-1]


def guess_roles(data: Any) -> RoleGuess:
    """Guess the roles of a decision log's columns, with a reason for each guess.

    Parameters
    ----------
    data : DataFrame, Table, str or Path
        A pandas, polars or pyarrow table, or a CSV or Parquet file, folder or glob.

    Returns
    -------
    RoleGuess

    Examples
    --------
    >>> from fairloop.datasets import make_decision_log
    >>> guess = guess_roles(make_decision_log(n=500, seed=0).data)
    >>> guess.column("prediction"), guess.column("label"), guess.columns("sensitive")
    ('approved', 'reviewer_decision', ['sex', 'race', 'age_band'])
    """
    patterns = _patterns()
    profiles = profile_columns(data)
    by_name = {p.name: p for p in profiles}
    taken: set[str] = set()
    roles: dict[str, Guess] = {}
    left_out: dict[str, str] = {}
    notes: list[str] = []

    # personal data first: never a role, whatever else its name says
    for p in profiles:
        score, why = _name_score(p.name, patterns["personal"])
        if score and _name_score(p.name, patterns["sensitive"])[0] != 3:
            left_out[p.name] = f"personal data ({why}); an audit never needs it"
            taken.add(p.name)

    def best(
        role: str, fits: Any, *, prefer: Any = None, require_name: bool = True
    ) -> tuple[ColumnProfile, str] | None:
        ranked = []
        for i, p in enumerate(profiles):
            if p.name in taken or not fits(p):
                continue
            score, why = _name_score(p.name, patterns[role])
            if require_name and not score:
                continue
            ranked.append((-score, -(prefer(p) if prefer else 0), i, p, why))
        if not ranked:
            return None
        _, _, _, p, why = min(ranked, key=lambda t: t[:3])
        return p, why

    def settle(
        role: str,
        hit: tuple[ColumnProfile, str] | None,
        because: Callable[[ColumnProfile, str], str],
        missing: str,
    ) -> ColumnProfile | None:
        """Record a role's guess (or why there is none) and take its column."""
        if hit is None:
            roles[role] = Guess((), missing)
            return None
        p, why = hit
        roles[role] = Guess((p.name,), because(p, why))
        taken.add(p.name)
        return p

    # case id: unique in every row
    settle(
        "case_id",
        best("case_id", lambda p: p.unique),
        lambda p, why: f"{why} and each of its {p.rows:,} values is unique",
        "no column named like an id is unique in every row",
    )

    # time: dates, by name first, else the first date column
    settle(
        "time",
        best("time", lambda p: p.kind == "temporal")
        or best("time", lambda p: p.kind == "temporal", require_name=False),
        lambda p, why: f"{why} and it holds dates" if why else "it is the first column of dates",
        "no column holds dates or times",
    )

    # sensitive: protected characteristics with a manageable number of groups
    sensitive = []
    for p in profiles:
        if p.name in taken:
            continue
        score, why = _name_score(p.name, patterns["sensitive"])
        if not score:
            continue
        if p.distinct > MAX_GROUPS or p.kind == "temporal":
            left_out[p.name] = (
                f"{why}, a protected characteristic, but it has {p.distinct:,} values; "
                "bin it into bands (e.g. age_band) to audit by it"
            )
            taken.add(p.name)
            continue
        sensitive.append((p.name, f"{p.name}: {why} ({p.distinct} groups)"))
        taken.add(p.name)
    roles["sensitive"] = Guess(
        tuple(n for n, _ in sensitive),
        "; ".join(r for _, r in sensitive) or "no column is named like a protected characteristic",
    )

    # label: the human's final decision: two values, often missing where not reviewed
    human = best("label", _two_values, prefer=lambda p: p.nulls > 0)
    # no human decision: the outcome is what the model is audited against
    label = settle(
        "label",
        human or best("outcome", _two_values, prefer=lambda p: p.nulls > 0),
        lambda p, why: (
            f"{why} and it has two values {_fmt_values(p.values)}"
            + (f"; {p.null_share:.0%} empty (not reviewed)" if p.nulls else "")
            + (
                ""
                if human
                else "; no column holds a human decision, so the model is audited against it"
            )
        ),
        "no two-valued column is named like a final decision",
    )

    # outcome: what happened later, two values, when a final decision was found apart
    settle(
        "outcome",
        best("outcome", _two_values, prefer=lambda p: p.nulls > 0) if human else None,
        lambda p, why: (
            f"{why} and it has two values {_fmt_values(p.values)}"
            + (f"; {p.null_share:.0%} empty (not yet known)" if p.nulls else "")
        ),
        "no two-valued column besides the final decision is named like an outcome"
        if human
        else "with no human decision, the outcome is audited as the final decision",
    )

    # prediction: the model's decision, two values, the label's values if there is a label
    def same_values(p: ColumnProfile) -> bool:
        return _two_values(p) and (label is None or p.values == label.values)

    settle(
        "prediction",
        best("prediction", same_values, prefer=lambda p: p.nulls == 0),
        lambda p, why: f"{why} and it has two values {_fmt_values(p.values)}",
        "no two-valued column is named like a model decision: name it yourself",
    )

    # positive: the favourable value, when decisions are not 0/1
    decisions = by_name.get(roles["label"].columns[0]) if roles["label"].columns else None
    decisions = decisions or (
        by_name.get(roles["prediction"].columns[0]) if roles["prediction"].columns else None
    )
    positive = _positive(decisions.values) if decisions else None
    roles["positive"] = (
        Guess((positive,), f"the favourable one of {_fmt_values(decisions.values)}: check it")
        if positive is not None and decisions is not None
        else Guess((), "decisions are 0/1 (or false/true): 1 is favourable, the default")
    )

    # favourable: the other value when the decision's name is punitive
    named = roles["prediction"].columns or roles["label"].columns
    punitive = [w for w in _words(named[0]) if w in PUNITIVE] if named else []
    if punitive and decisions is not None:
        pos = positive if positive is not None else "1"
        others = [v for v in decisions.values if v.lower() not in (pos.lower(), "true")]
        other = others[0] if others else None
        roles["favourable"] = (
            Guess((other,), f"{named[0]!r} names a punitive outcome ({punitive[0]!r}): its "
                  f"positive value {pos} is unfavourable to the person, {other} favourable")
            if other is not None
            else Guess((), "the positive value favours the person, the default")
        )  # fmt: skip
    else:
        roles["favourable"] = Guess((), "the positive value favours the person, the default")

    # review probability: a probability named for the routing (before the score, which
    # would otherwise take it), and review reason: a few text values
    def inclusion(p: ColumnProfile) -> bool:
        return (
            p.kind == "numeric"
            and p.minimum is not None
            and p.maximum is not None
            and p.minimum > 0.0
            and p.maximum <= 1.0
        )

    settle(
        "review_probability",
        best("review_probability", inclusion),
        lambda p, why: f"{why} and its values lie in (0, 1]",
        "no column is named like a review probability",
    )
    settle(
        "review_reason",
        best("review_reason", lambda p: p.kind == "string" and 1 <= p.distinct <= 20),
        lambda p, why: f"{why} and it has {p.distinct} distinct values",
        "no column is named like a review reason",
    )

    # score: a probability in [0, 1]
    def probability(p: ColumnProfile) -> bool:
        return (
            p.kind == "numeric"
            and p.minimum is not None
            and p.maximum is not None
            and p.minimum >= 0.0
            and p.maximum <= 1.0
            and p.distinct > 2
        )

    settle(
        "score",
        best("score", probability),
        lambda p, why: f"{why} and its values lie in [0, 1]",
        "no column named like a score holds probabilities in [0, 1]",
    )
    for p in profiles:
        if p.name in taken or p.kind != "numeric" or not _name_score(p.name, patterns["score"])[0]:
            continue
        if p.minimum is not None and p.maximum is not None and p.maximum > 1:
            left_out[p.name] = (
                f"a model score ({p.minimum:g} to {p.maximum:g}), not a probability in [0, 1]"
            )
            taken.add(p.name)
            if not roles["prediction"].columns and not notes:
                notes.append(
                    f"No column holds the model's decision. If it decides by a threshold on "
                    f"{p.name!r}, derive the decision as a column (e.g. "
                    f"{p.name} >= threshold, as 0/1) and name it as prediction."
                )

    # reviewer: an id with fewer values than cases
    def reviewer_like(p: ColumnProfile) -> bool:
        return p.kind in ("string", "numeric") and 2 <= p.distinct <= max(2, p.rows // 5)

    settle(
        "reviewer",
        best("reviewer", reviewer_like),
        lambda p, why: f"{why} and it has {p.distinct} distinct values",
        "no column is named like a reviewer id",
    )

    # context: other text columns of a few groups, present in most rows
    context: list[str] = []
    for p in profiles:
        if len(context) >= MAX_CONTEXT or p.name in taken:
            continue
        if p.kind not in ("string", "boolean") or not 2 <= p.distinct <= 20:
            continue
        if p.null_share >= 0.5 or any(
            w in patterns["not_context"]["words"] for w in _words(p.name)
        ):
            continue
        context.append(p.name)
        taken.add(p.name)
    roles["context"] = Guess(
        tuple(context),
        "text columns with 2 to 20 values, present in most rows, not named like a model "
        "output or outcome"
        if context
        else "no other text column has 2 to 20 values",
    )

    if not roles["label"].columns:
        notes.append("No final-decision column found: name the column of the human's decision.")
    if not roles["sensitive"].columns:
        notes.append("No sensitive attribute found: list the protected characteristics.")
    unused = [p.name for p in profiles if p.name not in taken]
    order = ("prediction", "label", "positive", "favourable", "sensitive", "context", "score",
             "review_probability", "review_reason", "outcome", "time", "reviewer",
             "case_id")  # fmt: skip
    return RoleGuess(
        roles={k: roles[k] for k in order},
        left_out=left_out,
        unused=unused,
        notes=notes,
        profiles=profiles,
    )

"""A flag's status, derived from its decision events (never stored)."""

from __future__ import annotations

from typing import Any

__all__ = ["NEEDS_SECOND", "derive_status", "reopen_reason", "same_person", "same_reviewer"]

#: Decisions that settle a flag; with four-eyes review, final only once a second person
#: (another principal) agrees.
NEEDS_SECOND = ("confirmed", "justified", "mitigated")


def derive_status(history: list[dict[str, Any]], *, four_eyes: bool) -> tuple[str, str]:
    """A flag's status from its events in order, and a sentence on how it got there.

    Examples
    --------
    >>> derive_status([], four_eyes=False)
    ('open', 'no decision yet')
    >>> events = [{"decision": "confirmed", "reviewer": "ana"},
    ...           {"decision": "confirmed", "reviewer": "Ben"}]
    >>> derive_status(events[:1], four_eyes=True)[0]
    'awaiting second reviewer (confirmed)'
    >>> derive_status(events, four_eyes=True)[0]
    'confirmed'
    """
    state, detail = "open", "no decision yet"
    pending: dict[str, Any] | None = None
    for event in history:
        decision, reviewer = event["decision"], event["reviewer"]
        if decision == "reopened":
            state, detail, pending = "open", f"reopened by {reviewer}", None
        elif four_eyes and decision in NEEDS_SECOND:
            if pending and pending["decision"] == decision and not same_person(pending, event):
                state = decision
                detail = f"{decision} by {pending['reviewer']} and {reviewer} (four eyes)"
                pending = None
            else:
                again = pending is not None and pending["decision"] == decision
                pending = event
                state = f"awaiting second reviewer ({decision})"
                detail = f"{decision} by {reviewer}; a second person must agree" + (
                    " (the same person deciding again does not count)" if again else ""
                )
        else:
            state, detail, pending = decision, f"{decision} by {reviewer}", None
    return state, detail


def same_person(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two events are one person's.

    The same principal where both name one (an account typing two names is one person),
    else the same name.

    Examples
    --------
    >>> same_person({"reviewer": "ana", "principal": "os:x"},
    ...             {"reviewer": "bob", "principal": "os:x"})
    True
    >>> same_person({"reviewer": "ana"}, {"reviewer": "Ana"})
    True
    """
    if a.get("principal") and b.get("principal"):
        return bool(a["principal"] == b["principal"])
    return same_reviewer(str(a["reviewer"]), str(b["reviewer"]))


def same_reviewer(a: str, b: str) -> bool:
    """Whether two reviewer names are the same person's (case and spacing aside)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def reopen_reason(
    adjudicated: dict[str, Any], found: dict[str, Any], tolerance: float
) -> str | None:
    """Why a flag found again must be reopened, or ``None`` when its status carries over.

    Reopened when the effect grew by more than ``tolerance`` beyond the adjudicated one,
    or when the new interval no longer overlaps the adjudicated interval.

    Examples
    --------
    >>> before = {"difference": 0.15, "ci_low": 0.10, "ci_high": 0.20}
    >>> now = {"difference": 0.30, "difference_ci_low": 0.25, "difference_ci_high": 0.35}
    >>> reopen_reason(before, now, 0.05)[:48]
    'its effect grew from +15.0 to +30.0 points, more'
    >>> reopen_reason(before, {**now, "difference": 0.16, "difference_ci_low": 0.11}, 0.05)
    """
    old, new = adjudicated.get("difference"), found.get("difference")
    if old is None or new is None:
        return None
    why = []
    if abs(new) > abs(old) + tolerance:
        why.append(
            f"its effect grew from {100 * old:+.1f} to {100 * new:+.1f} points, more than "
            f"the tolerance of {100 * tolerance:.1f} points"
        )
    bounds = [adjudicated.get("ci_low"), adjudicated.get("ci_high"),
              found.get("difference_ci_low"), found.get("difference_ci_high")]  # fmt: skip
    if None not in bounds:
        lo, hi, n_lo, n_hi = (float(b) for b in bounds)  # type: ignore[arg-type]
        if n_lo > hi or n_hi < lo:
            why.append(
                f"its interval ({100 * n_lo:+.1f} to {100 * n_hi:+.1f} points) no longer "
                f"overlaps the adjudicated one ({100 * lo:+.1f} to {100 * hi:+.1f} points)"
            )
    return "; ".join(why) if why else None

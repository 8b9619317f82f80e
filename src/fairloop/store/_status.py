"""A flag's status, derived from its decision events (never stored)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "NEEDS_SECOND",
    "SETTLED",
    "derive_status",
    "next_action",
    "refusal",
    "reopen_reason",
    "same_person",
    "same_reviewer",
]

#: Decisions that settle a flag; with four-eyes review, final only once a second person
#: (another principal) agrees.
NEEDS_SECOND = ("confirmed", "justified", "mitigated")
#: Statuses that close a flag: nobody needs to act until a run reopens it.
SETTLED = ("justified", "mitigated")


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


def next_action(status: str) -> str:
    """Who must act next on a flag in this status, and what they must do.

    Examples
    --------
    >>> next_action("open")
    'a reviewer: decide (confirmed, justified, needs-data or mitigated)'
    >>> next_action("awaiting second reviewer (justified)")
    'a second reviewer, from another account: record justified too, or decide otherwise'
    """
    if status.startswith("awaiting second reviewer"):
        decision = status[status.find("(") + 1 : status.rfind(")")]
        return (
            f"a second reviewer, from another account: record {decision} too, or decide otherwise"
        )
    return {
        "open": "a reviewer: decide (confirmed, justified, needs-data or mitigated)",
        "needs-data": "the data owner: supply what is missing; then a reviewer decides",
        "confirmed": "the system owner: mitigate the bias, then record mitigated",
        "justified": "nobody until a later run reopens it (its effect grows or moves)",
        "mitigated": "nobody until a later run reopens it (a later run checks the effect)",
    }.get(status, "a reviewer")


def refusal(
    history: list[dict[str, Any]], decision: str, principal: str | None, *, four_eyes: bool
) -> str | None:
    """Why ``decision`` makes no sense for the flag as its events leave it (None: it does).

    * ``reopened`` reopens a decided flag, not an open one;
    * a settled flag (justified, mitigated) is reopened before it is decided again;
    * under four-eyes, the person who recorded the pending decision does not record it
      again: a second person must.

    Examples
    --------
    >>> refusal([], "reopened", "os:ana", four_eyes=False)
    'the flag is open: there is nothing to reopen'
    """
    status, _ = derive_status(history, four_eyes=four_eyes)
    if decision == "reopened":
        return "the flag is open: there is nothing to reopen" if status == "open" else None
    if status in SETTLED:
        return (
            f"the flag is settled ({status}): reopen it first (decision reopened, with the "
            "reason), then decide"
        )
    if four_eyes and status.startswith("awaiting") and history:
        pending = history[-1]
        if pending["decision"] == decision and same_person(
            pending, {"reviewer": pending["reviewer"], "principal": principal}
        ) and principal is not None and pending.get("principal"):  # fmt: skip
            return (
                f"you recorded {decision} already ({pending['reviewer']}, {principal}): under "
                "four-eyes review a second person must, from another account"
            )
    return None

"""ReviewQueue: a reviewer's work list in a notebook, backed by the review store."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from fairloop.exceptions import FairloopError
from fairloop.notebook._card import FlagCard
from fairloop.store import DECISIONS, ReviewStore, next_action

__all__ = ["ReviewQueue"]


class ReviewQueue:
    """The open flags of the latest run, for a reviewer to adjudicate one by one.

    Parameters
    ----------
    db : str, path, ReviewStore or None, default=None
        The review store (see :class:`fairloop.store.ReviewStore`).
    reviewer : str or None, default=None
        Who is reviewing; the widget pre-fills it.
    four_eyes : bool, default=False
        Four-eyes review (see :class:`ReviewStore`).

    Examples
    --------
    >>> import os, tempfile
    >>> import fairloop
    >>> from fairloop.datasets import make_decision_log
    >>> log = make_decision_log(n=20_000, seed=1)
    >>> store = ReviewStore(os.path.join(tempfile.mkdtemp(), "reviews.db"))
    >>> _ = store.record_run(fairloop.audit(log.data, **log.roles))
    >>> queue = ReviewQueue(store, reviewer="ana")
    >>> card = queue.open()[0]          # in a notebook, the card renders as HTML
    >>> _ = queue.decide(card.flag_id, "needs-data", rationale="Pull the 2024 files.")
    >>> queue.store.status(card.flag_id)
    'needs-data'
    >>> store.close()
    """

    def __init__(
        self,
        db: str | os.PathLike[str] | ReviewStore | None = None,
        *,
        reviewer: str | None = None,
        four_eyes: bool = False,
    ) -> None:
        self.store = db if isinstance(db, ReviewStore) else ReviewStore(db, four_eyes=four_eyes)
        self.reviewer = reviewer

    def __repr__(self) -> str:
        return f"ReviewQueue({self.store!r}, reviewer={self.reviewer!r})"

    def open(self, *, run_id: str | None = None) -> list[FlagCard]:
        """Flags that need a decision, most severe first.

        Open ones and, with four-eyes review, those awaiting a second reviewer.
        """
        flags = self.store.flags(run_id=run_id)
        if flags.empty:
            return []
        todo = flags[(flags["status"] == "open") | flags["status"].str.startswith("awaiting")]
        return [self.card(record["flag_id"]) for record in todo.to_dict(orient="records")]

    def card(self, flag_id: str) -> FlagCard:
        """One flag, with its status and history."""
        return FlagCard(
            self.store.flag(flag_id), self.store.status(flag_id), self.store.history(flag_id)
        )

    def decide(
        self,
        flag_id: str,
        decision: str,
        *,
        rationale: str,
        reviewer: str | None = None,
        mitigation: str | None = None,
        links: Sequence[str] = (),
    ) -> str:
        """Record a decision (see :meth:`ReviewStore.decide`); returns the event id."""
        who = reviewer or self.reviewer
        return self.store.decide(
            flag_id, decision, rationale=rationale, reviewer=who or "", mitigation=mitigation,
            links=links,
        )  # fmt: skip

    def _repr_html_(self) -> str:
        cards = self.open()
        head = f"<p><b>{len(cards)}</b> open flag{'s' if len(cards) != 1 else ''}</p>"
        return head + "".join(card._repr_html_() for card in cards[:5])

    def widget(self) -> Any:
        """Build an ipywidgets panel for adjudicating the open flags one by one.

        It shows one flag's evidence, fields for the decision, and a button that records
        the decision and moves to the next open flag.

        Returns
        -------
        ipywidgets.VBox
            With attributes ``decision``, ``rationale``, ``reviewer``, ``mitigation``,
            ``submit`` (the button), ``evidence`` and ``message``, so that it can be
            driven from code as well as by hand.
        """
        try:
            import ipywidgets as widgets
        except ImportError as exc:  # pragma: no cover - exercised without the extra
            raise ImportError(
                "The review widget needs ipywidgets: pip install 'fairloop[notebook]'."
            ) from exc
        state: dict[str, Any] = {"cards": self.open(), "index": 0}
        evidence = widgets.HTML()
        decision = widgets.Dropdown(options=list(DECISIONS), description="Decision")
        rationale = widgets.Textarea(description="Rationale", placeholder="Why (required)")
        reviewer = widgets.Text(value=self.reviewer or "", description="Reviewer")
        mitigation = widgets.Text(description="Mitigation", placeholder="Plan, if any")
        submit = widgets.Button(description="Record and next", button_style="primary")
        message = widgets.HTML()

        def show() -> None:
            cards = state["cards"]
            if state["index"] >= len(cards):
                evidence.value = "<p>No open flags left.</p>"
                submit.disabled = True
                return
            evidence.value = cards[state["index"]]._repr_html_()

        def on_click(_button: Any) -> None:
            card = state["cards"][state["index"]]
            try:
                event = self.decide(
                    card.flag_id, decision.value, rationale=rationale.value,
                    reviewer=reviewer.value, mitigation=mitigation.value or None,
                )  # fmt: skip
            except (ValueError, FairloopError) as exc:  # refused: said, nothing recorded
                message.value = f"<span style='color:#b03a2e'>{_esc(exc)}</span>"
                return
            status = self.store.status(card.flag_id)
            message.value = (
                f"Recorded {_esc(event)} for {_esc(card.flag_id)}: {_esc(status)}; next: "
                f"{_esc(next_action(status))}."
            )
            rationale.value = ""
            mitigation.value = ""
            state["index"] += 1
            show()

        submit.on_click(on_click)
        show()
        panel = widgets.VBox([evidence, decision, rationale, reviewer, mitigation, submit, message])
        panel.decision, panel.rationale, panel.reviewer = decision, rationale, reviewer
        panel.mitigation, panel.submit, panel.evidence, panel.message = (
            mitigation, submit, evidence, message,
        )  # fmt: skip
        return panel


def _esc(value: object) -> str:
    from fairloop.notebook._card import escape_text

    return escape_text(value)

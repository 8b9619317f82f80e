from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import fairloop
from fairloop.datasets import make_decision_log
from fairloop.notebook import ReviewQueue
from fairloop.store import ReviewStore


@pytest.fixture
def queue(tmp_path: Path) -> ReviewQueue:
    log = make_decision_log(n=30_000, seed=11)
    store = ReviewStore(tmp_path / "reviews.db")
    store.record_run(fairloop.audit(log.data, **log.roles))
    yield ReviewQueue(store, reviewer="ana")
    store.close()


def test_open_flags_render_as_escaped_html(queue: ReviewQueue) -> None:
    cards = queue.open()
    assert len(cards) >= 3 and all(c.status == "open" for c in cards)
    html = cards[0]._repr_html_()
    assert cards[0].flag_id in html and "<svg" in html and "no decision yet" in html
    assert "<table>" in queue._repr_html_()


def test_hostile_values_are_escaped(tmp_path: Path) -> None:
    hostile = '<img src=x onerror="alert(1)">'
    frame = pd.DataFrame(
        {
            "g": [hostile] * 300 + ["b"] * 300,
            "pred": [1] * 250 + [0] * 50 + [1] * 100 + [0] * 200,
            "final": [1] * 600,
            "id": [f"<b>{i}</b>" for i in range(600)],
        }
    )
    result = fairloop.audit(frame, prediction="pred", label="final", sensitive="g", case_id="id")
    with ReviewStore(tmp_path / "h.db") as store:
        store.record_run(result)
        queue = ReviewQueue(store)
        html = "".join(card._repr_html_() for card in queue.open())
        assert hostile not in html
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
        assert "&lt;b&gt;" in html  # case ids are escaped too
        assert "<b>" not in html.replace("<b>open</b>", "")


def test_decide_from_the_queue(queue: ReviewQueue) -> None:
    card = queue.open()[0]
    queue.decide(card.flag_id, "needs-data", rationale="Pull the 2024 files.")
    assert queue.store.status(card.flag_id) == "needs-data"
    assert card.flag_id not in [c.flag_id for c in queue.open()]
    assert "Pull the 2024 files." in queue.card(card.flag_id)._repr_html_()


def test_widget_records_a_decision_and_moves_on(queue: ReviewQueue) -> None:
    panel = queue.widget()
    first = queue.open()[0].flag_id
    assert first in panel.evidence.value
    panel.decision.value = "confirmed"
    panel.rationale.value = "The gap is real; retraining."
    panel.reviewer.value = "ben"
    panel.submit.click()
    assert queue.store.status(first) == "confirmed"
    last = queue.store.history(first).iloc[-1]
    assert (last["reviewer"], last["rationale"]) == ("ben", "The gap is real; retraining.")
    assert first not in panel.evidence.value  # moved to the next flag
    assert "Recorded ev-" in panel.message.value and panel.rationale.value == ""


def test_widget_refuses_an_empty_rationale(queue: ReviewQueue) -> None:
    panel = queue.widget()
    first = queue.open()[0].flag_id
    panel.rationale.value = ""
    panel.submit.click()
    assert "rationale" in panel.message.value
    assert queue.store.status(first) == "open" and first in panel.evidence.value

"""The Python interface: a config alone is enough, attributes in any order, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import fairloop
from fairloop.datasets import make_decision_log
from fairloop.exceptions import ConfigError
from fairloop.notebook import ReviewQueue
from fairloop.store import ReviewStore


@pytest.fixture(scope="module")
def log() -> fairloop.datasets.SyntheticLog:  # type: ignore[name-defined]
    return make_decision_log(n=3_000, seed=1)


def test_audit_takes_a_config_alone(log) -> None:
    config = fairloop.AuditConfig.from_mapping(log.roles)
    by_config = fairloop.audit(log.data, config=config)
    by_keywords = fairloop.audit(log.data, **log.roles)
    assert by_config.metrics.equals(by_keywords.metrics)
    # keywords still override the config
    narrower = fairloop.audit(log.data, config=config, sensitive="sex")
    assert set(narrower.metrics["attribute_set"]) == {"(all)", "sex"}


def test_audit_names_the_missing_keyword(log) -> None:
    with pytest.raises(ConfigError, match=r"audit\(\) needs label=, sensitive="):
        fairloop.audit(log.data, prediction="approved")
    with pytest.raises(ConfigError, match="config= must be an AuditConfig"):
        fairloop.audit(log.data, config={"prediction": "approved"})  # type: ignore[arg-type]


def test_by_group_takes_attributes_in_any_order(log) -> None:
    result = fairloop.audit(log.data, **log.roles)
    one = result.by_group(["sex", "race"])
    other = result.by_group(["race", "sex"])
    assert list(other.index.names) == ["race", "sex"]
    assert other.reorder_levels(["sex", "race"]).sort_index().equals(one.sort_index())
    with pytest.raises(KeyError, match="No attribute set 'race & colour'"):
        result.by_group(["race", "colour"])
    with pytest.raises(ValueError, match="statistic= must be one of"):
        result.by_group("race", statistic="mean")


def test_store_and_queue_say_what_they_are_and_refuse_unknown_statuses(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "reviews.db", four_eyes=True)
    try:
        assert repr(store).startswith("ReviewStore('sqlite:///") and "four_eyes=True" in repr(store)
        queue = ReviewQueue(store, reviewer="ana")
        assert repr(queue) == f"ReviewQueue({store!r}, reviewer='ana')"
        with pytest.raises(ConfigError, match="status= must be one of open, awaiting, confirmed"):
            store.flags(status="opne")
        assert store.flags(status="awaiting").empty
    finally:
        store.close()

"""The review store: append-only, tamper-evident, carried over, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import fairloop
from fairloop.datasets import make_decision_log
from fairloop.exceptions import ConfigError, StoreError
from fairloop.store import GENESIS, SCHEMA_VERSION, ReviewStore, chain_hash

from .conftest import PLANTED, drop_guards

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _planted_id(result: fairloop.AuditResult) -> str:
    flags = result.flags
    row = flags[
        (flags["metric"] == "false_positive_rate")
        & (flags["source"] == "discovery")
        & flags["subgroup"].map(lambda s: s == PLANTED)
    ]
    return str(row["flag_id"].iloc[0])


def _recorded(url: str, audit: fairloop.AuditResult, **options: object) -> tuple[ReviewStore, str]:
    """A store holding one run of ``audit``, and the planted subgroup's flag id."""
    store = ReviewStore(url, **options)  # type: ignore[arg-type]
    store.record_run(audit)
    return store, _planted_id(audit)


def test_run_flags_and_status(store_url: str, planted_audit: fairloop.AuditResult) -> None:
    store = ReviewStore(store_url)
    run_id = store.record_run(planted_audit)
    assert list(store.runs()["run_id"]) == [run_id]
    flags = store.flags()
    assert set(flags["flag_id"]) == set(planted_audit.flags["flag_id"])
    assert set(flags["status"]) == {"open"}
    stored = store.run(run_id)
    assert store.run_cube(run_id).equals(planted_audit.cube)  # type: ignore[union-attr]
    assert stored["provenance"]["data_sha256"] == planted_audit.provenance["data_sha256"]


def test_decisions_are_appended_and_status_derived(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    store, flag = _recorded(store_url, planted_audit)
    store.decide(flag, "needs-data", rationale="Check 2024 labels.", reviewer="ana")
    store.decide(
        flag,
        "confirmed",
        rationale="Labels fine; gap is real.",
        reviewer="ben",
        mitigation="Retrain with reweighing",
        links=["https://tickets/FAIR-12"],
    )
    assert store.status(flag) == "confirmed"
    history = store.history(flag)
    assert list(history["decision"]) == ["needs-data", "confirmed"]
    assert json.loads(history["links"].iloc[1]) == ["https://tickets/FAIR-12"]
    assert json.loads(history["evidence"].iloc[1])["difference"] == pytest.approx(
        float(planted_audit.flags.set_index("flag_id").loc[flag, "difference"])
    )
    assert store.flags(status="confirmed")["flag_id"].tolist() == [flag]
    assert store.verify().ok and store.verify().checked == 2


def test_decision_needs_rationale_reviewer_and_a_known_flag(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    store, flag = _recorded(store_url, planted_audit)
    with pytest.raises(ConfigError, match="rationale"):
        store.decide(flag, "confirmed", rationale="  ", reviewer="ana")
    with pytest.raises(ConfigError, match="reviewer"):
        store.decide(flag, "confirmed", rationale="ok", reviewer="")
    with pytest.raises(ConfigError, match="one of"):
        store.decide(flag, "approved", rationale="ok", reviewer="ana")
    with pytest.raises(StoreError, match="No flag"):
        store.decide("fl-nope", "confirmed", rationale="ok", reviewer="ana")
    assert store.history().empty


def test_four_eyes(store_url: str, planted_audit: fairloop.AuditResult, acting_as) -> None:
    store = ReviewStore(store_url, four_eyes=True)
    store.record_run(planted_audit)
    flag = _planted_id(planted_audit)
    acting_as("os:ana")
    store.decide(flag, "justified", rationale="Business necessity.", reviewer="ana")
    assert store.status(flag) == "awaiting second reviewer (justified)"
    with pytest.raises(StoreError, match="a second person must"):  # the same person
        store.decide(flag, "justified", rationale="Agreed.", reviewer="ana")
    assert store.status(flag) == "awaiting second reviewer (justified)"
    acting_as("os:ben")
    store.decide(flag, "justified", rationale="Agreed after reading the file.", reviewer="ben")
    assert store.status(flag) == "justified"
    # the same events without four eyes: final at once
    assert ReviewStore(store_url).status(flag) == "justified"


@pytest.mark.slow
def test_carry_over_and_automatic_reopening(
    store_url: str, planted_audit: fairloop.AuditResult, worse_audit: fairloop.AuditResult
) -> None:
    store, flag = _recorded(store_url, planted_audit)
    store.decide(flag, "justified", rationale="Known and accepted.", reviewer="ana")
    # the same data again: the flag keeps its status
    store.record_run(planted_audit)
    assert store.status(flag) == "justified"
    assert store.flags().set_index("flag_id").loc[flag, "status"] == "justified"
    # a month later the effect doubled: reopened automatically, with the reason
    assert _planted_id(worse_audit) == flag  # the same pattern has the same id
    run_id = store.record_run(worse_audit)
    assert store.status(flag) == "open"
    last = store.history(flag).iloc[-1]
    assert last["reviewer"] == "fairloop" and last["kind"] == "auto"
    assert "effect grew" in last["rationale"] and run_id in last["rationale"]
    assert store.verify().ok


def _three_decisions(store: ReviewStore, flag: str) -> list[str]:
    """needs-data, confirmed, mitigated on one flag; their event ids."""
    return [
        store.decide(flag, d, rationale=f"step {i}", reviewer="ana")
        for i, d in enumerate(["needs-data", "confirmed", "mitigated"])
    ]


def test_verify_detects_an_edited_event(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    store, flag = _recorded(store_url, planted_audit)
    ids = _three_decisions(store, flag)
    engine = sa.create_engine(store_url)
    drop_guards(engine)  # who rewrites rows must first drop the triggers
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE fairloop_events SET rationale = 'nothing to see' WHERE event_id = :e"),
            {"e": ids[1]},
        )
    report = store.verify()
    assert not report.ok and report.event_id == ids[1] and "altered" in report.problem


def test_verify_detects_deleted_events(store_url: str, planted_audit: fairloop.AuditResult) -> None:
    store, flag = _recorded(store_url, planted_audit)
    ids = _three_decisions(store, flag)
    engine = sa.create_engine(store_url)
    drop_guards(engine)  # who rewrites rows must first drop the triggers
    with engine.begin() as connection:
        connection.execute(
            sa.text("DELETE FROM fairloop_events WHERE event_id = :e"), {"e": ids[1]}
        )
    report = store.verify()
    assert not report.ok and report.event_id == ids[2] and "deleted" in report.problem
    with engine.begin() as connection:
        connection.execute(
            sa.text("DELETE FROM fairloop_events WHERE event_id = :e"), {"e": ids[2]}
        )
    report = store.verify()  # now the end of the chain is gone
    assert not report.ok and "end" in report.problem


def test_chain_is_sha256_of_previous_hash_and_canonical_json(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    import hashlib

    store = ReviewStore(store_url)
    store.record_run(planted_audit)
    store.decide(_planted_id(planted_audit), "confirmed", rationale="Real.", reviewer="ana")
    row = store.history().iloc[0].to_dict()
    fields = {
        k: row[k]
        for k in (
            "event_id",
            "flag_id",
            "decision",
            "rationale",
            "reviewer",
            "created_at",
            "run_id",
            "kind",
            "evidence",
            "principal",
        )
        if row[k] is not None
    }
    expected = hashlib.sha256(
        (GENESIS + json.dumps(fields, sort_keys=True, separators=(",", ":"))).encode()
    ).hexdigest()
    assert row["prev_hash"] == GENESIS and row["hash"] == expected == chain_hash(GENESIS, row)


def test_first_schema_version_opens_and_upgrades(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript((FIXTURES / "store_v1.sql").read_text())
    con.close()
    store = ReviewStore(path)
    assert store.schema_version == SCHEMA_VERSION == 5
    assert sa.inspect(store.engine).has_table("fairloop_windows")  # version 3
    assert sa.inspect(store.engine).has_table("fairloop_ledger")  # version 4
    assert store.verify().ok and store.verify().checked == 2
    assert store.status("fl-0a1b2c3d4e5f6a7b") == "confirmed"
    store.decide("fl-0a1b2c3d4e5f6a7b", "mitigated", rationale="Retrained.", reviewer="ana")
    assert store.verify().ok and store.verify().checked == 3
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("fairloop_events")}
    assert {"kind", "links", "evidence"} <= columns


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "x.db")
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE fairloop_meta SET value = '99' WHERE key = 'schema_version'"
        )
    with pytest.raises(StoreError, match="newer"):
        ReviewStore(tmp_path / "x.db")


_WORKER = """
import sys
from fairloop.store import ReviewStore
store = ReviewStore(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.decide(sys.argv[2], "needs-data", rationale=f"{sys.argv[4]} note {i}",
                 reviewer=sys.argv[4])
"""


@pytest.mark.slow
def test_concurrent_reviewers_lose_nothing(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    store, flag = _recorded(store_url, planted_audit)
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, store_url, flag, "500", name])
        for name in ("ana", "ben")
    ]
    assert [w.wait(timeout=300) for w in workers] == [0, 0]
    history = store.history()
    assert len(history) == 1000
    assert history["reviewer"].value_counts().to_dict() == {"ana": 500, "ben": 500}
    report = store.verify()
    assert report.ok and report.checked == 1000


def test_export(store_url: str, planted_audit: fairloop.AuditResult) -> None:
    store = ReviewStore(store_url)
    store.record_run(planted_audit)
    store.decide(
        _planted_id(planted_audit), "confirmed", rationale='Real, "quoted".', reviewer="ana"
    )
    exported = json.loads(store.export("json"))
    assert exported["head_hash"] == store.head() and len(exported["events"]) == 1
    assert 'Real, ""quoted"".' in store.export("csv")


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="Cannot open the review store"):
        ReviewStore("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_four_eyes_is_a_property_of_the_store(
    store_url: str, planted_audit: fairloop.AuditResult, acting_as
) -> None:
    ReviewStore(store_url, four_eyes=True).record_run(planted_audit)
    flag = _planted_id(planted_audit)
    reader = ReviewStore(store_url)  # a reader that did not ask for four eyes
    acting_as("os:ana")
    reader.decide(flag, "confirmed", rationale="Real.", reviewer="ana")
    assert reader.status(flag) == "awaiting second reviewer (confirmed)"
    with pytest.raises(StoreError, match="a second person must"):  # the same person
        reader.decide(flag, "confirmed", rationale="Real, again.", reviewer=" ANA ")
    assert reader.status(flag).startswith("awaiting")
    assert flag in set(reader.flags(status="awaiting")["flag_id"])
    acting_as("os:ben")
    reader.decide(flag, "confirmed", rationale="Agreed.", reviewer="ben")
    assert reader.status(flag) == "confirmed"


_RECORDER = """
import sys
import fairloop
from fairloop.datasets import PlantedBias, make_decision_log
from fairloop.store import ReviewStore
log = make_decision_log(n=50_000, seed=2000, biases=[PlantedBias(
    {"race": "Hispanic", "age_band": "18-24"}, "false_positive_rate", 0.30)])
ReviewStore(sys.argv[1]).record_run(fairloop.audit(log.data, **log.roles, estimator="reviewed"))
"""


@pytest.mark.slow
def test_concurrent_runs_reopen_a_flag_once(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    store, flag = _recorded(store_url, planted_audit)
    store.decide(flag, "justified", rationale="Accepted.", reviewer="ana")
    workers = [subprocess.Popen([sys.executable, "-c", _RECORDER, store_url]) for _ in range(2)]
    assert [w.wait(timeout=300) for w in workers] == [0, 0]
    history = store.history(flag)
    assert list(history["decision"]) == ["justified", "reopened"]
    assert store.verify().ok


def test_verify_names_the_last_event_when_it_is_deleted(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    store, flag = _recorded(store_url, planted_audit)
    store.decide(flag, "needs-data", rationale="a", reviewer="ana")
    last = store.decide(flag, "confirmed", rationale="b", reviewer="ana")
    head = store.head()
    engine = sa.create_engine(store_url)
    drop_guards(engine)  # who rewrites rows must first drop the triggers
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM fairloop_events WHERE event_id = :e"), {"e": last})
    report = store.verify()
    assert not report.ok and report.event_id == last
    # rewriting every head record and the ledger's tail as well leaves a store consistent
    # inside the database: only a head published earlier shows what was cut
    events = store.history()
    with engine.begin() as connection:
        for key, value in (("head_hash", events["hash"].iloc[-1]), ("event_count", "1"),
                           ("head_event_id", events["event_id"].iloc[-1])):  # fmt: skip
            connection.execute(
                sa.text("UPDATE fairloop_meta SET value = :v WHERE key = :k"),
                {"v": value, "k": key},
            )
        connection.execute(sa.text("DELETE FROM fairloop_ledger WHERE record_id = :e"), {"e": last})
        new_head = connection.execute(
            sa.text("SELECT hash FROM fairloop_ledger ORDER BY seq DESC LIMIT 1")
        ).scalar_one()
        connection.execute(
            sa.text("UPDATE fairloop_meta SET value = :v WHERE key = 'ledger_head'"),
            {"v": new_head},
        )
    assert store.verify().ok  # consistent again inside the database...
    report = store.verify(expect_head=head)  # ...but not with the head published before
    assert not report.ok and "published head" in report.problem


def test_verify_opens_read_only(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    with pytest.raises(StoreError, match="does not exist"):
        ReviewStore(missing, read_only=True)
    assert not missing.exists()
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript((FIXTURES / "store_v1.sql").read_text())
    con.close()
    with ReviewStore(path, read_only=True) as store:
        assert store.verify().ok and store.verify().checked == 2
        assert store.schema_version == 1  # verified as it is, not upgraded


def test_export_json_is_strict_with_missing_mitigations(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    store, flag = _recorded(store_url, planted_audit)
    store.decide(flag, "needs-data", rationale="a", reviewer="ana")
    store.decide(flag, "mitigated", rationale="b", reviewer="ana", mitigation="Retrained")
    text = store.export("json")
    assert "NaN" not in text
    events = json.loads(text)["events"]
    assert [e["mitigation"] for e in events] == [None, "Retrained"]


def test_not_a_store_and_unknown_driver(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="Cannot open the review store"):
        ReviewStore(junk)
    with pytest.raises(ConfigError, match="driver"):
        ReviewStore("mysql+mysqldb://u:p@localhost/db")


def test_flags_are_listed_in_the_audit_s_order(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    store = ReviewStore(store_url)
    store.record_run(planted_audit)
    assert list(store.flags()["flag_id"]) == list(planted_audit.flags["flag_id"])


def _v1_file(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript((FIXTURES / "store_v1.sql").read_text())
    con.close()
    return path


def test_read_only_verify_leaves_the_file_untouched(tmp_path: Path) -> None:
    import hashlib

    path = _v1_file(tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with ReviewStore(path, read_only=True) as store:
        assert store.verify().ok
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    # and it does not wait for a writer's lock
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    with ReviewStore(path, read_only=True) as store:
        assert store.verify().ok
    writer.execute("ROLLBACK")
    writer.close()


def test_expect_head_checks_its_argument(tmp_path: Path) -> None:
    with ReviewStore(tmp_path / "empty.db") as store:
        assert store.verify(expect_head=GENESIS).ok  # the head an empty store prints
        with pytest.raises(ConfigError, match="64"):
            store.verify(expect_head="8")
        with pytest.raises(ConfigError, match="64"):  # a prefix could match a forged chain
            store.verify(expect_head=GENESIS[:20])
        assert store.verify(expect_head=GENESIS.upper()).ok


def test_a_dropped_events_table_fails_verification(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    ReviewStore(path).close()
    con = sqlite3.connect(path)
    con.execute("DROP TABLE fairloop_events")
    con.commit()
    con.close()
    with ReviewStore(path, read_only=True) as store:
        report = store.verify()
    assert not report.ok and "events table is missing" in report.problem


def test_upgraded_store_names_a_deleted_last_event(tmp_path: Path) -> None:
    path = _v1_file(tmp_path)
    ReviewStore(path).close()  # upgrade
    con = sqlite3.connect(path)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")  # who rewrites rows must first drop the triggers
    con.execute("DELETE FROM fairloop_events WHERE seq = 2")
    con.commit()
    con.close()
    with ReviewStore(path, read_only=True) as store:
        report = store.verify()
    assert not report.ok and report.event_id == "ev-2"


def test_nobody_signs_as_fairloop(store_url: str, planted_audit: fairloop.AuditResult) -> None:
    store = ReviewStore(store_url)
    store.record_run(planted_audit)
    for name in ("fairloop", " fairloop", "FairLoop"):
        with pytest.raises(ConfigError, match="reviewer"):
            store.decide(_planted_id(planted_audit), "confirmed", rationale="x", reviewer=name)


def test_a_run_stores_its_windows_cells_once(tmp_path: Path) -> None:
    """With time windows, a run's own cube keeps only what no window holds; the run is
    rebuilt from it and its windows, and re-renders the same figures."""
    from fairloop._audit import rerun_from_store

    log = make_decision_log(n=3_000, seed=4)
    data = log.data.copy()
    data.loc[data.index[:50], "decided_at"] = pd.NaT  # rows without a window
    result = fairloop.audit(data, **log.roles)
    with ReviewStore(tmp_path / "s.db") as store:
        run_id = store.record_run(result)
        stored = store.run(run_id)["cube"]
        assert stored["windows_apart"] == [w for w in result.cube.windows if w != "(missing)"]
        own = fairloop.CountCube.from_dict({**stored, "windows_apart": []})
        assert own.windows == ["(missing)"] and own.n_rows == 50
        assert store.run_cube(run_id).equals(result.cube)  # type: ignore[union-attr]
        again, _ = rerun_from_store(store, run_id)
        pd.testing.assert_frame_equal(again.metrics, result.metrics)
        with pytest.raises(ValueError, match="keeps 12 time windows apart"):
            fairloop.CountCube.from_dict(stored)

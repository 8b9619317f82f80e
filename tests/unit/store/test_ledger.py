"""A record that holds up: people, not names; every record in the chain; rewrites refused.

The attacks are those a red team used: editing a stored cube, deleting an undecided flag,
turning four-eyes off in a table, one person typing two names, look-alike names. Each is
either refused by the database or named by ``verify``.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import fairloop
from fairloop.exceptions import ConfigError, StoreError, StoreIntegrityError
from fairloop.store import ReviewStore

from .conftest import POSTGRES, SCHEMA, drop_guards

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GUARDED = ("runs", "flags", "windows", "events", "ledger", "settings", "reviewers")


def _flag(store: ReviewStore) -> str:
    return str(store.flags()["flag_id"].iloc[0])


@pytest.fixture
def recorded(store_url: str, planted_audit: fairloop.AuditResult) -> ReviewStore:
    store = ReviewStore(store_url, four_eyes=True)
    store.record_run(planted_audit)
    return store


def test_one_account_with_two_names_cannot_settle_a_four_eyes_flag(
    recorded: ReviewStore,
) -> None:
    flag = _flag(recorded)
    recorded.decide(flag, "justified", rationale="Business need.", reviewer="ana")
    with pytest.raises(StoreError, match="a second person must"):  # the same account
        recorded.decide(flag, "justified", rationale="Agreed.", reviewer="bob")
    assert recorded.status(flag) == "awaiting second reviewer (justified)"
    principals = set(recorded.history(flag)["principal"])
    assert len(principals) == 1 and next(iter(principals)).startswith(("os:", "pg:"))


def test_a_single_mitigated_does_not_settle_under_four_eyes(
    recorded: ReviewStore, acting_as: Any
) -> None:
    flag = _flag(recorded)
    acting_as("os:ana")
    recorded.decide(flag, "mitigated", rationale="Retrained.", reviewer="ana", mitigation="v2")
    assert recorded.status(flag) == "awaiting second reviewer (mitigated)"
    acting_as("os:bob")
    recorded.decide(flag, "mitigated", rationale="Checked the retrain.", reviewer="bob")
    assert recorded.status(flag) == "mitigated"


def test_a_name_is_bound_to_the_account_that_first_used_it(
    recorded: ReviewStore, acting_as: Any
) -> None:
    flag = _flag(recorded)
    acting_as("os:ana")
    recorded.decide(flag, "needs-data", rationale="Check labels.", reviewer="Ana")
    acting_as("os:mallory")
    with pytest.raises(StoreError, match="bound to os:ana"):
        recorded.decide(flag, "confirmed", rationale="Real.", reviewer=" ANA ")
    # an administrator moves the name to another account, on the record
    recorded.bind("Ana", "os:ana2")
    acting_as("os:ana2")
    recorded.decide(flag, "confirmed", rationale="Real.", reviewer="ana")
    names = recorded.reviewers()
    assert names.set_index("name").loc["Ana", "principal"] == "os:ana2"
    assert recorded.verify().ok
    with pytest.raises(ConfigError, match="principal"):
        recorded.bind("Ana", "ana2")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("\u0430na", "scripts"),  # Cyrillic a, then Latin na
        ("fairloop\u200b", "invisible"),  # a zero-width space
        ("ana\u202e", "invisible"),  # a right-to-left override
        ("   ", "reviewer"),
    ],
)
def test_look_alike_and_invisible_names_are_refused(
    recorded: ReviewStore, name: str, why: str
) -> None:
    with pytest.raises(ConfigError, match=why):
        recorded.decide(_flag(recorded), "confirmed", rationale="Real.", reviewer=name)


def test_names_are_normalised_before_they_are_recorded(recorded: ReviewStore) -> None:
    flag = _flag(recorded)
    recorded.decide(flag, "needs-data", rationale="a", reviewer="\uff21na   Lopez")  # full width
    assert recorded.history(flag)["reviewer"].tolist() == ["Ana Lopez"]
    with pytest.raises(ConfigError, match="fairloop's own name"):
        recorded.decide(flag, "confirmed", rationale="b", reviewer="FAIRLOOP")


@pytest.mark.parametrize("table", GUARDED)
def test_the_database_refuses_to_change_a_recorded_row(
    recorded: ReviewStore, table: str, acting_as: Any
) -> None:
    acting_as("os:ana")
    recorded.decide(_flag(recorded), "confirmed", rationale="Real.", reviewer="ana")
    engine = sa.create_engine(recorded.url)
    for statement in (f"UPDATE fairloop_{table} SET created_at = created_at"
                      if table not in ("flags",) else "UPDATE fairloop_flags SET metric = metric",
                      f"DELETE FROM fairloop_{table}"):  # fmt: skip
        with pytest.raises(sa.exc.DBAPIError, match="never changed"), engine.begin() as con:
            con.exec_driver_sql(statement)
    assert recorded.verify().ok


def _edit(store: ReviewStore, sql: str, **values: Any) -> None:
    engine = sa.create_engine(store.url)
    drop_guards(engine)  # who rewrites rows must first drop the triggers
    with engine.begin() as connection:
        connection.execute(sa.text(sql), values)


def test_a_swapped_cube_is_named(recorded: ReviewStore) -> None:
    run = recorded.runs()["run_id"].iloc[0]
    stored = recorded.run_cube(run)
    assert stored is not None
    swapped = stored.cells.assign(
        race=stored.cells["race"].replace({"Black": "White", "White": "Black"})
    )
    forged = dataclasses.replace(stored, cells=swapped)
    cube = json.dumps(forged.to_dict(packed=True))
    _edit(recorded, "UPDATE fairloop_runs SET cube = :c WHERE run_id = :r", c=cube, r=run)
    report = recorded.verify()
    assert not report.ok and f"run {run} was altered" in str(report.problem)


def test_a_deleted_undecided_flag_is_named(recorded: ReviewStore) -> None:
    flag = _flag(recorded)
    _edit(recorded, "DELETE FROM fairloop_flags WHERE flag_id = :f", f=flag)
    report = recorded.verify()
    assert not report.ok and flag in str(report.problem) and "deleted" in str(report.problem)


def test_an_inserted_flag_is_named(recorded: ReviewStore) -> None:
    run = recorded.runs()["run_id"].iloc[0]
    _edit(
        recorded,
        "INSERT INTO fairloop_flags (run_id, flag_id, source, metric, description, payload) "
        "VALUES (:r, 'fl-forged', 'discovery', 'accuracy', 'x', '{}')",
        r=run,
    )
    report = recorded.verify()
    assert not report.ok and "fl-forged" in str(report.problem)
    assert "inserted outside fairloop" in str(report.problem)


def test_turning_four_eyes_off_in_a_table_is_named_and_ignored(
    recorded: ReviewStore, acting_as: Any
) -> None:
    flag = _flag(recorded)
    acting_as("os:ana")
    recorded.decide(flag, "justified", rationale="Business need.", reviewer="ana")
    # the old attack: the meta table's flag; the status does not read it any more
    _edit(recorded, "UPDATE fairloop_meta SET value = '0' WHERE key = 'four_eyes'")
    assert ReviewStore(recorded.url).status(flag).startswith("awaiting")
    # the chained setting itself: deleting it is named
    _edit(recorded, "DELETE FROM fairloop_settings WHERE key = 'four_eyes'")
    report = ReviewStore(recorded.url, read_only=True).verify()
    assert not report.ok and "setting" in str(report.problem)


def test_policies_are_chained_when_they_change(store_url: str, planted_audit: Any) -> None:
    ReviewStore(store_url, reopen_tolerance=0.05).record_run(planted_audit)
    store = ReviewStore(store_url, reopen_tolerance=0.10)
    engine = sa.create_engine(store_url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT key, value FROM fairloop_settings ORDER BY seq"
        ).all()
    assert [tuple(r) for r in rows] == [("reopen_tolerance", "0.05"),
                                        ("reopen_tolerance", "0.1")]  # fmt: skip
    assert store.verify().ok and store.verify().records > 0


def test_a_sqlite_file_of_another_application_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match="not a fairloop review store"):
        ReviewStore(path)
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["customers"]  # nothing created in it


def test_a_store_whose_meta_table_was_dropped_is_not_restarted(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    ReviewStore(path).close()
    with sqlite3.connect(path) as con:
        con.execute("DROP TABLE fairloop_meta")
    with pytest.raises(StoreIntegrityError, match="damaged"):
        ReviewStore(path)


def _all_rows(path: Path, only: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Every fairloop table's columns and sorted rows (only the given columns, if given)."""
    with sqlite3.connect(path) as con:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                           "AND name LIKE 'fairloop_%'")]  # fmt: skip
        out = {}
        for name in names:
            columns = [r[1] for r in con.execute(f"PRAGMA table_info({name})")]
            if only is not None:
                columns = only.get(name, columns)
            rows = con.execute(f"SELECT {', '.join(columns)} FROM {name}").fetchall()
            out[name] = (columns, sorted(rows, key=repr))
        return out


@pytest.mark.parametrize("version", [1, 3])
def test_an_old_store_is_chained_in_place_without_rewriting_a_value(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as con:
        con.executescript((FIXTURES / f"store_v{version}.sql").read_text())
    before = _all_rows(path)
    flags_before = ReviewStore(path, read_only=True).flags()
    store = ReviewStore(path)  # upgrades
    after = _all_rows(path, {t: columns for t, (columns, _) in before.items()})
    for table, (_, rows) in before.items():
        if table == "fairloop_meta":
            continue  # the schema version and the ledger's head are kept there
        assert after[table][1] == rows, table  # every value recorded before, as it was
    report = store.verify()
    recorded = sum(len(after[f"fairloop_{t}"][1]) for t in GUARDED[:4] if f"fairloop_{t}" in after)
    settings = _all_rows(path)["fairloop_settings"]
    assert report.ok and report.records == recorded + len(settings[1])
    # the statuses read as before the upgrade
    now = store.flags()
    assert now["status"].tolist() == flags_before["status"].tolist()
    if version == 3:  # four-eyes, kept in a table before, is a chained setting now
        assert set(now["status"]) >= {"justified"}
        key = settings[0].index("key")
        assert [r[key] for r in settings[1] if r[key] == "four_eyes"] == ["four_eyes"]
    # the head published before the upgrade is still in the chain
    old_head = dict(before["fairloop_meta"][1])["head_hash"]
    assert store.verify(expect_head=old_head).ok


@pytest.mark.skipif(not POSTGRES, reason="set FAIRLOOP_TEST_POSTGRES_URL (.ci/run does)")
def test_two_postgres_roles_settle_and_one_role_cannot(
    store_url: str, planted_audit: fairloop.AuditResult
) -> None:
    if not store_url.startswith("postgresql"):
        pytest.skip("PostgreSQL roles")
    admin = sa.create_engine(store_url)
    url = sa.make_url(store_url)
    with admin.begin() as con:
        for role in ("fl_ana", "fl_bob"):
            con.exec_driver_sql(f"DROP OWNED BY {role}") if con.exec_driver_sql(
                f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'").first() else None  # fmt: skip
            con.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
            con.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")
    store = ReviewStore(store_url, four_eyes=True)
    store.record_run(planted_audit)
    flag = _flag(store)
    with admin.begin() as con:  # the documented grants: reviewers may INSERT and SELECT
        for role in ("fl_ana", "fl_bob"):
            con.exec_driver_sql(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {role}")
            con.exec_driver_sql(f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {SCHEMA} TO {role}")
            con.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {role}")
            con.exec_driver_sql(
                f"GRANT UPDATE ON fairloop_meta TO {role}"  # the head records kept with a write
            )
    stores = {
        role: ReviewStore(url.set(username=role, password=f"pw-{role}").render_as_string(
            hide_password=False))
        for role in ("fl_ana", "fl_bob")
    }  # fmt: skip
    stores["fl_ana"].decide(flag, "confirmed", rationale="Real.", reviewer="ana")
    with pytest.raises(StoreError, match="a second person must"):  # one role, two names
        stores["fl_ana"].decide(flag, "confirmed", rationale="Real.", reviewer="anna")
    assert store.status(flag) == "awaiting second reviewer (confirmed)"
    stores["fl_bob"].decide(flag, "confirmed", rationale="Agreed.", reviewer="bob")
    assert store.status(flag) == "confirmed"
    assert set(store.history(flag)["principal"]) == {"pg:fl_ana", "pg:fl_bob"}
    # a reviewer role cannot rewrite or delete: the grants and the triggers refuse it
    with pytest.raises(StoreError):
        stores["fl_bob"].decide(flag, "confirmed", rationale="as ana", reviewer="ana")
    bob = sa.create_engine(stores["fl_bob"].url)
    with pytest.raises(sa.exc.DBAPIError), bob.begin() as con:
        con.exec_driver_sql("DELETE FROM fairloop_events")
    assert store.verify().ok
    for s in stores.values():
        s.close()
    bob.dispose()
    with admin.begin() as con:
        for role in ("fl_ana", "fl_bob"):
            con.exec_driver_sql(f"DROP OWNED BY {role}")
            con.exec_driver_sql(f"DROP ROLE {role}")
    admin.dispose()


def test_decisions_that_make_no_sense_for_the_state_are_refused(
    store_url: str, planted_audit: fairloop.AuditResult, acting_as: Any
) -> None:
    store = ReviewStore(store_url)
    store.record_run(planted_audit)
    flag = _flag(store)
    with pytest.raises(StoreError, match="nothing to reopen"):
        store.decide(flag, "reopened", rationale="?", reviewer="ana")
    store.decide(flag, "justified", rationale="Business need.", reviewer="ana")
    with pytest.raises(StoreError, match=r"settled \(justified\): reopen it first"):
        store.decide(flag, "confirmed", rationale="Changed my mind.", reviewer="ana")
    store.decide(flag, "reopened", rationale="New evidence from the complaints desk.",
                 reviewer="ana")  # fmt: skip
    store.decide(flag, "confirmed", rationale="Real after all.", reviewer="ana")
    assert store.status(flag) == "confirmed"
    assert len(store.history(flag)) == 3  # the refused ones left no trace


def test_every_status_says_who_must_act_next(
    store_url: str, planted_audit: fairloop.AuditResult, acting_as: Any, tmp_path: Path
) -> None:
    from fairloop.notebook import ReviewQueue

    store = ReviewStore(store_url, four_eyes=True)
    run_id = store.record_run(planted_audit)
    flags = store.flags()
    first, second = flags["flag_id"].iloc[0], flags["flag_id"].iloc[1]
    acting_as("os:ana")
    store.decide(first, "confirmed", rationale="Real.", reviewer="ana")
    store.decide(second, "needs-data", rationale="Labels of 2024 missing.", reviewer="ana")
    listed = store.flags().set_index("flag_id")
    assert listed.loc[first, "next"].startswith("a second reviewer, from another account")
    assert listed.loc[second, "next"].startswith("the data owner")
    assert all(n.startswith("a reviewer") for n in listed["next"].drop([first, second]))
    # the report and the card say it too
    path = tmp_path / "report.html"
    planted_audit.to_html(path, store=store, run_id=run_id)
    html = path.read_text(encoding="utf-8")
    assert "<strong>Next:</strong> a second reviewer, from another account" in html
    card = ReviewQueue(store_url).card(second)._repr_html_()
    assert "next: the data owner" in card


@pytest.mark.skipif(not POSTGRES, reason="set FAIRLOOP_TEST_POSTGRES_URL (.ci/run does)")
def test_a_postgres_schema_of_another_application_is_refused() -> None:
    assert POSTGRES is not None
    engine = sa.create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS other_app")
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS other_app.customers (id int)")
    engine.dispose()
    url = sa.make_url(POSTGRES).update_query_dict({"options": "-csearch_path=other_app"})
    with pytest.raises(StoreError, match="schema of its own"):
        ReviewStore(url.render_as_string(hide_password=False))
    engine = sa.create_engine(POSTGRES)
    with engine.begin() as connection:
        tables = (
            connection.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'other_app'"
            )
            .scalars()
            .all()
        )
        connection.exec_driver_sql("DROP SCHEMA other_app CASCADE")
    engine.dispose()
    assert tables == ["customers"]

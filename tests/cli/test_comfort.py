"""The command line for people and pipelines: init, --json, --quiet, --fail-on, exit codes."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.config import AuditConfig, load_config
from fairloop.datasets import make_decision_log

runner = CliRunner()
COMPAS_CSV = Path(__file__).resolve().parents[3] / "shared/data/compas/compas-scores-two-years.csv"


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The demo's log (20,000 rows, seed 0) as a CSV, and its true roles."""
    log = make_decision_log(n=20_000, seed=0)
    path = tmp_path_factory.mktemp("demo") / "decisions.csv"
    log.data.to_csv(path, index=False)
    return path, log.roles


@pytest.fixture(scope="module")
def null_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log with no planted bias: groups differ only by chance."""
    path = tmp_path_factory.mktemp("null") / "decisions.csv"
    make_decision_log(n=20_000, seed=0, biases=()).data.to_csv(path, index=False)
    return path


def _roles_args(roles: dict) -> list[str]:
    args = []
    for key in ("prediction", "label", "score", "reviewer", "time"):
        args += [f"--{key}", roles[key]]
    return [*args, "--case-id", roles["case_id"], "--sensitive", ",".join(roles["sensitive"]),
            "--context", ",".join(roles["context"])]  # fmt: skip


def _init(data: Path, config: Path) -> dict:
    result = runner.invoke(app, ["init", str(data), "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ------------------------------------------------------------------------------ --fail-on
@pytest.mark.slow
def test_fail_on_high_exits_1_on_the_demo_log(demo_log, tmp_path: Path) -> None:
    path, roles = demo_log
    db = str(tmp_path / "store.db")
    args = ["audit", str(path), *_roles_args(roles), "--db", db]
    result = runner.invoke(app, [*args, "--fail-on", "high"])
    assert result.exit_code == 1, result.output
    document = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    high = [f for f in document["flags"] if f["severity"] == "high"]
    assert high
    assert f"--fail-on high: {len(high)} flag(s)" in result.stdout
    # the same audit without the gate succeeds
    assert runner.invoke(app, [*args, "--quiet"]).exit_code == 0


def test_fail_on_high_exits_0_on_a_null_log(null_log: Path, tmp_path: Path) -> None:
    roles = make_decision_log(n=10).roles
    result = runner.invoke(
        app, ["audit", str(null_log), *_roles_args(roles), "--no-store", "--fail-on", "high",
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["failing_flags"] == []
    assert all(f["severity"] != "high" for f in document["flags"])


@pytest.mark.slow
def test_a_settled_flag_no_longer_fails_the_pipeline(demo_log, tmp_path: Path) -> None:
    """Justified (or mitigated) in the store: the gate opens; confirmed: it stays shut."""
    path, roles = demo_log
    db = str(tmp_path / "store.db")
    gate = ["audit", str(path), *_roles_args(roles), "--db", db, "--fail-on", "high", "--json"]
    first = json.loads(runner.invoke(app, gate).stdout)
    failing = first["failing_flags"]
    assert failing

    def decide(flag: str, decision: str) -> int:
        return runner.invoke(app, ["review", "decide", flag, "--db", db, "--one-reviewer",
                                   "--reviewer", "Ada", "--rationale", "checked",
                                   "--decision", decision]).exit_code  # fmt: skip

    assert all(decide(flag, "justified") == 0 for flag in failing[1:])
    assert decide(failing[0], "confirmed") == 0
    assert runner.invoke(app, gate).exit_code == 1  # a confirmed bias still fails
    assert decide(failing[0], "justified") == 0
    again = runner.invoke(app, gate)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["failing_flags"] == []


def test_fail_on_refuses_an_unknown_severity_before_any_work(demo_log) -> None:
    path, roles = demo_log
    result = runner.invoke(app, ["audit", str(path), *_roles_args(roles), "--fail-on", "huge"])
    assert result.exit_code == 2
    assert "--fail-on must be one of low, medium, high" in result.output
    assert "Audited" not in result.output


@pytest.mark.slow
def test_demo_fails_on_high(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--fail-on", "high", "-q"])
    assert result.exit_code == 1
    assert result.stdout == ""


# ------------------------------------------------------------------------- --json, --quiet
@pytest.mark.slow
def test_every_command_speaks_json(demo_log, tmp_path: Path) -> None:
    path, roles = demo_log
    db = str(tmp_path / "store.db")
    out = tmp_path / "out"

    def run(*args: str) -> dict:
        result = runner.invoke(app, [*args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    init = run("init", str(path), "--config", str(tmp_path / "f.toml"))
    assert init["roles"]["prediction"]["columns"] == [roles["prediction"]]

    audit = run("audit", str(path), "--config", str(tmp_path / "f.toml"), "--db", db,
                "--out", str(out))  # fmt: skip
    evidence = json.loads((out / "evidence.json").read_text())
    assert audit["rows"] == 20_000 == evidence["provenance"]["rows"]
    assert [f["flag_id"] for f in audit["flags"]] == [f["flag_id"] for f in evidence["flags"]]
    assert audit["summary"] == evidence["summary"]
    assert audit["files"][0].endswith("report.html")
    run_id, flag = audit["run_id"], audit["flags"][0]["flag_id"]

    listed = run("review", "list", "--db", db)
    assert [f["flag_id"] for f in listed["flags"]] == [f["flag_id"] for f in audit["flags"]]
    shown = run("review", "show", flag, "--db", db)
    assert shown["status"] == "open" and shown["flag"]["flag_id"] == flag
    decided = run("review", "decide", flag, "--db", db, "--decision", "needs-data",
                  "--reviewer", "Ada", "--rationale", "more months")  # fmt: skip
    assert decided["status"] == "needs-data"
    exported = run("review", "export", "--db", db)
    assert [e["flag_id"] for e in exported["events"]][-1] == flag
    verified = run("verify", "--db", db)
    assert verified["ok"] is True and verified["head"] == exported["head_hash"]
    report = run("report", "--db", db, "--out", str(tmp_path / "r"))
    assert report["run_id"] == run_id and Path(report["files"][0]).exists()
    demo = run("demo", "--out", str(tmp_path / "d"), "--rows", "2000")
    assert demo["rows"] == 2000 and "planted" in demo


@pytest.mark.slow
def test_quiet_prints_nothing(demo_log, tmp_path: Path) -> None:
    path, roles = demo_log
    result = runner.invoke(
        app, ["audit", str(path), *_roles_args(roles), "--db", str(tmp_path / "s.db"),
              "--out", str(tmp_path / "o"), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout == ""
    assert (tmp_path / "o" / "report.html").exists()


def test_bad_input_in_json_mode_is_a_json_error_with_exit_2(demo_log) -> None:
    path, roles = demo_log
    args = _roles_args({**roles, "label": "final_call"})
    result = runner.invoke(app, ["audit", str(path), *args, "--no-store", "--json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["exit_code"] == 2 and "'final_call'" in document["error"]


def test_progress_reports_each_stage_in_order(demo_log) -> None:
    """On the caller's thread, stages in order, and the pass's share ends at 1.0 always
    (so a callback that cannot take a share fails every time, not only under load)."""
    import threading

    path, roles = demo_log
    stages: list[str] = []
    shares: list[float] = []
    threads: set[int] = set()

    def progress(description: str, share: float | None = None) -> None:
        threads.add(threading.get_ident())
        if share is None:
            stages.append(description)
        else:
            shares.append(share)

    fairloop.Audit(AuditConfig.from_mapping(roles)).run(path, progress=progress)
    assert stages == [
        "reading and counting the log",
        "metrics and disparities",
        "searching for flags",
        "sampling cases of each flag",
    ]
    assert shares and shares[-1] == 1.0 and shares == sorted(shares)
    assert threads == {threading.get_ident()}
    with pytest.raises(TypeError):  # list.append takes no share: it fails at once, here
        fairloop.Audit(AuditConfig.from_mapping(roles)).run(path, progress=stages.append)


def test_an_error_in_the_progress_callback_reaches_the_caller(demo_log) -> None:
    path, roles = demo_log

    def progress(description: str, share: float | None = None) -> None:
        if share is not None:
            raise KeyboardInterrupt  # as a user pressing Ctrl-C in their callback

    with pytest.raises(KeyboardInterrupt):
        fairloop.Audit(AuditConfig.from_mapping(roles)).run(path, progress=progress)


# ---------------------------------------------------------------------------------- init
@pytest.mark.slow
def test_init_guesses_the_demo_roles_and_the_config_audits_alike(demo_log, tmp_path) -> None:
    path, roles = demo_log
    config = tmp_path / "fairloop.toml"
    guessed = _init(path, config)
    for role in ("prediction", "label", "score", "time", "reviewer", "case_id"):
        assert guessed["roles"][role]["columns"] == [roles[role]], role
    assert guessed["roles"]["sensitive"]["columns"] == roles["sensitive"]
    assert guessed["roles"]["context"]["columns"] == roles["context"]
    assert guessed["required_missing"] == []
    text = config.read_text()
    assert "# Guessed because its name is 'approved'" in text
    options = load_config(config)
    by_config = fairloop.Audit(AuditConfig.from_mapping(options)).run(path)
    by_hand = fairloop.audit(path, **roles)
    pd.testing.assert_frame_equal(by_config.metrics, by_hand.metrics)


def test_init_asks_nothing_and_never_overwrites(demo_log, tmp_path: Path) -> None:
    path, _ = demo_log
    config = tmp_path / "fairloop.toml"
    config.write_text("# mine\n")
    result = runner.invoke(app, ["init", str(path), "--config", str(config)], input="")
    assert result.exit_code == 2
    assert "exists already" in result.output and config.read_text() == "# mine\n"
    forced = runner.invoke(app, ["init", str(path), "--config", str(config), "--force"])
    assert forced.exit_code == 0
    assert "prediction  approved" in forced.stdout
    assert "Check it, then run:" in forced.stdout


def test_init_reads_text_decisions_and_finds_the_favourable_value(tmp_path: Path) -> None:
    log = make_decision_log(n=3_000, seed=2).data
    words = {0: "decline", 1: "approve"}
    log["model_decision"] = log.pop("approved").map(words)
    log["final_decision"] = log.pop("reviewer_decision").map(words)
    log["applicant_name"] = "x"
    log["age"] = range(len(log))
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    guessed = _init(path, tmp_path / "f.toml")
    roles = guessed["roles"]
    assert roles["prediction"]["columns"] == ["model_decision"]
    assert roles["label"]["columns"] == ["final_decision"]
    assert roles["positive"]["columns"] == ["approve"]
    assert "applicant_name" in guessed["left_out"] and "age" in guessed["left_out"]
    options = tomllib.loads((tmp_path / "f.toml").read_text())
    assert options["positive"] == "approve"
    result = fairloop.Audit(AuditConfig.from_mapping(options)).run(path)
    expected = (log["model_decision"] == "approve").mean()
    overall = result.metrics[result.metrics["attribute_set"] == "(all)"].set_index("metric")
    assert overall.loc["selection_rate", "value"] == pytest.approx(expected)


def test_init_then_audit_on_compas_without_editing(tmp_path: Path) -> None:
    """The acceptance path: init refuses ProPublica's raw file (it holds no decision) and
    writes nothing; on the README's derived file it writes a config audit accepts as is,
    with high risk positive and unfavourable."""
    if not COMPAS_CSV.exists():
        pytest.skip(f"shared data not found at {COMPAS_CSV}")
    config = tmp_path / "fairloop.toml"
    raw = runner.invoke(app, ["init", str(COMPAS_CSV), "--config", str(config)])
    assert raw.exit_code == 2 and "--prediction COLUMN" in raw.output
    assert not config.exists()
    # the derived column the README describes: ProPublica's "medium or high risk"
    derived = tmp_path / "compas.parquet"
    duckdb.sql(
        f"COPY (SELECT * EXCLUDE (name, first, last, dob), "
        f"CAST(decile_score >= 5 AS INTEGER) AS high_risk "
        f"FROM read_csv('{COMPAS_CSV}')) TO '{derived}' (FORMAT parquet)"
    )
    guessed = _init(derived, config)
    roles = guessed["roles"]
    assert roles["prediction"]["columns"] == ["high_risk"]
    assert roles["label"]["columns"] == ["two_year_recid"]
    assert roles["favourable"]["columns"] == ["0"] and "punitive" in roles["favourable"]["reason"]
    assert set(roles["sensitive"]["columns"]) == {"sex", "race", "age_cat"}
    assert roles["case_id"]["columns"] == ["id"]
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["audit", str(derived), "--config", str(config), "--no-store", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "two_year_recid" in html and "African-American" in html
    for secret in ("1947-04-18", "miguel hernandez", "kevon dixon"):  # birth dates, names
        assert secret not in html
    evidence = json.loads((out / "evidence.json").read_text())
    assert evidence["provenance"]["rows"] == 7_214
    # high risk is positive and unfavourable: nothing calls it favourable
    text = re.sub(r"<[^>]+>", " ", html).lower()
    assert "model decided favourably" not in text and "decided high risk favourably" not in text
    assert "the positive decision is unfavourable to the person" in text
    four_fifths = evidence["summary"]["race"]["four_fifths_rule"]
    assert four_fifths["metric"] == "negative_rate"  # the share labelled low risk
    low_risk = 1 - duckdb.sql(f"SELECT avg(high_risk) FROM '{derived}'").fetchall()[0][0]
    metrics = pd.read_csv(out / "metrics.csv")  # beside evidence.json, referenced there
    assert evidence["metrics"]["path"] == "metrics.csv"
    overall = metrics[metrics["group"] == "(all)"]
    rate = overall.loc[overall["metric"] == "negative_rate", "value"].iloc[0]
    assert rate == pytest.approx(low_risk)


def test_init_writes_a_config_audit_accepts_on_a_yes_no_log(tmp_path: Path) -> None:
    """A CSV of yes/no decisions with a sensitive column that has gaps: init writes the
    positive value as the audit reads the file, and keeps the gaps as a group."""
    rng = np.random.default_rng(3)
    n = 600
    frame = pd.DataFrame({
        "application_id": [f"a{i}" for i in range(n)],
        "model_decision": rng.choice(["yes", "no"], size=n),
        "final_decision": rng.choice(["yes", "no", None], size=n, p=[0.3, 0.3, 0.4]),
        "gender": rng.choice(["female", "male", None], size=n, p=[0.48, 0.48, 0.04]),
    })  # fmt: skip
    path = tmp_path / "yes_no.csv"
    frame.to_csv(path, index=False)
    config = tmp_path / "fairloop.toml"
    _init(path, config)
    options = tomllib.loads(config.read_text())
    assert options["positive"] == "yes" and options["missing_sensitive"] == "group"
    result = runner.invoke(app, ["audit", str(path), "--config", str(config), "--no-store"])
    assert result.exit_code == 0, result.output


@pytest.mark.needs_shared_data
@pytest.mark.parametrize(
    "name", ["adult/adult.data", "dressel_farid_2018/MTURK_NO_RACE.csv",
             "dressel_farid_2018/BROWARD_CLEAN.csv"],
)  # fmt: skip
@pytest.mark.slow
def test_init_writes_nothing_it_cannot_stand_behind(name: str, tmp_path: Path) -> None:
    """Adult and Dressel & Farid's files hold no model decision (or are wide tables): init
    says what to name and writes no config that audit would refuse."""
    path = COMPAS_CSV.parents[1] / name
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    config = tmp_path / "fairloop.toml"
    result = runner.invoke(app, ["init", str(path), "--config", str(config)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not config.exists()

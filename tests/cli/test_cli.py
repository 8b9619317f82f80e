from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.datasets import make_decision_log

runner = CliRunner()
#: The decision columns of the generated logs, as audit options.
DECISIONS = ["--prediction", "approved", "--label", "reviewer_decision"]


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("log") / "decisions.parquet"
    make_decision_log(n=20_000, seed=8).data.to_parquet(path)
    return path


def test_demo_writes_outputs(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--rows", "3000"])
    assert result.exit_code == 0, result.output
    for name in (
        "decisions.csv",
        "evidence.json",
        "ground_truth.json",
        "metrics.csv",
        "disparities.csv",
    ):
        assert (tmp_path / "demo" / name).exists()
    bundle = json.loads((tmp_path / "demo" / "evidence.json").read_text())
    assert bundle["provenance"]["rows"] == 3000
    assert "Audited 3,000 decisions" in result.output


def test_audit_with_flags(log_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "audit",
            str(log_file),
            *DECISIONS,
            "--sensitive",
            "sex,race,age_band",
            "--context",
            "region,channel",
            "--score",
            "score",
            "--reviewer",
            "reviewer_id",
            "--time",
            "decided_at",
            "--positive",
            "1",
            "--out",
            str(tmp_path / "audit"),
        ],
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads((tmp_path / "audit" / "evidence.json").read_text())
    assert bundle["provenance"]["columns"]["context"] == ["region", "channel"]
    metrics = pd.read_csv(tmp_path / "audit" / "metrics.csv")
    assert {"group", "metric", "value", "ci_low", "ci_high", "n", "status"} <= set(metrics.columns)


def test_config_file_and_flag_override(log_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "fairloop.toml"
    config.write_text(
        'prediction = "approved"\nlabel = "reviewer_decision"\nsensitive = ["sex", "race"]\n'
        'ci_method = "clopper-pearson"\nmin_group_size = 50\n'
    )
    result = runner.invoke(
        app,
        [
            "audit",
            str(log_file),
            "--config",
            str(config),
            "--sensitive",
            "sex",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads((tmp_path / "o" / "evidence.json").read_text())
    assert bundle["provenance"]["config"]["sensitive"] == ["sex"]  # the flag wins
    assert bundle["provenance"]["config"]["ci_method"] == "clopper-pearson"  # from the file
    assert bundle["provenance"]["config"]["min_group_size"] == 50


def test_bad_input_exits_2_without_traceback(log_file: Path) -> None:
    result = runner.invoke(
        app,
        [
            "audit",
            str(log_file),
            "--prediction",
            "aproved",
            "--label",
            "reviewer_decision",
            "--sensitive",
            "sex,rase",
        ],
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "Did you mean 'approved'?" in result.output and "Did you mean 'race'?" in result.output


def test_missing_required_option(log_file: Path) -> None:
    result = runner.invoke(
        app, ["audit", str(log_file), "--label", "reviewer_decision", "--sensitive", "sex"]
    )
    assert result.exit_code == 2 and "--prediction is required" in result.output


def test_bad_config_file(tmp_path: Path, log_file: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("prediction = \n")
    result = runner.invoke(app, ["audit", str(log_file), "--config", str(config)])
    assert result.exit_code == 2 and "not valid TOML" in result.output
    config.write_text('predicton = "approved"\n')
    result = runner.invoke(app, ["audit", str(log_file), "--config", str(config)])
    assert result.exit_code == 2 and "Did you mean 'prediction'?" in result.output


def test_help_documents_every_option() -> None:
    result = runner.invoke(app, ["audit", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    for option in (
        "--prediction",
        "--label",
        "--sensitive",
        "--context",
        "--score",
        "--reviewer",
        "--time",
        "--case-id",
        "--positive",
        "--values",
        "--reference",
        "--ci-method",
        "--confidence-level",
        "--min-group-size",
        "--min-denominator",
        "--suppress-below",
        "--missing-sensitive",
        "--metrics",
        "--config",
        "--out",
    ):
        assert option in result.output, option


def test_console_script_runs_with_no_traceback(tmp_path: Path) -> None:
    """The installed entry point, in a real process: bad input gives exit 2 and plain text."""
    missing = tmp_path / "nothing.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fairloop",
            "audit",
            str(missing),
            "--prediction",
            "p",
            "--label",
            "l",
            "--sensitive",
            "s",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("fairloop ")


def test_audit_prints_top_flags_and_writes_flags_csv(log_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "fairloop.toml"
    config.write_text(
        'prediction = "approved"\nlabel = "reviewer_decision"\nsensitive = ["sex", "race"]\n'
        'reviewer = "reviewer_id"\ncase_id = "case_id"\n\n[flags]\nmax_depth = 2\nfdr = 0.1\n\n'
        '[[policy]]\nmetric = "selection_rate"\nmeasure = "ratio"\nmin = 0.8\n'
    )
    result = runner.invoke(
        app,
        [
            "audit",
            str(log_file),
            "--config",
            str(config),
            "--min-effect",
            "0.04",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Flags:" in result.output and "Benjamini-Hochberg at q <= 0.1" in result.output
    bundle = json.loads((tmp_path / "o" / "evidence.json").read_text())
    assert bundle["tests"]["max_depth"] == 2 and bundle["tests"]["min_effect"] == 0.04
    assert [r["name"] for r in bundle["provenance"]["config"]["policy"]] == [
        "selection_rate ratio >= 0.8"
    ]
    assert (tmp_path / "o" / "flags.csv").exists()


def test_no_flags(log_file: Path) -> None:
    result = runner.invoke(
        app,
        [
            "audit",
            str(log_file),
            *DECISIONS,
            "--sensitive",
            "sex",
            "--no-flags",
        ],
    )
    assert result.exit_code == 0 and "Flags:" not in result.output


def test_bad_flag_options(log_file: Path) -> None:
    result = runner.invoke(
        app,
        [
            "audit",
            str(log_file),
            *DECISIONS,
            "--sensitive",
            "sex",
            "--fdr-method",
            "holm",
        ],
    )
    assert result.exit_code == 2 and "--fdr-method must be one of 'bh', 'by'" in result.output


@pytest.fixture(autouse=True)
def _store_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command's default review store lives in the test's folder, not the checkout."""
    monkeypatch.setenv("FAIRLOOP_DB", f"sqlite:///{tmp_path / 'fairloop.db'}")


def test_review_cycle_from_the_command_line(log_file: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'reviews.db'}"
    audit_args = [
        "audit",
        str(log_file),
        *DECISIONS,
        "--sensitive",
        "sex,race",
        "--reviewer",
        "reviewer_id",
        "--case-id",
        "case_id",
        "--db",
        db,
    ]
    first = runner.invoke(app, audit_args)
    assert first.exit_code == 0 and "recorded run-" in first.output
    listed = runner.invoke(app, ["review", "list", "--status", "open", "--db", db])
    assert listed.exit_code == 0
    assert "Next:" in listed.output and "open: a reviewer: decide" in listed.output
    flag_id = listed.output.splitlines()[1].split()[0]
    assert flag_id.startswith("fl-")
    decided = runner.invoke(
        app,
        [
            "review",
            "decide",
            flag_id,
            "--decision",
            "justified",
            "--rationale",
            "Documented business need.",
            "--reviewer",
            "ana",
            "--link",
            "https://tickets/1",
            "--db",
            db,
        ],
    )
    assert decided.exit_code == 0 and "is now justified" in decided.output
    shown = runner.invoke(app, ["review", "show", flag_id, "--db", db])
    assert "ana: justified. Documented business need." in shown.output
    assert "next: nobody until a later run reopens it" in shown.output
    assert "[justified]" in shown.output
    # a second run of the same data keeps the status
    runner.invoke(app, audit_args)
    again = runner.invoke(app, ["review", "list", "--db", db])
    assert any(
        line.startswith(flag_id) and "justified" in line for line in again.output.splitlines()
    )
    exported = runner.invoke(app, ["review", "export", "--format", "json", "--db", db])
    assert json.loads(exported.output)["events"][0]["flag_id"] == flag_id
    ok = runner.invoke(app, ["verify", "--db", db])
    assert ok.exit_code == 0 and ok.output.startswith("ok: 1 events and ")


def test_verify_names_the_tampered_event(log_file: Path, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "reviews.db"
    db = f"sqlite:///{path}"
    runner.invoke(
        app,
        [
            "audit",
            str(log_file),
            *DECISIONS,
            "--sensitive",
            "sex,race",
            "--db",
            db,
        ],
    )
    flag_id = runner.invoke(app, ["review", "list", "--db", db]).output.splitlines()[1].split()[0]
    for i in range(3):
        runner.invoke(
            app,
            [
                "review",
                "decide",
                flag_id,
                "--decision",
                "needs-data",
                "--rationale",
                f"note {i}",
                "--reviewer",
                "ana",
                "--db",
                db,
            ],
        )
    con = sqlite3.connect(path)
    seq, event_id = con.execute(
        "SELECT seq, event_id FROM fairloop_events ORDER BY seq"
    ).fetchall()[1]
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):  # the store refuses
        con.execute("UPDATE fairloop_events SET reviewer = 'mallory' WHERE seq = ?", (seq,))
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")  # whoever owns the file can drop the triggers
    con.execute("UPDATE fairloop_events SET reviewer = 'mallory' WHERE seq = ?", (seq,))
    con.commit()
    con.close()
    result = runner.invoke(app, ["verify", "--db", db])
    assert result.exit_code == 1 and event_id in result.output and "altered" in result.output
    assert "Traceback" not in result.output


def test_decide_without_rationale_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "review",
            "decide",
            "fl-x",
            "--decision",
            "confirmed",
            "--rationale",
            " ",
            "--reviewer",
            "ana",
        ],
    )
    assert result.exit_code == 2 and "rationale" in result.output


def test_review_commands_on_bad_stores(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    result = runner.invoke(app, ["review", "list", "--db", str(junk)])
    assert result.exit_code == 2 and "Cannot open the review store" in result.output
    result = runner.invoke(app, ["verify", "--db", str(tmp_path / "typo.db")])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert not (tmp_path / "typo.db").exists()
    for command in (["review", "list"], ["review", "show", "fl-x"], ["review", "export"],
                    ["review", "runs"], ["report", "--out", str(tmp_path / "r")]):  # fmt: skip
        result = runner.invoke(app, [*command, "--db", str(tmp_path / "typo.db")])
        assert result.exit_code == 2 and "does not exist" in result.output, command
        assert not (tmp_path / "typo.db").exists(), command
    fairloop.ReviewStore(tmp_path / "ok.db").close()
    result = runner.invoke(
        app, ["review", "export", "--db", str(tmp_path / "ok.db"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "Cannot write --out" in result.output
    assert "Traceback" not in result.output


def test_review_runs_lists_the_recorded_runs(log_file: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    empty = runner.invoke(app, ["review", "runs", "--db", db])
    assert empty.exit_code == 2  # no store yet: a read-only command creates none
    fairloop.ReviewStore(db).close()
    assert "No run recorded yet" in runner.invoke(app, ["review", "runs", "--db", db]).output
    for _ in range(2):
        audit = runner.invoke(app, ["audit", str(log_file), *DECISIONS, "--sensitive", "sex",
                                    "--db", db])  # fmt: skip
        assert audit.exit_code == 0, audit.output
    result = runner.invoke(app, ["review", "runs", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    store = fairloop.ReviewStore(db)
    try:
        assert [r["run_id"] for r in runs] == list(store.runs()["run_id"])
        assert len(runs) == 2 and all(r["rows"] == 20_000 for r in runs)
        assert runs[0]["flags"] == len(store.flags(run_id=runs[0]["run_id"]))
    finally:
        store.close()


def test_help_keeps_bracketed_defaults() -> None:
    result = runner.invoke(app, ["audit", "--help"], env={"COLUMNS": "200"})
    assert "[default: largest group]" in result.output
    result = runner.invoke(app, ["review", "list", "--help"], env={"COLUMNS": "200"})
    assert "[review] table" in result.output


def test_a_name_is_bound_to_an_account_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    bound = runner.invoke(app, ["review", "bind", "ana", "os:ana-account", "--db", db, "--json"])
    assert bound.exit_code == 0, bound.output
    names = json.loads(bound.stdout)["reviewers"]
    assert [(n["name"], n["principal"]) for n in names] == [("ana", "os:ana-account")]
    refused = runner.invoke(app, ["review", "bind", "\u0430na", "os:x", "--db", db])
    assert refused.exit_code == 2 and "scripts" in refused.output

"""Bad environments and malformed inputs: exit 2, one clear message, a JSON error with --json.

Never a traceback, never the "finding" exit code 1; no partial file left looking complete.
And the same values give the same groups in every format (blank, whitespace, missing).
"""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.datasets import make_decision_log
from fairloop.exceptions import DecisionLogError

runner = CliRunner()
ROLES = ["--prediction", "approved", "--label", "reviewer_decision", "--sensitive", "sex,race"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_decision_log(n=4_000, seed=2).data.drop(columns=["decided_at"])


@pytest.fixture(scope="module")
def parquet(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("log") / "log.parquet"
    frame.to_parquet(path)
    return path


def _bad(result: Any, *words: str) -> dict[str, Any]:
    """Exit 2, no traceback; with --json, the error document on stdout."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    document = json.loads(result.stdout.strip().splitlines()[-1])
    assert document["exit_code"] == 2
    for word in words:
        assert word in document["error"], document["error"]
    return document


def test_a_config_that_is_not_utf8_is_bad_input(parquet: Path, tmp_path: Path) -> None:
    config = tmp_path / "fairloop.toml"
    config.write_bytes(b'sensitive = ["\xff"]\n')
    _bad(runner.invoke(app, ["audit", str(parquet), "--config", str(config), "--no-store",
                             "--json"]), "not UTF-8", "--config")  # fmt: skip


def test_a_broken_template_is_bad_input(parquet: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.html.j2").write_text("{% if %}", encoding="utf-8")
    out = tmp_path / "out"
    _bad(runner.invoke(app, ["audit", str(parquet), *ROLES, "--no-store", "--out", str(out),
                             "--template-dir", str(templates), "--json"]),
         "syntax error", "--template-dir")  # fmt: skip
    assert not (out / "report.html").exists()
    assert not list(out.glob(".*partial"))


def test_a_full_disk_leaves_no_file_that_looks_complete(
    parquet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fairloop import _spreadsheet

    def full(frame: pd.DataFrame, path: Path) -> None:
        Path(path).write_text("half a tab", encoding="utf-8")  # some bytes, then the disk fills
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(_spreadsheet, "safe_csv", full)
    out = tmp_path / "out"
    _bad(runner.invoke(app, ["audit", str(parquet), *ROLES, "--no-store", "--out", str(out),
                             "--json"]), "disk is full")  # fmt: skip
    # the tables come first, the bundle that references them only once they are whole
    assert not (out / "evidence.json").exists()
    assert not (out / "metrics.csv").exists() and not list(out.glob(".*partial"))


def test_a_store_that_cannot_be_written_is_bad_input(
    parquet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert runner.invoke(app, ["audit", str(parquet), *ROLES, "--db", db, "--min-effect", "0"])
    listed = runner.invoke(app, ["review", "list", "--db", db])
    flag_id = listed.output.splitlines()[1].split()[0]
    from fairloop.store import ReviewStore

    def read_only(self: Any, *args: Any, **kwargs: Any) -> str:
        import sqlite3

        raise sa.exc.OperationalError(
            "INSERT", {}, sqlite3.OperationalError("attempt to write a readonly database")
        )

    monkeypatch.setattr(ReviewStore, "decide", read_only)
    _bad(runner.invoke(app, ["review", "decide", flag_id, "--decision", "confirmed",
                             "--rationale", "x", "--reviewer", "ana", "--db", db, "--json"]),
         "read-only for this account")  # fmt: skip


def test_a_nested_column_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({
        "sex": [{"a": 1}, {"a": 2}, {"a": 1}], "race": [[1], [2], [1, 2]],
        "approved": [1, 0, 1], "reviewer_decision": [1, 0, 0],
    }), path)  # fmt: skip
    document = _bad(runner.invoke(app, ["audit", str(path), *ROLES, "--no-store", "--json"]),
                    "lists, structs or maps")  # fmt: skip
    assert "'sex'" in document["error"] and "'race'" in document["error"]


def test_suppressing_every_group_still_writes_the_report(parquet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["audit", str(parquet), *ROLES, "--no-store", "--out", str(out),
                                 "--suppress-below", "1000000"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "suppressed" in (out / "report.html").read_text(encoding="utf-8")


def test_a_folder_of_parquet_and_csv_files_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    frame.iloc[:2000].to_parquet(folder / "a.parquet")
    frame.iloc[2000:].to_csv(folder / "b.csv", index=False)
    (folder / "README.txt").write_text("notes", encoding="utf-8")
    _bad(runner.invoke(app, ["audit", str(folder), *ROLES, "--no-store", "--json"]),
         "both Parquet (1) and CSV (1)")  # fmt: skip
    # a folder of CSV files is read whole (a note beside them is not data)
    (folder / "a.parquet").unlink()
    frame.iloc[:2000].to_csv(folder / "a.csv", index=False)
    result = fairloop.audit(str(folder), prediction="approved", label="reviewer_decision",
                            sensitive=["sex", "race"])  # fmt: skip
    assert result.cube.n_rows == len(frame)


def test_two_csv_columns_with_one_name_are_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    doubled = frame[["sex", "race", "approved", "reviewer_decision"]].copy()
    doubled.insert(1, "sex_again", doubled["sex"].iloc[::-1].to_numpy())
    doubled.rename(columns={"sex_again": "sex"}).to_csv(path, index=False)
    _bad(runner.invoke(app, ["audit", str(path), *ROLES, "--no-store", "--json"]),
         "'sex' (sensitive) is named more than once")  # fmt: skip
    # a repeated column no role names is no problem (ProPublica's COMPAS file has two)
    loose = ["--prediction", "approved", "--label", "reviewer_decision", "--sensitive", "race"]
    assert runner.invoke(app, ["audit", str(path), *loose, "--no-store"]).exit_code in (0, 1)


def test_a_literal_missing_label_is_refused(frame: pd.DataFrame) -> None:
    data = frame.copy()
    data["race"] = data["race"].astype(object)
    data.loc[data.index[:10], "race"] = "(missing)"
    with pytest.raises(DecisionLogError, match="how fairloop names missing values"):
        fairloop.audit(data, prediction="approved", label="reviewer_decision",
                       sensitive=["sex", "race"], missing_sensitive="group")  # fmt: skip


def test_an_infinite_score_is_refused_not_summed(frame: pd.DataFrame) -> None:
    data = frame.copy()
    data.loc[data.index[0], "score"] = np.inf
    with pytest.raises(DecisionLogError, match="not numbers"):
        fairloop.audit(data, prediction="approved", label="reviewer_decision",
                       sensitive=["sex"], score="score")  # fmt: skip


def _groups(result: fairloop.AuditResult, attribute: str) -> dict[str, int]:
    rows = result.metrics[(result.metrics["attribute_set"] == attribute)
                          & (result.metrics["metric"] == "selection_rate")]  # fmt: skip
    if "truth" in rows:
        rows = rows[rows["truth"] == "human"]
    return dict(zip(rows["group"], rows["n"], strict=True))


def test_blank_and_padded_values_give_the_same_groups_in_every_format(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    data = frame[["sex", "race", "approved", "reviewer_decision"]].copy()
    data["race"] = data["race"].astype(object)
    data.loc[data.index[:40], "race"] = ""  # empty: missing
    data.loc[data.index[40:80], "race"] = "   "  # blank: missing
    white = data.index[80:200]
    data.loc[white, "race"] = " " + data.loc[white, "race"].astype(str) + " "  # padded
    csv, parquet = tmp_path / "log.csv", tmp_path / "log.parquet"
    data.to_csv(csv, index=False)
    data.to_parquet(parquet)
    roles: dict[str, Any] = {
        "prediction": "approved", "label": "reviewer_decision", "sensitive": ["sex", "race"],
        "missing_sensitive": "group",
    }  # fmt: skip
    seen = [_groups(fairloop.audit(source, **roles), "race")
            for source in (data, str(csv), str(parquet), pa.Table.from_pandas(data))]  # fmt: skip
    assert all(s == seen[0] for s in seen[1:])
    assert seen[0]["race=(missing)"] == 80
    assert not any(g.startswith("race= ") or g.endswith(" ") for g in seen[0])

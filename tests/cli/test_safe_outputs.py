"""What fairloop writes is safe to open: no spreadsheet formulas, no live non-web links.

OWASP's CSV injection guidance: a cell beginning with = + - @, a tab or a carriage return
is read as a formula, so such text cells are written with a leading single quote.
Checked here on the files themselves, read back with the csv module.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.controls import load_catalogue
from fairloop.datasets import make_decision_log
from fairloop.exceptions import ConfigError

runner = CliRunner()
FORMULAS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = {"female": '=HYPERLINK("https://evil.example","x")', "male": "@SUM(1+1)"}
REVIEWER = "-2+3+cmd|' /C calc'!A0"


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _formula_like(cell: str) -> bool:
    if not cell.startswith(FORMULAS):
        return False
    try:  # a number written as a number is not a formula
        float(cell)
    except ValueError:
        return True
    return False


@pytest.fixture(scope="module")
def hostile_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = make_decision_log(n=20_000, seed=8).data
    data["sex"] = data["sex"].astype(object).replace(HOSTILE)
    data["reviewer_id"] = (
        data["reviewer_id"]
        .astype(object)
        .where(data["reviewer_id"] != data["reviewer_id"].dropna().iloc[0], REVIEWER)
    )
    path = tmp_path_factory.mktemp("log") / "decisions.csv"
    data.drop(columns=["decided_at"]).to_csv(path, index=False)
    return path


def test_every_csv_the_audit_writes_is_neutralised(hostile_log: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'reviews.db'}"
    out = tmp_path / "out"
    result = runner.invoke(app, [
        "audit", str(hostile_log), "--prediction", "approved", "--label", "reviewer_decision",
        "--sensitive", "sex,race", "--reviewer", "reviewer_id", "--case-id", "case_id",
        "--out", str(out), "--db", db, "--min-effect", "0.01",
    ])  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    seen = set()
    for name in ("metrics.csv", "disparities.csv", "flags.csv"):
        cells = _cells(out / name)
        assert not [c for c in cells if _formula_like(c)], name
        seen.update(cells)
    # the hostile values are there, inside labels (sex=...), never starting a cell
    assert any('=HYPERLINK("https://evil.example","x")' in c for c in seen)
    assert any(REVIEWER in c for c in seen)
    assert any(c.startswith("-") and c[1:].replace(".", "", 1).isdigit() for c in seen), (
        "negative figures stay numbers"
    )
    # the review export: a reviewer's hostile name and rationale
    listed = runner.invoke(app, ["review", "list", "--db", db])
    flag_id = listed.output.splitlines()[1].split()[0]
    decided = runner.invoke(app, [
        "review", "decide", flag_id, "--decision", "justified", "--rationale", "=1+1 business need",
        "--reviewer", "@ana", "--db", db,
    ])  # fmt: skip
    assert decided.exit_code == 0, decided.output
    export = tmp_path / "export.csv"
    exported = runner.invoke(
        app, ["review", "export", "--format", "csv", "--out", str(export), "--db", db]
    )
    assert exported.exit_code == 0, exported.output
    cells = _cells(export)
    assert "'=1+1 business need" in cells and "'@ana" in cells
    assert not [c for c in cells if _formula_like(c)]


def test_a_cell_in_the_middle_of_text_is_left_alone() -> None:
    from fairloop._spreadsheet import safe_csv

    text = safe_csv(
        pd.DataFrame({"g": ["a=b", "x+y", "-1e-3", "+7", "\tx"], "v": [-1, 2, 3, 4, 5]})
    )
    assert text is not None
    rows = list(csv.reader(text.splitlines()))
    assert rows[1:] == [["a=b", "-1"], ["x+y", "2"], ["-1e-3", "3"], ["+7", "4"], ["'\tx", "5"]]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<b>x</b>", " https://x.example", "ftp://x/y"]
)
def test_a_catalogue_link_must_be_a_web_address(url: str, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(
        '[catalogue]\nid = "mine"\nname = "Mine"\n\n[[controls]]\nid = "C1"\ntitle = "t"\n'
        f'summary = "s"\ncitation = "c"\nsource_url = "{url}"\nevidence = ["flags"]\n'
        'decided_by = "evidence"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="not a web address"):
        load_catalogue(path)


def test_a_review_link_must_be_a_web_address(tmp_path: Path) -> None:
    log = make_decision_log(n=20_000, seed=8)
    result = fairloop.audit(log.data, **log.roles)
    store = fairloop.ReviewStore(f"sqlite:///{tmp_path / 'r.db'}")
    store.record_run(result)
    flag_id = str(store.flags()["flag_id"].iloc[0])
    with pytest.raises(ConfigError, match="not a web address"):
        store.decide(flag_id, "justified", rationale="why", reviewer="ana",
                     links=["javascript:alert(document.cookie)"])  # fmt: skip
    store.decide(flag_id, "justified", rationale="why", reviewer="ana",
                 links=["https://tickets.example/1"])  # fmt: skip

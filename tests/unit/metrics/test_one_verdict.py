"""One definition per verdict, the same in the CLI, the report, the summary and evidence."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.datasets import make_decision_log

runner = CliRunner()


def _log_with_a_lone_group() -> pd.DataFrame:
    """Two large groups and a group of one person, who was not selected."""
    rng = np.random.default_rng(4)
    n = 600
    frame = pd.DataFrame({
        "race": rng.choice(["a", "b"], size=n),
        "pred": (rng.random(n) < 0.5).astype(int),
        "final": (rng.random(n) < 0.5).astype(int),
    })  # fmt: skip
    lone = pd.DataFrame({"race": ["c"], "pred": [0], "final": [1]})
    return pd.concat([frame, lone], ignore_index=True)


def test_a_figure_resting_on_a_lone_group_is_marked() -> None:
    frame = _log_with_a_lone_group()
    result = fairloop.audit(frame, prediction="pred", label="final", sensitive="race")
    figures = result.summary["race"]
    # fairlearn's figure (min / max over the groups) is kept: the lone person's rate is 0
    rates = frame.groupby("race")["pred"].mean()
    assert figures["demographic_parity_ratio"] == rates.min() / rates.max() == 0.0
    assert "demographic_parity_ratio" in figures["on_insufficient_groups"]
    # ... the four-fifths check leaves the lone group out, and says so
    assert figures["four_fifths_rule"]["not_assessed"] == ["race=c"]


def test_the_command_line_marks_it(tmp_path) -> None:
    path = tmp_path / "lone.csv"
    _log_with_a_lone_group().to_csv(path, index=False)
    args = ["audit", str(path), "--prediction", "pred", "--label", "final", "--sensitive", "race"]
    result = runner.invoke(app, [*args, "--no-store"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("race "))
    assert re.search(r"0\.000\*", row), row
    assert "* rests on a group with too few cases" in result.output


def test_cli_report_and_evidence_give_the_same_four_fifths_verdicts() -> None:
    log = make_decision_log(n=8_000, seed=5)
    result = fairloop.audit(log.data, **log.roles)
    evidence = json.loads(result.to_json())["summary"]
    failing = sorted(s for s, f in evidence.items() if f["four_fifths_rule"]["verdict"] == "fail")
    assert failing == sorted(
        s for s, f in result.summary.items() if f["four_fifths_rule"]["verdict"] == "fail"
    )
    html = result.to_html()
    tile = re.search(r'<span class="big">(\d+)</span> attribute set\(s\) failing the four-fifths',
                     html)  # fmt: skip
    assert tile is not None and int(tile.group(1)) == len(failing)


def test_policy_verdicts_exist_with_the_flag_search_off() -> None:
    log = make_decision_log(n=4_000, seed=6)
    on = fairloop.audit(log.data, **log.roles)
    off = fairloop.audit(log.data, **log.roles, flags={"enabled": False})
    assert len(off.verdicts) and off.flags.empty
    pd.testing.assert_frame_equal(off.verdicts, on.verdicts)

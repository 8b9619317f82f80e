"""Every option, fed a wrong value, in Python, in fairloop.toml and on the command line.

The wrong values are written here by hand, one list per declared option; the first test
checks the list covers every option the code declares, so a new option needs its own.
Each wrong value must give one ConfigError (exit 2 on the command line) whose one-line
message names the option as that interface writes it: ``min_group_size=`` in Python,
``'min_group_size' in fairloop.toml`` in the file, ``--min-group-size`` as a flag.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.config import TABLES
from fairloop.exceptions import ConfigError

runner = CliRunner()

ROLES: dict[str, Any] = {"prediction": "p", "label": "l", "sensitive": ["s"]}
#: A valid policy rule and attestation that the wrong values of their keys are put into.
RULE: dict[str, Any] = {"metric": "selection_rate", "measure": "ratio", "min": 0.8}
ATTESTATION = {"control": "Art. 14", "by": "Ana, DPO", "date": "2026-01-05", "statement": "x"}

#: Wrong values of every option: wrong types, quoted numbers and booleans, out of range.
WRONG: dict[str, list[Any]] = {
    "prediction": [5, ""],
    "label": [5, ""],
    "sensitive": [5, [1], ""],
    "context": [5, [1]],
    "score": [5, ""],
    "score_bins": [1, 1001, "50", 2.5],
    "strata_bands": [0, "10"],
    "review_probability": [5, ""],
    "review_reason": [5, ""],
    "outcome": [5, ""],
    "outcome_positive": [[1], {"a": 1}],
    "estimator": ["weighted", 1],
    "reviewer": [5, ""],
    "time": [5, ""],
    "case_id": [5, ""],
    "positive": [[1], {"a": 1}],
    "favourable": [[0], {"a": 1}],
    "values": [[1], 5],
    "reference": [5, "s=a"],
    "ci_method": ["wald", 1],
    "confidence_level": ["0.95", 1.5, 0, True],
    "min_group_size": ["30", -1, 2.5, True],
    "max_intersection": ["2", 0, 1.5, True],
    "min_denominator": ["10", -1, 2.5],
    "suppress_below": ["5", -1, True],
    "missing_sensitive": ["drop", 1],
    "metrics": [5, ["nope"], []],
    "flags": [5, "x"],
    "policy": [5, {"a": 1}, ["x"]],
    "review": [5, "x"],
    "window": ["fortnight", 7],
    "system": [5],
    "safeguards": [5, {"nope": "x"}, {"deletion": 5}],
    "attestations": [5, [{"control": "x"}], ["x"]],
    "catalogues": [5, [1]],
    "flags.enabled": ["yes", 1],
    "flags.max_depth": ["3", 0, 1.5],
    "flags.min_support": ["30", 0],
    "flags.min_denominator": ["5", -1],
    "flags.metrics": [5, ["nope"], []],
    "flags.include_context": ["true", 1],
    "flags.fdr": ["0.05", 0, 1, True],
    "flags.fdr_method": ["holm", 1],
    "flags.min_effect": ["0.1", -0.1, 1],
    "flags.oversight": ["no"],
    "flags.outcomes": ["no"],
    "flags.redundancy_alpha": ["0.05", 1.5],
    "flags.sample_size": ["10", -1],
    "policy.metric": ["nope", 5],
    "policy.measure": ["share", 5],
    "policy.min": ["0.8", True],
    "policy.max": ["1.2", False],
    "policy.compare": ["everyone", 1],
    "policy.name": [5],
    "review.four_eyes": ["yes", 1],
    "review.reopen_tolerance": ["0.1", -1],
    "plan": [5, "x"],
    "plan.budget": ["0.2", 0, 1.5],
    "plan.cases": ["500", 0],
    "plan.per": ["fortnight", 3],
    "plan.floor": ["0.1", -0.1, 2],
    "plan.gap": ["0.1", 0, 1],
    "plan.power": ["0.8", 0, 1],
    "plan.alpha": ["0.05", 0, 1],
    "plan.metrics": ["nope", [], ["selection_rate"]],
    "plan.depth": ["1", 0],
    "plan.by": [3],
    "plan.quality_share": ["0.5", 0, 2],
    "plan.prior_cases": ["10", -1],
    "plan.draws": ["2000", 10],
    "system.name": [5],
    "system.owner": [5],
    "system.intended_purpose": [5],
    "system.risk_category": [5],
    "system.version": [5],
    "attestations.control": [5, ""],
    "attestations.by": [5, ""],
    "attestations.date": [5, ""],
    "attestations.statement": [5, ""],
}
CASES = [(key, value) for key, values in WRONG.items() for value in values]
LISTS = {"policy": RULE, "attestations": ATTESTATION}


def _options(key: str, value: Any) -> dict[str, Any]:
    """The valid roles with ``value`` put at ``key`` (into a rule for list tables)."""
    table, _, name = key.rpartition(".")
    if not table:
        return {**ROLES, key: value}
    if table in LISTS:
        return {**ROLES, table: [{**LISTS[table], name: value}]}
    return {**ROLES, table: {name: value}}


def _python_name(key: str) -> str:
    table, _, name = key.rpartition(".")
    if not table:
        return f"{key}="
    return f"{name}= in {table}[0]" if table in LISTS else f"{name}= in {table}="


def _toml_name(key: str) -> str:
    table, _, name = key.rpartition(".")
    if not table:
        return f"'{key}' in fairloop.toml"
    if table in LISTS:
        return f"'{name}' in [[{table}]] table 1"
    return f"'{name}' in the [{table}] table"


def _toml(value: Any) -> str:
    """A value as TOML (inline tables and arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"


def _declared() -> set[str]:
    keys = set()
    for table, cls in TABLES.items():
        for name in cls.__dataclass_fields__:
            keys.add(f"{table}.{name}" if table else name)
    return keys


def test_every_declared_option_has_wrong_values() -> None:
    assert set(WRONG) == _declared()


@pytest.mark.parametrize(("key", "value"), CASES, ids=[f"{k}={v!r}" for k, v in CASES])
def test_python_names_the_keyword(key: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        fairloop.AuditConfig(**_options(key, value))
    message = str(caught.value)
    assert "\n" not in message
    table = key.rpartition(".")[0]
    assert _python_name(key) in message or (
        # a whole table or list refused: its own keyword, or the first bad entry of a list
        not table and (f"{key}=" in message or f"{key}[0]" in message)
    ), message


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("options") / "log.csv"
    pd.DataFrame({"p": [1, 0] * 30, "l": [1, 1, 0] * 20, "s": ["a", "b", "c"] * 20}).to_csv(
        path, index=False
    )
    return path


@pytest.mark.parametrize(("key", "value"), CASES, ids=[f"{k}={v!r}" for k, v in CASES])
def test_fairloop_toml_names_the_key(key: str, value: Any, log_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "fairloop.toml"
    config.write_text("".join(f"{k} = {_toml(v)}\n" for k, v in _options(key, value).items()))
    result = runner.invoke(app, ["audit", str(log_file), "--config", str(config), "--no-store"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    table = key.rpartition(".")[0]
    whole = (f"'{key}' in fairloop.toml", f"[[{key}]] table 1", f"in the [{key}] table")
    assert _toml_name(key) in lines[0] or (not table and any(w in lines[0] for w in whole)), lines[
        0
    ]


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--min-group-size", "-1"),
        ("--min-group-size", "many"),
        ("--min-denominator", "-5"),
        ("--suppress-below", "-1"),
        ("--confidence-level", "1.5"),
        ("--confidence-level", "high"),
        ("--ci-method", "wald"),
        ("--missing-sensitive", "drop"),
        ("--window", "fortnight"),
        ("--metrics", "nope"),
        ("--max-depth", "0"),
        ("--min-support", "0"),
        ("--fdr", "1"),
        ("--fdr-method", "holm"),
        ("--min-effect", "-0.1"),
        ("--score", ""),
        ("--values", "1"),
    ],
)
def test_command_line_names_the_flag(flag: str, value: str, log_file: Path) -> None:
    args = ["audit", str(log_file), "--prediction", "p", "--label", "l", "--sensitive", "s"]
    result = runner.invoke(app, [*args, flag, value, "--no-store"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert flag in result.output or f"'{flag}'" in result.output, result.output


def test_a_flag_overrides_the_file_and_errors_name_where_the_value_came_from(
    log_file: Path, tmp_path: Path
) -> None:
    config = tmp_path / "fairloop.toml"
    config.write_text('prediction = "p"\nlabel = "l"\nsensitive = "s"\nmin_group_size = "30"\n')
    from_file = runner.invoke(app, ["audit", str(log_file), "-c", str(config), "--no-store"])
    assert from_file.exit_code == 2
    assert "'min_group_size' in fairloop.toml must be a whole number >= 0" in from_file.output
    assert "Write it without quotes: 30." in from_file.output
    fixed = runner.invoke(
        app, ["audit", str(log_file), "-c", str(config), "--min-group-size", "5", "--no-store"]
    )
    assert fixed.exit_code == 0, fixed.output


@pytest.mark.parametrize("table", ["", "flags", "review", "system"])
def test_unknown_keys_are_refused_everywhere(table: str, log_file: Path, tmp_path: Path) -> None:
    options = {**ROLES, "colour": 1} if not table else {**ROLES, table: {"colour": 1}}
    with pytest.raises(ConfigError, match="Unknown option colour="):
        fairloop.AuditConfig(**options)
    config = tmp_path / "fairloop.toml"
    config.write_text("".join(f"{k} = {_toml(v)}\n" for k, v in options.items()))
    result = runner.invoke(app, ["audit", str(log_file), "--config", str(config), "--no-store"])
    assert result.exit_code == 2 and "Unknown option 'colour'" in result.output


def test_a_log_problem_names_the_option_of_the_interface_in_use(tmp_path: Path) -> None:
    path = tmp_path / "three.csv"
    frame = pd.DataFrame({"p": ["yes", "no", "maybe"] * 20, "l": ["yes", "no"] * 30,
                          "s": ["a", "b", "c"] * 20})  # fmt: skip
    frame.to_csv(path, index=False)
    with pytest.raises(fairloop.exceptions.DecisionLogError) as caught:
        fairloop.audit(frame, prediction="p", label="l", sensitive="s", positive="yes")
    assert "values=" in str(caught.value) and "--values" not in str(caught.value)
    args = ["audit", str(path), "--prediction", "p", "--label", "l", "--sensitive", "s"]
    result = runner.invoke(app, [*args, "--positive", "yes", "--no-store"])
    assert result.exit_code == 2 and "--values" in result.output
    assert "values=" not in result.output

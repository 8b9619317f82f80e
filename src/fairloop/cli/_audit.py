"""``fairloop audit``: audit a decision log file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from fairloop.cli._common import (
    audit_document,
    check_severity,
    finish,
    print_flags,
    print_summary,
)
from fairloop.cli._output import FailOnOption, JsonOption, Output, QuietOption
from fairloop.config import TABLES, AuditConfig, help_text, load_config
from fairloop.exceptions import ConfigError

__all__ = ["audit_command"]


ENGINES = ("duckdb", "spark")


def locate(data: str, *, engine: str, table: str | None, query: str | None) -> Any:
    """What to audit: a path (DuckDB), a Spark DataFrame, or a table in a database."""
    from fairloop.decision_log import DatabaseTable
    from fairloop.decision_log._spark import spark_frame

    if engine not in ENGINES:
        raise ConfigError(
            f"--engine must be one of {', '.join(ENGINES)}. Got {engine!r}.", option="engine"
        )
    if engine == "spark":  # paths such as s3a://... are Spark's to read
        if table is not None or query is not None:
            raise ConfigError(
                "--table and --query read from a SQL database; with --engine spark give the "
                "table's name (or a path) as DATA.",
                option="engine",
            )
        return spark_frame(data)
    if table is not None or query is not None or "://" in data:
        if "://" not in data:
            raise ConfigError(
                f"--table and --query read from a database: give its SQLAlchemy URL (e.g. "
                f"postgresql+psycopg://user@host/db) instead of {data!r}.",
                option="table",
            )
        if (table is None) == (query is None):
            raise ConfigError(
                "Name the rows of a database log with exactly one of --table (a table or "
                "view) or --query (a SELECT).",
                option="table",
            )
        return DatabaseTable(data, table=table, query=query)
    return data


def _help(key: str) -> str:
    """An option's help as declared (``flags.x`` for an option of the [flags] table)."""
    table, _, name = key.rpartition(".")
    return help_text(TABLES[table], name)


def _keys(options: dict[str, Any]) -> set[str]:
    """The dotted keys a config file sets: top-level keys and those of its tables."""
    keys = set(options)
    for name, value in options.items():
        if isinstance(value, dict):
            keys |= {f"{name}.{key}" for key in value}
    return keys


def _whole_or_all(text: str | None) -> int | str | None:
    """``--max-intersection``: a whole number, or ``all``; anything else for the check."""
    if text is None:
        return None
    return int(text) if text.strip().isdigit() else text


def _reference(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ConfigError(
                f"--reference takes attribute=value pairs separated by commas. Got {part!r}. "
                "Example: --reference race=White,sex=male",
                option="reference",
            )
        key, value = part.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def audit_command(
    data: str = typer.Argument(
        ...,
        help="Decision log: a CSV or Parquet file, a folder or glob of Parquet files; with "
        "--engine spark also a table name; or a database URL with --table or --query.",
    ),
    engine: str = typer.Option(
        "duckdb",
        "--engine",
        help="Who runs the grouped pass over files: duckdb (in this process) or spark "
        "(pip install 'fairloop[spark]'; $FAIRLOOP_SPARK_MASTER or local[*]).",
    ),
    table: str | None = typer.Option(
        None, "--table", help="With a database URL: the table (or schema.table) of the log."
    ),
    query: str | None = typer.Option(
        None, "--query", help="With a database URL: a SELECT whose rows are the log."
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="fairloop.toml with any of these options; flags override it."
    ),
    prediction: str | None = typer.Option(None, help=_help("prediction")),
    label: str | None = typer.Option(None, help=_help("label")),
    sensitive: str | None = typer.Option(None, help=_help("sensitive")),
    context: str | None = typer.Option(None, help=_help("context")),
    score: str | None = typer.Option(None, help=_help("score")),
    score_bins: int | None = typer.Option(None, "--score-bins", help=_help("score_bins")),
    strata_bands: int | None = typer.Option(None, "--strata-bands", help=_help("strata_bands")),
    review_probability: str | None = typer.Option(
        None, "--review-probability", help=_help("review_probability")
    ),
    review_reason: str | None = typer.Option(None, "--review-reason", help=_help("review_reason")),
    outcome: str | None = typer.Option(None, help=_help("outcome")),
    outcome_positive: str | None = typer.Option(
        None, "--outcome-positive", help=_help("outcome_positive")
    ),
    estimator: str | None = typer.Option(None, help=_help("estimator")),
    reviewer: str | None = typer.Option(None, help=_help("reviewer")),
    time: str | None = typer.Option(None, help=_help("time")),
    case_id: str | None = typer.Option(None, "--case-id", help=_help("case_id")),
    positive: str | None = typer.Option(None, help=_help("positive")),
    values: str | None = typer.Option(None, help=_help("values")),
    reference: str | None = typer.Option(
        None, help="E.g. race=White,sex=male. " + _help("reference")
    ),
    ci_method: str | None = typer.Option(None, "--ci-method", help=_help("ci_method")),
    confidence_level: float | None = typer.Option(
        None, "--confidence-level", help=_help("confidence_level")
    ),
    max_intersection: str | None = typer.Option(
        None, "--max-intersection", help=_help("max_intersection")
    ),
    min_group_size: int | None = typer.Option(
        None, "--min-group-size", help=_help("min_group_size")
    ),
    min_denominator: int | None = typer.Option(
        None, "--min-denominator", help=_help("min_denominator")
    ),
    suppress_below: int | None = typer.Option(
        None, "--suppress-below", help=_help("suppress_below")
    ),
    missing_sensitive: str | None = typer.Option(
        None, "--missing-sensitive", help=_help("missing_sensitive")
    ),
    metrics: str | None = typer.Option(None, help=_help("metrics")),
    max_depth: int | None = typer.Option(None, "--max-depth", help=_help("flags.max_depth")),
    min_support: int | None = typer.Option(None, "--min-support", help=_help("flags.min_support")),
    include_context: bool | None = typer.Option(
        None, "--include-context/--sensitive-only", help=_help("flags.include_context")
    ),
    fdr: float | None = typer.Option(None, help=_help("flags.fdr")),
    fdr_method: str | None = typer.Option(None, "--fdr-method", help=_help("flags.fdr_method")),
    min_effect: float | None = typer.Option(None, "--min-effect", help=_help("flags.min_effect")),
    search: bool | None = typer.Option(None, "--flags/--no-flags", help=_help("flags.enabled")),
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="FAIRLOOP_DB",
        help="Review store to record the run in [default: $FAIRLOOP_DB or fairloop.db].",
    ),
    store: bool = typer.Option(True, "--store/--no-store", help="Record the run in the store."),
    accumulate: bool = typer.Option(
        False,
        "--accumulate",
        help="Add this log's time windows to those earlier audits of the same series stored "
        "(no old row is read); the audit and report cover them all.",
    ),
    replace_windows: bool = typer.Option(
        False,
        "--replace-windows",
        help="With --accumulate: where this log has rows in a stored window, use its counts.",
    ),
    window: str | None = typer.Option(None, help=_help("window")),
    out_dir: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Folder for report.html, evidence.json, metrics.csv, disparities.csv, flags.csv.",
    ),
    template_dir: Path | None = typer.Option(
        None, "--template-dir", help="Folder of report templates overriding the shipped ones."
    ),
    fail_on: FailOnOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Audit a decision log: per-group metrics and disparities, each with its n and interval.

    Exit codes: 0 done; 1 an unsettled flag at or above --fail-on; 2 bad input.
    """
    from fairloop._audit import Audit
    from fairloop.store import ReviewStore

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        check_severity(fail_on)  # before the work, not after it
        options: dict[str, Any] = load_config(config) if config is not None else {}
        flags: dict[str, Any] = {
            "prediction": prediction, "label": label, "sensitive": sensitive, "context": context,
            "score": score, "reviewer": reviewer, "time": time, "case_id": case_id,
            "score_bins": score_bins, "strata_bands": strata_bands,
            "review_probability": review_probability, "review_reason": review_reason,
            "outcome": outcome, "outcome_positive": outcome_positive, "estimator": estimator,
            "positive": positive, "values": values, "ci_method": ci_method,
            "confidence_level": confidence_level, "min_group_size": min_group_size,
            "max_intersection": _whole_or_all(max_intersection),
            "min_denominator": min_denominator, "suppress_below": suppress_below,
            "missing_sensitive": missing_sensitive, "metrics": metrics,
            "reference": _reference(reference) if reference is not None else None,
            "window": window,
        }  # fmt: skip
        given = {k: v for k, v in flags.items() if v is not None}
        flag_flags = {
            "max_depth": max_depth, "min_support": min_support,
            "include_context": include_context, "fdr": fdr, "fdr_method": fdr_method,
            "min_effect": min_effect, "enabled": search,
        }  # fmt: skip
        chosen = {k: v for k, v in flag_flags.items() if v is not None}
        out.aliases.update({f"flags.{k}": "flags" if k == "enabled" else k for k in flag_flags})
        out.aliases["history"] = "accumulate"
        out.from_file = _keys(options) - set(given) - {f"flags.{k}" for k in chosen}
        options.update(given)
        if chosen:
            from_toml: Any = options.get("flags") or {}
            options["flags"] = {**from_toml, **chosen} if isinstance(from_toml, dict) else from_toml
        audit = Audit(AuditConfig.from_mapping(options, source=str(config or "options")),
                      writes_outputs=out_dir is not None)  # fmt: skip
        source = locate(data, engine=engine, table=table, query=query)
        stages = 4 + int(store) + 2 * int(out_dir is not None)  # see Audit.run and finish()
        with out.progress(stages) as step:
            if accumulate:
                if not store:
                    raise ConfigError(
                        "--accumulate adds to the windows stored in the review store: drop "
                        "--no-store.",
                        option="accumulate",
                    )
                with ReviewStore(db) as history:
                    result = audit.run(source, progress=step, history=history,
                                       replace_windows=replace_windows)  # fmt: skip
            else:
                result = audit.run(source, progress=step)
            out.put(**audit_document(result))
            code = finish(result, out, step=step, db=db, store=store, out_dir=out_dir,
                          template_dir=template_dir, fail_on=fail_on)  # fmt: skip
        print_summary(result, out)
        print_flags(result, out)
        out.flush()
        out.emit()
    raise typer.Exit(code)

"""One audit, seven engines: pandas, polars, pyarrow, DuckDB on Parquet, Spark, PostgreSQL, SQLite.

Each engine runs the grouped pass itself; the cubes and every figure of evidence.json
must be identical.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import fairloop
from fairloop.cli import app
from fairloop.datasets import make_decision_log

#: Spark starts a JVM and every engine audits a 30,000-row log: the full suite only.
pytestmark = pytest.mark.slow

POSTGRES = os.environ.get("FAIRLOOP_TEST_POSTGRES_URL")
runner = CliRunner()


@pytest.fixture(scope="module")
def log() -> Any:
    data = make_decision_log(n=30_000, seed=5)
    frame = data.data.copy()
    # a text column with an empty string and a numeric attribute, to test the readings
    frame["channel"] = frame["channel"].where(frame.index % 97 != 0, "")
    frame["tier"] = (frame.index % 3).astype("int64")
    roles = {**data.roles, "context": [*data.roles["context"], "tier"]}
    return frame, roles


@pytest.fixture(scope="module")
def parquet(log, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The log as a partitioned Parquet dataset: one file per quarter."""
    frame, _ = log
    folder = tmp_path_factory.mktemp("parquet")
    quarter = pd.to_datetime(frame["decided_at"]).dt.quarter
    for q, part in frame.groupby(quarter):
        table = pa.Table.from_pandas(part, preserve_index=False)  # microseconds, as Spark reads
        pq.write_table(table, folder / f"q{q}.parquet", coerce_timestamps="us")
    return folder


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java runtime")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("fairloop-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def postgres_table(log) -> str:
    if not POSTGRES:
        pytest.skip("set FAIRLOOP_TEST_POSTGRES_URL to test against PostgreSQL (.ci/run does)")
    import sqlalchemy as sa

    frame, _ = log
    engine = sa.create_engine(POSTGRES)
    frame.to_sql("engine_test_decisions", engine, if_exists="replace", index=False)
    engine.dispose()
    return "engine_test_decisions"


@pytest.fixture(scope="module")
def sqlite_url(log, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The log in a SQLite file, as pandas writes it (times as text, no declared types)."""
    import sqlalchemy as sa

    frame, _ = log
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'decisions.db'}"
    engine = sa.create_engine(url)
    frame.to_sql("decisions", engine, index=False)
    engine.dispose()
    return url


def _evidence(result: fairloop.AuditResult) -> dict[str, Any]:
    """evidence.json without what differs by engine: provenance and sampled case ids.

    Compared with :func:`_same`: counts are exact in every engine, but sums of the score
    (calibration) are floats each engine may add in another order.
    """
    bundle = json.loads(result.to_json())
    for flag in bundle["flags"]:
        flag.pop("sample_case_ids", None)
    keys = ("metrics", "disparities", "summary", "flags", "verdicts", "selection", "calibration")
    return {k: bundle[k] for k in keys}


def _same(a: Any, b: Any) -> bool:
    """Equal structures, floats equal to 1e-9 relative (the last bits of float sums)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_every_engine_gives_the_same_cube_and_evidence(
    log, parquet, spark, postgres_table, sqlite_url
) -> None:
    frame, roles = log
    reference = fairloop.audit(frame, **roles)
    inputs = {
        "polars": pl.from_pandas(frame),
        "polars lazy": pl.from_pandas(frame).lazy(),
        "pyarrow": pa.Table.from_pandas(frame, preserve_index=False),
        "duckdb on parquet": str(parquet),
        "duckdb on a glob": str(parquet / "q*.parquet"),
        "spark": spark.read.parquet(str(parquet)),
        "postgresql": fairloop.DatabaseTable(POSTGRES or "", table=postgres_table),
        "sqlite": fairloop.DatabaseTable(sqlite_url, table="decisions"),
    }
    expected = _evidence(reference)
    assert expected["flags"], "the log has flags to compare"
    for name, data in inputs.items():
        result = fairloop.audit(data, **roles)
        assert result.cube.equals(reference.cube), name
        assert _same(_evidence(result), expected), name
        assert result.provenance["rows"] == len(frame), name
        assert result.provenance["period"] == reference.provenance["period"], name
    spark_result = fairloop.audit(inputs["spark"], **roles)
    assert spark_result.provenance["source"] == {"kind": "spark", "type": "DataFrame"}
    fewer = fairloop.audit(inputs["spark"].limit(20_000), **roles)
    assert fewer.provenance["data_sha256"] != spark_result.provenance["data_sha256"]


def test_polars_and_pyarrow_never_become_pandas(log, monkeypatch) -> None:
    frame, roles = log
    tables = {"polars": pl.from_pandas(frame), "pyarrow": pa.Table.from_pandas(frame)}

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("converted to pandas")

    import narwhals.stable.v2 as nw

    monkeypatch.setattr(pl.DataFrame, "to_pandas", refuse)
    monkeypatch.setattr(nw.DataFrame, "to_pandas", refuse)  # the only way our code converts
    for table in tables.values():
        fairloop.audit(table, **roles)


def test_sql_database_keeps_the_rows_and_reads_a_query(log, postgres_table) -> None:
    frame, roles = log
    west = fairloop.DatabaseTable(
        POSTGRES or "",  # a '%' and a ':name' in literals reach the database as written
        query=f"SELECT * FROM {postgres_table} WHERE region <> 'East' "
        "AND channel NOT LIKE '%:odd%';",
    )
    result = fairloop.audit(west, **roles)
    expected = fairloop.audit(frame[frame["region"] != "East"].reset_index(drop=True), **roles)
    assert result.cube.equals(expected.cube)
    assert result.provenance["source"]["kind"] == "database"
    # the content fingerprint is computed in the database: stable, and it tells data apart
    again = fairloop.audit(west, **roles).provenance["data_sha256"]
    everyone = fairloop.DatabaseTable(POSTGRES or "", table=postgres_table)
    assert result.provenance["data_sha256"] == again
    assert fairloop.audit(everyone, **roles).provenance["data_sha256"] != again
    assert "fairloop:***@" in result.provenance["source"]["where"]  # no password


def test_sqlite_database_reads_a_table_and_a_query(log, sqlite_url) -> None:
    frame, roles = log
    west = fairloop.DatabaseTable(
        sqlite_url,
        query="SELECT * FROM decisions WHERE region <> 'East' AND channel NOT LIKE '%:odd%'",
    )
    result = fairloop.audit(west, **roles)
    expected = fairloop.audit(frame[frame["region"] != "East"].reset_index(drop=True), **roles)
    assert result.cube.equals(expected.cube)
    assert result.provenance["source"]["dialect"] == "sqlite"
    again = fairloop.audit(west, **roles).provenance["data_sha256"]
    everyone = fairloop.DatabaseTable(sqlite_url, table="decisions")
    assert result.provenance["data_sha256"] == again
    assert fairloop.audit(everyone, **roles).provenance["data_sha256"] != again


def test_cli_pushes_down_to_sqlite(log, sqlite_url) -> None:
    _, roles = log
    args = ["audit", sqlite_url, "--table", "decisions", "--no-store", "--json"]
    args += ["--prediction", roles["prediction"], "--label", roles["label"],
             "--sensitive", ",".join(roles["sensitive"]), "--time", roles["time"]]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 30_000
    query = runner.invoke(app, [*args[:2], "--query", "SELECT * FROM decisions", *args[4:]])
    assert query.exit_code == 0, query.output
    assert json.loads(query.stdout)["summary"] == json.loads(result.stdout)["summary"]
    missing = runner.invoke(app, [*args[:2], "--table", "no_such_table", *args[4:]])
    assert missing.exit_code == 2 and "no_such_table" in missing.output


def test_cli_pushes_down_to_postgresql(log, postgres_table, tmp_path: Path) -> None:
    _, roles = log
    args = ["audit", POSTGRES or "", "--table", postgres_table, "--no-store", "--json"]
    args += ["--prediction", roles["prediction"], "--label", roles["label"],
             "--sensitive", ",".join(roles["sensitive"])]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 30_000
    missing = runner.invoke(app, ["audit", POSTGRES or "", *args[2:3], "--no-store"])
    assert missing.exit_code == 2
    bad = runner.invoke(app, [*args[:4], "--prediction", "nope", "--label", roles["label"],
                              "--sensitive", "sex", "--no-store"])  # fmt: skip
    assert bad.exit_code == 2 and "'nope'" in bad.output


def test_cli_runs_the_pass_in_spark(log, parquet, spark) -> None:
    _, roles = log
    args = ["audit", str(parquet), "--engine", "spark", "--no-store", "--json"]
    args += ["--prediction", roles["prediction"], "--label", roles["label"],
             "--sensitive", ",".join(roles["sensitive"]), "--time", roles["time"]]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    duck = runner.invoke(app, [a for a in args if a not in ("--engine", "spark")])
    assert json.loads(duck.stdout)["summary"] == document["summary"]
    spark.read.parquet(str(parquet)).createOrReplaceTempView("decisions_view")
    by_name = runner.invoke(app, ["audit", "decisions_view", *args[2:]])
    assert by_name.exit_code == 0, by_name.output
    assert json.loads(by_name.stdout)["summary"] == document["summary"]
    missing = runner.invoke(app, ["audit", "no_such_table", *args[2:]])
    assert missing.exit_code == 2 and "no_such_table" in missing.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x.parquet", "--engine", "nope"], "--engine must be one of duckdb, spark"),
        (["t", "--engine", "spark", "--table", "t"], "with --engine spark give the table's name"),
        (["decisions.csv", "--table", "t"], "give its SQLAlchemy URL"),
        (["postgresql+psycopg://u@h/db"], "exactly one of --table"),
        (["postgresql+psycopg://u@h/db", "--table", "t", "--query", "SELECT 1"], "exactly one"),
    ],
)
def test_where_the_log_lives_is_checked_first(args: list[str], message: str) -> None:
    roles = ["--prediction", "p", "--label", "l", "--sensitive", "s", "--no-store"]
    result = runner.invoke(app, ["audit", *args, *roles])
    assert result.exit_code == 2
    assert message in result.output


def test_repeated_judgments_give_the_same_case_moments_in_every_engine(
    spark, tmp_path: Path
) -> None:
    """Several reviewers per case: the second grouped pass (case moments) runs in each
    engine's SQL and gives the same moments and the same clustered evidence."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "simulation"))
    import scenarios as sc

    sim = sc.long_format_log(seed=1, n_cases=300, n_reviewers=120)
    frame = sim.data.assign(case_id=sim.data["case_id"].astype(str))
    roles = {**sim.roles, "case_id": "case_id"}
    reference = fairloop.audit(frame, **roles)
    assert reference.cube.case_moments is not None
    path = tmp_path / "long.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    inputs: dict[str, Any] = {
        "duckdb on parquet": str(path),
        "spark": spark.read.parquet(str(path)),
    }
    if POSTGRES:
        import sqlalchemy as sa

        engine = sa.create_engine(POSTGRES)
        frame.to_sql("engine_test_long", engine, if_exists="replace", index=False)
        engine.dispose()
        inputs["postgresql"] = fairloop.DatabaseTable(POSTGRES, table="engine_test_long")
    columns = list(reference.cube.case_moments.columns)
    expected = reference.cube.case_moments.sort_values("group").reset_index(drop=True)
    for name, data in inputs.items():
        result = fairloop.audit(data, **roles)
        moments = result.cube.case_moments
        assert moments is not None, name
        got = moments[columns].sort_values("group").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=name)
        assert _evidence(result) == _evidence(reference), name


#: Values that break naive SQL quoting: quotes, backslashes (escapes in Spark SQL and
#: MySQL), a backslash before a quote, driver placeholders, comment markers, a tab.
AWKWARD = ["O'Brien", "x\\'y", "back\\slash", 'say "hi"', "a%b:c", "semi;--x", "tab\tx", "é"]


@pytest.fixture(scope="module")
def awkward_log() -> pd.DataFrame:
    rng = __import__("numpy").random.default_rng(11)
    n = 4_000
    group = rng.choice(AWKWARD, size=n)
    predicted = rng.random(n) < 0.5
    # the first value's positive decisions are overturned far more often: a flag to sample
    flip = rng.random(n) < __import__("numpy").where(group == AWKWARD[0], 0.6, 0.1)
    final = predicted ^ flip
    return pd.DataFrame({
        "case_id": [f"c{i}" for i in range(n)],
        "group": group,
        "predicted": predicted.astype("int64"),
        "final": final.astype("int64"),
    })  # fmt: skip


def test_quotes_and_backslashes_round_trip_in_every_engine(
    awkward_log, spark, tmp_path: Path
) -> None:
    """Each engine finds exactly the rows of each awkward value, and audits agree."""
    import sqlalchemy as sa

    from fairloop.decision_log import open_source

    frame = awkward_log
    roles = {"prediction": "predicted", "label": "final", "sensitive": ["group"],
             "case_id": "case_id"}  # fmt: skip
    path = tmp_path / "awkward.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    sqlite_url = f"sqlite:///{tmp_path / 'awkward.db'}"
    engines = [sa.create_engine(sqlite_url)]
    inputs: dict[str, Any] = {
        "pandas": frame,
        "duckdb on parquet": str(path),
        "spark": spark.read.parquet(str(path)),
        "sqlite": fairloop.DatabaseTable(sqlite_url, table="awkward"),
    }
    if POSTGRES:
        engines.append(sa.create_engine(POSTGRES))
        inputs["postgresql"] = fairloop.DatabaseTable(POSTGRES, table="awkward")
    for engine in engines:
        frame.to_sql("awkward", engine, if_exists="replace", index=False)
        engine.dispose()
    expected = frame["group"].value_counts()
    reference = fairloop.audit(frame, **roles)
    assert len(reference.flags), "the log has a flag whose cases are sampled"
    for name, data in inputs.items():
        source = open_source(data)
        for value in AWKWARD:
            where = source.text_equals("group", value)
            sql = f"SELECT count(*) AS n FROM {source.relation} WHERE {where}"
            assert source.fetch_row(sql)[0] == expected[value], (name, value)
        result = fairloop.audit(data, **roles)
        assert _evidence(result) == _evidence(reference), name
        groups = dict(zip(frame["case_id"], frame["group"], strict=True))
        for subgroup, ids in zip(result.flags["subgroup"], result.flags["sample_case_ids"],
                                 strict=True):  # fmt: skip
            assert ids and all(groups[i] == subgroup["group"] for i in ids), (name, subgroup)


def test_spark_reads_values_from_the_data_exactly_as_written(spark) -> None:
    # Spark substitutes ${...} in the SQL text and reads backslashes as escapes: values
    # from the data must reach it as plain literals
    from fairloop.decision_log._spark import SparkSource

    values = ["${spark.app.name}", "${x.y} and $z", "a\\b", "it's", "\\u0041"]
    spark.conf.set("x.y", "INJECTED")
    source = SparkSource(spark.createDataFrame([(v,) for v in values], ["g"]))
    for value in values:
        literal = source.text_literal(value)
        assert source._fetch(f"SELECT {literal} AS v")["v"].iloc[0] == value
        where = source.text_equals("g", value)
        count = source._fetch(f"SELECT count(*) AS n FROM {source.relation} WHERE {where}")
        assert int(count["n"].iloc[0]) == 1

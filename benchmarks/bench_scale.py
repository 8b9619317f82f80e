"""Scale: the cube pass in every engine, against a bare GROUP BY count in that same engine.

One run prints, on the same generated decision log (written once as a partitioned Parquet
dataset under benchmarks/_data/, not committed):

1. rows per second of fairloop's cube pass (``read_decision_log``: the checks and the one
   grouped pass) for pandas, polars, DuckDB on the Parquet files, Spark in local mode and
   PostgreSQL, each against a bare ``GROUP BY ... count(*)`` over the same columns in that
   same engine, and the peak memory of the fairloop process (each engine in a fresh child
   process; Spark's JVM and the PostgreSQL server are other processes);
2. with ``--big-rows`` (default 100M): the whole ``fairloop.audit`` (flag search included) of
   a Parquet dataset of that many rows, against DuckDB's bare GROUP BY over the same files,
   and the audit process's peak memory. Targets: <= 1.5x the GROUP BY, < 2 GB.

    python benchmarks/bench_scale.py                      # 2M rows per engine, then 100M
    python benchmarks/bench_scale.py --rows 1000000 --skip-big
    python benchmarks/bench_scale.py --postgres postgresql+psycopg://user@host/db

PostgreSQL is measured when ``--postgres`` or ``$FAIRLOOP_TEST_POSTGRES_URL`` names a
server (``source .ci/postgres.sh`` starts one); Spark when PySpark and Java are installed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "_data"
SENSITIVE = ["sex", "race", "age_band"]
CONTEXT = ["region", "channel"]
ROLES = {"prediction": "approved", "label": "reviewer_decision", "sensitive": SENSITIVE,
         "context": CONTEXT}  # fmt: skip
KEYS = [*SENSITIVE, *CONTEXT, "approved", "reviewer_decision"]
ENGINES = ("pandas", "polars", "duckdb", "spark", "postgres")


def generate(rows: int) -> Path:
    """A partitioned Parquet dataset of ``rows`` decisions, written by DuckDB (files of 5M)."""
    import duckdb

    folder = DATA / f"scale_{rows}"
    if folder.is_dir() and any(folder.glob("*.parquet")):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    per_file = 5_000_000
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    for part, start in enumerate(range(0, rows, per_file)):
        n = min(per_file, rows - start)
        con.execute(f"""
        COPY (
          WITH base AS (
            SELECT i, hash(i) AS h, hash(i * 31 + 7) AS g FROM range({start}, {start + n}) t(i)
          ), rows AS (
            SELECT
              'C' || lpad(CAST(i AS VARCHAR), 10, '0') AS case_id,
              TIMESTAMP '2025-01-01' + to_seconds(CAST(h % 31536000 AS BIGINT)) AS decided_at,
              ['female', 'male'][1 + CAST(h % 2 AS INTEGER)] AS sex,
              ['White', 'Black', 'Hispanic', 'Asian', 'Other'][1 + CAST((h // 2) % 5 AS INTEGER)]
                AS race,
              ['18-24', '25-39', '40-59', '60+'][1 + CAST((h // 10) % 4 AS INTEGER)] AS age_band,
              ['North', 'South', 'East', 'West'][1 + CAST((h // 40) % 4 AS INTEGER)] AS region,
              ['branch', 'online', 'broker'][1 + CAST((h // 160) % 3 AS INTEGER)] AS channel,
              CAST(g % 1000 AS DOUBLE) / 1000 AS score,
              'R' || lpad(CAST((g // 1000) % 12 + 1 AS VARCHAR), 2, '0') AS reviewer_id,
              (g // 12000) % 100 AS u
            FROM base
          )
          SELECT case_id, decided_at, sex, race, age_band, region, channel, score,
                 CAST(score >= 0.5 AS INTEGER) AS approved,
                 CASE WHEN u < 35 THEN CAST((score >= 0.5) <> (u < 8) AS INTEGER) END
                   AS reviewer_decision,
                 CASE WHEN u < 35 THEN reviewer_id END AS reviewer_id
          FROM rows
        ) TO '{folder / f"part-{part:03d}.parquet"}' (FORMAT parquet)
        """)
    return folder


# Run in a fresh process per engine: peak memory (VmHWM) is then this engine's alone.
_CHILD = r"""
import json, statistics, sys, time
from pathlib import Path
engine, folder, repeat, postgres = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
roles = json.loads(sys.argv[5]); keys = json.loads(sys.argv[6])
from fairloop.config import AuditConfig
from fairloop.decision_log import read_decision_log
config = AuditConfig.from_mapping(roles)

def median(fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return statistics.median(times)

if engine == "pandas":
    import pandas as pd
    data = pd.read_parquet(folder)
    bare = lambda: data.groupby(keys, dropna=False, observed=True).size()
elif engine == "polars":
    import polars as pl
    data = pl.read_parquet(str(folder / "*.parquet"))
    bare = lambda: data.group_by(keys).len()
elif engine == "duckdb":
    import duckdb
    data = str(folder)
    con = duckdb.connect()
    sql = f"SELECT {', '.join(keys)}, count(*) FROM read_parquet('{folder}/*.parquet') GROUP BY ALL"
    bare = lambda: con.execute(sql).fetchall()
elif engine == "spark":
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[*]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    data = spark.read.parquet(str(folder))
    bare = lambda: data.groupBy(*keys).count().collect()
elif engine == "postgres":
    import sqlalchemy as sa
    import fairloop
    data = fairloop.DatabaseTable(postgres, table="bench_scale")
    db = sa.create_engine(postgres)
    sql = f"SELECT {', '.join(keys)}, count(*) FROM bench_scale GROUP BY {', '.join(keys)}"
    def bare():
        with db.connect() as c:
            return c.execute(sa.text(sql)).fetchall()
bare()
read_decision_log(data, config)  # warm: imports, engine start, file cache
bare_s = median(bare)
ours_s = median(lambda: read_decision_log(data, config))
rows = read_decision_log(data, config).rows
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"rows": rows, "bare_s": bare_s, "ours_s": ours_s, "peak_mb": peak}))
"""

_BIG = r"""
import json, sys, time
import fairloop
start = time.perf_counter()
result = fairloop.audit(sys.argv[1], **json.loads(sys.argv[2]))
seconds = time.perf_counter() - start
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": result.provenance["rows"],
                  "flags": len(result.flags)}))
"""


def load_postgres(url: str, folder: Path) -> None:
    """Copy the dataset into the table bench_scale (PostgreSQL's COPY, from a CSV DuckDB writes)."""
    import duckdb
    import sqlalchemy as sa

    csv = folder / "all.csv"
    duckdb.sql(f"COPY (SELECT * FROM read_parquet('{folder}/*.parquet')) TO '{csv}' (HEADER)")
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.exec_driver_sql("DROP TABLE IF EXISTS bench_scale")
        con.exec_driver_sql(
            "CREATE TABLE bench_scale (case_id text, decided_at timestamp, sex text, race text, "
            "age_band text, region text, channel text, score double precision, "
            "approved integer, reviewer_decision integer, reviewer_id text)"
        )
        raw = con.connection.driver_connection
        command = "COPY bench_scale FROM STDIN WITH CSV HEADER"
        with raw.cursor() as cur, cur.copy(command) as copy, open(csv, "rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        con.exec_driver_sql("ANALYZE bench_scale")
    engine.dispose()
    csv.unlink()


def child(engine: str, folder: Path, repeat: int, postgres: str) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, engine, str(folder), str(repeat), postgres,
         json.dumps(ROLES), json.dumps(KEYS)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def available(engine: str, postgres: str) -> str | None:
    """Why an engine cannot be measured here, or None."""
    if engine == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError:
            return "PySpark not installed (pip install 'fairloop[spark]')"
        if not (os.environ.get("JAVA_HOME") or any(
            (Path(p) / "java").exists() for p in os.environ.get("PATH", "").split(":")
        )):  # fmt: skip
            return "no Java runtime"
    if engine == "postgres" and not postgres:
        return "no server: give --postgres URL or set FAIRLOOP_TEST_POSTGRES_URL"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--big-rows", type=int, default=100_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--postgres", default=os.environ.get("FAIRLOOP_TEST_POSTGRES_URL", ""))
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    import fairloop

    print(f"fairloop {fairloop.__version__}; cube pass = checks + the one grouped pass")
    folder = generate(args.rows)
    print(f"\n{args.rows:,} rows, {len(list(folder.glob('*.parquet')))} Parquet file(s)")
    print(f"{'engine':10s} {'cube pass':>12s} {'bare GROUP BY':>14s} {'ratio':>7s} "
          f"{'rows/s (pass)':>14s} {'peak MB':>8s}")  # fmt: skip
    for engine in args.engines.split(","):
        why = available(engine, args.postgres)
        if why:
            print(f"{engine:10s} skipped: {why}")
            continue
        if engine == "postgres":
            load_postgres(args.postgres, folder)
        try:
            r = child(engine, folder, args.repeat, args.postgres)
        except RuntimeError as exc:
            print(f"{engine:10s} failed: {exc}")
            continue
        print(
            f"{engine:10s} {r['ours_s']:10.3f} s {r['bare_s']:12.3f} s "
            f"{r['ours_s'] / r['bare_s']:6.2f}x {r['rows'] / r['ours_s']:14,.0f} "
            f"{r['peak_mb']:8.0f}"
        )
    if args.skip_big:
        return
    import duckdb

    big = generate(args.big_rows)
    size = sum(f.stat().st_size for f in big.glob("*.parquet")) / 2**30
    print(f"\nfrom disk: {args.big_rows:,} rows in {len(list(big.glob('*.parquet')))} "
          f"Parquet files ({size:.1f} GB)")  # fmt: skip
    con = duckdb.connect()
    sql = f"SELECT {', '.join(KEYS)}, count(*) FROM read_parquet('{big}/*.parquet') GROUP BY ALL"
    con.execute(sql).fetchall()  # warm the file cache
    from _timing import median_seconds

    bare = median_seconds(lambda: con.execute(sql).fetchall(), args.repeat)
    runs = []
    for _ in range(args.repeat):
        proc = subprocess.run([sys.executable, "-c", _BIG, str(big), json.dumps(ROLES)],
                              capture_output=True, text=True, check=True)  # fmt: skip
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    seconds = sorted(r["seconds"] for r in runs)[len(runs) // 2]
    peak = max(r["peak_mb"] for r in runs)
    print(f"  bare DuckDB GROUP BY count (median of {args.repeat}) {bare:8.2f} s")
    print(f"  fairloop.audit, flags included (median)    {seconds:8.2f} s   "
          f"{seconds / bare:.2f}x   (target <= 1.5x)")  # fmt: skip
    print(f"  peak memory of the audit process           {peak:8.0f} MB  (target < 2048 MB)")
    print(f"  rows audited {runs[0]['rows']:,}, flags {runs[0]['flags']}")
    # every role: the reviewer and the month are keys of the cube too, and the case ids are
    # checked for repeats (a second pass: count(DISTINCT) over every id)
    every = {**ROLES, "score": "score", "time": "decided_at", "reviewer": "reviewer_id"}
    keyed = (f"SELECT {', '.join(KEYS)}, reviewer_id, date_trunc('month', decided_at), "
             f"count(*) FROM read_parquet('{big}/*.parquet') GROUP BY ALL")  # fmt: skip
    bare_every = median_seconds(lambda: con.execute(keyed).fetchall(), args.repeat)
    for label, roles in (("score, time, reviewer", every),
                         ("... and case_id", {**every, "case_id": "case_id"})):  # fmt: skip
        proc = subprocess.run([sys.executable, "-c", _BIG, str(big), json.dumps(roles)],
                              capture_output=True, text=True, check=True)  # fmt: skip
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"  with {label:22s} {r['seconds']:8.2f} s   {r['seconds'] / bare_every:.2f}x "
              f"a bare GROUP BY that also keys reviewer and month ({bare_every:.2f} s); "
              f"peak {r['peak_mb']:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()

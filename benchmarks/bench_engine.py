"""Speed and memory of the audit engine against its peers, measured in one run.

1. In memory, 1M rows (3 sensitive attributes with 2 x 5 x 4 = 40 intersectional cells,
   2 context columns): ``fairloop.audit`` (every metric, interval and disparity for
   every attribute and intersection) against fairlearn's ``MetricFrame`` computing the
   same 13 metrics over the same 7 attribute sets. Target: fairloop >= 500x faster.
2. From disk, a 10M-row Parquet file: ``fairloop.audit`` on the path against a bare
   DuckDB ``GROUP BY`` count over the same columns of the same file, and the peak
   memory of a process that runs the audit. Targets: <= 3x the GROUP BY, < 1 GB.

Run:  python benchmarks/bench_engine.py [--rows 1000000] [--big-rows 10000000]
The Parquet file is written under benchmarks/_data/ (ignored by git) and reused.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import fairloop
from _timing import median_seconds
from fairloop.datasets import make_decision_log

SENSITIVE = ["sex", "race", "age_band"]
CONTEXT = ["region", "channel"]
ROLES = {"prediction": "approved", "label": "reviewer_decision", "sensitive": SENSITIVE,
         "context": CONTEXT}  # fmt: skip
#: Every role the synthetic log has: adds the score and time aggregates to the pass, and the
#: case-id uniqueness check (a second query over the ids) to validation.
ALL_ROLES = {**ROLES, "score": "score", "time": "decided_at", "reviewer": "reviewer_id",
             "case_id": "case_id"}  # fmt: skip
DATA = Path(__file__).parent / "_data"


def metricframe_all(frame: pd.DataFrame) -> None:
    from fairlearn import metrics as flm
    from sklearn.metrics import accuracy_score, precision_score

    reviewed = frame[frame["reviewer_decision"].notna()]
    y_true = reviewed["reviewer_decision"].astype(int).to_numpy()
    y_pred = reviewed["approved"].to_numpy()
    performance = {
        "base_rate": lambda t, p: np.mean(t),
        "accuracy": accuracy_score,
        "true_positive_rate": flm.true_positive_rate,
        "false_positive_rate": flm.false_positive_rate,
        "false_negative_rate": flm.false_negative_rate,
        "true_negative_rate": flm.true_negative_rate,
        "precision": lambda t, p: precision_score(t, p, zero_division=np.nan),
        "negative_predictive_value": lambda t, p: precision_score(
            t, p, pos_label=0, zero_division=np.nan
        ),
        "override_rate": lambda t, p: np.mean(t != p),
        "override_to_positive_rate": lambda t, p: np.mean((p == 0) & (t == 1)),
        "override_to_negative_rate": lambda t, p: np.mean((p == 1) & (t == 0)),
    }
    everyone = {"selection_rate": flm.selection_rate, "review_rate": lambda t, p: np.mean(t)}
    reviewed_flag = frame["reviewer_decision"].notna().astype(int).to_numpy()
    for size in range(1, len(SENSITIVE) + 1):
        for attrs in itertools.combinations(SENSITIVE, size):
            flm.MetricFrame(
                metrics=performance,
                y_true=y_true,
                y_pred=y_pred,
                sensitive_features=reviewed[list(attrs)],
            )
            flm.MetricFrame(
                metrics=everyone,
                y_true=reviewed_flag,
                y_pred=frame["approved"],
                sensitive_features=frame[list(attrs)],
            )


def in_memory(rows: int, repeat: int) -> dict[str, float]:
    frame = make_decision_log(n=rows, seed=1).data
    cells = frame.groupby(SENSITIVE).ngroups
    no_flags = {**ROLES, "flags": {"enabled": False}}
    fairloop.audit(frame, **ROLES)  # warm-up: imports, DuckDB start
    ours = median_seconds(lambda: fairloop.audit(frame, **no_flags), repeat)
    with_flags = median_seconds(lambda: fairloop.audit(frame, **ROLES), repeat)
    start = time.perf_counter()
    metricframe_all(frame)
    theirs = time.perf_counter() - start
    return {"rows": rows, "intersection_cells": cells, "fairloop_s": ours,
            "fairloop_flags_s": with_flags, "metricframe_s": theirs,
            "speedup": theirs / ours, "speedup_flags": theirs / with_flags}  # fmt: skip


def write_parquet(rows: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = DATA / f"decisions_{rows}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    chunk = 1_000_000
    writer = None
    for i, start in enumerate(range(0, rows, chunk)):
        part = make_decision_log(n=min(chunk, rows - start), seed=100 + i).data
        part["case_id"] = f"P{i:03d}-" + part["case_id"]
        table = pa.Table.from_pandas(part, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return path


# Peak memory is read from VmHWM: getrusage's ru_maxrss survives exec on Linux and would
# report the forking parent's peak.
_CHILD = """
import json, sys, time
import fairloop
start = time.perf_counter()
fairloop.audit(sys.argv[1], **json.loads(sys.argv[2]))
elapsed = time.perf_counter() - start
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
print(json.dumps({"seconds": elapsed, "peak_rss_mb": int(status) / 1024}))
"""


def from_disk(rows: int, repeat: int) -> dict[str, float]:
    import duckdb

    path = write_parquet(rows)
    columns = ", ".join([*SENSITIVE, *CONTEXT, "approved", "reviewer_decision"])
    sql = f"SELECT {columns}, count(*) FROM read_parquet('{path}') GROUP BY ALL"
    con = duckdb.connect()
    con.execute(sql).fetchall()  # warm the file cache
    bare = median_seconds(lambda: con.execute(sql).fetchall(), repeat)
    fairloop.audit(path, **ROLES)
    ours = median_seconds(lambda: fairloop.audit(path, **ROLES), repeat)

    def child(roles: dict[str, object]) -> dict[str, float]:
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), json.dumps(roles)],
                              capture_output=True, text=True, check=True)  # fmt: skip
        return json.loads(proc.stdout)

    memory = child(ROLES)
    every = child(ALL_ROLES)
    return {"rows": rows, "file_mb": path.stat().st_size / 2**20, "duckdb_group_by_s": bare,
            "fairloop_s": ours, "ratio_to_group_by": ours / bare,
            "peak_rss_mb": memory["peak_rss_mb"], "all_roles_s": every["seconds"],
            "all_roles_peak_mb": every["peak_rss_mb"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-metricframe", action="store_true")
    parser.add_argument("--skip-disk", action="store_true")
    args = parser.parse_args()
    print(f"fairloop {fairloop.__version__}")
    if not args.skip_metricframe:
        r = in_memory(args.rows, args.repeat)
        print(f"\nin memory: {r['rows']:,} rows, {r['intersection_cells']} intersectional cells")
        print(f"  fairloop.audit, no flag search (median of {args.repeat}) {r['fairloop_s']:.3f} s")
        print(f"  fairlearn MetricFrame, same metrics     {r['metricframe_s']:8.3f} s")
        print(f"  speed-up{'':32s}{r['speedup']:8.0f} x   (target >= 500 x)")
        print(
            f"  fairloop.audit with the flag search {r['fairloop_flags_s']:8.3f} s "
            f"({r['speedup_flags']:.0f} x)"
        )
    if not args.skip_disk:
        d = from_disk(args.big_rows, args.repeat)
        print(f"\nfrom disk: {d['rows']:,} rows, Parquet {d['file_mb']:.0f} MB")
        print(f"  bare DuckDB GROUP BY count (median)     {d['duckdb_group_by_s']:8.3f} s")
        print(f"  fairloop.audit on the path (median)     {d['fairloop_s']:8.3f} s")
        print(f"  ratio{'':35s}{d['ratio_to_group_by']:8.2f} x   (target <= 3 x)")
        print(f"  peak memory of an audit process{'':9s}{d['peak_rss_mb']:8.0f} MB  (< 1024 MB)")
        print("  with every role (score, time, reviewer, case id; one run in a fresh process):")
        print(
            f"    fairloop.audit{'':26s}{d['all_roles_s']:8.3f} s   "
            f"({d['all_roles_s'] / d['duckdb_group_by_s']:.2f} x the GROUP BY)"
        )
        print(f"    peak memory{'':29s}{d['all_roles_peak_mb']:8.0f} MB")


if __name__ == "__main__":
    main()

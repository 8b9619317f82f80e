"""Peak memory per measured group: the constants fairloop._memory estimates with.

An audit's memory grows with the groups it measures (each attribute alone and every
intersection), not with the rows. Each configuration runs in a fresh process (its peak
resident memory is the process's own), first the audit alone, then the whole command line
with the evidence, tables and report; a one-attribute audit of the same rows is the
baseline. Printed: groups, peak memory, and bytes per group above the baseline, beside
the constants the estimate uses.

    python benchmarks/bench_memory.py --rows 200000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

from fairloop._memory import AUDIT_BYTES_PER_GROUP, OUTPUT_BYTES_PER_GROUP

_CHILD = """
import json, resource, sys
import numpy as np, pandas as pd
import fairloop
from fairloop.cli import app
from typer.testing import CliRunner

attributes, values, rows, outputs, folder = sys.argv[1:6]
attributes, values, rows = int(attributes), int(values), int(rows)
rng = np.random.default_rng(0)
data = {f"a{i}": rng.integers(0, values, rows).astype(str) for i in range(attributes)}
pred = rng.integers(0, 2, rows)
data.update(pred=pred, lab=np.where(rng.random(rows) < 0.7, pred, 1 - pred))
path = f"{folder}/log_{attributes}_{values}.parquet"
pd.DataFrame(data).to_parquet(path)
sensitive = [f"a{i}" for i in range(attributes)]
if outputs == "1":
    args = ["audit", path, "--prediction", "pred", "--label", "lab", "--sensitive",
            ",".join(sensitive), "--no-store", "--out", f"{folder}/out"]
    assert CliRunner().invoke(app, args).exit_code in (0, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    metrics = pd.read_csv(f"{folder}/out/metrics.csv", usecols=["attribute_set", "group"])
else:
    metrics = fairloop.audit(pd.read_parquet(path), prediction="pred", label="lab",
                             sensitive=sensitive).metrics
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
groups = len(metrics.drop_duplicates(["attribute_set", "group"]))
print(json.dumps({"groups": groups, "peak": peak}))
"""


def _run(attributes: int, values: int, rows: int, outputs: bool) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(attributes), str(values), str(rows),
             "1" if outputs else "0", folder],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    figures: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--shapes", default="3x10,3x20", help="attributes x values, ...")
    args = parser.parse_args()
    for outputs, constant in ((False, AUDIT_BYTES_PER_GROUP),
                              (True, AUDIT_BYTES_PER_GROUP + OUTPUT_BYTES_PER_GROUP)):  # fmt: skip
        base = _run(1, 2, args.rows, outputs)
        label = "audit + evidence, tables, report" if outputs else "audit alone"
        print(f"{label}: baseline {base['peak'] / 1e9:.2f} GB ({base['groups']} groups)")
        for shape in args.shapes.split(","):
            attributes, values = (int(x) for x in shape.split("x"))
            figures = _run(attributes, values, args.rows, outputs)
            per_group = (figures["peak"] - base["peak"]) / max(figures["groups"], 1)
            print(f"  {shape:>6s}: {figures['groups']:>8,} groups, peak "
                  f"{figures['peak'] / 1e9:5.2f} GB, {per_group / 1e3:7.1f} KB per group "
                  f"(estimate uses {constant / 1e3:.0f} KB)")  # fmt: skip


if __name__ == "__main__":
    main()

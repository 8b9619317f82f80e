"""Flag search: are the shown claims true on realistic logs? Recall, false discoveries, time.

First, the validity study on the independent generators of ``tests/simulation/scenarios.py``
(written apart from fairloop, with exact true gaps; seeds 0.. per scenario, ``--validity-seeds``):

* the false discovery proportion of the flags a user sees (after merging and pruning),
  judged against each subgroup's true gap (false: true gap below the 5-point floor or of the
  other sign), with broad real gaps, 3 and 6 sensitive attributes, with and without context,
  at 20k and 200k rows;
* the share of null logs with any reviewer flag, where reviewers differ only in strictness,
  share the model's gap, or catch a fixed share of its errors (5 to 50 reviewers, 200 to
  20,000 cases each), and the power to find a reviewer 10 points harsher on one group;
* the share of null logs (6 sensitive attributes, context) with any policy flag;
* the rank of a narrow planted gap (+12 points, 2.7% of rows) among the shown flags;
* the coverage of 95% intervals with 10 reviewers of random strictness, and with 20
  judgments per case.

Then, on synthetic logs from ``make_decision_log`` (50k rows by default):

* planted logs: one biased subgroup per log (false positive rate raised by 0.03 to 0.2,
  support 0.5% to 10% of rows, depth 1 to 3); recall is the share of logs whose exact
  planted subgroup is flagged for that metric, by effect and by support;
* null logs (nothing planted): the false discovery proportion of discovery flags (every
  flag is false there), averaged over seeds; and on planted logs, the share of discovery
  flags that neither are, contain nor lie inside the planted subgroup;
* beside fairloop, a baseline of per-attribute tests (each sensitive attribute's groups
  against their complement, two-proportion test, p < 0.05, no correction), and where
  they install in a separate environment (``--peers PYTHON``), pysubgroup and AIF360's
  MDSS bias scan: their time, and whether each finds the planted subgroup.

Run:  python benchmarks/bench_flags.py [--validity-seeds 10] [--rows 50000] [--seeds 20]
      [--peers /path/to/python] [--only-validity]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import fairloop
from _timing import median_seconds
from fairloop.datasets import PlantedBias, make_decision_log
from fairloop.stats import two_proportion_pvalue

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "simulation"))
import scenarios as sc  # the independent generators (no fairloop import)
from test_flag_validity import BROAD, CONTEXT_GAP, false_discoveries

METRIC = "false_positive_rate"
EFFECTS = (0.03, 0.05, 0.10, 0.15, 0.20)
# subgroups of the synthetic population and their expected share of rows
SUBGROUPS = (
    ({"race": "Other"}, "4%"),
    ({"race": "Asian"}, "7%"),
    ({"sex": "male", "race": "Asian", "age_band": "18-24"}, "0.5%"),
    ({"race": "Asian", "age_band": "18-24"}, "1%"),
    ({"race": "Hispanic", "age_band": "18-24"}, "2.4%"),
    ({"sex": "female", "race": "Black", "age_band": "25-39"}, "2.5%"),
    ({"race": "Black", "age_band": "25-39"}, "5%"),
    ({"sex": "female", "race": "Hispanic"}, "8.3%"),
)


def related(a: dict[str, str], b: dict[str, str]) -> bool:
    return all(a.get(k) == v for k, v in b.items()) or all(b.get(k) == v for k, v in a.items())


def baseline(data: pd.DataFrame) -> list[dict[str, str]]:
    """Per-attribute two-proportion tests of the false positive rate, no correction."""
    reviewed = data[data["reviewer_decision"].notna() & (data["reviewer_decision"] == 0)]
    found = []
    for attribute in ("sex", "race", "age_band"):
        fp = reviewed.groupby(attribute)["approved"].agg(["sum", "count"])
        k_all, n_all = fp["sum"].sum(), fp["count"].sum()
        p, _ = two_proportion_pvalue(fp["sum"], fp["count"], k_all - fp["sum"], n_all - fp["count"])
        diff = fp["sum"] / fp["count"] - (k_all - fp["sum"]) / (n_all - fp["count"])
        found += [{attribute: str(v)} for v, q, d in zip(fp.index, p, diff, strict=True)
                  if q < 0.05 and abs(d) > 0]  # fmt: skip
    return found


def speed(rows: int, repeat: int = 5) -> None:
    """The flag search at depth 3 over 5 attributes against the cube pass of the same audit."""
    from fairloop.config import AuditConfig
    from fairloop.decision_log import open_source, read_decision_log, run_cube_pass
    from fairloop.flags import find_flags
    from fairloop.metrics import (
        METRICS,
        attribute_sets,
        compute_rates,
        disparities_frame,
        group_table,
        metrics_frame,
    )  # fmt: skip

    log = make_decision_log(n=rows, seed=1)
    config = AuditConfig.from_mapping({
        "prediction": "approved", "label": "reviewer_decision",
        "sensitive": ["sex", "race", "age_band"], "context": ["region", "channel"],
        "reviewer": "reviewer_id", "flags": {"include_context": True, "max_depth": 3},
    })  # fmt: skip
    roles = [config.prediction, config.label, *config.sensitive, *config.context, "reviewer_id"]
    source = open_source(log.data, text_columns=roles, columns=roles)

    def median(fn) -> float:
        return median_seconds(fn, repeat)

    cube_pass = median(lambda: run_cube_pass(source, config))
    cube = read_decision_log(log.data, config).cube
    table = group_table(cube, attribute_sets(config.sensitive))
    rates = compute_rates(table, config)
    disparities = disparities_frame(table, rates, config, tuple(METRICS))
    metrics = metrics_frame(table, rates, tuple(METRICS))
    report = find_flags(cube, metrics, disparities, config)
    search = median(lambda: find_flags(cube, metrics, disparities, config))
    print(
        f"speed at {rows:,} rows, 5 attributes, depth 3 ({report.tests['count']:,} tests, "
        f"{len(cube.cells):,} cube cells):"
    )
    print(f"  cube pass (the one group-by over the rows)   {cube_pass:.3f} s")
    print(f"  flag search, verdicts and pruning on the cube {search:.3f} s   "
          f"({search / cube_pass:.2f} x the pass; target <= 1)\n")  # fmt: skip


def _reviewer_names(result: fairloop.AuditResult) -> list[dict[str, str]]:
    return [s for s in result.flags["subgroup"] if "reviewer" in s]


def validity(seeds: int) -> None:
    """The shown claims judged against the truth of independently generated logs."""
    print(f"validity study (tests/simulation/scenarios.py; seeds 0..{seeds - 1} per scenario)")
    print("  false discovery proportion of the shown flags (broad real gaps; target <= 0.05):")
    for rows in (20_000, 200_000):
        for sensitive, context in ((3, False), (6, False), (3, True), (6, True)):
            fdp, shown = [], []
            for seed in range(seeds):
                gaps = BROAD + ((CONTEXT_GAP,) if context else ())
                log = sc.broad_gap_log(rows, seed=seed, n_sensitive=sensitive,
                                       n_context=2 if context else 0, gaps=gaps)  # fmt: skip
                result = fairloop.audit(log.data, **log.roles, flags={"include_context": context})
                false, count = false_discoveries(result, log.truth)
                fdp.append(false / count if count else 0.0)
                shown.append(count)
            shape = f"{rows:>7,} rows, {sensitive} sensitive" + (" + 2 context" if context else "")
            print(f"    {shape:<36} FDP {np.mean(fdp):.3f} (max {np.max(fdp):.2f}), "
                  f"{np.mean(shown):.1f} flags shown")  # fmt: skip
    print("  null logs, any reviewer flag (target <= 0.05 of logs):")
    for kind in ("strictness", "model_gap", "catch_share"):
        cells = []
        for reviewers, cases in ((5, 200), (20, 1_000), (50, 200), (20, 5_000), (5, 20_000),
                                 (20, 20_000)):  # fmt: skip
            flagged = sum(
                bool(_reviewer_names(fairloop.audit(
                    (log := sc.reviewer_null_log(seed=seed, n_reviewers=reviewers,
                                                 cases_per_reviewer=cases, kind=kind)).data,
                    **log.roles)))
                for seed in range(seeds)
            )  # fmt: skip
            cells.append(f"{reviewers}x{cases:,}: {flagged / seeds:.2f}")
        print(f"    {kind:<12} " + ", ".join(cells))
    for per_group in (400, 800):
        found = sum(
            {"group": "B", "reviewer": "r00"} in _reviewer_names(fairloop.audit(
                (log := sc.reviewer_bias_log(seed=seed, cases_per_reviewer=2 * per_group)).data,
                **log.roles))
            for seed in range(2 * seeds)
        )  # fmt: skip
        print(f"  power, a reviewer 10 points harsher on a group ({per_group} of their cases in "
              f"it, 20 reviewers): {found / (2 * seeds):.2f}")  # fmt: skip
    policy = sum(
        bool((fairloop.audit((log := sc.broad_gap_log(50_000, seed=seed, n_sensitive=6,
                                                      n_context=2, gaps=())).data,
                             **log.roles, flags={"include_context": True}).flags["source"]
              == "policy").any())
        for seed in range(seeds)
    )  # fmt: skip
    print(f"  null logs with 6 sensitive attributes + context, any policy flag: "
          f"{policy / seeds:.2f} (target <= 0.05)")  # fmt: skip
    ranks = []
    planted = {"s2": "c", "s3": "d"}
    for seed in range(max(3, seeds // 3)):
        log = sc.broad_gap_log(500_000, seed=seed, n_sensitive=6, n_context=2,
                               gaps=(sc.Gap(planted, "false_positive_rate", 0.12),))  # fmt: skip
        flags = fairloop.audit(log.data, **log.roles, flags={"include_context": True}).flags
        found = [i + 1 for i, (g, m) in enumerate(zip(flags["subgroup"], flags["metric"],
                                                      strict=True))
                 if g == planted and m == "false_positive_rate"]  # fmt: skip
        ranks.append(found[0] if found else None)
    print(f"  narrow planted gap (+12 FPR points, 2.7% of 500k rows, 6 sensitive + 2 context): "
          f"ranks {ranks}")  # fmt: skip
    for name, make, roles in (
        ("10 reviewers, random strictness", lambda s: sc.clustered_log(seed=s, n_reviewers=10),
         {}),
        ("10 reviewers, a few decide most", lambda s: sc.clustered_log(seed=s, n_reviewers=10,
                                                                      reviewer_skew=1.2), {}),
        ("20 judgments per case", lambda s: sc.long_format_log(seed=s), {"case_id": "case_id"}),
    ):  # fmt: skip
        hits = []
        for seed in range(10 * seeds):
            log = make(seed)
            rows = fairloop.audit(log.data, **{**log.roles, **roles}).metrics.set_index(
                ["group", "metric"]
            )
            for metric in ("override_rate", "false_positive_rate", "false_negative_rate"):
                for value in ("A", "B"):
                    row = rows.loc[(f"group={value}", metric)]
                    truth = log.truth.value({"group": value}, metric)
                    hits.append(row["ci_low"] <= truth <= row["ci_high"])
        print(f"  coverage of 95% intervals, {name} ({10 * seeds} logs): {np.mean(hits):.3f}")
    print()


def run(args: argparse.Namespace) -> None:
    if args.validity_seeds > 0:
        validity(args.validity_seeds)
    if args.only_validity:
        return
    print(f"fairloop {fairloop.__version__}: flag search on {args.rows:,}-row synthetic logs\n")
    speed(args.speed_rows)
    # --- null logs
    null_fdp, null_time, base_fdp = [], [], []
    for seed in range(args.seeds):
        log = make_decision_log(n=args.rows, seed=10_000 + seed, biases=None)
        start = time.perf_counter()
        result = fairloop.audit(log.data, **log.roles)
        null_time.append(time.perf_counter() - start)
        null_fdp.append(float((result.flags["source"] == "discovery").any()))
        base_fdp.append(float(bool(baseline(log.data))))
    print(f"null logs ({args.seeds} seeds): mean false discovery proportion of discovery flags")
    print(
        f"  fairloop (Focused BH 0.05, floor 0.05) {statistics.mean(null_fdp):.3f}"
        "   (target <= 0.05)"
    )
    print(f"  baseline (per attribute, uncorrected)  {statistics.mean(base_fdp):.3f}")
    print(f"  fairloop audit time, median           {statistics.median(null_time):.3f} s\n")
    # --- planted logs
    rows = []
    for effect in EFFECTS:
        for i, (subgroup, share) in enumerate(SUBGROUPS):
            for seed in range(args.planted_seeds):
                log = make_decision_log(
                    n=args.rows, seed=20_000 + 100 * i + seed,
                    biases=[PlantedBias(subgroup, METRIC, effect)],
                )  # fmt: skip
                start = time.perf_counter()
                result = fairloop.audit(log.data, **log.roles)
                elapsed = time.perf_counter() - start
                flags = result.flags[result.flags["source"] == "discovery"]
                mine = flags[flags["metric"] == METRIC]
                false = [s for s in flags["subgroup"] if not related(s, subgroup)]
                rows.append({
                    "effect": effect, "support": share, "depth": len(subgroup),
                    "found": any(s == subgroup for s in mine["subgroup"]),
                    "top": bool(len(mine)) and mine["subgroup"].iloc[0] == subgroup,
                    "fdp": len(false) / len(flags) if len(flags) else 0.0,
                    "baseline_found": subgroup in baseline(log.data),
                    "seconds": elapsed, "log": log if args.peers and seed == 0 else None,
                })  # fmt: skip
    table = pd.DataFrame(rows)
    print(f"planted logs ({args.planted_seeds} seeds per cell): recall of the exact subgroup")
    print(table.pivot_table(index="support", columns="effect", values="found", sort=False)
          .round(2).to_string())  # fmt: skip
    print("\nrecall by depth:", table.groupby("depth")["found"].mean().round(2).to_dict())
    print(
        f"planted subgroup ranked top {METRIC} flag when found: "
        f"{table.loc[table['found'], 'top'].mean():.2f}"
    )
    print(f"false discovery proportion on planted logs (mean): {table['fdp'].mean():.3f}")
    print(
        f"baseline recall (can only find depth-1 subgroups): {table['baseline_found'].mean():.2f}"
        f" overall, {table.loc[table['depth'] == 1, 'baseline_found'].mean():.2f} at depth 1"
    )
    print(f"fairloop audit time on planted logs, median: {table['seconds'].median():.3f} s")
    if args.peers:
        peers(args, table)


_PEER_SCRIPT = r"""
import json, sys, time
import pandas as pd
data = pd.read_csv(sys.argv[1])
planted = json.loads(sys.argv[2])
reviewed = data[data["reviewer_decision"].notna()].copy()
neg = reviewed[reviewed["reviewer_decision"] == 0].copy()
out = {}
try:
    import pysubgroup as ps
    start = time.perf_counter()
    target = ps.BinaryTarget("approved", 1)
    space = ps.create_selectors(neg[["sex", "race", "age_band", "approved"]], ignore=["approved"])
    task = ps.SubgroupDiscoveryTask(neg[["sex", "race", "age_band", "approved"]], target, space,
                                    result_set_size=10, depth=3, qf=ps.WRAccQF())
    result = ps.BeamSearch().execute(task)
    found = [str(d) for _, d, *rest in result.results]
    want = " AND ".join(f"{k}=='{v}'" for k, v in sorted(planted.items()))
    out["pysubgroup"] = {"seconds": time.perf_counter() - start,
                         "found": any(sorted(f.split(" AND ")) == sorted(want.split(" AND "))
                                      for f in found)}
except Exception as exc:
    out["pysubgroup"] = {"error": repr(exc)[:200]}
try:
    from aif360.detectors.mdss_detector import bias_scan
    start = time.perf_counter()
    X = neg[["sex", "race", "age_band"]]
    subset, score = bias_scan(data=X, observations=neg["approved"].astype(float),
                              expectations=pd.Series(neg["approved"].mean(), index=neg.index),
                              scoring="Bernoulli", overpredicted=False, penalty=1e-17)
    got = {k: v[0] for k, v in subset.items() if len(v) == 1}
    out["aif360_mdss"] = {"seconds": time.perf_counter() - start, "found": got == planted,
                          "subset": {k: list(v) for k, v in subset.items()}}
except Exception as exc:
    out["aif360_mdss"] = {"error": repr(exc)[:200]}
print(json.dumps(out))
"""


def peers(args: argparse.Namespace, table: pd.DataFrame) -> None:
    print(f"\npeers, in a separate environment ({args.peers}), one log per (effect, subgroup):")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for row in table.dropna(subset=["log"]).itertuples():
            path = Path(tmp) / "log.csv"  # CSV: the peers' environment may lack pyarrow
            row.log.data.to_csv(path, index=False)
            planted = row.log.planted[0]["subgroup"]
            proc = subprocess.run([args.peers, "-c", _PEER_SCRIPT, str(path), json.dumps(planted)],
                                  capture_output=True, text=True, check=False)  # fmt: skip
            if proc.returncode != 0:
                print("  peer run failed:", proc.stderr.strip().splitlines()[-1:])
                return
            out = json.loads(proc.stdout)
            results.append({"effect": row.effect, "support": row.support, **{
                f"{name}_{key}": value for name, res in out.items() for key, value in res.items()
                if key in ("seconds", "found", "error")}})  # fmt: skip
    frame = pd.DataFrame(results)
    for name in ("pysubgroup", "aif360_mdss"):
        if f"{name}_error" in frame and frame[f"{name}_error"].notna().all():
            print(f"  {name}: did not run ({frame[f'{name}_error'].iloc[0]})")
            continue
        print(f"  {name}: found the planted subgroup in {frame[f'{name}_found'].mean():.2f} of "
              f"logs; median time {frame[f'{name}_seconds'].median():.3f} s (on reviewed "
              "human-negative rows only, no FDR control)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validity-seeds", type=int, default=10,
                        help="seeds per scenario of the validity study (0: skip it)")  # fmt: skip
    parser.add_argument("--only-validity", action="store_true")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seeds", type=int, default=20, help="null logs")
    parser.add_argument("--speed-rows", type=int, default=1_000_000)
    parser.add_argument("--planted-seeds", type=int, default=3, help="logs per (effect, subgroup)")
    parser.add_argument("--peers", default=None, help="python of an environment with pysubgroup "
                        "and aif360 installed")  # fmt: skip
    run(parser.parse_args())


if __name__ == "__main__":
    main()

"""The audit with a score against the audit without one, and the weighted estimators.

The score is one more dimension of the count cube (its bands), so the pass and every sum
over the cube grow; the target (issue 15) is at most 2x the audit without a score. The
audits take turns (``--repeat`` rounds) on the same synthetic log; printed: the median
seconds of each and the ratio to the audit without a score.

    python benchmarks/bench_score.py --rows 1000000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import fairloop
from fairloop.datasets import make_decision_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    log = make_decision_log(n=args.rows, seed=7)
    roles = {k: v for k, v in log.roles.items() if k != "score"}
    runs: dict[str, Callable[[], object]] = {
        "no score": lambda: fairloop.audit(log.data, **roles),
        "score": lambda: fairloop.audit(log.data, **roles, score="score"),
        "score, post-stratified": lambda: fairloop.audit(
            log.data, **roles, score="score", estimator="post-stratified"
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, run in runs.items():  # alternately, so drift hits every variant alike
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["no score"])
    print(f"rows={args.rows} repeat={args.repeat}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:28s} {median:8.3f} s  {median / base:5.2f}x  (target <= 2x for 'score')")


if __name__ == "__main__":
    main()

"""Start-up: ``import fairloop`` and ``fairloop --help`` against ``import duckdb, pandas``.

Each command runs in a fresh Python process, the commands taking turns (``--repeat``
rounds), and the CPU time (user + system) of each child is read from the operating
system. Printed: the median CPU seconds of each and its ratio to ``import duckdb, pandas``.
Targets (issue 13): ``import fairloop`` and ``fairloop --help`` at most 1.3x. Also shown,
for information: importing the names an audit needs (``from fairloop import audit``) and
the review store (``from fairloop import ReviewStore``).

    python benchmarks/bench_startup.py --repeat 15
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys

BASELINE = "import duckdb, pandas"
COMMANDS = {
    BASELINE: [sys.executable, "-c", BASELINE],
    "import fairloop": [sys.executable, "-c", "import fairloop"],
    "fairloop --help": [shutil.which("fairloop") or "fairloop", "--help"],
    "fairloop audit --help": [shutil.which("fairloop") or "fairloop", "audit", "--help"],
    "from fairloop import audit": [sys.executable, "-c", "from fairloop import audit"],
    "from fairloop import ReviewStore": [sys.executable, "-c", "from fairloop import ReviewStore"],
}
TARGETS = {"import fairloop": 1.3, "fairloop --help": 1.3, "fairloop audit --help": 1.3}


def cpu_seconds(command: list[str]) -> float:
    """CPU time (user + system) of one run of ``command`` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env={**os.environ})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11, help="Rounds of every command.")
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file cache once
        cpu_seconds(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):  # alternately: one of each per round
        for name, command in COMMANDS.items():
            times[name].append(cpu_seconds(command))
    base = statistics.median(times[BASELINE])
    print(f"{'command':34s} {'CPU s':>7s} {'ratio':>6s}  target")
    failed = False
    for name, values in times.items():
        median = statistics.median(values)
        ratio = median / base
        target = TARGETS.get(name)
        verdict = (
            "" if target is None else (f"<= {target}x " + ("ok" if ratio <= target else "MISSED"))
        )
        failed |= target is not None and ratio > target
        print(f"{name:34s} {median:7.3f} {ratio:6.2f}  {verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

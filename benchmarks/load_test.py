"""Load test of a training day: N simulated trainees against the real trainee server (loopback only).

    .venv/bin/python benchmarks/load_test.py 60          # the issue's target run
    .venv/bin/python benchmarks/load_test.py 100 --think 1 3 --arrive 3

Prints the time until every trainee's first screen (and first decision) was usable, the decision
latency (median, p95), errors, the store and dashboard checks, the kernel memory in total, and how
long closed tabs kept their kernels. Exits 1 when a target is missed (see sim/loadtest.py).
`make bench` runs it with N=10, so that it stays quick; pass N for the real figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.loadtest import run_load  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10, help="number of simulated trainees (default 10)")
    parser.add_argument("--arrive", type=float, default=3.0, help="all arrive within this many seconds (default 3)")
    spans = (
        ("--think", (1.0, 3.0), "think time before each decision, in seconds"),
        ("--typing", (2.0, 6.0), "time to type the pseudonym before joining"),
        ("--reading", (1.0, 3.0), "reading time before choosing and before beginning the scenario"),
    )
    for flag, (low, high), text in spans:
        parser.add_argument(
            flag,
            type=float,
            nargs=2,
            default=(low, high),
            metavar=("MIN", "MAX"),
            help=f"{text} (default {low:g} {high:g})",
        )
    parser.add_argument("--scenario", default="klassenapp-vo3", help="scenario id (default klassenapp-vo3)")
    parser.add_argument("--workers", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and server log")
    args = parser.parse_args()
    report = run_load(
        args.n,
        arrive_within=args.arrive,
        think=tuple(args.think),
        scenario=args.scenario,
        workers=args.workers,
        keep=args.keep,
        log=lambda text: print(text, flush=True),
    )
    print("\n".join(report.lines()), flush=True)
    return 1 if report.missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

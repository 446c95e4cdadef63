"""How many timelines per second the scorer judges.

Machines here are noisy, so the figure is printed next to a baseline measured in the same run:
the floor any scorer pays, turning each timeline into sorted events (``to_events``). The ratio
(scoring time / floor time) is the number to compare between commits.

Run: .venv/bin/python benchmarks/bench_scorer.py [N]
"""

from __future__ import annotations

import random
import sys
import time

from sim.protocol import load_protocol
from sim.scoring import score, to_events


def make_cases(n: int, seed: int = 7):
    protocol = load_protocol()
    rng = random.Random(seed)
    ids = sorted(protocol.steps)
    cases = []
    for _ in range(n):
        facts = {
            k: (rng.choice([True, False]) if s.type == "bool" else rng.choice(s.values))
            for k, s in protocol.facts.items()
        }
        timeline = [{"at": round(rng.uniform(0, 100), 1), "action": rng.choice(ids)} for _ in range(rng.randint(5, 40))]
        cases.append((facts, timeline))
    return protocol, cases


def best_of(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    protocol, cases = make_cases(n)
    floor = best_of(lambda: [to_events(tl) for _, tl in cases])
    judged = best_of(lambda: [score(tl, facts, protocol) for facts, tl in cases])
    steps = sum(len(t) for _, t in cases) / n
    print(f"scorer: {n / judged:,.0f} timelines/s ({judged / n * 1e6:.0f} µs each, mean {steps:.1f} steps)")
    print(f"floor (sorting events only): {n / floor:,.0f} timelines/s")
    print(f"ratio scorer/floor: {judged / floor:.1f}x")


if __name__ == "__main__":
    main()

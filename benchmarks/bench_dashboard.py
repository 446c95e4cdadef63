"""How long a refresh of the facilitator's dashboard takes for a session with 10,000 stored runs.

The figures are printed next to a baseline measured in the same run on the same database: a plain
SELECT of the session's runs (the run rows without state or report, as the dashboard polls them).
Three refreshes are timed:

* cold: a new dashboard reads everything (every decision, every finished run's report) once;
* warm: the next refreshes, with nothing changed (what the dashboard does every 5 s);
* live: refreshes while 20 more trainees make a decision between two refreshes.

Run: .venv/bin/python benchmarks/bench_dashboard.py [RUNS] [--postgres]   (RUNS default 10000)
With --postgres it uses SIM_TEST_DATABASE_URL (a fresh schema) instead of a SQLite file.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.dashboard import SessionDashboard, store_counts, view_counts  # noqa: E402
from sim.groupsim import bulk_runs, play_group, random_choice  # noqa: E402
from sim.runs import SavedRun, scenario_by_id  # noqa: E402
from sim.store import Store  # noqa: E402


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 10_000
    scenario = scenario_by_id("klassenapp-vo3")
    schema = None
    if "--postgres" in sys.argv:
        import os

        import psycopg

        base = os.environ["SIM_TEST_DATABASE_URL"]
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = psycopg.connect(base.replace("postgresql+psycopg:", "postgresql:", 1), autocommit=True)
        admin.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    else:
        folder = tempfile.mkdtemp(prefix="bench-dash-")
        url = f"sqlite:///{Path(folder) / 'sim.db'}"
    store = Store(url)
    try:
        code = store.create_session([scenario.id], "Benchmark")
        start = time.perf_counter()
        decisions = bulk_runs(store, code, scenario, n)
        print(
            f"stored {n} finished runs ({decisions} decisions) in {time.perf_counter() - start:.1f} s; {store.dialect}"
        )

        baseline = timed(lambda: store.session_run_rows(code), 5)
        base = statistics.median(baseline)
        print(f"baseline, plain SELECT of the {n} run rows: {1000 * base:.0f} ms (median of 5)")

        dash = SessionDashboard(store, code)
        cold = timed(dash.refresh, 1)[0]
        print(f"cold refresh (everything read and aggregated once): {1000 * cold:.0f} ms = {cold / base:.1f}x baseline")

        warm = timed(dash.refresh, 10)
        w = statistics.median(warm)
        print(
            f"warm refresh, nothing changed: median {1000 * w:.0f} ms, max {1000 * max(warm):.0f} ms"
            f" = {w / base:.2f}x baseline"
        )

        # Live: 20 trainees play; between two refreshes each makes one decision.
        play_group(store, code, scenario, 20, seed=5, finish=False, prefix="live")
        live_runs = [r["id"] for r in store.session_run_rows(code) if r["ending"] is None]
        rng = random.Random(1)
        live = []
        for _ in range(5):
            for rid in live_runs:
                run = SavedRun.resume(store, rid)
                if not run.state.finished:
                    run.choose(random_choice(run.engine, run.state, rng))
            live += timed(dash.refresh, 1)
        li = statistics.median(live)
        print(f"live refresh, 20 new decisions each time: median {1000 * li:.0f} ms = {li / base:.2f}x baseline")
        same = view_counts(dash.refresh()) == store_counts(store, code)
        print(f"dashboard numbers equal the store's: {'yes' if same else 'NO'}")
        return 0 if same else 1
    finally:
        store.dispose()
        if schema is None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        if schema:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
            admin.close()


if __name__ == "__main__":
    raise SystemExit(main())

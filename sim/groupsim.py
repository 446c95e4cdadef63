"""Simulated groups: random but valid plays of a scenario, for tests, benchmarks and demo sessions.

:func:`random_choice` picks a valid choice for any kind of decision point; :func:`play_group` lets
``n`` pseudonymous participants join a session and play through :class:`~sim.runs.SavedRun` (one
transaction per decision, exactly as the app does); :func:`bulk_runs` writes many finished runs in
a few transactions, for benchmarks that need thousands of stored runs.
"""

from __future__ import annotations

import json
import random
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sim.engine import Engine, RunState
from sim.runs import SavedRun
from sim.scenario import Scenario
from sim.store import DECISION_COLUMNS, PARTICIPANT_COLUMNS, RUN_COLUMNS, Store, insert_sql, normalise_code

REFLECTIONS = (
    "Ik zou eerder de zorgcoördinator erbij halen.",
    "Lastig: ik wilde het beeld niet zien, maar wel weten wat er speelt.",
    "Goed om te weten wie in onze school het aanspreekpunt is.",
)


def random_choice(engine: Engine, state: RunState, rng: random.Random) -> str | list[str]:
    """A valid choice at the run's current decision point."""
    node = engine.node(state)
    assert node is not None, "the run is finished"
    if node.kind == "reflectie":
        return rng.choice(REFLECTIONS)
    ids = [o.id for o in engine.options(state)]
    if node.kind == "keuze":
        return rng.choice(ids)
    if node.kind == "meerkeuze":
        k = rng.randint(1, min(node.max or len(ids), len(ids)))
        return rng.sample(ids, k)
    rng.shuffle(ids)
    return ids


def play_random(scenario: Scenario, rng: random.Random, seed: int = 1, max_steps: int = 200) -> RunState:
    """A whole random run in memory."""
    engine = Engine(scenario)
    state = engine.start(seed)
    for _ in range(max_steps):
        if state.finished:
            return state
        state = engine.choose(state, random_choice(engine, state, rng))
    raise RuntimeError(f"scenario '{scenario.id}' did not end within {max_steps} decisions")


def play_group(
    store: Store,
    code: str,
    scenario: Scenario,
    n: int,
    seed: int = 1,
    finish: bool = True,
    prefix: str = "speler",
) -> list[str]:
    """``n`` participants join ``code`` and play ``scenario`` in mode 'toets'; return their run ids.

    With ``finish=False`` every run stops at a random decision point before its ending.
    """
    rng = random.Random(seed)
    run_ids = []
    for i in range(n):
        pid, _token, _ = store.join(code, f"{prefix}-{i + 1}")
        run = SavedRun.begin(store, pid, scenario, "toets", session_code=code)
        stop = None if finish else rng.randint(0, 6)
        steps = 0
        while not run.state.finished and (stop is None or steps < stop):
            run.choose(random_choice(run.engine, run.state, rng))
            steps += 1
        run_ids.append(run.run_id)
    return run_ids


def bulk_runs(
    store: Store,
    code: str,
    scenario: Scenario,
    n: int,
    seed: int = 1,
    distinct: int = 300,
    batch: int = 1000,
) -> int:
    """Store ``n`` finished runs of ``scenario`` in session ``code`` (one participant each), quickly.

    ``distinct`` random plays are computed and reused round-robin, so a benchmark with 10,000 runs
    does not spend minutes in the engine. The runs are one second apart and end an hour ago.
    Returns the number of decisions stored.
    """
    code = normalise_code(code)
    rng = random.Random(seed)
    engine = Engine(scenario)
    plays = []
    for _ in range(max(1, min(distinct, n))):
        state = play_random(scenario, rng)
        report = engine.report(state)
        plays.append((state, state.to_json(), report.score, json.dumps(report.model_dump(mode="json"))))
    # One run a second, ending an hour ago: a long training programme, not one burst.
    start = datetime.now(UTC) - timedelta(seconds=n + 3600)
    total = 0
    for lo in range(0, n, batch):
        part_rows, run_rows, dec_rows = [], [], []
        for i in range(lo, min(n, lo + batch)):
            state, state_json, score, report_json = plays[i % len(plays)]
            pid, rid = str(uuid.uuid4()), str(uuid.uuid4())
            when = start + timedelta(seconds=i)
            part_rows.append(
                {
                    "id": pid,
                    "session_code": code,
                    "pseudonym": f"bulk-{i + 1}",
                    "token": secrets.token_urlsafe(16),
                    "created_at": when,
                }
            )
            run_rows.append(
                {
                    "id": rid,
                    "participant_id": pid,
                    "session_code": code,
                    "scenario": scenario.id,
                    "digest": scenario.digest,
                    "mode": "toets",
                    "seed": 1,
                    "decisions": len(state.choices),
                    "node": None,
                    "ending": state.ending,
                    "score": score,
                    "state": state_json,
                    "report": report_json,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            dec_rows.extend(
                {
                    "run_id": rid,
                    "seq": k + 1,
                    "node": c.node,
                    "choice": c.choice,
                    "clock": c.at,
                    "created_at": when,
                }
                for k, c in enumerate(state.choices)
            )
        with store.tx() as conn:
            conn.executemany(insert_sql("participants", PARTICIPANT_COLUMNS), part_rows)
            conn.executemany(insert_sql("runs", RUN_COLUMNS), run_rows)
            conn.executemany(insert_sql("decisions", DECISION_COLUMNS), dec_rows)
        total += len(dec_rows)
    return total

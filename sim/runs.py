"""A played run that is saved after every decision: the engine and the store together.

The UI holds a :class:`SavedRun` and calls :meth:`SavedRun.choose`; the new state is returned only
after it has been stored, so what a trainee sees confirmed is never lost.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sim.engine import Engine, RunState
from sim.scenario import Scenario, load_scenario
from sim.scoring import Report
from sim.store import Store, StoreError
from sim.validate import SCENARIO_DIR

Mode = Literal["oefenen", "toets"]


def scenario_dir() -> Path:
    """The folder the apps play from: ``SIM_SCENARIO_DIR`` when set (tests, a school's own set), else scenarios/."""
    return Path(os.environ.get("SIM_SCENARIO_DIR") or SCENARIO_DIR)


def scenario_by_id(scenario_id: str) -> Scenario:
    """Load a library scenario by id."""
    path = scenario_dir() / f"{scenario_id}.yaml"
    if not path.exists() or "/" in scenario_id:
        raise StoreError(f"unknown scenario '{scenario_id}'")
    return load_scenario(path)


@dataclass
class SavedRun:
    """A run bound to its stored row."""

    store: Store
    engine: Engine
    run_id: str
    state: RunState
    mode: Mode
    session_code: str | None = None

    @classmethod
    def begin(
        cls,
        store: Store,
        participant_id: str,
        scenario: Scenario,
        mode: Mode = "oefenen",
        session_code: str | None = None,
        seed: int = 1,
    ) -> SavedRun:
        """Start and store a new run."""
        engine = Engine(scenario)
        state = engine.start(seed)
        run_id = store.start_run(
            participant_id, scenario.id, scenario.digest, mode, seed, state.to_json(), state.node, session_code
        )
        return cls(store, engine, run_id, state, mode, session_code)

    @classmethod
    def resume(cls, store: Store, run_id: str) -> SavedRun:
        """Continue a stored run exactly where it was."""
        row = store.run(run_id)
        if row is None:
            raise StoreError(f"unknown run '{run_id}'")
        scenario = scenario_by_id(row.scenario)
        state = RunState.from_json(row.state)
        return cls(store, Engine(scenario), row.id, state, row.mode, row.session_code)  # type: ignore[arg-type]

    def choose(self, choice: str | list[str]) -> RunState:
        """Make a choice, store it with the new state, then return the new state."""
        before = self.state
        node = before.node or ""
        new = self.engine.choose(before, choice)
        score = report_json = None
        if new.finished:
            report = self.engine.report(new)
            score, report_json = report.score, json.dumps(report.model_dump(mode="json"), ensure_ascii=False)
        self.store.record_decision(
            self.run_id,
            len(new.choices),
            node,
            new.choices[-1].choice,
            new.choices[-1].at,
            new.to_json(),
            new.node,
            new.ending,
            score,
            report_json,
        )
        self.state = new
        return new

    def report(self) -> Report:
        """Score the run so far."""
        return self.engine.report(self.state)

"""The simulation engine: plays a scenario, keeps time and state, and hands the timeline to the scorer.

All mutable state of a run lives in one frozen :class:`RunState`, which saves to JSON with a
``schema_version``. :meth:`Engine.choose` takes a state and an option id and returns the next
state; nothing else changes. The dynamics are described in ``docs/engine.md``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sim.scenario import STATE_VARS, Node, Option, Scenario, Transition
from sim.scoring import Report, score

RUN_SCHEMA_VERSION = 1
SPREAD_LEVELS = ("geen", "een-persoon", "klas", "meerdere-klassen", "school", "buiten-school")
MAX_LEVEL = len(SPREAD_LEVELS) - 1

# Effects a protocol step has on the state the first time it is taken (scenario effects add to these).
STEP_EFFECTS: dict[str, dict[str, float]] = {
    "gesprek-slachtoffer": {"welzijn": 15},
    "hulp-ouders-slachtoffer": {"welzijn": 5, "vertrouwen": 5},
    "rustperiode-slachtoffer": {"welzijn": 5},
    "klas-slachtoffer": {"welzijn": 5, "onrust": -5},
    "nazorg": {"welzijn": 5},
    "bel-ouders-slachtoffer": {"vertrouwen": 10},
    "informeer-ouders-klas": {"vertrouwen": 10, "onrust": -5},
    "informeer-ouders-overige": {"vertrouwen": 5, "onrust": -3},
    "media-voorbereiding": {"vertrouwen": 5},
    "communicatiestatement": {"onrust": -10},
    "groepsaanpak": {"onrust": -10},
    "boodschap-leerlingen": {"onrust": -5},
    "handvatten-docenten": {"onrust": -5},
    "interventie-overige-klassen": {"onrust": -5},
    "bekijk-beeld": {"welzijn": -15, "vertrouwen": -10},
    "laat-beeld-doorsturen": {"welzijn": -15, "vertrouwen": -10, "bereik": 0.5},
    "schuld-bij-slachtoffer": {"welzijn": -20},
    "sanctie-slachtoffer": {"welzijn": -25, "vertrouwen": -10},
    "naam-in-brief": {"welzijn": -20, "vertrouwen": -15, "onrust": 15},
    "doorzoek-telefoon": {"welzijn": -5, "vertrouwen": -10},
    "ouders-buiten-leerling-om": {"welzijn": -10},
    "beloof-geheimhouding": {"welzijn": -5},
    "suggestieve-vragen": {"welzijn": -10},
}
SUPPORT_STEP = "gesprek-slachtoffer"
COMMUNICATION_STEPS = frozenset(
    {"communicatiestatement", "groepsaanpak", "boodschap-leerlingen", "handvatten-docenten"}
)
PARENT_STEPS = frozenset({"bel-ouders-slachtoffer", "informeer-ouders-klas"})
CONTAIN_STEP = "verzoek-verwijderen"
ONLINE_STEPS = frozenset({"offline-halen", "meld-beelden"})


class ChoiceError(ValueError):
    """A choice that is not possible at this point of the run (English message)."""


class Frozen(BaseModel):
    """Base for run-state records: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TimelineEntry(Frozen):
    """A protocol step taken in the run."""

    at: float
    action: str
    by: str | None = None
    node: str
    option: str


class Choice(Frozen):
    """A decision made: the node, the canonical choice text and the clock when it was made."""

    node: str
    choice: str
    at: float


class LogEntry(Frozen):
    """Something the trainee was (or will be, in the debrief) told."""

    at: float
    kind: Literal["feedback", "event", "ending", "reflectie"]
    node: str | None = None
    option: str | None = None
    title: str
    text: str
    sources: list[str] = Field(default_factory=list)
    difference: str | None = None
    steps: list[str] = Field(default_factory=list)


class RunState(Frozen):
    """Everything about one run of one scenario. JSON-serialisable; never mutated."""

    schema_version: int = RUN_SCHEMA_VERSION
    scenario: str
    digest: str
    seed: int
    node: str | None
    ending: str | None = None
    clock: float = 0.0
    vars: dict[str, float | bool]
    facts: dict[str, Any]
    timeline: tuple[TimelineEntry, ...] = ()
    choices: tuple[Choice, ...] = ()
    fired: tuple[str, ...] = ()
    log: tuple[LogEntry, ...] = ()

    @property
    def finished(self) -> bool:
        """Whether the run reached an ending."""
        return self.ending is not None

    @property
    def taken(self) -> frozenset[str]:
        """Protocol steps taken so far."""
        return frozenset(e.action for e in self.timeline)

    def to_json(self) -> str:
        """Serialise to JSON."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> RunState:
        """Load from JSON, upgrading older schema versions."""
        state = cls.model_validate_json(text)
        if state.schema_version != RUN_SCHEMA_VERSION:
            raise ValueError(f"unsupported run schema_version {state.schema_version}")
        return state


def level_of(bereik: float) -> str:
    """The spread fact value for a spread level."""
    return SPREAD_LEVELS[max(0, min(MAX_LEVEL, int(bereik + 1e-9)))]


class Engine:
    """Plays one scenario."""

    def __init__(self, scenario: Scenario) -> None:
        """Bind the engine to a loaded scenario."""
        self.scenario = scenario
        self.data = scenario.data
        self.protocol = scenario.protocol
        used = set().union(*(c.names for c in scenario.conditions.values())) if scenario.conditions else set()
        self._needs_gekozen = "gekozen" in used
        self._always = all(c.source == "true" for c in scenario.conditions.values())

    # -- reading -----------------------------------------------------------------------------
    def start(self, seed: int = 1) -> RunState:
        """The state before the first decision."""
        facts = self.scenario.facts()
        init = self.data.initial
        vars_: dict[str, float | bool] = {
            "bereik": float(SPREAD_LEVELS.index(facts["verspreiding"])),
            "welzijn": float(init.welzijn),
            "onrust": float(init.onrust),
            "vertrouwen": float(init.vertrouwen),
            "gestopt": False,
        }
        vars_.update(init.variables)
        return RunState(
            scenario=self.data.id, digest=self.scenario.digest, seed=seed, node=self.data.start, vars=vars_, facts=facts
        )

    def node(self, state: RunState) -> Node | None:
        """The current decision point (None when finished)."""
        return self.scenario.nodes.get(state.node) if state.node else None

    def env(self, state: RunState) -> dict[str, Any]:
        """The names a condition reads: facts, state variables, ``klok``, ``gedaan``, ``gekozen``."""
        env: dict[str, Any] = dict(state.facts)
        env.update(state.vars)
        env["klok"] = state.clock
        env["gedaan"] = state.taken
        if self._needs_gekozen:  # only built when some condition of this scenario reads it
            env["gekozen"] = frozenset(
                f"{c.node}.{part}" for c in state.choices for part in _split_choice(c.choice)
            ) | frozenset(c.node for c in state.choices)
        return env

    def options(self, state: RunState) -> list[Option]:
        """Options offered now (their conditions hold)."""
        node = self.node(state)
        if node is None:
            return []
        if self._always:
            return list(node.options)
        env = self.env(state)
        conds = self.scenario.conditions
        return [o for o in node.options if conds[("option", node.id, o.id)].holds(env)]

    def report(self, state: RunState) -> Report:
        """Score the run's timeline so far with the protocol."""
        return score(state.timeline, state.facts, self.protocol)

    # -- choosing ----------------------------------------------------------------------------
    def parse(self, state: RunState, choice: str | Sequence[str]) -> tuple[list[Option], str, str | None]:
        """Turn a choice into the chosen options, the canonical choice text and a reflection text."""
        node = self.node(state)
        if node is None:
            raise ChoiceError("the run is finished; there is nothing to choose")
        if node.kind == "reflectie":
            text = choice if isinstance(choice, str) else " ".join(choice)
            return [], text.strip()[:4000], text.strip()[:4000]
        if isinstance(choice, str):
            sep = "+" if node.kind == "meerkeuze" else ">" if node.kind == "volgorde" else None
            ids = [p.strip() for p in choice.split(sep)] if sep else [choice.strip()]
        else:
            ids = [str(c).strip() for c in choice]
        offered = {o.id: o for o in self.options(state)}
        for oid in ids:
            if oid not in offered:
                known = ", ".join(offered) or "none"
                raise ChoiceError(f"'{oid}' is not an option at '{node.id}' (options: {known})")
        if len(set(ids)) != len(ids):
            raise ChoiceError(f"an option is chosen twice at '{node.id}'")
        if node.kind == "keuze" and len(ids) != 1:
            raise ChoiceError(f"choose exactly one option at '{node.id}'")
        if node.kind == "meerkeuze":
            if not 1 <= len(ids) <= (node.max or len(offered)):
                raise ChoiceError(f"choose between 1 and {node.max} options at '{node.id}'")
            order = [o.id for o in node.options]
            ids = sorted(ids, key=order.index)
        if node.kind == "volgorde" and set(ids) != set(offered):
            raise ChoiceError(f"put all options of '{node.id}' in order ({', '.join(offered)})")
        sep = {"meerkeuze": "+", "volgorde": ">"}.get(node.kind, "")
        return [offered[i] for i in ids], sep.join(ids), None

    def choose(self, state: RunState, choice: str | Sequence[str]) -> RunState:
        """Make a choice at the current decision point and return the next state."""
        node = self.node(state)
        chosen, canonical, reflection = self.parse(state, choice)
        assert node is not None
        hours = chosen[0].hours if (node.kind == "keuze" and chosen[0].hours is not None) else node.hours
        start = state.clock
        vars_ = dict(state.vars)
        facts = dict(state.facts)
        taken = set(state.taken)
        timeline = list(state.timeline)
        log = list(state.log)
        end_at = round(start + hours, 4)
        default_by = self.data.role

        for k, opt in enumerate(chosen):
            at = end_at if node.kind != "volgorde" else round(start + hours * (k + 1) / len(chosen), 4)
            for sid in opt.steps:
                timeline.append(TimelineEntry(at=at, action=sid, by=opt.by or default_by, node=node.id, option=opt.id))
                if sid not in taken:
                    _apply(vars_, STEP_EFFECTS.get(sid, {}))
                    taken.add(sid)
            _apply(vars_, opt.effects)
            log.append(
                LogEntry(
                    at=at,
                    kind="feedback",
                    node=node.id,
                    option=opt.id,
                    title=opt.label,
                    text=opt.feedback,
                    sources=self.protocol.sources_of(opt.sources),
                    difference=opt.difference,
                    steps=list(opt.steps),
                )
            )
        if reflection is not None:
            log.append(LogEntry(at=end_at, kind="reflectie", node=node.id, title=node.title, text=reflection))
        if node.feedback:
            log.append(LogEntry(at=end_at, kind="feedback", node=node.id, title=node.title, text=node.feedback))

        self._advance(vars_, facts, taken, hours, state.seed, len(state.choices))
        choices = (*state.choices, Choice(node=node.id, choice=canonical, at=start))
        new = state.model_copy(
            update={
                "clock": end_at,
                "vars": vars_,
                "facts": facts,
                "timeline": tuple(timeline),
                "choices": choices,
                "log": tuple(log),
            }
        )
        env = self.env(new)
        if node.kind == "keuze" and chosen[0].next is not None:
            target = self._follow(chosen[0].next, ("option", node.id, chosen[0].id), env)
        else:
            target = self._follow(node.next, ("node", node.id), env)
        target, new = self._fire_events(new, target, env)
        if target in self.scenario.endings:
            ending = self.scenario.endings[target]
            new = new.model_copy(
                update={
                    "node": None,
                    "ending": target,
                    "log": (*new.log, LogEntry(at=new.clock, kind="ending", title=ending.title, text=ending.text)),
                }
            )
        else:
            new = new.model_copy(update={"node": target})
        return new

    def _follow(self, nxt: str | list[Transition] | None, key: tuple[str, ...], env: dict[str, Any]) -> str:
        if isinstance(nxt, str):
            return nxt
        for k, t in enumerate(nxt or []):
            if self.scenario.conditions[(*key, str(k))].holds(env):
                return t.to
        raise ChoiceError(f"no way on from {key[1]}: no transition condition holds")  # checked by validate

    def _fire_events(self, state: RunState, target: str, env: dict[str, Any]) -> tuple[str, RunState]:
        fired = list(state.fired)
        vars_ = dict(state.vars)
        facts = dict(state.facts)
        log = list(state.log)
        taken = env["gedaan"]
        goto: str | None = None
        for ev in self.data.events:
            if ev.id in fired:
                continue
            if ev.at is not None and state.clock < ev.at:
                continue
            if ev.missed is not None and (ev.missed in taken or state.clock <= (ev.by or 0)):
                continue
            if ev.when is not None and not self.scenario.conditions[("event", ev.id)].holds(env):
                continue
            fired.append(ev.id)
            _apply(vars_, ev.effects)
            facts.update(ev.facts)
            log.append(LogEntry(at=state.clock, kind="event", title=ev.title, text=ev.text))
            if ev.goto and goto is None:
                goto = ev.goto
        if goto is not None:
            target = goto
        if len(fired) == len(state.fired):
            return target, state
        return target, state.model_copy(
            update={"fired": tuple(fired), "vars": vars_, "facts": facts, "log": tuple(log)}
        )

    def _advance(
        self, vars_: dict[str, Any], facts: dict[str, Any], taken: set[str], hours: float, seed: int, step: int
    ) -> None:
        """Let ``hours`` pass: the image spreads, the victim suffers, unrest grows, trust erodes."""
        dyn = self.data.dynamics
        if CONTAIN_STEP in taken and (not facts.get("beeld_online") or taken & ONLINE_STEPS):
            vars_["gestopt"] = True
        if not vars_.get("gestopt"):
            rng = random.Random(f"{seed}:{step}")
            factor = 1.0 + dyn.noise * (2 * rng.random() - 1)
            vars_["bereik"] = min(float(MAX_LEVEL), vars_["bereik"] + dyn.spread_per_hour * hours * factor)
        level = vars_["bereik"]
        supported = SUPPORT_STEP in taken
        # Support softens the distress; support plus a stopped spread ends it.
        relief = 0.0 if (supported and vars_.get("gestopt")) else 0.25 if supported else 1.0
        distress = dyn.distress_per_hour * hours * relief * (1 + level / MAX_LEVEL)
        vars_["welzijn"] = vars_["welzijn"] - distress
        damp = 0.3 if taken & COMMUNICATION_STEPS else 1.0
        if vars_.get("gestopt"):
            vars_["onrust"] = vars_["onrust"] - 0.5 * hours
        else:
            vars_["onrust"] = vars_["onrust"] + dyn.unrest_per_level * level * hours * damp / 4
        if not taken & PARENT_STEPS:
            vars_["vertrouwen"] = vars_["vertrouwen"] - dyn.trust_per_hour * hours
        for name in ("welzijn", "onrust", "vertrouwen"):
            vars_[name] = round(max(0.0, min(100.0, vars_[name])), 2)
        vars_["bereik"] = round(vars_["bereik"], 4)
        current = SPREAD_LEVELS.index(facts["verspreiding"])
        reached = SPREAD_LEVELS.index(level_of(vars_["bereik"]))
        if reached > current:
            facts["verspreiding"] = SPREAD_LEVELS[reached]


def _apply(vars_: dict[str, Any], effects: dict[str, Any]) -> None:
    for name, value in effects.items():
        if isinstance(value, bool):
            vars_[name] = value
        elif name == "bereik":
            vars_[name] = max(0.0, min(float(MAX_LEVEL), vars_.get(name, 0.0) + value))
        elif name in STATE_VARS:
            vars_[name] = max(0.0, min(100.0, vars_.get(name, 0.0) + value))
        else:
            vars_[name] = vars_.get(name, 0) + value


def _split_choice(choice: str) -> list[str]:
    for sep in ("+", ">"):
        if sep in choice:
            return choice.split(sep)
    return [choice]


def play(engine: Engine, choices: Sequence[str], seed: int = 1) -> RunState:
    """Play a list of choices from the start; raise :class:`ChoiceError` on an impossible one."""
    state = engine.start(seed)
    for i, choice in enumerate(choices):
        if state.finished:
            raise ChoiceError(f"choice {i + 1} ('{choice}') comes after the ending '{state.ending}'")
        state = engine.choose(state, choice)
    return state

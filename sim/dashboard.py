"""The facilitator's live view of a training-day session, as plain data (no widgets).

:class:`SessionDashboard` reads a session from the :class:`~sim.store.Store` and aggregates it into a
:class:`SessionView`: who joined and how far they are, per decision point the spread of choices
(with the discussion prompt and the protocol steps behind each option), the paths the group took
(Sankey data), the protocol steps most often missed, late or out of order, the harmful choices, and
the scores per phase. The widgets in :mod:`sim.ui.facilitator` and the after-action review in
:mod:`sim.aar` only show what this module computes, so the numbers can be tested against the store.

Refreshing is incremental: the runs table is read without state or report (a few columns), and only
runs whose number of decisions changed have their decisions read again; a finished run's report is
read once. A refresh of a session with 10,000 runs therefore costs little more than one plain SELECT
of the runs (``benchmarks/bench_dashboard.py``).

Anonymous by default: participants are "Deelnemer 1", "Deelnemer 2", ... in the order they joined;
pseudonyms appear in the view only with ``show_names=True``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sim.scenario import Scenario, choice_parts
from sim.store import Store, StoreError, normalise_code

ISSUE_KINDS = ("missing", "late", "order")  # how a protocol step can go wrong in a run
OTHER = "andere"  # Sankey bucket for rare combinations at a multi-choice or ordering decision point
BUSY = "(nog bezig)"
MAX_COMBOS = 3  # combinations per multi-choice/ordering node shown separately in the Sankey
PHASE_TITLES = {
    "analyseer": "Analyseer",
    "reageer": "Reageer",
    "faciliteer": "Faciliteer",
    "activeer": "Activeer",
    "evalueer": "Evalueer",
}


# --- the view: plain, JSON-serialisable data --------------------------------------------------


@dataclass
class StepRef:
    """A protocol step an option performs."""

    id: str
    title: str
    harmful: bool = False


@dataclass
class OptionStat:
    """How often one option was chosen at a decision point."""

    id: str
    label: str
    count: int
    share: float  # of the decisions taken at this point (meerkeuze: may add up to more than 1)
    steps: list[StepRef]
    harmful: bool
    first: int = 0  # volgorde: how often this option was put first


@dataclass
class NodeStat:
    """The spread of choices at one decision point."""

    id: str
    title: str
    kind: str
    prompt: str | None
    answered: int
    options: list[OptionStat]
    combos: list[tuple[str, int]] = field(default_factory=list)  # meerkeuze/volgorde: label, count


@dataclass
class StepStat:
    """A protocol step the group missed, took too late or in the wrong order (finished runs only)."""

    id: str
    title: str
    phase: str
    missing: int
    late: int
    order: int
    applicable: int  # finished runs in which the step was required
    issues: int  # runs with at least one of the three
    share: float  # issues / applicable
    sources: list[str]
    after: list[tuple[str, int]] = field(default_factory=list)  # order: the step it should have followed


@dataclass
class UnitStat:
    """A required step (or a group of alternatives, key ``a|b``) and how often it went well."""

    key: str
    title: str
    phase: str
    applicable: int  # finished runs in which it was required
    ok: int  # ... in which it was taken, on time and in order
    share: float  # ok / applicable
    sources: list[str]


@dataclass
class HarmStat:
    """A harmful step, how many runs took it and through which options."""

    id: str
    title: str
    runs: int
    share: float  # of finished runs
    why: str
    sources: list[str]
    options: list[tuple[str, str, int]]  # (decision point title, option label, times chosen)


@dataclass
class Sankey:
    """Paths through a scenario: labelled nodes and weighted links (indices into ``labels``)."""

    labels: list[str]  # "decision point: option" (full, for text and hover)
    short: list[str]  # the option (or ending) alone, shortened: what the diagram writes beside a node
    kinds: list[str]  # choice, harmful, ending, busy
    source: list[int]
    target: list[int]
    value: list[int]


@dataclass
class ScenarioView:
    """Everything the dashboard shows about one scenario of the session."""

    id: str
    title: str
    runs: int
    finished: int
    decisions: int
    nodes: list[NodeStat]
    sankey: Sankey
    steps: list[StepStat]
    units: list[UnitStat]  # every required step (or group of alternatives) and how often it went well
    harmful: list[HarmStat]
    phases: dict[str, list[float]]  # phase id -> one score per finished run
    phase_titles: dict[str, str]
    scores: list[float]
    endings: list[tuple[str, str, int]]  # id, title, count
    discussion: list[str]
    learning_goals: list[str]


@dataclass
class ParticipantRow:
    """One participant and how far they are (their most recent run)."""

    label: str  # "Deelnemer 3", or the pseudonym when names are shown
    joined: str  # ISO time
    scenario: str | None
    scenario_title: str | None
    decisions: int
    expected: int
    status: str  # "wacht", "bezig", "klaar"
    status_text: str
    progress: float  # 0..1
    runs: int
    finished: int


@dataclass
class SessionView:
    """The whole dashboard at one moment."""

    code: str
    title: str
    created: str
    closed: bool
    scenario_ids: list[str]
    participants: int
    runs: int
    finished: int
    decisions: int
    people: list[ParticipantRow]
    scenarios: list[ScenarioView]
    refreshed: str
    anonymous: bool

    def to_dict(self) -> dict[str, Any]:
        """As plain dicts and lists (JSON-serialisable)."""
        return asdict(self)

    def scenario(self, scenario_id: str) -> ScenarioView | None:
        """The view of one scenario."""
        return next((s for s in self.scenarios if s.id == scenario_id), None)

    def frames(self) -> dict[str, Any]:
        """The main tables as pandas DataFrames (pandas is imported only here)."""
        import pandas as pd

        people = pd.DataFrame([asdict(p) for p in self.people])
        choices = pd.DataFrame(
            [
                {
                    "scenario": s.id,
                    "beslispunt": n.id,
                    "titel": n.title,
                    "optie": o.id,
                    "label": o.label,
                    "aantal": o.count,
                    "aandeel": o.share,
                    "stappen": ", ".join(st.id for st in o.steps),
                    "schadelijk": o.harmful,
                }
                for s in self.scenarios
                for n in s.nodes
                for o in n.options
            ]
        )
        steps = pd.DataFrame(
            [
                {"scenario": s.id, **{k: v for k, v in asdict(st).items() if k not in ("sources", "after")}}
                for s in self.scenarios
                for st in s.steps
            ]
        )
        phases = pd.DataFrame(
            [
                {"scenario": s.id, "fase": ph, "score": v}
                for s in self.scenarios
                for ph, values in s.phases.items()
                for v in values
            ]
        )
        return {"deelnemers": people, "keuzes": choices, "stappen": steps, "fasen": phases}


# --- the aggregator ---------------------------------------------------------------------------


@dataclass
class _Run:
    """What the aggregator keeps of one run between refreshes."""

    id: str
    participant: str
    scenario: str
    decisions: int
    node: str | None
    ending: str | None
    created: Any
    path: tuple[tuple[str, str], ...] = ()  # (node, canonical choice) per decision, in order
    report: tuple[Any, ...] | None = None  # see _summary
    key: int = -1  # interned (path, ending): identical outcomes are aggregated once
    report_key: int = -1  # interned report summary


# A report summary is a hashable tuple, so identical outcomes (common in a group) are counted once:
# (score, ((phase, score), ...), (required unit, ...), ((kind, action), ...), ((action, after), ...))


def _summary(report_json: str) -> tuple[Any, ...]:
    """The parts of a stored report the dashboard uses, as a hashable tuple."""
    data = json.loads(report_json)
    required = tuple(data.get("required") or ())  # unit keys: a step, or alternatives as "a|b"
    issues: list[tuple[str, str]] = []
    after: list[tuple[str, str]] = []
    for f in data.get("findings") or ():
        pair = (f["kind"], f["action"])
        if pair not in issues:
            issues.append(pair)
        if f["kind"] == "order" and f.get("after"):
            after.append((f["action"], f["after"]))
    phases = tuple((k, float(v)) for k, v in (data.get("phases") or {}).items())
    return (float(data.get("score", 0.0)), phases, required, tuple(issues), tuple(after))


def _default_loader(scenario_id: str) -> Scenario | None:
    from sim.runs import scenario_by_id

    try:
        return scenario_by_id(scenario_id)
    except Exception:  # noqa: BLE001 - a removed or broken scenario: the dashboard shows ids
        return None


class SessionDashboard:
    """Aggregates one session for the facilitator; call :meth:`refresh` for a new :class:`SessionView`."""

    #: Runs changed this long before the newest change seen are read again (covers transactions that
    #: waited for a lock after taking their timestamp; SQLite's busy timeout is 10 s).
    overlap = timedelta(seconds=60)
    #: Every this many refreshes, everything is read again (a safety net; cheap enough).
    full_every = 20

    def __init__(
        self,
        store: Store,
        code: str,
        show_names: bool = False,
        loader: Callable[[str], Scenario | None] | None = None,
    ) -> None:
        """Bind to a session; nothing is read until :meth:`refresh`."""
        self.store = store
        self.code = normalise_code(code)
        self.show_names = show_names
        self._loader = loader or _default_loader
        self._scenarios: dict[str, Scenario | None] = {}
        self._runs: dict[str, _Run] = {}
        self._people: dict[str, dict[str, Any]] = {}
        self._since: Any = None
        self._count = 0
        self._keys: dict[Any, int] = {}  # interned (path, ending) and report summaries
        self._values: list[Any] = []

    def scenario(self, scenario_id: str) -> Scenario | None:
        """A scenario by id (loaded once)."""
        if scenario_id not in self._scenarios:
            self._scenarios[scenario_id] = self._loader(scenario_id)
        return self._scenarios[scenario_id]

    # -- reading ---------------------------------------------------------------------------------
    def _sync(self) -> None:
        """Bring the caches of participants and runs up to date."""
        full = self._since is None or self._count % self.full_every == 0
        self._count += 1
        since = None if full else self._since
        people = self.store.session_participants(self.code, since)
        rows = self.store.session_run_rows(self.code, since)
        if full:
            self._people = {}
            gone = set(self._runs) - {r["id"] for r in rows}
            for rid in gone:
                del self._runs[rid]
        for person in people:
            self._people[person["id"]] = person
        newest = self._since + self.overlap if self._since is not None else None
        stale: list[str] = []
        unscored: list[str] = []
        for row in rows:
            rid = row["id"]
            if newest is None or row["updated_at"] > newest:
                newest = row["updated_at"]
            run = self._runs.get(rid)
            if run is None:
                run = self._runs[rid] = _Run(
                    rid, row["participant_id"], row["scenario"], -1, row["node"], row["ending"], row["created_at"]
                )
            if run.decisions != row["decisions"]:
                stale.append(rid)
            run.node, run.ending, run.decisions = row["node"], row["ending"], row["decisions"]
            if row["ending"] is not None and run.report is None:
                unscored.append(rid)
        for person in people:
            if newest is None or person["created_at"] > newest:
                newest = person["created_at"]
        if newest is not None:
            self._since = newest - self.overlap
        if stale:
            everything = len(stale) > 200 and len(stale) * 2 > len(self._runs)
            fetched: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for d in self.store.decisions_of(self.code, None if everything else stale):
                fetched[d["run_id"]].append((d["node"], d["choice"]))
            for rid in stale:
                run = self._runs[rid]
                # A decision stored after the runs were read waits for the next refresh.
                run.path = tuple(fetched.get(rid, ())[: run.decisions])
                if len(run.path) < run.decisions:  # should not happen: a run's row and decisions commit together
                    run.decisions = len(run.path)
        if unscored:
            everything = len(unscored) > 200 and len(unscored) * 2 > len(self._runs)
            reports = self.store.reports_of(self.code, None if everything else unscored)
            missing = [rid for rid in unscored if rid not in reports]
            if missing:  # finished without a stored report: score the stored state
                reports.update(self._score_states(missing))
            for rid in unscored:
                if rid in reports:
                    run = self._runs[rid]
                    run.report = _summary(reports[rid])
                    run.report_key = self._intern(run.report)
        for rid in stale:
            run = self._runs[rid]
            run.key = self._intern((run.path, run.ending))

    def _intern(self, value: Any) -> int:
        key = self._keys.get(value)
        if key is None:
            key = self._keys[value] = len(self._values)
            self._values.append(value)
        return key

    def _score_states(self, run_ids: list[str]) -> dict[str, str]:
        from sim.engine import Engine, RunState

        out = {}
        for rid, text in self.store.states_of(self.code, run_ids).items():
            state = RunState.from_json(text)
            scenario = self.scenario(state.scenario)
            if scenario is not None:
                out[rid] = Engine(scenario).report(state).model_dump_json()
        return out

    def refresh(self) -> SessionView:
        """Read what changed in the store and return the aggregated view."""
        session = self.store.session(self.code)
        if session is None:
            raise StoreError(f"unknown session '{self.code}'")
        self._sync()
        runs = list(self._runs.values())  # in the order first seen: by start time
        scenario_ids = list(session["scenarios"])
        for run in runs:
            if run.scenario not in scenario_ids:
                scenario_ids.append(run.scenario)
        by_scenario: dict[str, list[_Run]] = defaultdict(list)
        for run in runs:
            by_scenario[run.scenario].append(run)
        views = [self._scenario_view(sid, by_scenario.get(sid, [])) for sid in scenario_ids]
        people = list(self._people.values())  # in the order they joined
        return SessionView(
            code=session["code"],
            title=session["title"],
            created=_iso(session["created_at"]),
            closed=bool(session["closed"]),
            scenario_ids=scenario_ids,
            participants=len(people),
            runs=len(runs),
            finished=sum(1 for r in runs if r.ending is not None),
            decisions=sum(r.decisions for r in runs),
            people=self._people_rows(people, runs),
            scenarios=views,
            refreshed=_iso(datetime.now(UTC)),
            anonymous=not self.show_names,
        )

    # -- participants ----------------------------------------------------------------------------
    def _expected(self, scenario_id: str) -> int:
        scenario = self.scenario(scenario_id)
        if scenario is None:
            return 0
        return len(scenario.data.reference) or len(scenario.nodes)

    def _people_rows(self, people: list[dict[str, Any]], runs: list[_Run]) -> list[ParticipantRow]:
        of: dict[str, list[_Run]] = defaultdict(list)
        for run in runs:
            of[run.participant].append(run)
        rows = []
        for i, person in enumerate(people, start=1):
            label = (person["pseudonym"] or f"Deelnemer {i}") if self.show_names else f"Deelnemer {i}"
            mine = of.get(person["id"], [])
            done = sum(1 for r in mine if r.ending is not None)
            joined = _iso(person["created_at"])
            if not mine:
                rows.append(
                    ParticipantRow(label, joined, None, None, 0, 0, "wacht", "nog geen scenario gekozen", 0, 0, 0)
                )
                continue
            last = mine[-1]
            scenario = self.scenario(last.scenario)
            title = scenario.data.title if scenario else last.scenario
            expected = self._expected(last.scenario)
            if last.ending is not None:
                status, progress = "klaar", 1.0
                text = f"klaar na {last.decisions} beslissingen"
            else:
                status = "bezig"
                progress = min(0.95, last.decisions / expected) if expected else 0.0
                node = scenario.nodes.get(last.node) if scenario and last.node else None
                where = f" · bij '{node.title}'" if node else ""
                of_n = f" van ongeveer {expected}" if expected else ""
                text = f"bezig: beslissing {last.decisions + 1}{of_n}{where}"
            rows.append(
                ParticipantRow(
                    label, joined, last.scenario, title, last.decisions, expected, status, text,
                    round(progress, 3), len(mine), done,
                )
            )  # fmt: skip
        return rows

    # -- one scenario ----------------------------------------------------------------------------
    def _scenario_view(self, sid: str, runs: list[_Run]) -> ScenarioView:
        scenario = self.scenario(sid)
        protocol = scenario.protocol if scenario else None
        finished = [r for r in runs if r.ending is not None]
        scored_keys = Counter(r.report_key for r in finished if r.report is not None)
        n_scored = sum(scored_keys.values())

        # Identical paths are counted once: a group of 10,000 has far fewer distinct paths.
        paths: Counter[tuple[tuple[tuple[str, str], ...], str | None]] = Counter()
        for key, m in Counter(r.key for r in runs if r.path).items():
            paths[self._values[key]] += m
        answered: Counter[str] = Counter()
        picks: dict[str, Counter[str]] = defaultdict(Counter)
        combos: dict[str, Counter[str]] = defaultdict(Counter)
        firsts: dict[str, Counter[str]] = defaultdict(Counter)
        for (path, _ending), m in paths.items():
            for node_id, choice in path:
                answered[node_id] += m
                kind = _kind(scenario, node_id)
                if kind == "reflectie":
                    continue
                parts = choice_parts(kind, choice)
                for part in parts:
                    picks[node_id][part] += m
                if kind in ("meerkeuze", "volgorde"):
                    combos[node_id][choice] += m
                if kind == "volgorde" and parts:
                    firsts[node_id][parts[0]] += m
        node_ids = list(scenario.nodes) if scenario else []
        node_ids += [n for n in answered if n not in node_ids]
        nodes = [
            self._node_stat(scenario, nid, answered[nid], picks[nid], combos[nid], firsts[nid]) for nid in node_ids
        ]
        sankey = self._sankey(scenario, paths, combos)

        # Steps missed, late, out of order; harmful steps; phase scores (finished, scored runs).
        applicable: Counter[str] = Counter()
        unit_applicable: Counter[str] = Counter()
        unit_ok: Counter[str] = Counter()
        kinds: dict[str, Counter[str]] = {k: Counter() for k in ISSUE_KINDS}
        issues: Counter[str] = Counter()
        after: dict[str, Counter[str]] = defaultdict(Counter)
        harmful: Counter[str] = Counter()
        phases: dict[str, list[float]] = {p: [] for p in PHASE_TITLES}
        scores: list[float] = []
        for key, m in scored_keys.items():
            score, phase_scores, required, found, order_after = self._values[key]
            flagged = set()
            for kind, action in found:
                if kind == "harmful":
                    harmful[action] += m
                elif kind in kinds:
                    kinds[kind][action] += m
                    flagged.add(action)
            for unit in required:
                unit_steps = unit.split("|")
                unit_applicable[unit] += m
                if not flagged.intersection(unit_steps):
                    unit_ok[unit] += m
                for step in unit_steps:
                    applicable[step] += m
            for action in flagged:
                issues[action] += m
            for action, aft in order_after:
                after[action][aft] += m
            for ph, value in phase_scores:
                phases.setdefault(ph, []).extend([value] * m)
            scores.extend([score] * m)
        steps = []
        for step_id, n in issues.items():
            step = protocol.steps.get(step_id) if protocol else None
            base = max(applicable.get(step_id, 0), n)
            steps.append(
                StepStat(
                    id=step_id,
                    title=step.title if step else step_id,
                    phase=step.phase if step else "",
                    missing=kinds["missing"][step_id],
                    late=kinds["late"][step_id],
                    order=kinds["order"][step_id],
                    applicable=base,
                    issues=n,
                    share=round(n / base, 4) if base else 0.0,
                    sources=protocol.sources_of(step.sources) if (protocol and step) else [],
                    after=[(_title(protocol, a), k) for a, k in after[step_id].most_common()],
                )
            )
        steps.sort(key=lambda s: (-s.issues, -s.share, s.id))
        harm = [self._harm_stat(scenario, hid, n, n_scored, picks) for hid, n in harmful.items()]
        harm.sort(key=lambda h: (-h.runs, h.id))

        endings = Counter(r.ending for r in finished)
        ending_rows = [
            (eid, scenario.endings[eid].title if scenario and eid in scenario.endings else str(eid), n)
            for eid, n in endings.most_common()
        ]
        phase_titles = {p.id: p.title for p in protocol.data.phases} if protocol else dict(PHASE_TITLES)
        units = []
        for unit, n in unit_applicable.items():
            ids = unit.split("|")
            first = protocol.steps.get(ids[0]) if protocol else None
            units.append(
                UnitStat(
                    key=unit,
                    title=" of ".join(_title(protocol, i) for i in ids),
                    phase=first.phase if first else "",
                    applicable=n,
                    ok=unit_ok[unit],
                    share=round(unit_ok[unit] / n, 4) if n else 0.0,
                    sources=protocol.sources_of(
                        [r for i in ids if i in protocol.steps for r in protocol.steps[i].sources]
                    )
                    if protocol
                    else [],
                )
            )
        units.sort(key=lambda u: (-u.share, u.key))
        return ScenarioView(
            id=sid,
            title=scenario.data.title if scenario else sid,
            runs=len(runs),
            finished=len(finished),
            decisions=sum(r.decisions for r in runs),
            nodes=nodes,
            sankey=sankey,
            steps=steps,
            units=units,
            harmful=harm,
            phases={k: v for k, v in phases.items() if k in phase_titles or v},
            phase_titles=phase_titles,
            scores=scores,
            endings=ending_rows,
            discussion=list(scenario.data.discussion) if scenario else [],
            learning_goals=list(scenario.data.learning_goals) if scenario else [],
        )

    def _node_stat(
        self,
        scenario: Scenario | None,
        node_id: str,
        answered: int,
        picks: Counter[str],
        combos: Counter[str],
        firsts: Counter[str],
    ) -> NodeStat:
        node = scenario.nodes.get(node_id) if scenario else None
        protocol = scenario.protocol if scenario else None
        options = []
        known = [o.id for o in node.options] if node else []
        for oid in known + [o for o in picks if o not in known]:
            opt = next((o for o in node.options if o.id == oid), None) if node else None
            steps = []
            for s in opt.steps if opt else []:
                step = protocol.steps.get(s) if protocol else None
                steps.append(StepRef(s, step.title if step else s, bool(step and step.kind == "schadelijk")))
            options.append(
                OptionStat(
                    id=oid,
                    label=opt.label if opt else oid,
                    count=picks.get(oid, 0),
                    share=round(picks.get(oid, 0) / answered, 4) if answered else 0.0,
                    steps=steps,
                    harmful=any(s.harmful for s in steps),
                    first=firsts.get(oid, 0),
                )
            )
        kind = node.kind if node else "keuze"
        combo_rows = [(_combo_label(scenario, node_id, kind, c), n) for c, n in combos.most_common(MAX_COMBOS)]
        return NodeStat(
            id=node_id,
            title=node.title if node else node_id,
            kind=kind,
            prompt=node.prompt if node else None,
            answered=answered,
            options=options if kind != "reflectie" else [],
            combos=combo_rows,
        )

    def _harm_stat(
        self, scenario: Scenario | None, step_id: str, n: int, scored: int, picks: dict[str, Counter[str]]
    ) -> HarmStat:
        protocol = scenario.protocol if scenario else None
        step = protocol.steps.get(step_id) if protocol else None
        via = []
        if scenario is not None:
            for node in scenario.nodes.values():
                for opt in node.options:
                    if step_id in opt.steps and picks.get(node.id, {}).get(opt.id):
                        via.append((node.title, opt.label, picks[node.id][opt.id]))
        via.sort(key=lambda v: -v[2])
        return HarmStat(
            id=step_id,
            title=step.title if step else step_id,
            runs=n,
            share=round(n / scored, 4) if scored else 0.0,
            why=step.why if step else "",
            sources=protocol.sources_of(step.sources) if (protocol and step) else [],
            options=via,
        )

    def _sankey(
        self,
        scenario: Scenario | None,
        paths: Counter[tuple[tuple[tuple[str, str], ...], str | None]],
        combos: dict[str, Counter[str]],
    ) -> Sankey:
        top = {nid: {c for c, _ in cnt.most_common(MAX_COMBOS)} for nid, cnt in combos.items()}
        index: dict[tuple[str, str], int] = {}
        labels: list[str] = []
        short: list[str] = []
        kinds: list[str] = []
        links: Counter[tuple[int, int]] = Counter()

        def at(node_id: str, choice: str) -> int:
            node = scenario.nodes.get(node_id) if scenario else None
            kind = node.kind if node else "keuze"
            if kind == "reflectie":
                choice = "reflectie"
            elif kind in ("meerkeuze", "volgorde") and choice not in top.get(node_id, ()):
                choice = OTHER
            key = (node_id, choice)
            if key in index:
                return index[key]
            title = node.title if node else node_id
            harmful = False
            if choice == OTHER:
                text = "andere combinatie"
            elif kind == "reflectie":
                text = "reflectie"
            else:
                text = _combo_label(scenario, node_id, kind, choice)
                harmful = _is_harmful(scenario, node_id, kind, choice)
            index[key] = len(labels)
            labels.append(f"{_short(title, 40)}: {_short(text, 60)}")
            short.append(_short(text, 30))
            kinds.append("harmful" if harmful else "choice")
            return index[key]

        def terminal(ending: str | None) -> int:
            key = ("__einde__", ending) if ending is not None else ("__bezig__", "")
            if key not in index:
                index[key] = len(labels)
                if ending is None:
                    labels.append(BUSY)
                    short.append(BUSY)
                    kinds.append("busy")
                else:
                    title = scenario.endings[ending].title if scenario and ending in scenario.endings else ending
                    labels.append(f"Einde: {_short(title, 60)}")
                    short.append(f"Einde: {_short(title, 24)}")
                    kinds.append("ending")
            return index[key]

        for (path, ending), m in paths.items():
            prev: int | None = None
            for node_id, choice in path:
                cur = at(node_id, choice)
                if prev is not None and prev != cur:
                    links[(prev, cur)] += m
                prev = cur
            if prev is not None:
                links[(prev, terminal(ending))] += m
        ordered = sorted(links.items())
        return Sankey(
            labels=labels,
            short=short,
            kinds=kinds,
            source=[a for (a, _), _ in ordered],
            target=[b for (_, b), _ in ordered],
            value=[n for _, n in ordered],
        )


# --- helpers ------------------------------------------------------------------------------------


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value or "")


def _kind(scenario: Scenario | None, node_id: str) -> str:
    node = scenario.nodes.get(node_id) if scenario else None
    if node is not None:
        return node.kind
    return "keuze"


def _combo_label(scenario: Scenario | None, node_id: str, kind: str, choice: str) -> str:
    parts = choice_parts(kind, choice)
    labels = [_short(scenario.option_label(node_id, p) if scenario else p, 40 if len(parts) > 1 else 80) for p in parts]
    if kind == "volgorde":
        return " → ".join(labels)
    return " + ".join(labels)


def _is_harmful(scenario: Scenario | None, node_id: str, kind: str, choice: str) -> bool:
    node = scenario.nodes.get(node_id) if scenario else None
    if node is None or scenario is None:
        return False
    steps = scenario.protocol.steps
    for part in choice_parts(kind, choice):
        opt = next((o for o in node.options if o.id == part), None)
        if opt is not None and any(s in steps and steps[s].kind == "schadelijk" for s in opt.steps):
            return True
    return False


def _title(protocol: Any, step_id: str) -> str:
    if protocol is not None and step_id in protocol.steps:
        return protocol.steps[step_id].title
    return step_id


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def store_counts(store: Store, code: str) -> dict[str, Any]:
    """The same numbers straight from the store (for tests and the load test's consistency check).

    Returns participants, runs, finished runs, decisions and, per scenario and decision point, how
    often each option was chosen; counted from :meth:`Store.session_decisions`, independently of
    :class:`SessionDashboard`.
    """
    code = normalise_code(code)
    runs = store.session_runs(code)
    picks: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    kinds: dict[str, Scenario | None] = {}
    for d in store.session_decisions(code):
        sid = d["scenario"]
        if sid not in kinds:
            kinds[sid] = _default_loader(sid)
        kind = _kind(kinds[sid], d["node"])
        for part in choice_parts(kind, d["choice"]):
            picks[sid][d["node"]][part] += 1
        picks[sid][d["node"]]["__beslissingen__"] += 1
    return {
        "participants": len(store.session_participants(code)),
        "runs": len(runs),
        "finished": sum(1 for r in runs if r["ending"] is not None),
        "decisions": sum(r["decisions"] for r in runs),
        "decision_rows": sum(v["__beslissingen__"] for nodes in picks.values() for v in nodes.values()),
        "picks": {s: {n: dict(c) for n, c in nodes.items()} for s, nodes in picks.items()},
    }


def view_counts(view: SessionView) -> dict[str, Any]:
    """The dashboard's numbers in the shape of :func:`store_counts`."""
    picks: dict[str, dict[str, dict[str, int]]] = {}
    for s in view.scenarios:
        for n in s.nodes:
            if n.answered == 0:
                continue
            row = {o.id: o.count for o in n.options if o.count}
            row["__beslissingen__"] = n.answered
            picks.setdefault(s.id, {})[n.id] = row
    return {
        "participants": view.participants,
        "runs": view.runs,
        "finished": view.finished,
        "decisions": view.decisions,
        "decision_rows": sum(n.answered for s in view.scenarios for n in s.nodes),
        "picks": picks,
    }


def iter_prompts(view: SessionView) -> Iterable[tuple[str, str, str]]:
    """(scenario title, decision point title, discussion prompt) for every point with a prompt."""
    for s in view.scenarios:
        for n in s.nodes:
            if n.prompt:
                yield s.title, n.title, n.prompt

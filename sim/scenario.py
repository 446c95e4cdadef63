"""The scenario format: pydantic models (the single source of the format) and authoring checks.

A scenario is a fictional incident told as decision points (``nodes``). The JSON Schema in
``scenarios/schema/scenario.schema.json`` is generated from :class:`ScenarioFile`
(``python -m sim schema``); a test fails when the committed schema drifts.
"""

from __future__ import annotations

import functools
import hashlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from markdown_it import MarkdownIt
from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from sim.errors import InputError, InputErrors, suggest
from sim.expr import Condition, ExprError, Var, compile_condition
from sim.protocol import Protocol, Role, SourceRef, Strict, load_protocol
from sim.yamlio import load_checked, load_model, position

SCHEMA_VERSION = 1
SCHEMA_COMMENT = "# yaml-language-server: $schema="
STATE_VARS = ("bereik", "welzijn", "onrust", "vertrouwen")
TraineeRole = Literal["docent", "mentor", "teamleider", "zorgcoordinator", "schoolleider"]
Text = Annotated[str, Field(min_length=1, max_length=6000)]
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
Number = StrictInt | StrictFloat


class Transition(Strict):
    """One conditional way on: the first whose ``when`` holds is taken."""

    when: str | None = Field(None, description="Condition (facts, state, `gedaan`, `gekozen`); omitted: always.")
    to: Id = Field(description="Id of the next decision point or ending.")


Next = Id | list[Transition]


class Option(Strict):
    """One option of a decision point."""

    id: Id = Field(description="Stable id, unique within the decision point; runs store it.")
    label: Text = Field(description="What the trainee reads on the button (Dutch).")
    steps: list[str] = Field(default_factory=list, description="Protocol step ids this option performs.")
    by: Role | None = Field(None, description="Who performs the steps (default: the trainee's role).")
    effects: dict[str, Number | StrictBool] = Field(
        default_factory=dict, description="Changes to the state: numbers are added, true/false are set."
    )
    feedback: Text = Field(description="Dutch feedback: why this is (not) right, two or three sentences.")
    sources: list[SourceRef] = Field(default_factory=list, description="Sources the feedback rests on.")
    difference: str | None = Field(None, description="Id of a point where the sources differ, if it is one.")
    when: str | None = Field(None, description="Condition under which the option is offered.")
    hours: float | None = Field(None, ge=0, le=200, description="Time this option takes (default: the node's).")
    next: Next | None = Field(None, description="Where it leads (default: the node's `next`).")


class Node(Strict):
    """A decision point."""

    id: Id = Field(description="Stable id of the decision point.")
    title: Text = Field(description="Short Dutch title.")
    text: Text = Field(description="The narrative (Markdown; raw HTML is not allowed).")
    kind: Literal["keuze", "meerkeuze", "volgorde", "reflectie"] = Field(
        "keuze",
        description="keuze: choose one; meerkeuze: choose up to `max`; volgorde: put the options in order; "
        "reflectie: free text (stored, not scored).",
    )
    max: int | None = Field(None, ge=1, description="meerkeuze: at most this many options.")
    hours: float = Field(0.5, ge=0, le=200, description="Simulated hours this decision takes.")
    options: list[Option] = Field(default_factory=list, description="The options (none for reflectie).")
    next: Next | None = Field(None, description="Where the node leads when the option does not say.")
    prompt: str | None = Field(None, max_length=2000, description="Discussion prompt for the facilitator.")
    feedback: str | None = Field(None, max_length=3000, description="Dutch feedback for the whole decision.")


class Event(Strict):
    """An inject: fires once, when all of its triggers hold, after a decision."""

    id: Id = Field(description="Event id.")
    title: Text = Field(description="Short Dutch title.")
    text: Text = Field(description="What happens (Markdown).")
    at: float | None = Field(None, ge=0, description="Fires once the clock has reached this hour.")
    when: str | None = Field(None, description="Fires when this condition holds.")
    missed: str | None = Field(None, description="Fires when this protocol step has not been taken by `by` hours.")
    by: float | None = Field(None, ge=0, description="Deadline (hours) for `missed`.")
    effects: dict[str, Number | StrictBool] = Field(default_factory=dict, description="Changes to the state.")
    facts: dict[str, StrictBool | StrictStr] = Field(default_factory=dict, description="Facts that change.")
    goto: Id | None = Field(None, description="Decision point the trainee is taken to next.")

    @model_validator(mode="after")
    def _trigger(self) -> Event:
        if self.at is None and self.when is None and self.missed is None:
            raise ValueError("an event needs a trigger: at, when or missed")
        if (self.missed is None) != (self.by is None):
            raise ValueError("`missed` and `by` go together")
        return self


class Ending(Strict):
    """An ending of the scenario."""

    id: Id = Field(description="Ending id (unique among nodes and endings).")
    title: Text = Field(description="Dutch title.")
    text: Text = Field(description="Dutch closing narrative (Markdown).")


class Dynamics(Strict):
    """Parameters of the state's dynamics (see docs/engine.md)."""

    spread_per_hour: float = Field(0.05, ge=0, le=2, description="Spread (levels per hour) while not stopped.")
    noise: float = Field(0.3, ge=0, le=1, description="Seeded relative noise on the spread per decision.")
    distress_per_hour: float = Field(1.0, ge=0, le=20, description="Wellbeing lost per hour without support.")
    unrest_per_level: float = Field(0.8, ge=0, le=20, description="Unrest added per hour per spread level.")
    trust_per_hour: float = Field(0.5, ge=0, le=20, description="Parents' trust lost per hour while uninformed.")


class Initial(Strict):
    """Initial state (0-100 scales; spread as a level 0-5)."""

    welzijn: float = Field(60, ge=0, le=100, description="The victim's wellbeing (0-100).")
    onrust: float = Field(20, ge=0, le=100, description="Unrest at school (0-100).")
    vertrouwen: float = Field(70, ge=0, le=100, description="Parents' trust in the school (0-100).")
    variables: dict[Id, Number | StrictBool] = Field(default_factory=dict, description="Scenario variables.")


class ScenarioFile(Strict):
    """A scenario file (``scenarios/*.yaml``)."""

    schema_version: Literal[1] = Field(description="Format version.")
    id: Id = Field(description="Scenario id (the file name without .yaml).")
    title: Text = Field(description="Dutch title.")
    summary: Text = Field(description="Dutch summary for the scenario card.")
    schooltype: Literal["po", "vo", "mbo"] = Field(description="po, vo or mbo.")
    role: TraineeRole = Field(description="The trainee's role.")
    minutes: int = Field(ge=5, le=120, description="Estimated minutes to play.")
    difficulty: Literal[1, 2, 3] = Field(description="1 basis, 2 gevorderd, 3 complex.")
    flag: Literal["groen", "geel", "rood", "zwart"] = Field(description="Flag of the Vlaggensysteem.")
    learning_goals: list[Text] = Field(min_length=1, description="What the trainee learns (Dutch).")
    content_note: Text = Field(description="Content note shown before play (Dutch).")
    discussion: list[Text] = Field(default_factory=list, description="General discussion prompts.")
    profile: str | None = Field(None, description="School profile to score against (e.g. school-001).")
    facts: dict[str, StrictBool | StrictStr] = Field(description="Facts when the school learns of it.")
    initial: Initial = Field(default_factory=Initial, description="Initial state.")
    dynamics: Dynamics = Field(default_factory=Dynamics, description="Dynamics parameters.")
    start: Id = Field(description="Id of the first decision point.")
    nodes: list[Node] = Field(min_length=1, description="Decision points.")
    events: list[Event] = Field(default_factory=list, description="Injects.")
    endings: list[Ending] = Field(min_length=1, description="Endings.")
    reference: list[str] = Field(
        default_factory=list,
        description="The protocol's reference path: one choice per decision point, as for `sim play --choices`.",
    )


@dataclass(frozen=True)
class Scenario:
    """A loaded, checked scenario with compiled conditions."""

    data: ScenarioFile
    path: str
    protocol: Protocol
    nodes: dict[str, Node]
    endings: dict[str, Ending]
    conditions: dict[tuple[str, ...], Condition]
    digest: str

    @property
    def id(self) -> str:
        """Scenario id."""
        return self.data.id

    def facts(self) -> dict[str, Any]:
        """The scenario's facts with the protocol's defaults filled in."""
        return self.protocol.resolve_facts(self.data.facts)

    def option_label(self, node_id: str, option_id: str) -> str:
        """The label of an option (its id when the scenario no longer has it)."""
        node = self.nodes.get(node_id)
        if node is not None:
            for opt in node.options:
                if opt.id == option_id:
                    return opt.label
        return option_id


def choice_parts(kind: str, choice: str) -> list[str]:
    """The option ids in a stored choice: ``a`` (keuze), ``a+b`` (meerkeuze), ``a>b`` (volgorde, in order).

    A reflectie stores free text, which names no option: ``[]``.
    """
    if kind == "reflectie":
        return []
    sep = {"meerkeuze": "+", "volgorde": ">"}.get(kind)
    return [part for part in (choice.split(sep) if sep else [choice]) if part]


def vocabulary(protocol: Protocol, data: ScenarioFile) -> dict[str, Var]:
    """Names a scenario condition may read."""
    vocab = dict(protocol.vocab)
    vocab.update({name: Var("number") for name in (*STATE_VARS, "klok")})
    for name, value in data.initial.variables.items():
        vocab[name] = Var("bool") if isinstance(value, bool) else Var("number")
    vocab["gedaan"] = Var("set")
    vocab["gekozen"] = Var("set")
    return vocab


_MD = MarkdownIt("commonmark")


def has_raw_html(text: str) -> bool:
    """Whether Markdown text contains raw HTML (blocks, inline tags, or comments)."""
    for token in _MD.parse(text or ""):
        if token.type == "html_block":
            return True
        for child in token.children or []:
            if child.type == "html_inline":
                return True
    return False


def _transitions(nxt: Any) -> list[Transition]:
    if nxt is None:
        return []
    if isinstance(nxt, str):
        return [Transition(to=nxt)]
    return list(nxt)


def node_targets(node: Node) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every (location, target id) a node can lead to."""
    for j, opt in enumerate(node.options):
        for k, t in enumerate(_transitions(opt.next if opt.next is not None else None)):
            yield ("options", j, "next", *((k,) if isinstance(opt.next, list) else ())), t.to
    for k, t in enumerate(_transitions(node.next)):
        yield ("next", *((k,) if isinstance(node.next, list) else ())), t.to


def _texts(data: ScenarioFile) -> Iterator[tuple[tuple[Any, ...], str]]:
    yield ("summary",), data.summary
    yield ("content_note",), data.content_note
    for i, node in enumerate(data.nodes):
        yield ("nodes", i, "text"), node.text
        yield ("nodes", i, "title"), node.title
        if node.feedback:
            yield ("nodes", i, "feedback"), node.feedback
        for j, opt in enumerate(node.options):
            yield ("nodes", i, "options", j, "label"), opt.label
            yield ("nodes", i, "options", j, "feedback"), opt.feedback
    for i, ev in enumerate(data.events):
        yield ("events", i, "text"), ev.text
    for i, end in enumerate(data.endings):
        yield ("endings", i, "text"), end.text


def check(data: ScenarioFile, tree: Any, path: str) -> tuple[list[InputError], Scenario | None]:
    """Run every authoring check; return all problems found and, if none, the scenario."""
    errors: list[InputError] = []

    def err(loc: tuple[Any, ...], message: str) -> None:
        line, col = position(tree, loc)
        errors.append(InputError(path, line, col, message))

    try:
        protocol = load_protocol(profile=data.profile)
    except InputError as exc:
        err(("profile",), exc.message)
        return errors, None
    stem = Path(path).stem
    if stem != data.id and not path.startswith("<"):
        err(("id",), f"scenario id '{data.id}' differs from the file name '{stem}'")

    for name, value in data.facts.items():
        problem = protocol.check_fact(name, value)
        if problem:
            err(("facts", name), problem)
    try:
        protocol.resolve_facts(data.facts)
    except KeyError as exc:
        err(("facts",), f"missing fact '{exc.args[0]}' (it has no default)")

    nodes: dict[str, Node] = {}
    endings: dict[str, Ending] = {}
    for i, node in enumerate(data.nodes):
        if node.id in nodes:
            err(("nodes", i, "id"), f"decision point id '{node.id}' is used twice")
        nodes[node.id] = node
    for i, end in enumerate(data.endings):
        if end.id in endings or end.id in nodes:
            err(("endings", i, "id"), f"ending id '{end.id}' is already used")
        endings[end.id] = end
    targets = set(nodes) | set(endings)
    if data.start not in nodes:
        err(("start",), f"start '{data.start}' is not a decision point" + suggest(data.start, nodes))

    vocab = vocabulary(protocol, data)
    conditions: dict[tuple[str, ...], Condition] = {}

    def cond(key: tuple[str, ...], loc: tuple[Any, ...], text: str | None) -> None:
        try:
            conditions[key] = compile_condition(text, vocab)
        except ExprError as exc:
            err(loc, f"condition: {exc}")

    def check_effects(loc: tuple[Any, ...], effects: dict[str, Any]) -> None:
        for name, value in effects.items():
            if name in STATE_VARS:
                if isinstance(value, bool):
                    err((*loc, name), f"effect on '{name}' must be a number")
            elif name == "gestopt":
                if not isinstance(value, bool):
                    err((*loc, name), "effect 'gestopt' must be true or false")
            elif name not in data.initial.variables:
                known = [*STATE_VARS, "gestopt", *data.initial.variables]
                err((*loc, name), f"unknown state variable '{name}'" + suggest(name, known))

    def check_next(loc: tuple[Any, ...], nxt: Any, key: tuple[str, ...]) -> None:
        for k, t in enumerate(_transitions(nxt)):
            tloc = (*loc, k) if isinstance(nxt, list) else loc
            if t.to not in targets:
                err(tloc, f"leads to unknown decision point or ending '{t.to}'" + suggest(t.to, targets))
            cond((*key, str(k)), tloc, t.when)
        if isinstance(nxt, list) and nxt and nxt[-1].when is not None:
            err((*loc, len(nxt) - 1), "the last transition needs no `when` (otherwise the path can stop here)")

    for i, node in enumerate(data.nodes):
        loc = ("nodes", i)
        seen: set[str] = set()
        if node.kind == "reflectie":
            if node.options:
                err((*loc, "options"), "a reflectie has no options")
            if node.next is None:
                err(loc, f"decision point '{node.id}' leads nowhere (dead end): give it `next`")
        else:
            need = 2 if node.kind != "keuze" else 1
            if len(node.options) < need:
                err((*loc, "options"), f"a {node.kind} needs at least {need} options")
        if node.kind == "meerkeuze" and (node.max is None or node.max > len(node.options)):
            err(loc, "a meerkeuze needs `max` between 1 and the number of options")
        if node.kind != "meerkeuze" and node.max is not None:
            err((*loc, "max"), "`max` is only for meerkeuze")
        check_next((*loc, "next"), node.next, ("node", node.id))
        for j, opt in enumerate(node.options):
            oloc = (*loc, "options", j)
            if opt.id in seen:
                err((*oloc, "id"), f"option id '{opt.id}' is used twice in '{node.id}'")
            seen.add(opt.id)
            for k, sid in enumerate(opt.steps):
                if sid not in protocol.steps:
                    err((*oloc, "steps", k), f"unknown protocol step '{sid}'" + suggest(sid, protocol.steps))
            if not opt.feedback.strip():
                err((*oloc, "feedback"), f"option '{opt.id}' has no feedback")
            for k, ref in enumerate(opt.sources):
                if ref.doc not in protocol.data.sources:
                    err(
                        (*oloc, "sources", k, "doc"),
                        f"unknown source '{ref.doc}'" + suggest(ref.doc, protocol.data.sources),
                    )
            if opt.difference and protocol.difference(opt.difference) is None:
                known = [d.id for d in protocol.data.differences]
                err((*oloc, "difference"), f"unknown difference '{opt.difference}'" + suggest(opt.difference, known))
            check_effects((*oloc, "effects"), opt.effects)
            cond(("option", node.id, opt.id), (*oloc, "when"), opt.when)
            if node.kind == "keuze":
                if opt.next is None and node.next is None:
                    err(oloc, f"option '{opt.id}' leads nowhere (dead end): give it or its node `next`")
                check_next((*oloc, "next"), opt.next, ("option", node.id, opt.id))
            elif opt.next is not None:
                err((*oloc, "next"), f"options of a {node.kind} do not lead anywhere themselves; use the node's `next`")
            if node.kind != "keuze" and opt.hours is not None:
                err((*oloc, "hours"), f"options of a {node.kind} take the node's hours")
        if node.kind != "keuze" and node.next is None:
            err(loc, f"decision point '{node.id}' leads nowhere (dead end): give it `next`")

    for i, ev in enumerate(data.events):
        loc = ("events", i)
        if ev.goto is not None and ev.goto not in nodes:
            err((*loc, "goto"), f"event goes to unknown decision point '{ev.goto}'" + suggest(ev.goto, nodes))
        if ev.missed is not None and ev.missed not in protocol.steps:
            err((*loc, "missed"), f"unknown protocol step '{ev.missed}'" + suggest(ev.missed, protocol.steps))
        for name, value in ev.facts.items():
            problem = protocol.check_fact(name, value)
            if problem:
                err((*loc, "facts", name), problem)
        check_effects((*loc, "effects"), ev.effects)
        cond(("event", ev.id), (*loc, "when"), ev.when)

    for loc, text in _texts(data):
        if has_raw_html(text):
            err(loc, "raw HTML is not allowed in scenario text; use Markdown")

    if not errors:
        _check_graph(data, nodes, endings, err)
    if errors:
        return errors, None
    digest = hashlib.sha256(data.model_dump_json().encode()).hexdigest()[:16]
    return [], Scenario(data, path, protocol, nodes, endings, conditions, digest)


def _check_graph(data: ScenarioFile, nodes: dict[str, Node], endings: dict[str, Ending], err: Any) -> None:
    """Unreachable decision points, and decision points from which no ending can be reached."""
    edges: dict[str, set[str]] = {nid: {t for _, t in node_targets(n)} for nid, n in nodes.items()}
    gotos = {ev.goto for ev in data.events if ev.goto}
    reach: set[str] = set()
    queue = deque([data.start, *gotos])
    while queue:
        cur = queue.popleft()
        if cur in reach:
            continue
        reach.add(cur)
        queue.extend(edges.get(cur, ()))
    index = {n.id: i for i, n in enumerate(data.nodes)}
    for nid in nodes:
        if nid not in reach:
            err(("nodes", index[nid], "id"), f"decision point '{nid}' cannot be reached")
    for i, end in enumerate(data.endings):
        if end.id not in reach:
            err(("endings", i, "id"), f"ending '{end.id}' cannot be reached")
    # Backwards from the endings: which decision points can still finish?
    finishing = set(endings)
    changed = True
    while changed:
        changed = False
        for nid, outs in edges.items():
            if nid not in finishing and outs & finishing:
                finishing.add(nid)
                changed = True
    for nid in nodes:
        if nid in reach and nid not in finishing:
            err(("nodes", index[nid], "id"), f"decision point '{nid}' is in a loop with no way out to an ending")


def load_scenario(path: str | Path, text: str | None = None) -> Scenario:
    """Load and check a scenario; raise :class:`InputErrors` listing every problem."""
    path = str(path)
    if text is None:
        p = Path(path)
        key = (str(p.resolve()), p.stat().st_mtime_ns if p.exists() else 0)
        return _load_cached(*key, path)
    return _load(path, text)


@functools.lru_cache(maxsize=64)
def _load_cached(resolved: str, mtime: int, path: str) -> Scenario:
    return _load(path, None)


def _load(path: str, text: str | None) -> Scenario:
    def checked(data: ScenarioFile, tree: Any) -> Scenario:
        errors, scenario = check(data, tree, path)
        if errors or scenario is None:
            raise InputErrors(errors)
        return scenario

    if text is None:
        return load_checked(ScenarioFile, path, checked)  # an unchanged file comes from the parse cache
    return checked(*load_model(ScenarioFile, path, text))


def check_scenario_file(path: str | Path, text: str | None = None) -> list[InputError]:
    """All problems of one scenario file (empty when it is valid)."""
    try:
        load_scenario(path, text)
    except InputError as exc:
        return [exc]
    except InputErrors as exc:
        return list(exc.errors)
    head = text if text is not None else Path(path).read_text(encoding="utf-8")
    if not head.startswith(SCHEMA_COMMENT):
        return [
            InputError(str(path), 1, 1, f"a scenario file starts with '{SCHEMA_COMMENT}schema/scenario.schema.json'")
        ]
    return []


def scenario_files(folder: str | Path | None = None) -> list[Path]:
    """The scenario files of the library."""
    from sim.validate import SCENARIO_DIR

    return sorted(Path(folder or SCENARIO_DIR).glob("*.yaml"))

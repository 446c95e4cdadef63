"""The protocol as data: models, loading, school profiles and resolved conditions.

``protocols/stappenplan-sexting.yaml`` is validated against :class:`ProtocolFile`; a school profile
under ``protocols/profiles/`` against :class:`ProfileFile`. :func:`load_protocol` returns a
:class:`Protocol`: the file with every condition compiled, ids checked and, when a profile is
chosen, the profile laid over it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sim.errors import InputError, suggest
from sim.expr import Condition, ExprError, Var, compile_condition
from sim.yamlio import load_checked, position

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL_DIR = ROOT / "protocols"
DEFAULT_PROTOCOL = PROTOCOL_DIR / "stappenplan-sexting.yaml"
PROFILE_DIR = PROTOCOL_DIR / "profiles"

PHASES = ("analyseer", "reageer", "faciliteer", "activeer", "evalueer")
ROLE_NAMES = {  # each role's id and how the Dutch screens and reports name it
    "docent": "Docent",
    "mentor": "Mentor",
    "teamleider": "Teamleider",
    "zorgcoordinator": "Zorgcoördinator",
    "vertrouwenspersoon": "Vertrouwenspersoon",
    "veiligheidscoordinator": "Veiligheidscoördinator",
    "schoolleider": "Schoolleider",
    "bestuur": "Bestuur",
}
ROLES = tuple(ROLE_NAMES)
Role = Literal[
    "docent",
    "mentor",
    "teamleider",
    "zorgcoordinator",
    "vertrouwenspersoon",
    "veiligheidscoordinator",
    "schoolleider",
    "bestuur",
]
SCHEMA_VERSION = 1


class Strict(BaseModel):
    """Base model: unknown fields are errors, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceDoc(Strict):
    """A source document of the protocol."""

    file: str = Field(description="File name in shared/seeds/, or 'domain-notes.md'.")
    title: str = Field(description="Title of the document (Dutch, as published).")
    publisher: str = Field("", description="Who published it.")


class SourceRef(Strict):
    """A citation: which document, and where inside it."""

    doc: str = Field(description="Key of the document in the protocol's `sources`, e.g. BJM, SCH, SV, HW, DOM.")
    where: str = Field(description="Heading or step inside the document, e.g. 'Stap 1 Analyseer'.")


class FactSpec(Strict):
    """A fact that decides which steps apply."""

    type: Literal["bool", "enum"] = Field(description="bool or enum.")
    values: list[str] = Field(default_factory=list, description="Possible values of an enum, in order.")
    ordered: bool = Field(False, description="Whether the enum's values have an order (for <, >=).")
    default: bool | str | None = Field(None, description="Value when an incident does not state the fact.")
    label: str = Field(description="Dutch label shown to users.")
    description: str = Field("", description="Dutch explanation.")

    def var(self) -> Var:
        """The condition-language variable for this fact."""
        return Var(self.type, tuple(self.values), self.ordered)


class Phase(Strict):
    """One of the five phases of the stappenplan."""

    id: str = Field(description="Phase id: analyseer, reageer, faciliteer, activeer or evalueer.")
    title: str = Field(description="Dutch title.")
    summary: str = Field("", description="Dutch summary of the phase.")


class Step(Strict):
    """A protocol step (something to do), a harmful action (never do) or a prevention measure."""

    id: str = Field(description="Binding id from protocol-catalogue.md (Dutch kebab-case).")
    kind: Literal["stap", "schadelijk", "preventie"] = Field("stap", description="Step, harmful or prevention.")
    phase: str = Field(description="Phase id the step belongs to.")
    title: str = Field(description="Short Dutch title.")
    guidance: str = Field(description="Dutch guidance in our own words.")
    roles: list[Role] = Field(default_factory=list, description="Roles who act on this step.")
    sources: list[SourceRef] = Field(min_length=1, description="Where the sources ask for it.")
    applies: str | bool = Field(True, description="Condition on the facts under which the step applies.")
    required: bool = Field(True, description="Whether missing it (when it applies) is a finding.")
    weight: float = Field(1.0, gt=0, le=10, description="Relative weight among the required steps.")
    points: float = Field(0, ge=0, le=100, description="For harmful steps: points lost when done.")
    why: str = Field("", description="For harmful steps: Dutch explanation why it harms.")


class OrderRule(Strict):
    """``before`` must come before each step of ``after`` when both occur."""

    id: str = Field(description="Rule id.")
    before: str = Field(description="The step that must come first.")
    after: list[str] = Field(min_length=1, description="Steps that must not come before `before`.")
    when: str | bool = Field(True, description="Condition on the facts under which the rule holds.")
    message: str = Field(description="Dutch explanation.")
    sources: list[SourceRef] = Field(min_length=1, description="Citations.")
    difference: str | None = Field(None, description="Id of a source difference this rule touches.")


class PhaseOrderRule(Strict):
    """Steps of the ``later`` phase must come after every step of the ``earlier`` phases taken."""

    id: str = Field(description="Rule id.")
    later: str = Field(description="Phase whose steps come last.")
    earlier: list[str] = Field(min_length=1, description="Phases whose steps come first.")
    message: str = Field(description="Dutch explanation.")
    sources: list[SourceRef] = Field(min_length=1, description="Citations.")


class DeadlineRule(Strict):
    """A step must be taken within ``within`` hours after the school learned of the incident."""

    id: str = Field(description="Rule id.")
    step: str = Field(description="Step id.")
    within: float = Field(gt=0, description="Hours since the school learned of it.")
    message: str = Field(description="Dutch explanation.")
    sources: list[SourceRef] = Field(min_length=1, description="Citations.")


class ProportionRule(Strict):
    """Taking ``step`` when ``when`` holds is out of proportion."""

    id: str = Field(description="Rule id.")
    step: str = Field(description="Step id.")
    when: str | bool = Field(description="Condition on the facts under which the step is too much.")
    points: float = Field(gt=0, le=100, description="Points lost.")
    message: str = Field(description="Dutch explanation.")
    sources: list[SourceRef] = Field(min_length=1, description="Citations.")
    difference: str | None = Field(None, description="Id of a source difference this rule touches.")


class OneOfRule(Strict):
    """At least one of ``steps`` is required when ``when`` holds (the sources offer alternatives)."""

    id: str = Field(description="Rule id.")
    steps: list[str] = Field(min_length=2, description="Alternative steps.")
    when: str | bool = Field(True, description="Condition on the facts.")
    weight: float = Field(1.0, gt=0, le=10, description="Weight among the required steps.")
    message: str = Field(description="Dutch explanation.")
    sources: list[SourceRef] = Field(min_length=1, description="Citations.")
    difference: str | None = Field(None, description="Id of a source difference this rule touches.")


class Rules(Strict):
    """All rules besides 'required' (which lives on the steps)."""

    order: list[OrderRule] = Field(default_factory=list, description="Order rules.")
    phase_order: list[PhaseOrderRule] = Field(default_factory=list, description="Phase order rules.")
    deadlines: list[DeadlineRule] = Field(default_factory=list, description="Deadlines.")
    proportion: list[ProportionRule] = Field(default_factory=list, description="Out-of-proportion rules.")
    one_of: list[OneOfRule] = Field(default_factory=list, description="Alternatives.")


class Position(Strict):
    """What one source says on a point where the sources differ."""

    source: SourceRef = Field(description="The source.")
    says: str = Field(description="Dutch summary of its position.")


class Difference(Strict):
    """A point where the sources differ; shown in feedback and debriefs."""

    id: str = Field(description="Id.")
    title: str = Field(description="Dutch title.")
    positions: list[Position] = Field(min_length=2, description="The positions.")
    steps: list[str] = Field(min_length=1, description="Steps this difference is about.")
    advice: str = Field("", description="Dutch: how to weigh the positions.")


class Scoring(Strict):
    """Scoring parameters."""

    late_factor: float = Field(0.5, ge=0, le=1, description="Share of a step's points lost when late.")
    order_factor: float = Field(0.5, ge=0, le=1, description="Share of a step's points lost when too early.")
    order_min_points: float = Field(2.0, ge=0, description="Minimum points lost for an order finding.")


class ProtocolFile(Strict):
    """The protocol file ``protocols/stappenplan-sexting.yaml``."""

    schema_version: Literal[1] = Field(description="Format version of this file.")
    id: str = Field(description="Protocol id.")
    title: str = Field(description="Dutch title.")
    version: str = Field(description="Content version (date or number).")
    sources: dict[str, SourceDoc] = Field(description="Source documents by key.")
    phases: list[Phase] = Field(description="The five phases, in order.")
    facts: dict[str, FactSpec] = Field(description="The facts vocabulary.")
    steps: list[Step] = Field(description="Steps, harmful actions and prevention measures.")
    rules: Rules = Field(default_factory=Rules, description="Order, deadline, proportion and alternative rules.")
    differences: list[Difference] = Field(default_factory=list, description="Where the sources differ.")
    scoring: Scoring = Field(default_factory=Scoring, description="Scoring parameters.")


class StepOverride(Strict):
    """A profile's change to one step of the protocol."""

    applies: str | bool | None = Field(None, description="New condition.")
    required: bool | None = Field(None, description="New required flag.")
    weight: float | None = Field(None, gt=0, le=10, description="New weight.")
    guidance: str | None = Field(None, description="Dutch guidance replacing the protocol's.")
    sources: list[SourceRef] = Field(default_factory=list, description="Extra citations for the change.")


class ProfileFile(Strict):
    """A school profile laid over the protocol (``protocols/profiles/*.yaml``)."""

    schema_version: Literal[1] = Field(description="Format version.")
    id: str = Field(description="Profile id, e.g. school-001.")
    title: str = Field(description="Dutch title.")
    description: str = Field("", description="Dutch description.")
    protocol: str = Field(description="Id of the protocol this profile adapts.")
    source: SourceRef = Field(description="The school protocol this profile encodes.")
    steps: dict[str, StepOverride] = Field(default_factory=dict, description="Changes to existing steps.")
    add_steps: list[Step] = Field(default_factory=list, description="Steps only this school has.")
    add_rules: Rules = Field(default_factory=Rules, description="Rules only this school has.")
    remove_rules: list[str] = Field(default_factory=list, description="Ids of protocol rules this school drops.")

    @field_validator("remove_rules")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("rule ids listed twice")
        return v


@dataclass(frozen=True)
class Protocol:
    """A loaded, checked protocol (with an optional profile applied) ready for scoring."""

    data: ProtocolFile
    profile: ProfileFile | None
    steps: dict[str, Step]
    conditions: dict[str, Condition]  # step id or rule id -> compiled condition
    vocab: dict[str, Var]
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)  # derived data, per protocol

    @property
    def facts(self) -> dict[str, FactSpec]:
        """The facts vocabulary."""
        return self.data.facts

    @property
    def rules(self) -> Rules:
        """The rules (profile applied)."""
        return self.data.rules

    @property
    def phase_ids(self) -> list[str]:
        """Phase ids in order."""
        return [p.id for p in self.data.phases]

    def source_label(self, ref: SourceRef) -> str:
        """``'003_8415e7536f4987af.txt (Stap 1 Analyseer)'`` for a citation."""
        doc = self.data.sources.get(ref.doc)
        name = doc.file if doc else ref.doc
        return f"{name} ({ref.where})"

    def sources_of(self, refs: list[SourceRef]) -> list[str]:
        """Citations as strings, in order, without repeats."""
        key = ("sources", tuple(refs))
        cached = self.cache.get(key)
        if cached is not None:
            return list(cached)
        out: list[str] = []
        for ref in refs:
            label = self.source_label(ref)
            if label not in out:
                out.append(label)
        self.cache[key] = tuple(out)
        return out

    def applies(self, key: str, facts: dict[str, Any]) -> bool:
        """Whether the condition of a step or rule holds for ``facts``."""
        return self.conditions[key].holds(facts)

    def resolve_facts(self, given: dict[str, Any]) -> dict[str, Any]:
        """Fill in defaults; raise ``KeyError`` naming a required fact that is missing."""
        out: dict[str, Any] = {}
        for name, spec in self.facts.items():
            if name in given:
                out[name] = given[name]
            elif spec.default is not None:
                out[name] = spec.default
            else:
                raise KeyError(name)
        return out

    def check_fact(self, name: str, value: Any) -> str | None:
        """Return an English problem description for a fact value, or None when it is fine."""
        spec = self.facts.get(name)
        if spec is None:
            return f"unknown fact '{name}'" + suggest(name, self.facts)
        if spec.type == "bool" and not isinstance(value, bool):
            return f"fact '{name}' must be true or false, got {value!r}"
        if spec.type == "enum" and value not in spec.values:
            return f"fact '{name}' cannot be {value!r}; one of: {', '.join(spec.values)}" + suggest(
                str(value), spec.values
            )
        return None

    def difference(self, diff_id: str) -> Difference | None:
        """A source difference by id."""
        return next((d for d in self.data.differences if d.id == diff_id), None)


def _apply_profile(data: ProtocolFile, profile: ProfileFile) -> ProtocolFile:
    steps = []
    for step in data.steps:
        over = profile.steps.get(step.id)
        if over is None:
            steps.append(step)
            continue
        changes: dict[str, Any] = {k: v for k, v in over.model_dump(exclude={"sources"}).items() if v is not None}
        changes["sources"] = list(step.sources) + list(over.sources)
        steps.append(step.model_copy(update=changes))
    steps.extend(profile.add_steps)
    drop = set(profile.remove_rules)
    rules = {}
    for name in Rules.model_fields:
        kept = [r for r in getattr(data.rules, name) if r.id not in drop]
        rules[name] = kept + list(getattr(profile.add_rules, name))
    return data.model_copy(update={"steps": steps, "rules": Rules(**rules)})


def _check(data: ProtocolFile, tree: Any, path: str, profile: ProfileFile | None = None) -> Protocol:
    """Check ids and compile conditions; errors point at the line in ``tree`` (the file checked)."""

    def fail(loc: tuple[Any, ...], message: str) -> None:
        line, col = position(tree, loc)
        raise InputError(path, line, col, message)

    vocab = {name: spec.var() for name, spec in data.facts.items()}
    for name, spec in data.facts.items():
        if spec.type == "enum" and not spec.values:
            fail(("facts", name), f"enum fact '{name}' has no values")
        if spec.default is not None:
            bad = (spec.type == "bool" and not isinstance(spec.default, bool)) or (
                spec.type == "enum" and spec.default not in spec.values
            )
            if bad:
                fail(("facts", name, "default"), f"default of '{name}' is not a possible value")
    phase_ids = [p.id for p in data.phases]
    if profile is None and tuple(phase_ids) != PHASES:
        fail(("phases",), f"phases must be {', '.join(PHASES)} in this order")

    steps: dict[str, Step] = {}
    conditions: dict[str, Condition] = {}
    # Where each step lives in the checked file, for line numbers.
    base_count = len(data.steps) - (len(profile.add_steps) if profile else 0)

    def step_loc(i: int) -> tuple[Any, ...]:
        if profile is None:
            return ("steps", i)
        return ("add_steps", i - base_count) if i >= base_count else ("steps", data.steps[i].id)

    for i, step in enumerate(data.steps):
        loc = step_loc(i)
        if step.id in steps:
            fail(loc, f"step id '{step.id}' is used twice")
        if step.phase not in phase_ids:
            fail((*loc, "phase"), f"unknown phase '{step.phase}'" + suggest(step.phase, phase_ids))
        for j, ref in enumerate(step.sources):
            if ref.doc not in data.sources:
                fail((*loc, "sources", j, "doc"), f"unknown source '{ref.doc}'" + suggest(ref.doc, data.sources))
        if step.kind == "schadelijk" and (step.points <= 0 or step.required or not step.why):
            fail(loc, f"harmful step '{step.id}' needs points > 0, `why` and `required: false`")
        if step.kind != "schadelijk" and (step.points or step.why):
            fail(loc, f"only harmful steps have `points` and `why` ('{step.id}' is a {step.kind})")
        try:
            conditions[step.id] = compile_condition(step.applies, vocab)
        except ExprError as exc:
            fail((*loc, "applies"), f"condition of '{step.id}': {exc}")
        steps[step.id] = step

    def need_step(loc: tuple[Any, ...], sid: str) -> None:
        if sid not in steps:
            fail(loc, f"unknown step '{sid}'" + suggest(sid, steps))

    rule_ids: set[str] = set()
    diff_ids = {d.id for d in data.differences}
    rules_key = "rules" if profile is None else "add_rules"
    for kind in Rules.model_fields:
        # In a profile, the kept protocol rules come first; only the added ones live in this file.
        offset = len(getattr(data.rules, kind)) - len(getattr(profile.add_rules, kind)) if profile else 0
        for i, rule in enumerate(getattr(data.rules, kind)):
            loc: tuple[Any, ...] = (rules_key, kind, i - offset)
            if rule.id in rule_ids or rule.id in steps:
                fail(loc, f"rule id '{rule.id}' is used twice")
            rule_ids.add(rule.id)
            for attr in ("before", "step"):
                if hasattr(rule, attr):
                    need_step((*loc, attr), getattr(rule, attr))
            for attr in ("after", "steps"):
                for k, sid in enumerate(getattr(rule, attr, []) or []):
                    need_step((*loc, attr, k), sid)
            if isinstance(rule, PhaseOrderRule):
                for ph in [rule.later, *rule.earlier]:
                    if ph not in phase_ids:
                        fail((*loc,), f"unknown phase '{ph}'" + suggest(ph, phase_ids))
            for k, ref in enumerate(rule.sources):
                if ref.doc not in data.sources:
                    fail((*loc, "sources", k, "doc"), f"unknown source '{ref.doc}'" + suggest(ref.doc, data.sources))
            diff = getattr(rule, "difference", None)
            if diff is not None and diff not in diff_ids:
                fail((*loc, "difference"), f"unknown difference '{diff}'" + suggest(diff, diff_ids))
            if hasattr(rule, "when"):
                try:
                    conditions[rule.id] = compile_condition(rule.when, vocab)
                except ExprError as exc:
                    fail((*loc, "when"), f"condition of rule '{rule.id}': {exc}")
    for i, diff in enumerate(data.differences):
        for k, sid in enumerate(diff.steps):
            need_step(("differences", i, "steps", k), sid)
        for k, pos in enumerate(diff.positions):
            if pos.source.doc not in data.sources:
                fail(("differences", i, "positions", k), f"unknown source '{pos.source.doc}'")
    return Protocol(data, profile, steps, conditions, vocab)


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, profile_path: str | None, mtimes: tuple[float, ...]) -> Protocol:
    data, base = load_checked(ProtocolFile, path, lambda d, tree: (d, _check(d, tree, path)))
    if profile_path is None:
        return base

    def with_profile(prof: ProfileFile, ptree: Any) -> Protocol:
        if prof.protocol != data.id:
            line, col = position(ptree, ("protocol",))
            raise InputError(profile_path, line, col, f"profile is for protocol '{prof.protocol}', not '{data.id}'")
        for name, _ in prof.steps.items():
            if name not in base.steps:
                line, col = position(ptree, ("steps", name))
                raise InputError(profile_path, line, col, f"unknown step '{name}'" + suggest(name, base.steps))
        all_rule_ids = [r.id for kind in Rules.model_fields for r in getattr(data.rules, kind)]
        for i, rid in enumerate(prof.remove_rules):
            if rid not in all_rule_ids:
                line, col = position(ptree, ("remove_rules", i))
                raise InputError(profile_path, line, col, f"unknown rule '{rid}'" + suggest(rid, all_rule_ids))
        merged = _apply_profile(data, prof)
        return _check(merged, ptree, profile_path, prof)

    return load_checked(ProfileFile, profile_path, with_profile)


def profile_path(name: str) -> Path:
    """Path of a profile given by name (``school-001``) or by path."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    return PROFILE_DIR / f"{name}.yaml"


def available_profiles() -> list[str]:
    """Names of the profiles under ``protocols/profiles/``."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_protocol(path: str | Path | None = None, profile: str | None = None) -> Protocol:
    """Load and check the protocol, with the named profile (or profile file) laid over it."""
    ppath = str(path or DEFAULT_PROTOCOL)
    prof_path: str | None = None
    if profile:
        pp = profile_path(profile)
        if not pp.exists():
            known = available_profiles()
            raise InputError(str(pp), 0, 0, f"unknown profile '{profile}'" + suggest(profile, known))
        prof_path = str(pp)
    mtimes = tuple(Path(p).stat().st_mtime for p in (ppath, prof_path) if p and Path(p).exists())
    return _load_cached(ppath, prof_path, mtimes)

"""Judge an incident timeline against the protocol.

The score starts at 100. Every point lost belongs to exactly one finding, so
``score == max(0, 100 - sum(f.points for f in findings))``. The rules are small objects in
:data:`RULES`; that list fixes the order in which findings are reported.

How points are shared out:

* The required steps that apply to the facts (and the ``one_of`` groups that apply) share 100
  points in proportion to their weight. A missing one loses its whole share.
* A late step loses ``late_factor`` of its share; a step that came too early loses
  ``order_factor`` of its share (at least ``order_min_points``). Late and order findings on one
  step together never lose more than its share (or the minimum).
* A harmful step loses its own ``points`` (60 for looking at the image). A good timeline cannot
  buy them back: they come off whatever else was earned.
* A step out of proportion for the facts loses the rule's ``points``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sim.protocol import OneOfRule, OrderRule, PhaseOrderRule, Protocol, Step

Kind = Literal["missing", "harmful", "order", "late", "disproportionate"]


class Finding(BaseModel):
    """One thing the scorer found; ``points`` is what it cost."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    action: str = Field(description="The step the finding is about (for order: the step that came too early).")
    after: str | None = Field(None, description="For order findings: the step it should have followed.")
    message: str = Field(description="Dutch explanation.")
    sources: list[str] = Field(description="Citations: seed file name and the heading inside it.")
    points: float = Field(description="Points lost.")
    phase: str = Field(description="Phase of the step.")
    rule: str = Field(description="Id of the rule (or step) that produced the finding.")
    at: float | None = Field(None, description="When the step was taken, in hours (None when missing).")
    alternatives: list[str] = Field(default_factory=list, description="Steps that would also have satisfied it.")
    difference: str | None = Field(None, description="Id of a point where the sources differ.")

    @field_validator("points")
    @classmethod
    def _tenths(cls, v: float) -> float:
        return round(v, 1)


class Report(BaseModel):
    """The scorer's verdict on one timeline."""

    score: float
    phases: dict[str, float]
    findings: list[Finding]
    protocol: str
    protocol_version: str
    profile: str | None
    facts: dict[str, Any]
    required: list[str] = Field(description="Required steps (and alternative groups as 'a|b').")
    done: list[str] = Field(description="Required steps taken on time and in order.")
    timeline: list[dict[str, Any]]
    differences: list[dict[str, Any]]

    @property
    def lost(self) -> float:
        """Sum of all points lost."""
        return round(sum(f.points for f in self.findings), 1)


@dataclass(frozen=True)
class Event:
    """A step in the timeline, in scoring order."""

    pos: int
    at: float
    action: str
    by: str | None = None
    note: str | None = None


@dataclass
class Unit:
    """A required unit: a step, or a group of alternative steps."""

    key: str
    steps: tuple[str, ...]
    share: float
    phase: str
    rule: OneOfRule | None = None


@dataclass
class Context:
    """Everything the rules read, computed once per timeline."""

    protocol: Protocol
    facts: dict[str, Any]
    events: list[Event]
    first: dict[str, Event]
    units: list[Unit]
    share: dict[str, float]  # step id -> share of its unit
    spent: dict[str, float] = field(default_factory=dict)  # late/order points already taken per step

    def step(self, sid: str) -> Step:
        """The protocol step with this id."""
        return self.protocol.steps[sid]

    def title(self, sid: str) -> str:
        """Dutch title of a step."""
        return self.protocol.steps[sid].title

    def cap(self, sid: str, points: float) -> float:
        """Limit late/order losses of one step to its share (or the minimum)."""
        limit = max(self.share.get(sid, 0.0), self.protocol.data.scoring.order_min_points)
        room = max(0.0, limit - self.spent.get(sid, 0.0))
        taken = min(points, room)
        self.spent[sid] = self.spent.get(sid, 0.0) + taken
        return taken


def _hours(at: float) -> str:
    if at == int(at):
        return f"{int(at)} uur"
    return f"{at:g} uur".replace(".", ",")


class MissingRule:
    """Required steps (and alternative groups) that were not taken."""

    def findings(self, ctx: Context) -> Iterable[Finding]:
        """One finding per required unit none of whose steps occurs."""
        proto = ctx.protocol
        for unit in ctx.units:
            if any(s in ctx.first for s in unit.steps):
                continue
            if unit.rule is None:
                step = ctx.step(unit.steps[0])
                yield Finding(
                    kind="missing",
                    action=step.id,
                    message=f"Gemist: {step.title}. {step.guidance}",
                    sources=proto.sources_of(step.sources),
                    points=unit.share,
                    phase=step.phase,
                    rule=step.id,
                )
            else:
                rule = unit.rule
                titles = " of ".join(f"'{ctx.title(s)}'" for s in rule.steps)
                refs = list(rule.sources) + [r for s in rule.steps for r in ctx.step(s).sources]
                yield Finding(
                    kind="missing",
                    action=rule.steps[0],
                    message=f"Gemist: {titles}. {rule.message}",
                    sources=proto.sources_of(refs),
                    points=unit.share,
                    phase=unit.phase,
                    rule=rule.id,
                    alternatives=list(rule.steps[1:]),
                    difference=rule.difference,
                )


class HarmfulRule:
    """Harmful steps, each counted once."""

    def findings(self, ctx: Context) -> Iterable[Finding]:
        """One finding per harmful step that occurs."""
        for sid, ev in ctx.first.items():
            step = ctx.step(sid)
            if step.kind != "schadelijk":
                continue
            yield Finding(
                kind="harmful",
                action=sid,
                message=f"Schadelijk: {step.title}. {step.why}".strip(),
                sources=ctx.protocol.sources_of(step.sources),
                points=step.points,
                phase=step.phase,
                rule=sid,
                at=ev.at,
            )


def _order_finding(
    ctx: Context, ev: Event, after: str, rule: OrderRule | PhaseOrderRule, difference: str | None = None
) -> Finding:
    """A step (``ev``) that came before ``after``; costs part of its share, at least the minimum."""
    scoring = ctx.protocol.data.scoring
    sid = ev.action
    wanted = max(scoring.order_min_points, scoring.order_factor * ctx.share.get(sid, 0.0))
    return Finding(
        kind="order",
        action=sid,
        after=after,
        message=f"'{ctx.title(sid)}' kwam vóór '{ctx.title(after)}'. {rule.message}",
        sources=ctx.protocol.sources_of(rule.sources),
        points=ctx.cap(sid, wanted),
        phase=ctx.step(sid).phase,
        rule=rule.id,
        at=ev.at,
        difference=difference,
    )


class OrderRuleCheck:
    """Steps that came before a step they should have followed."""

    def findings(self, ctx: Context) -> Iterable[Finding]:
        """One finding per order rule and early step, when both steps occur."""
        for rule in ctx.protocol.rules.order:
            first = ctx.first.get(rule.before)
            if first is None or not ctx.protocol.applies(rule.id, ctx.facts):
                continue
            for sid in rule.after:
                ev = ctx.first.get(sid)
                if ev is None or ev.pos > first.pos:
                    continue
                yield _order_finding(ctx, ev, rule.before, rule, rule.difference)


class PhaseOrderCheck:
    """Steps of a later phase (evaluation) taken while earlier-phase steps were still to come."""

    def findings(self, ctx: Context) -> Iterable[Finding]:
        """One finding per later-phase step that precedes the last earlier-phase step."""
        for rule in ctx.protocol.rules.phase_order:
            earlier = [
                ev
                for sid, ev in ctx.first.items()
                if ctx.step(sid).kind == "stap" and ctx.step(sid).phase in rule.earlier
            ]
            if not earlier:
                continue
            last = max(earlier, key=lambda e: e.pos)
            for sid, ev in ctx.first.items():
                step = ctx.step(sid)
                if step.kind != "stap" or step.phase != rule.later or ev.pos > last.pos:
                    continue
                yield _order_finding(ctx, ev, last.action, rule)


class DeadlineCheck:
    """Required steps taken after their deadline."""

    def findings(self, ctx: Context) -> Iterable[Finding]:
        """One finding per deadline rule whose (required) step came too late."""
        factor = ctx.protocol.data.scoring.late_factor
        for rule in ctx.protocol.rules.deadlines:
            ev = ctx.first.get(rule.step)
            if ev is None or ev.at <= rule.within or rule.step not in ctx.share:
                continue
            yield Finding(
                kind="late",
                action=rule.step,
                message=(
                    f"Te laat: '{ctx.title(rule.step)}' na {_hours(ev.at)}, dat hoort binnen "
                    f"{_hours(rule.within)}. {rule.message}"
                ),
                sources=ctx.protocol.sources_of(rule.sources),
                points=ctx.cap(rule.step, factor * ctx.share[rule.step]),
                phase=ctx.step(rule.step).phase,
                rule=rule.id,
                at=ev.at,
            )


class ProportionCheck:
    """Steps taken where the facts make them out of proportion."""

    def findings(self, ctx: Context) -> Iterable[Finding]:
        """One finding per proportion rule whose step was taken while its condition holds."""
        for rule in ctx.protocol.rules.proportion:
            ev = ctx.first.get(rule.step)
            if ev is None or not ctx.protocol.applies(rule.id, ctx.facts):
                continue
            yield Finding(
                kind="disproportionate",
                action=rule.step,
                message=f"Buiten proportie: '{ctx.title(rule.step)}'. {rule.message}",
                sources=ctx.protocol.sources_of(rule.sources),
                points=rule.points,
                phase=ctx.step(rule.step).phase,
                rule=rule.id,
                at=ev.at,
                difference=rule.difference,
            )


RULES = (HarmfulRule(), MissingRule(), DeadlineCheck(), OrderRuleCheck(), PhaseOrderCheck(), ProportionCheck())


def required_units(protocol: Protocol, facts: dict[str, Any]) -> list[Unit]:
    """The required steps and alternative groups for these facts, with their shares of 100 (cached)."""
    key = ("units", tuple(sorted(facts.items())))
    cached = protocol.cache.get(key)
    if cached is None:
        if len(protocol.cache) > 4096:  # facts vary little in practice; keep a long-lived kernel bounded
            protocol.cache.clear()
        cached = protocol.cache[key] = tuple(_required_units(protocol, facts))
    return list(cached)


def _required_units(protocol: Protocol, facts: dict[str, Any]) -> list[Unit]:
    raw: list[tuple[str, tuple[str, ...], float, str, OneOfRule | None]] = []
    grouped: set[str] = set()
    for rule in protocol.rules.one_of:
        if protocol.applies(rule.id, facts):
            raw.append(
                ("|".join(rule.steps), tuple(rule.steps), rule.weight, protocol.steps[rule.steps[0]].phase, rule)
            )
            grouped.update(rule.steps)
    for step in protocol.steps.values():
        if step.kind == "schadelijk" or not step.required or step.id in grouped:
            continue
        if protocol.applies(step.id, facts):
            raw.append((step.id, (step.id,), step.weight, step.phase, None))
    total = sum(w for _, _, w, _, _ in raw) or 1.0
    order = {p: i for i, p in enumerate(protocol.phase_ids)}
    units = [Unit(k, s, 100.0 * w / total, ph, r) for k, s, w, ph, r in raw]
    units.sort(key=lambda u: (order.get(u.phase, 99), _step_index(protocol, u.steps[0])))
    return units


def _step_index(protocol: Protocol, sid: str) -> int:
    index = protocol.cache.get("step_index")
    if index is None:
        index = protocol.cache["step_index"] = {s: i for i, s in enumerate(protocol.steps)}
    return index[sid]


def to_events(timeline: Sequence[Any]) -> list[Event]:
    """Sort a timeline by time; steps at the same hour keep the order in which they are listed."""
    rows = []
    for i, entry in enumerate(timeline):
        if isinstance(entry, dict):
            at, action, by, note = entry["at"], entry["action"], entry.get("by"), entry.get("note")
        elif isinstance(entry, (tuple, list)):
            at, action = entry[0], entry[1]
            by = note = None
        else:
            at, action, by, note = entry.at, entry.action, getattr(entry, "by", None), getattr(entry, "note", None)
        rows.append((float(at), i, action, by, note))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [Event(pos, at, action, by, note) for pos, (at, _, action, by, note) in enumerate(rows)]


def score(timeline: Sequence[Any], facts: dict[str, Any], protocol: Protocol) -> Report:
    """Score ``timeline`` (entries with ``at`` and ``action``) for resolved ``facts``."""
    events = to_events(timeline)
    unknown = [e.action for e in events if e.action not in protocol.steps]
    if unknown:
        raise ValueError(f"unknown step id {unknown[0]!r}")
    first: dict[str, Event] = {}
    for ev in events:
        first.setdefault(ev.action, ev)
    units = required_units(protocol, facts)
    share = {sid: u.share for u in units for sid in u.steps}
    ctx = Context(protocol, facts, events, first, units, share)

    findings: list[Finding] = []
    for rule in RULES:
        for f in rule.findings(ctx):
            findings.append(f)
    lost = sum(f.points for f in findings)
    total = round(max(0.0, 100.0 - lost), 1)

    phases: dict[str, float] = {}
    for ph in protocol.phase_ids:
        possible = sum(u.share for u in units if u.phase == ph)
        ph_lost = sum(f.points for f in findings if f.phase == ph)
        if possible > 0:
            phases[ph] = round(max(0.0, 100.0 * (possible - ph_lost) / possible), 1)
        else:
            phases[ph] = round(max(0.0, 100.0 - ph_lost), 1)

    flagged = {f.action for f in findings}
    done = [u.key for u in units if any(s in first for s in u.steps) and not (set(u.steps) & flagged)]
    return Report(
        score=total,
        phases=phases,
        findings=findings,
        protocol=protocol.data.id,
        protocol_version=protocol.data.version,
        profile=protocol.profile.id if protocol.profile else None,
        facts=dict(facts),
        required=[u.key for u in units],
        done=done,
        timeline=[{"at": e.at, "action": e.action, **({"by": e.by} if e.by else {})} for e in events],
        differences=_differences(protocol, first, findings),
    )


def _differences(protocol: Protocol, first: dict[str, Event], findings: list[Finding]) -> list[dict[str, Any]]:
    """Points where the sources differ that touch this timeline or its findings."""
    touched = set(first) | {f.action for f in findings} | {s for f in findings for s in f.alternatives}
    named = {f.difference for f in findings if f.difference}
    out = []
    for diff in protocol.data.differences:
        if diff.id in named or touched & set(diff.steps):
            out.append(
                {
                    "id": diff.id,
                    "title": diff.title,
                    "positions": [{"source": protocol.source_label(p.source), "says": p.says} for p in diff.positions],
                    "advice": diff.advice,
                }
            )
    return out


def ideal_timeline(protocol: Protocol, facts: dict[str, Any], spacing: float = 0.1) -> list[dict[str, Any]]:
    """A timeline that takes every required step once, in phase order, respecting every order rule.

    Used as the protocol's reference for a set of facts (tests, debriefs). Steps are ``spacing``
    hours apart, so every deadline is met for any realistic protocol.
    """
    import heapq

    steps = [u.steps[0] for u in required_units(protocol, facts)]
    chosen = set(steps)
    phase_rank = {p: i for i, p in enumerate(protocol.phase_ids)}
    index = {sid: i for i, sid in enumerate(protocol.steps)}
    preds: dict[str, set[str]] = {s: set() for s in steps}
    for rule in protocol.rules.order:
        if rule.before in chosen and protocol.applies(rule.id, facts):
            for after in rule.after:
                if after in chosen:
                    preds[after].add(rule.before)
    for rule in protocol.rules.phase_order:
        earlier = [s for s in steps if protocol.steps[s].phase in rule.earlier and protocol.steps[s].kind == "stap"]
        for s in steps:
            if protocol.steps[s].phase == rule.later and protocol.steps[s].kind == "stap":
                preds[s].update(earlier)
    heap = [(phase_rank[protocol.steps[s].phase], index[s], s) for s in steps if not preds[s]]
    heapq.heapify(heap)
    done: list[str] = []
    while heap:
        _, _, sid = heapq.heappop(heap)
        done.append(sid)
        for s in steps:
            if sid in preds[s]:
                preds[s].discard(sid)
                if not preds[s] and s not in done:
                    heapq.heappush(heap, (phase_rank[protocol.steps[s].phase], index[s], s))
    if len(done) != len(steps):
        raise ValueError("the order rules contain a cycle")
    return [{"at": round(spacing * (i + 1), 4), "action": sid} for i, sid in enumerate(done)]

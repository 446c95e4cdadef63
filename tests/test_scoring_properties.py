"""Property tests for the scorer on random facts and timelines (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.protocol import load_protocol
from sim.scoring import score

PROTOCOL = load_protocol()
STEP_IDS = sorted(PROTOCOL.steps)
HARMFUL = sorted(s.id for s in PROTOCOL.steps.values() if s.kind == "schadelijk")


def fact_value(spec):
    return st.booleans() if spec.type == "bool" else st.sampled_from(spec.values)


FACTS = st.fixed_dictionaries({name: fact_value(spec) for name, spec in PROTOCOL.facts.items()})
HOURS = st.floats(min_value=0, max_value=200, allow_nan=False).map(lambda x: round(x, 2))
TIMELINE = st.lists(st.fixed_dictionaries({"at": HOURS, "action": st.sampled_from(STEP_IDS)}), max_size=40)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(FACTS, TIMELINE)
def test_score_in_range_and_deterministic(facts, timeline):
    """Is every score within 0-100, equal to 100 minus the points (at least 0), and the same twice?"""
    a = score(timeline, facts, PROTOCOL)
    b = score(list(timeline), dict(facts), PROTOCOL)
    assert 0 <= a.score <= 100
    assert a.model_dump() == b.model_dump()
    assert abs(a.score - max(0.0, 100 - sum(f.points for f in a.findings))) < 1e-6
    assert all(0 <= v <= 100 for v in a.phases.values())


@SETTINGS
@given(FACTS, TIMELINE, st.sampled_from(HARMFUL), HOURS, st.integers(min_value=0, max_value=40))
def test_adding_a_harmful_step_never_raises_the_score(facts, timeline, harm, at, where):
    """Can a harmful step, anywhere in any timeline, ever raise the score?"""
    worse = [*timeline[:where], {"at": at, "action": harm}, *timeline[where:]]
    assert score(worse, facts, PROTOCOL).score <= score(timeline, facts, PROTOCOL).score


@SETTINGS
@given(FACTS, TIMELINE, st.integers(min_value=0, max_value=39), st.floats(min_value=0, max_value=1))
def test_doing_a_step_earlier_never_lowers_the_score(facts, timeline, pick, fraction):
    """Does moving one step earlier, keeping its place in the order, never cost points?"""
    if not timeline:
        return
    ordered = sorted(enumerate(timeline), key=lambda p: (p[1]["at"], p[0]))
    events = [e for _, e in ordered]  # the order the scorer sees; ties keep this listed order
    i = pick % len(events)
    floor = events[i - 1]["at"] if i > 0 else 0.0
    moved = round(floor + (events[i]["at"] - floor) * fraction, 4)
    moved = max(floor, min(events[i]["at"], moved))
    earlier = [*events[:i], {"at": moved, "action": events[i]["action"]}, *events[i + 1 :]]
    assert score(earlier, facts, PROTOCOL).score >= score(events, facts, PROTOCOL).score

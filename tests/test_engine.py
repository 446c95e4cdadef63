"""Tests for the engine (sim/engine.py). Every engine test also runs after a JSON round trip of the state."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.engine import ChoiceError, Engine, RunState, play
from sim.explore import choices_at
from sim.scenario import load_scenario, scenario_files

FILES = scenario_files()
EXAMPLE = load_scenario(next(p for p in FILES if p.stem == "klassenapp-vo3"))


@pytest.fixture(params=["direct", "json"])
def roundtrip(request):
    """Identity, or a JSON round trip of the state before every use (ink's 'run twice' idea)."""
    if request.param == "direct":
        return lambda state: state
    return lambda state: RunState.from_json(state.to_json())


def walk(engine, choices, roundtrip, seed=1):
    state = roundtrip(engine.start(seed))
    for choice in choices:
        state = roundtrip(engine.choose(state, choice))
    return state


def test_reference_path_plays_to_an_ending_and_scores(roundtrip):
    """Does the reference path reach the ending with the same score before and after JSON round trips?"""
    engine = Engine(EXAMPLE)
    state = walk(engine, EXAMPLE.data.reference, roundtrip)
    assert state.finished and state.ending == "einde"
    assert engine.report(state).score == engine.report(play(engine, EXAMPLE.data.reference)).score


def test_state_is_frozen_and_choose_returns_a_new_one(roundtrip):
    """Is the old state untouched by choose(), and can its fields not be reassigned?"""
    engine = Engine(EXAMPLE)
    start = roundtrip(engine.start())
    before = start.model_dump()
    nxt = engine.choose(start, "luisteren")
    assert start.model_dump() == before and nxt is not start
    with pytest.raises(ValidationError):
        start.clock = 5  # type: ignore[misc]


def test_clock_timeline_and_feedback(roundtrip):
    """Does a choice advance the clock, add its steps at the right hour and log feedback with sources?"""
    engine = Engine(EXAMPLE)
    state = walk(engine, ["luisteren"], roundtrip)
    assert state.clock == 0.5
    assert [(e.at, e.action) for e in state.timeline] == [(0.5, "gesprek-slachtoffer")]
    fb = [e for e in state.log if e.kind == "feedback"]
    assert fb and fb[0].sources and fb[0].sources[0].startswith("003_8415e7536f4987af.txt")
    assert state.node == "omvang"


def test_order_kind_puts_steps_in_the_chosen_order(roundtrip):
    """Does a volgorde decision enter its steps in the order the trainee chose?"""
    engine = Engine(EXAMPLE)
    prefix = EXAMPLE.data.reference[:5]
    a = walk(engine, [*prefix, "verwijder>meld>besluit"], roundtrip)
    b = walk(engine, [*prefix, "meld>besluit>verwijder"], roundtrip)
    steps = lambda s: [e.action for e in s.timeline if e.node == "melden"]  # noqa: E731
    assert steps(a) == ["verzoek-verwijderen", "meld-beelden", "besluit-melding-aangifte"]
    assert steps(b) == ["meld-beelden", "besluit-melding-aangifte", "verzoek-verwijderen"]
    order = lambda s: {(f.action, f.after) for f in engine.report(s).findings if f.kind == "order"}  # noqa: E731
    assert ("verzoek-verwijderen", "meld-beelden") in order(a)
    assert ("verzoek-verwijderen", "meld-beelden") not in order(b)


def test_multi_choice_limits_and_canonical_form(roundtrip):
    """Does a meerkeuze refuse too many options and store the choice in scenario order?"""
    engine = Engine(EXAMPLE)
    state = walk(engine, ["luisteren", "vragen"], roundtrip)
    with pytest.raises(ChoiceError, match="between 1 and 3"):
        engine.choose(state, "zorg+protocol+wijkagent+telefoon")
    nxt = engine.choose(state, ["wijkagent", "zorg"])
    assert nxt.choices[-1].choice == "zorg+wijkagent"


@pytest.mark.parametrize("bad", ["bestaat-niet", "luisteren+vragen", ""])
def test_impossible_choices_are_refused(bad):
    """Is an unknown option, or two options at a single-choice point, a ChoiceError naming the options?"""
    engine = Engine(EXAMPLE)
    with pytest.raises(ChoiceError, match="luisteren"):
        engine.choose(engine.start(), bad)


def test_finished_run_refuses_choices():
    """Can nothing be chosen after the ending?"""
    engine = Engine(EXAMPLE)
    state = play(engine, EXAMPLE.data.reference)
    with pytest.raises(ChoiceError, match="finished"):
        engine.choose(state, "x")


def test_spread_grows_while_nothing_stops_it_and_stops_after_removal(roundtrip):
    """Does the image keep spreading while nobody acts, and stop once deletion is requested?"""
    engine = Engine(EXAMPLE)
    state = roundtrip(engine.start())
    vars0 = dict(state.vars)
    state = walk(engine, EXAMPLE.data.reference[:5], roundtrip)
    assert state.vars["bereik"] > vars0["bereik"] and state.vars["gestopt"] is False
    state = walk(engine, EXAMPLE.data.reference[:6], roundtrip)
    stopped_at = state.vars["bereik"]
    assert state.vars["gestopt"] is True
    later = walk(engine, EXAMPLE.data.reference[:8], roundtrip)
    assert later.vars["bereik"] == stopped_at


def test_harmful_choice_hurts_the_victim(roundtrip):
    """Does looking at the image lower the victim's wellbeing compared with listening?"""
    engine = Engine(EXAMPLE)
    good = walk(engine, ["luisteren"], roundtrip)
    bad = walk(engine, ["laten-zien"], roundtrip)
    assert bad.vars["welzijn"] < good.vars["welzijn"]


def test_same_seed_same_run_and_seeds_differ():
    """Does a seed fix the run exactly, while another seed changes the spread?"""
    engine = Engine(EXAMPLE)
    choices = EXAMPLE.data.reference
    assert play(engine, choices, seed=7) == play(engine, choices, seed=7)
    spreads = {play(engine, choices[:5], seed=s).vars["bereik"] for s in range(5)}
    assert len(spreads) > 1


def test_resume_from_saved_json_is_exact():
    """Saved after decision 4 and resumed, does the run end exactly as an uninterrupted one?"""
    engine = Engine(EXAMPLE)
    ref = EXAMPLE.data.reference
    saved = play(engine, ref[:4]).to_json()
    resumed = RunState.from_json(saved)
    for c in ref[4:]:
        resumed = engine.choose(resumed, c)
    assert resumed == play(engine, ref)
    assert RunState.from_json(resumed.to_json()).schema_version == 1


def test_unknown_schema_version_is_refused():
    """Is a saved run from an unknown format version refused instead of misread?"""
    engine = Engine(EXAMPLE)
    text = engine.start().to_json().replace('"schema_version":1', '"schema_version":99')
    with pytest.raises(ValueError, match="schema_version"):
        RunState.from_json(text)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_random_walks_end_at_an_ending(path, data, seed):
    """Does every random walk through every scenario reach an ending, score in range, and repeat exactly?"""
    scenario = load_scenario(path)
    engine = Engine(scenario)
    state = engine.start(seed)
    choices = []
    for _ in range(80):
        if state.finished:
            break
        choice = data.draw(st.sampled_from(choices_at(engine, state)))
        choices.append(choice)
        state = RunState.from_json(engine.choose(state, choice).to_json())
    assert state.finished and state.ending in scenario.endings
    report = engine.report(state)
    assert 0 <= report.score <= 100
    assert play(engine, choices, seed=seed) == state

"""The scenario library: every scenario is valid, explorable, of good quality, and together they cover the protocol."""

from __future__ import annotations

import functools
import re

import pytest

from sim.explore import explore
from sim.protocol import load_protocol
from sim.scenario import load_scenario, scenario_files
from sim.validate import validate_file

FILES = scenario_files()
IDS = [p.stem for p in FILES]


@functools.cache
def exploration(path):
    return explore(load_scenario(path), limit=4000)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_scenario_is_valid(path):
    """Does `sim validate` accept every scenario in scenarios/?"""
    assert [str(e) for e in validate_file(path)] == []


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_scenario_shape(path):
    """Has each scenario 8-15 decision points, sourced feedback on every option and prompts for the facilitator?"""
    data = load_scenario(path).data
    assert 8 <= len(data.nodes) <= 15, f"{len(data.nodes)} decision points"
    for node in data.nodes:
        for opt in node.options:
            assert opt.sources, f"{node.id}.{opt.id} cites no source"
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", opt.feedback.strip()) if s]
            assert 2 <= len(sentences) <= 5, f"{node.id}.{opt.id}: feedback has {len(sentences)} sentences"
    assert sum(1 for n in data.nodes if n.prompt) >= 3, "fewer than 3 discussion prompts"
    assert data.reference, "no reference path"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_scenario_quality(path):
    """Best path at least 85, worst at most 35, every ending reachable, every option on some path?"""
    result = exploration(path)
    assert result.best.score >= 85, result.best
    assert result.worst.score <= 35, result.worst
    assert result.endings == result.all_endings
    assert result.unused_options() == []
    assert result.unfinished == 0


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_reference_path_plays_and_scores_well(path):
    """Does the reference path reach an ending with a score of at least 85?"""
    from sim.engine import Engine, play

    scenario = load_scenario(path)
    engine = Engine(scenario)
    state = play(engine, scenario.data.reference)
    assert state.finished
    assert engine.report(state).score >= 85


def _options():
    for path in FILES:
        scenario = load_scenario(path)
        for node in scenario.data.nodes:
            for opt in node.options:
                yield scenario, node, opt


@pytest.mark.skipif(len(FILES) < 10, reason="the library is still being written")
def test_library_covers_the_protocol():
    """Can every protocol step be taken somewhere, every harmful step be chosen, every difference come up?"""
    protocol = load_protocol()
    offered = set()
    differences = set()
    for _, _, opt in _options():
        offered.update(opt.steps)
        if opt.difference:
            differences.add(opt.difference)
    steps = {s.id for s in protocol.steps.values()}
    assert steps - offered == set(), "steps no scenario offers"
    assert {d.id for d in protocol.data.differences} - differences == set()
    # And on an explored path, not only in the file:
    taken = set().union(*(set(exploration(p).steps) for p in FILES))
    assert steps - taken == set(), "steps no explored path takes"
    profile_steps = set(load_protocol(profile="school-001").steps) - steps
    assert profile_steps <= offered, "a school-001 step is offered nowhere"


@pytest.mark.skipif(len(FILES) < 10, reason="the library is still being written")
def test_library_covers_the_variants():
    """Do the scenarios together cover school types, roles, flags, spread, perpetrators and the hard cases?"""
    scenarios = [load_scenario(p) for p in FILES]
    facts = [s.facts() for s in scenarios]
    assert len(scenarios) >= 10
    assert {s.data.schooltype for s in scenarios} == {"po", "vo", "mbo"}
    assert {s.data.role for s in scenarios} >= {"docent", "mentor", "teamleider", "zorgcoordinator", "schoolleider"}
    assert {s.data.flag for s in scenarios} == {"groen", "geel", "rood", "zwart"}
    assert {"een-persoon", "buiten-school"} <= {f["verspreiding"] for f in facts}
    assert {"eigen", "andere", "onbekend", "geen"} <= {f["dader_school"] for f in facts}
    assert any(f["beeld_online"] for f in facts) and any(not f["beeld_online"] for f in facts)
    assert any(f["vrijwillig_gemaakt"] and f["verspreiding"] == "geen" for f in facts)
    for fact in ("afpersing", "ai_gegenereerd", "media_aandacht", "thuis_risico", "medewerker_betrokken"):
        assert any(f[fact] for f in facts), fact
    assert any(s.data.profile == "school-001" for s in scenarios)

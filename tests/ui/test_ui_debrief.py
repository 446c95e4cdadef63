"""The debrief: reference path, first divergence, phase chart, saved file."""

from __future__ import annotations

from sim.engine import Engine, play
from sim.ui.debrief import debrief_body, first_divergence, phase_chart, reference_run, standalone_html


def test_reference_run_and_divergence(scenario):
    """Is the reference path played through the engine, and the first different decision found?"""
    ref = reference_run(scenario)
    assert ref is not None and ref.finished
    assert [c.choice for c in ref.choices] == list(scenario.data.reference)
    same = play(Engine(scenario), [*scenario.data.reference[:-1], "andere reflectie"])
    assert first_divergence(scenario, same, ref) is None  # a reflection never counts
    other = list(scenario.data.reference)
    other[2] = "zorg+protocol"
    assert first_divergence(scenario, play(Engine(scenario), other), ref) == 2


def test_phase_chart_is_a_table_with_numbers(scenario):
    """Is the phase chart an HTML table with every phase and its value in text?"""
    engine = Engine(scenario)
    state = play(engine, scenario.data.reference)
    report = engine.report(state)
    html = phase_chart(scenario, report)
    assert html.startswith("<table") and "<caption" in html
    for phase in scenario.protocol.data.phases:
        assert phase.title in html
    assert "van 100" in html


def test_standalone_file(scenario):
    """Is the saved debrief a complete Dutch HTML document without scripts or outside resources?"""
    engine = Engine(scenario)
    state = play(engine, scenario.data.reference)
    report = engine.report(state)
    doc = standalone_html(scenario, report, debrief_body(scenario, state, report, "toets"))
    assert doc.startswith("<!DOCTYPE html>") and '<html lang="nl">' in doc
    assert "<script" not in doc and "http://" not in doc.replace("http-equiv", "")
    assert "Modus: Studiedag/toets" in doc

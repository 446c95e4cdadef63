"""Tests for the group's after-action review (sim/aar.py): content, HTML and PDF."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from sim.aar import HEADINGS, build_review, export_review, review_html
from sim.dashboard import SessionDashboard
from sim.groupsim import play_group
from sim.runs import scenario_by_id
from sim.store import Store

SCENARIO = "klassenapp-vo3"


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A session of 12 trainees (one with markup in the pseudonym), its dashboard and review."""
    folder = tmp_path_factory.mktemp("aar")
    store = Store(f"sqlite:///{folder / 'sim.db'}")
    scenario = scenario_by_id(SCENARIO)
    code = store.create_session([SCENARIO], "Studiedag <b>team</b>")
    play_group(store, code, scenario, 11, seed=21, prefix="Zorkmid")
    play_group(store, code, scenario, 1, seed=22, prefix="<script>alert(1)</script>")
    dash = SessionDashboard(store, code)
    view = dash.refresh()
    notes = "Afspraak: de zorgcoördinator is het eerste aanspreekpunt.\nVolgende keer: de brief aan ouders oefenen."
    review = build_review(view, dash.scenario, notes=notes)
    yield store, view, review, folder
    store.dispose()


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_review_has_the_shape_of_an_after_action_review(reviewed):
    """Does the review answer intent, what happened, what went well, what can be better, and what to keep?"""
    _, view, review, _ = reviewed
    assert review.headings[:5] == [HEADINGS[k] for k in ("intent", "happened", "strengths", "improve", "protocol")]
    assert review.participants == 12 and review.finished == 12
    assert any("12 deelnemers" in line for line in review.happened)
    assert review.phase_means and all(0 <= m <= 100 for _, m, _ in review.phase_means)
    assert review.strengths or review.improvements


def test_every_point_is_tied_to_protocol_steps_and_sources(reviewed):
    """Is each strength, point to improve and harmful choice tied to a protocol step and its sources?"""
    _, _, review, _ = reviewed
    for p in review.strengths + review.improvements + review.harmful:
        assert p.steps and p.sources and p.evidence
    cited = {src for src, _ in review.sources}
    for p in review.strengths + review.improvements + review.protocol_items:
        assert set(p.sources) <= cited


def test_improvements_become_protocol_items(reviewed):
    """Does every point to improve become an item for the school's own protocol, ending with 'output is input'?"""
    _, _, review, _ = reviewed
    titles = [p.title for p in review.protocol_items]
    for p in review.improvements:
        assert p.title in titles
    assert review.protocol_items[-1].title == "Output is input voor het protocol"
    assert any("Stap 5 Evalueer" in s for s in review.protocol_items[-1].sources)
    if review.harmful:
        assert any(p.title == "Wat medewerkers nooit doen" for p in review.protocol_items)


def test_thresholds_follow_the_numbers(reviewed):
    """Are strengths done right by at least 75% and points to improve wrong in at least 25% of the runs?"""
    _, view, review, _ = reviewed
    sv = view.scenarios[0]
    good = {u.title for u in sv.units if u.share >= 0.75}
    for p in review.strengths:
        assert p.title in good
    bad = {s.title for s in sv.steps if s.share >= 0.25}
    for p in review.improvements:
        assert p.title in bad


def test_html_is_escaped_complete_and_anonymous(reviewed):
    """Is the HTML a Dutch document with every heading, the notes, escaped text and no pseudonym?"""
    _, _, review, _ = reviewed
    doc = review_html(review)
    assert doc.startswith("<!DOCTYPE html>") and '<html lang="nl">' in doc
    for heading in review.headings:
        assert heading in doc
    assert "<b>team</b>" not in doc and "&lt;b&gt;team&lt;/b&gt;" in doc
    assert "Zorkmid" not in doc and "alert(1)" not in doc
    assert "eerste aanspreekpunt" in doc


def test_pdf_is_valid_and_has_the_dutch_headings(reviewed):
    """Is the exported PDF readable, with the Dutch headings, the notes and no pseudonym?"""
    _, _, review, folder = reviewed
    html_path, pdf_path = export_review(review, folder / "out")
    assert html_path.name == f"nabespreking-{review.code}.html" and pdf_path.suffix == ".pdf"
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(pdf_path)
    assert len(reader.pages) >= 2
    text = _flat(" ".join(page.extract_text() for page in reader.pages))
    for heading in review.headings:
        assert _flat(heading) in text, heading
    assert "zorgcoördinator" in text and "Zorkmid" not in text
    assert reader.metadata.title.startswith("Nabespreking")


def test_empty_session_still_gives_a_review(tmp_path):
    """Does a session nobody played yet give a short review instead of failing?"""
    store = Store(f"sqlite:///{tmp_path / 'sim.db'}")
    code = store.create_session([SCENARIO])
    dash = SessionDashboard(store, code)
    review = build_review(dash.refresh(), dash.scenario)
    assert review.strengths == [] and review.improvements == [] and review.harmful == []
    _, pdf = export_review(review, tmp_path)
    assert PdfReader(pdf).pages
    store.dispose()

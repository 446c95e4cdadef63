"""The protocol explorer: filter by phase, role, kind, word and facts."""

from __future__ import annotations

from sim.ui.explorer import build_explorer


def test_explorer_shows_every_step_with_guidance_and_sources():
    """Are all steps shown at first, each with its guidance and sources?"""
    app = build_explorer()
    steps = app.protocol.steps
    assert f"{len(steps)} stappen gevonden" in app.count.value
    html = app.result.value
    for step in list(steps.values())[:5]:
        assert f'id="stap-{step.id}"' in html
    assert html.count("Bron:") == len(steps)


def test_filters():
    """Do phase, role, kind, word and facts narrow the list?"""
    app = build_explorer()
    app.phase.value = "evalueer"
    assert all(s.phase == "evalueer" for s, _ in app.visible_steps())
    app.phase.value = ""
    app.role.value = "mentor"
    assert all("mentor" in s.roles for s, _ in app.visible_steps())
    app.role.value = ""
    app.kind.value = "schadelijk"
    shown = app.visible_steps()
    assert shown and all(s.kind == "schadelijk" for s, _ in shown)
    assert "Waarom niet:" in app.result.value
    app.kind.value = ""
    app.search.value = "wijkagent"
    assert all("wijkagent" in f"{s.title} {s.guidance} {s.id}".lower() for s, _ in app.visible_steps())
    app.search.value = ""
    everything = len(app.visible_steps())
    app.use_facts.value = True
    app.fact_widgets["dader_school"].value = "andere"
    with_facts = app.visible_steps()
    assert len(with_facts) < everything
    ids = {s.id for s, _ in with_facts}
    assert "contact-school-dader" in ids and "gesprek-dader" not in ids
    app.fact_widgets["dader_school"].value = "eigen"
    app.fact_widgets["dader_bekend"].value = True
    assert "gesprek-dader" in {s.id for s, _ in app.visible_steps()}


def test_school_profile():
    """Can a school profile be laid over the protocol?"""
    app = build_explorer()
    profiles = [v for _, v in app.profile.options if v]
    assert profiles
    app.profile.value = profiles[0]
    assert app.protocol.profile is not None
    assert "stappen gevonden" in app.count.value

"""Tests for the facilitator's dashboard widgets (sim/ui/facilitator.py), driven without a browser."""

from __future__ import annotations

import base64
import re

import pytest

from sim.dashboard import SessionDashboard
from sim.groupsim import play_group
from sim.runs import scenario_by_id
from sim.store import Store
from sim.ui.facilitator import (
    build_facilitator,
    people_html,
    phases_figure,
    sankey_figure,
    steps_html,
    summary_html,
)

SCENARIO = "klassenapp-vo3"


@pytest.fixture
def app_store(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SIM_SESSION", raising=False)
    store = Store(f"sqlite:///{tmp_path / 'sim.db'}")
    code = store.create_session([SCENARIO], "Studiedag")
    play_group(store, code, scenario_by_id(SCENARIO), 4, seed=3, prefix="Verborgen")
    play_group(store, code, scenario_by_id(SCENARIO), 2, seed=4, finish=False, prefix="Bezig")
    yield store, code
    store.dispose()


def test_dashboard_shows_the_session_anonymously(app_store):
    """Does the dashboard open on the session and show who joined, progress and choices, without names?"""
    store, code = app_store
    app = build_facilitator(store, code, autostart=False)
    assert app.session_select.value == code
    assert f"Sessie {code}" in app.summary.value and "6 deelnemers" in app.summary.value
    assert "Deelnemer 6" in app.people_view.value and "Verborgen" not in app.people_view.value
    assert "Gespreksvraag:" in app.choices_view.value and "schadelijk:" in app.choices_view.value
    assert "Protocolstappen die het vaakst misgingen" in app.steps_view.value
    assert "Scores per fase" in app.scores_view.value
    titles = [app.tabs.get_title(i) for i in range(len(app.tabs.children))]
    assert titles[:6] == ["Deelnemers", "Keuzes", "Paden", "Protocolstappen", "Scores", "Nabespreking"]


def test_names_only_when_asked(app_store):
    """Does 'Toon schuilnamen' show pseudonyms, and switching it off hide them again?"""
    store, code = app_store
    app = build_facilitator(store, code, autostart=False)
    app.names_check.value = True
    assert "Verborgen-1" in app.people_view.value
    app.names_check.value = False
    assert "Verborgen-1" not in app.people_view.value


def test_opening_a_session_reads_it_once(app_store, monkeypatch):
    """Is the session read into one dashboard when the app opens, and kept when names are switched on?

    Each dashboard reads every run of the session; a 10,000-run session read twice at start-up, or
    again from nothing to change the labels, costs the facilitator seconds.
    """
    store, code = app_store
    built = []

    class Counted(SessionDashboard):
        def __init__(self, *args, **kwargs):
            built.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr("sim.ui.facilitator.SessionDashboard", Counted)
    app = build_facilitator(store, code, autostart=False)
    assert len(built) == 1 and app.dashboard is built[0]
    app.names_check.value = True
    assert len(built) == 1 and "Verborgen-1" in app.people_view.value


def test_refresh_picks_up_new_decisions(app_store):
    """After more play, does a refresh show the new numbers?"""
    store, code = app_store
    app = build_facilitator(store, code, autostart=False)
    play_group(store, code, scenario_by_id(SCENARIO), 1, seed=9, prefix="Laat")
    view = app.refresh()
    assert view.participants == 7 and "7 deelnemers" in app.summary.value


def test_charts_are_plotly_figures_with_the_numbers(app_store):
    """Do the Sankey and the phase distribution carry the dashboard's numbers?"""
    store, code = app_store
    view = SessionDashboard(store, code).refresh()
    sv = view.scenarios[0]
    sankey = sankey_figure(sv)["data"][0]
    assert sankey["type"] == "sankey" and sankey["link"]["value"] == sv.sankey.value
    boxes = phases_figure(sv)["data"]
    assert [b["name"] for b in boxes][-1] == "Totaal" and len(boxes[-1]["y"]) == sv.finished == 4
    assert "Schadelijke keuzes" in steps_html(sv) or "Niemand koos iets schadelijks" in steps_html(sv)
    assert summary_html(view).startswith('<p aria-live="polite">') and "Deelnemer 1" in people_html(view)


def test_report_button_gives_html_and_pdf(app_store, tmp_path):
    """Does 'Maak het verslag' give an HTML and a PDF download with the notes, and save both?"""
    store, code = app_store
    app = build_facilitator(store, code, autostart=False, export_dir=tmp_path / "verslagen")
    app.notes.value = "Afspraak: het protocol krijgt een stap voor de brief aan ouders."
    app.report_button.click()
    links = app.report_links.value
    assert "Verslag als HTML" in links and "Verslag als PDF" in links
    pdf = base64.b64decode(re.search(r"data:application/pdf;base64,([A-Za-z0-9+/=]+)", links).group(1))
    assert pdf.startswith(b"%PDF")
    assert "brief aan ouders" in app.report_view.value and "Wat ging goed?" in app.report_view.value
    assert (tmp_path / "verslagen" / f"nabespreking-{code}.pdf").exists()


def test_new_session_and_closing(app_store):
    """Can the facilitator make a session in the dashboard and close a session to newcomers?"""
    store, _ = app_store
    app = build_facilitator(store, autostart=False)
    app.new_scenarios.value = (SCENARIO,)
    app.new_title.value = "Middag"
    app.new_button.click()
    code = app.session_select.value
    assert store.session(code)["title"] == "Middag" and code in app.new_status.value
    app.close_button.click()
    assert store.session(code)["closed"] and "gesloten" in app.summary.value
    assert app.close_button.description == "Sessie weer openen voor nieuwe deelnemers"
    # a session that is closed already offers to open it again when the dashboard opens on it
    again = build_facilitator(store, code, autostart=False)
    assert again.close_button.description == "Sessie weer openen voor nieuwe deelnemers"
    app.new_scenarios.value = ()
    app.new_button.click()
    assert "Kies ten minste" in app.new_status.value


def test_no_sessions_and_errors_are_dutch(tmp_path):
    """With no session, and when a callback fails, does the dashboard say so in Dutch without a traceback?"""
    store = Store(f"sqlite:///{tmp_path / 'leeg.db'}")
    app = build_facilitator(store, autostart=False)
    assert "nog geen sessie" in app.summary.value
    app.view = None
    app.report_button.click()
    assert "Kies eerst een sessie" in app.message.value and "Traceback" not in app.message.value
    store.dispose()


def test_refuses_in_any_other_voila_server(app_store, monkeypatch):
    """Served by a Voilà that is not the facilitator's (e.g. notebooks/ served to trainees), does the notebook
    show only a refusal and read nothing?"""
    store, code = app_store
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.delenv("SIM_FACILITATOR_SERVER", raising=False)
    page = build_facilitator(store, code, autostart=False)
    assert "Geen toegang" in page.value and code not in page.value
    monkeypatch.setenv("SIM_FACILITATOR_SERVER", "1")
    assert build_facilitator(store, code, autostart=False).session_select.value == code

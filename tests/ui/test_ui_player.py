"""The trainee app driven without a browser: set widget values, click buttons, read what is shown."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time

import ipywidgets as W
import pytest

from sim.runs import SavedRun
from sim.ui.player import TrainerApp, build_trainer

SCENARIO = "klassenapp-vo3"


def start(app: TrainerApp, mode: str = "oefenen") -> None:
    app.mode_select.value = mode
    app.card_buttons[SCENARIO].click()
    app.begin_button.click()


def shown_html(app: TrainerApp) -> str:
    """All HTML the current screen shows (and the message area)."""
    out = [app.message.value]

    def walk(w):
        if isinstance(w, W.HTML):
            out.append(w.value)
        for child in getattr(w, "children", ()):
            walk(child)

    walk(app.screen)
    return "\n".join(out)


def cli_score(choices: list[str]) -> float:
    done = subprocess.run(
        [sys.executable, "-m", "sim", "play", SCENARIO, "--choices", ",".join(choices), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["report"]["score"]


def test_start_screen(app):
    """Does the start screen show the content note, both modes, session and resume fields, and a card per scenario?"""
    assert app.screen_name == "start"
    html = shown_html(app)
    assert "Waar gaat dit over?" in html and "Pauzeren mag altijd" in html and "Steun nodig?" in html
    assert [v for _, v in app.mode_select.options] == ["oefenen", "toets"]
    assert set(app.card_buttons) == {c.id for c in app.catalogue}
    assert SCENARIO in app.card_buttons
    assert len(app.card_box.children) == len(app.catalogue)
    card = app.cards[SCENARIO].children[0].value
    for text in (
        "Een foto in de klassenapp",
        "Voortgezet onderwijs",
        "Rol: Mentor",
        "± 20 minuten",
        "Basis",
        "Rode vlag",
    ):
        assert text in card


def test_filters(app):
    """Do the filters narrow the cards, and say how many are left?"""
    app.filters["schooltype"].value = "vo"
    assert all(c.schooltype == "vo" for c in app._visible_scenarios())
    assert app.cards[SCENARIO] in app.card_box.children
    app.filters["flag"].value = "groen"
    assert app.cards[SCENARIO] not in app.card_box.children
    assert "gevonden" in app.card_count.value
    for f in app.filters.values():
        f.value = ""
    assert len(app.card_box.children) == len(app.catalogue)


def test_intro_then_play(app, store):
    """Does choosing a card show its content note, and does beginning store a run and show the first decision?"""
    app.card_buttons[SCENARIO].click()
    assert app.screen_name == "intro"
    assert "Let op:" in app.intro_html.value and "Wat je leert" in app.intro_html.value
    app.begin_button.click()
    assert app.screen_name == "play"
    assert app.run is not None and store.run(app.run.run_id).decisions == 0
    html = shown_html(app)
    assert "Sanne staat bij je bureau" in html
    assert "Verspreiding" in html and "Welzijn slachtoffer" in html and "Onrust op school" in html
    assert "Tijd:" in html and "net gemeld" in html
    assert app.participant["token"] in html  # the resume code is shown
    assert app.decision.children == (app.radio,)


def test_keuze_needs_a_choice(app, monkeypatch):
    """Does confirming without a choice give a Dutch hint and change nothing?"""
    start(app)
    later = time.monotonic() + 5  # after reading the question, not the second click of a double click
    monkeypatch.setattr("sim.ui.player.time.monotonic", lambda: later)
    app.confirm_button.click()
    assert "Kies eerst een optie" in app.hint.value
    assert len(app.run.state.choices) == 0


def test_practice_shows_feedback_with_source(app, store):
    """In oefenen, does feedback with its source follow a choice, and is the decision stored at once?"""
    start(app, "oefenen")
    app.radio.value = "luisteren"
    app.confirm_button.click()
    html = app.play_view.value
    assert "Feedback:" in html and "Bron:" in html and "Wat weet je al?" in html
    assert store.run(app.run.run_id).decisions == 1
    assert "Jouw stappen tot nu toe (1)" in html
    assert "Gesprek met het slachtoffer" in html


def test_toets_holds_feedback_back(app):
    """In studiedag/toets, is the feedback held back until the debrief?"""
    start(app, "toets")
    app.radio.value = "laten-zien"
    app.confirm_button.click()
    html = app.play_view.value
    assert "Feedback:" not in html and "Bron:" not in html
    assert "Feedback volgt in de nabespreking" in html


def test_meerkeuze_limit(app, choose):
    """Does a meerkeuze refuse more than its maximum, and take a valid set?"""
    start(app)
    choose(app, "luisteren")
    choose(app, "vragen")
    node = app.run.engine.node(app.run.state)
    assert node.kind == "meerkeuze"
    assert len(app.check_box.children) == len(node.options)
    for cb in app.checks[: len(node.options)]:
        cb.value = True
    assert "te veel" in app.check_count.value
    app.confirm_button.click()
    assert "ten hoogste 3" in app.hint.value and app.run.engine.node(app.run.state).id == node.id
    app.checks[3].value = False
    app.confirm_button.click()
    assert app.run.state.choices[-1].choice == "zorg+protocol+wijkagent"


def test_volgorde_up_down(app, choose):
    """Do Hoger and Lager move the selected step, and is the order confirmed as shown?"""
    start(app)
    for c in ["luisteren", "vragen", "zorg+protocol+wijkagent", "samen", "gesprek-en-herstel"]:
        choose(app, c)
    assert app.run.engine.node(app.run.state).kind == "volgorde"
    assert app._order == ["meld", "besluit", "verwijder"]
    app.order_select.value = "verwijder"
    app.up_button.click()
    app.up_button.click()
    assert app._order == ["verwijder", "meld", "besluit"]
    assert app.order_select.value == "verwijder"
    app.up_button.click()  # already first: nothing happens
    app.down_button.click()
    assert app._order == ["meld", "verwijder", "besluit"]
    assert "<ol>" in app.order_view.value
    app.confirm_button.click()
    assert app.run.state.choices[-1].choice == "meld>verwijder>besluit"


def test_reference_path_to_debrief_matches_cli(app, choose, scenario):
    """Does playing the reference path end in a debrief whose score equals `sim play --choices`?"""
    start(app)
    for c in scenario.data.reference:
        assert app.screen_name == "play"
        choose(app, c)
    assert app.screen_name == "debrief"
    score = float(re.search(r'data-score="([^"]+)"', app.debrief_html.value).group(1))
    assert score == cli_score(list(scenario.data.reference))
    assert "referentiepad van het protocol bij elke beslissing" in app.debrief_html.value


def test_debrief_contents(app, choose):
    """Does the debrief show score, phases, the first divergence, findings with sources, differences, reflection?"""
    path = [
        "luisteren",
        "doorsturen",
        "zorg+protocol",
        "meteen-bellen",
        "gesprek-en-straf",
        "verwijder>meld>besluit",
        "statement+brief",
        "nazorg-alleen",
        "Ik zou het beeld niet laten doorsturen.",
    ]
    start(app, "toets")
    for c in path:
        choose(app, c)
    html = app.debrief_html.value
    score = float(re.search(r'data-score="([^"]+)"', html).group(1))
    assert score == cli_score(path[:-1] + ["x"])
    assert f"Score: {str(score).replace('.', ',').removesuffix(',0')} van 100" in html
    assert "Score per fase" in html and "Analyseer" in html and "Evalueer" in html
    assert 'id="eerste-afwijking"' in html and "Bij beslissing 2" in html and "(eerste afwijking)" in html
    assert "Schadelijk (nooit doen)" in html and "Bron:" in html
    assert "Waar de bronnen verschillen" in html and "Afweging:" in html
    assert "Feedback per keuze" in html  # the feedback held back in toets mode
    assert "Ik zou het beeld niet laten doorsturen." in html
    assert "Vragen om over na te denken" in html
    link = re.search(r'href="data:text/html;charset=utf-8;base64,([^"]+)"', app.download_html.value)
    doc = base64.b64decode(link.group(1)).decode()
    assert doc.startswith("<!DOCTYPE html>") and f'data-score="{score:g}"' in doc
    assert "<script" not in doc.lower()
    assert 'download="nabespreking-klassenapp-vo3.html"' in app.download_html.value


def test_again_and_other(app, choose, scenario, store):
    """Do 'play again' start a new run of the same scenario and 'another scenario' go back to the list?"""
    start(app)
    for c in scenario.data.reference:
        choose(app, c)
    first = app.run.run_id
    app.again_button.click()
    assert app.screen_name == "play" and app.run.run_id != first and app.run.engine.scenario.id == SCENARIO
    assert len(store.runs_of(app.participant["id"])) == 2
    app.other_button.click()
    assert app.screen_name == "start" and app.run is None


def test_pause_and_continue(app):
    """Does pausing say the progress is kept, show the resume code, and continue where it was?"""
    start(app)
    app.radio.value = "luisteren"
    app.confirm_button.click()
    app.pause_button.click()
    assert app.screen_name == "pause"
    assert "bewaard" in app.pause_html.value and app.participant["token"] in app.pause_html.value
    app.continue_button.click()
    assert app.screen_name == "play" and "Wat weet je al?" in app.play_view.value


def test_resume_by_code_in_a_new_kernel(app, store, choose):
    """Does a new app (a refresh, a restarted kernel) continue at the last decision with the resume code?"""
    start(app)
    choose(app, "luisteren")
    choose(app, "vragen")
    token = app.participant["token"]
    fresh = build_trainer(store=store)
    fresh.resume_text.value = token
    fresh.resume_button.click()
    assert fresh.screen_name == "play"
    assert fresh.run.run_id == app.run.run_id
    assert [c.choice for c in fresh.run.state.choices] == ["luisteren", "vragen"]
    assert "Wie betrek je?" in fresh.play_view.value


def test_resume_from_address(app, store, choose, monkeypatch):
    """Does ?hervat=<code> in the address resume, and ?sessie=<code> fill in the session code?"""
    start(app)
    choose(app, "luisteren")
    monkeypatch.setenv("QUERY_STRING", f"hervat={app.participant['token']}")
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    fresh = build_trainer(store=store)
    fresh.read_request()
    assert fresh.screen_name == "play" and len(fresh.run.state.choices) == 1
    monkeypatch.setenv("QUERY_STRING", "sessie=ab-cd12")
    other = build_trainer(store=store)
    other.read_request()
    assert other.code_text.value == "ab-cd12" and other.mode_select.value == "toets"


def test_resume_finished_run_shows_debrief(app, store, choose, scenario):
    """Does resuming after the last decision show the debrief again?"""
    start(app)
    for c in scenario.data.reference:
        choose(app, c)
    fresh = build_trainer(store=store)
    fresh.resume_token(app.participant["token"])
    assert fresh.screen_name == "debrief" and "data-score" in fresh.debrief_html.value


def test_unknown_resume_code(app):
    """Does an unknown resume code give a Dutch message?"""
    app.resume_text.value = "bestaat-niet"
    app.resume_button.click()
    assert "kennen we niet" in app.message.value and app.screen_name == "start"


def test_url_carries_the_code(app):
    """After a run starts, does the page get a (fixed) script that puts ?hervat=<code> in the address?"""
    start(app)
    out = app.js.outputs[-1]["data"]["application/javascript"]
    assert "replaceState" in out and json.dumps(app.participant["token"]) in out


def test_studiedag_join_and_rejoin(store, choose):
    """Does a trainee join with code and pseudonym, see the session's scenarios, and continue after rejoining?"""
    code = store.create_session([SCENARIO], "Studiedag test")
    app = build_trainer(store=store)
    app.code_text.value = code.lower()
    app.alias_text.value = "Merel"
    app.join_button.click()
    assert "Je doet mee aan sessie" in app.session_status.value
    assert app.mode_select.value == "toets" and app.mode_select.disabled
    assert [c.children[1] for c in app.card_box.children] == [app.card_buttons[SCENARIO]]
    app.card_buttons[SCENARIO].click()
    app.begin_button.click()
    assert app.run.mode == "toets" and store.run(app.run.run_id).session_code == code
    choose(app, "luisteren")
    again = build_trainer(store=store)
    again.code_text.value = code
    again.alias_text.value = "Merel"
    again.join_button.click()
    assert again.screen_name == "play" and again.run.run_id == app.run.run_id
    assert "Welkom terug" in again.message.value


@pytest.mark.parametrize(
    ("code", "alias", "text"),
    [("ZZZZZZ", "Merel", "kennen we niet"), ("", "Merel", "sessiecode én een schuilnaam")],
)
def test_studiedag_join_errors(store, code, alias, text):
    """Do a wrong code and a missing field give Dutch messages?"""
    app = build_trainer(store=store)
    app.code_text.value = code
    app.alias_text.value = alias
    app.join_button.click()
    assert text in app.session_status.value and app.session is None


def test_closed_session(store):
    """Does a closed session say so in Dutch?"""
    code = store.create_session([SCENARIO])
    with store.tx() as conn:
        conn.execute("UPDATE sessions SET closed = :closed WHERE code = :code", {"closed": True, "code": code})
    app = build_trainer(store=store)
    app.code_text.value = code
    app.alias_text.value = "Jip"
    app.join_button.click()
    assert "gesloten" in app.session_status.value


def test_error_in_a_callback_is_dutch_and_keeps_progress(app, store, monkeypatch):
    """When saving fails, is there a Dutch message without traceback, and is the shown state still the stored one?"""
    start(app)
    app.radio.value = "luisteren"
    app.confirm_button.click()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "record_decision", broken)
    app.radio.value = "vragen"
    app.confirm_button.click()
    assert "Er ging iets mis" in app.message.value
    assert "Traceback" not in app.message.value and "disk on fire" not in app.message.value
    assert len(app.run.state.choices) == 1 and store.run(app.run.run_id).decisions == 1
    assert not app.confirm_button.disabled  # the trainee can try again
    monkeypatch.undo()
    app.confirm_button.click()
    assert len(app.run.state.choices) == 2


def test_decision_stored_elsewhere(app, store):
    """If another tab stored this decision already, does the app continue from what is stored?"""
    start(app)
    other = SavedRun.resume(store, app.run.run_id)
    other.choose("luisteren")
    app.radio.value = "laten-zien"
    app.confirm_button.click()
    assert "al opgeslagen" in app.message.value
    assert [c.choice for c in app.run.state.choices] == ["luisteren"]


def test_broken_library_still_starts(tmp_path, store):
    """Does a broken scenario file leave the app working (and out of the list)?"""
    (tmp_path / "kapot.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    import shutil

    from sim.runs import scenario_dir

    shutil.copy(scenario_dir() / f"{SCENARIO}.yaml", tmp_path / f"{SCENARIO}.yaml")
    app = build_trainer(store=store, folder=tmp_path)
    assert list(app.card_buttons) == [SCENARIO]


def test_every_control_is_labelled(app, choose, scenario):
    """Has every button text, and every input a label, on every screen?"""
    seen = []

    def walk(w):
        seen.append(w)
        for child in getattr(w, "children", ()):
            walk(child)

    walk(app)
    start(app)
    for c in scenario.data.reference:
        walk(app)
        choose(app, c)
    walk(app)
    app.pause_button.click()
    walk(app)
    for w in seen:
        if isinstance(w, W.Button):
            assert w.description.strip(), w
        elif isinstance(w, W.Checkbox):
            assert w.description.strip() or w not in app.check_box.children, w
        elif isinstance(w, W.Text | W.Textarea | W.Dropdown | W.RadioButtons | W.Select):
            assert w.description.strip(), w


def test_a_decision_sends_one_update_per_widget(app, monkeypatch):
    """Does a confirmed decision reach the page as one update per changed widget, the narrative last, then focus?

    Every message costs the kernel, the server and the browser time; a decision used to send a dozen.
    """
    start(app, "oefenen")
    sent: list[tuple[W.Widget, dict]] = []
    original = W.Widget._send

    def spy(self, msg, buffers=None):
        sent.append((self, msg))
        return original(self, msg, buffers)

    monkeypatch.setattr(W.Widget, "_send", spy)
    app.radio.value = "luisteren"
    sent.clear()
    app.confirm_button.click()
    updates = [(w, m) for w, m in sent if m.get("method") == "update"]
    batch = [w for w, _ in updates]
    assert len(batch) == len(set(map(id, batch))), "a widget was updated twice in one decision"
    assert app.radio in batch and app.play_view in batch
    assert batch.index(app.play_view) > batch.index(app.radio), "the narrative must come after the options"
    assert len(updates) <= 3  # keuze after keuze: the options, the narrative, the hint at most
    customs = [(w, m) for w, m in sent if m.get("method") == "custom"]
    assert customs and customs[-1][0] is app.radio and sent[-1][1].get("method") == "custom"


def play_until(app: TrainerApp, kind: str) -> None:
    """Play the reference path until the next decision point is of this kind."""
    for choice in app.run.engine.scenario.data.reference:
        if app.run.engine.node(app.run.state).kind == kind:
            return
        app.choose(choice.split("+") if "+" in choice else choice.split(">") if ">" in choice else choice)
    raise AssertionError(f"no {kind} on the reference path")


def test_a_double_click_does_not_confirm_the_next_order(app, monkeypatch):
    """Does the second click of a double click leave the next decision point's offered order unconfirmed?

    The screen changes within milliseconds, so the second click lands on the next confirm button.
    """
    start(app, "oefenen")
    play_until(app, "volgorde")
    decided = len(app.run.state.choices)
    app.confirm_button.click()  # the second click, at once: not a decision
    assert len(app.run.state.choices) == decided
    assert "twee keer" in app.hint.value
    # a moved step is a decision, however fast
    app.order_select.value = app._order[1]
    app.up_button.click()
    app.confirm_button.click()
    assert len(app.run.state.choices) == decided + 1


@pytest.mark.parametrize("kind", ["keuze", "meerkeuze"])
def test_a_double_click_on_a_choice_says_why_nothing_happened(app, kind):
    """Does the second click of a double click on a keuze or meerkeuze explain itself (not "Kies eerst")?"""
    start(app, "oefenen")
    play_until(app, kind)
    decided = len(app.run.state.choices)
    app.confirm_button.click()
    assert len(app.run.state.choices) == decided
    assert "twee keer" in app.hint.value and "Kies" not in app.hint.value
    # a choice made at once is a decision, however fast
    if kind == "keuze":
        app.radio.value = app._options[0].id
    else:
        app.checks[0].value = True
    app.confirm_button.click()
    assert len(app.run.state.choices) == decided + 1


def test_an_untouched_order_is_a_decision_after_a_moment(app, monkeypatch):
    """Is the order as offered confirmed when the trainee confirms it after reading (not a double click)?"""
    start(app, "oefenen")
    play_until(app, "volgorde")
    decided = len(app.run.state.choices)
    clock = [time.monotonic() + 5]
    monkeypatch.setattr("sim.ui.player.time.monotonic", lambda: clock[0])
    app.confirm_button.click()
    assert len(app.run.state.choices) == decided + 1
    assert "twee keer" not in app.hint.value

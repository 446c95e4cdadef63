"""The trainee app: start screen, play screen and debrief, in Dutch. ``build_trainer()`` makes it.

One :class:`TrainerApp` per Voilà kernel (one per open page). It never holds the truth about a run:
the :class:`sim.runs.SavedRun` does, and it stores every decision before the screen moves on, so a
refresh or a restarted kernel continues at the last confirmed decision (``?hervat=<code>`` in the
address, or the code typed on the start screen, or a session code with the same pseudonym).

The kernel stays lean: this module imports neither pandas nor plotly, nor any Voilà server code.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import ipywidgets as W
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from sim.engine import ChoiceError, Engine, RunState
from sim.protocol import ROLE_NAMES
from sim.runs import Mode, SavedRun
from sim.scenario import Node, Option, Scenario, choice_parts, load_scenario
from sim.store import Store, StoreError
from sim.ui.catalogue import Card, load_catalogue
from sim.ui.common import (
    CSS,
    ERROR_TEXT,
    AppPlumbing,
    esc,
    fmt_at,
    guarded,
    md,
    md_inline,
    message_html,
    sentence,
    state_html,
)
from sim.ui.debrief import (
    DIFFICULTY,
    FLAGS,
    MODES,
    SCHOOLTYPES,
    debrief_body,
    download_link,
    standalone_html,
)

log = logging.getLogger("sim.ui")

GENERAL_NOTE = """
**Waar gaat dit over?** In deze oefening handel je als medewerker van een school een incident af
waarin een naaktfoto of seksfilmpje van een leerling rondgaat. De leerlingen en gebeurtenissen zijn
verzonnen; er worden geen beelden beschreven. Het kan toch raken, zeker als je zoiets zelf hebt
meegemaakt.

**Pauzeren mag altijd.** Je voortgang wordt na elke keuze bewaard. Met de knop *Pauzeren* of je
hervatcode ga je later verder waar je was.

**Steun nodig?** Praat erover met een collega, je leidinggevende of de vertrouwenspersoon van je
school. Advies over online seksueel misbruik, ook voor scholen, geeft Helpwanted (helpwanted.nl).
"""

KIND_HINTS = {
    "keuze": "Kies één optie en bevestig je keuze.",
    "meerkeuze": "Kies ten hoogste {max} opties en bevestig je keuze.",
    "volgorde": "Zet de stappen in de volgorde waarin je ze doet: kies een stap in de lijst en gebruik "
    "de knoppen Hoger en Lager. Bevestig daarna de volgorde.",
    "reflectie": "Schrijf je antwoord op. Het wordt bewaard, maar niet beoordeeld.",
}
# The second click of a double click lands on the next decision point's confirm button: the screen
# changes within milliseconds, long before the second click. Such a click, before anything was chosen,
# is not taken as a decision (the order as offered, an empty reflection) nor answered with "Kies eerst".
DOUBLE_CLICK = 0.6  # seconds; desktop double-click intervals are at most 0.5 s
CONFIRM_TEXT = {
    "keuze": "Bevestig keuze",
    "meerkeuze": "Bevestig keuzes",
    "volgorde": "Bevestig volgorde",
    "reflectie": "Opslaan en verder",
}
STORE_MESSAGES = {
    "unknown session": "Deze sessiecode kennen we niet. Controleer de code bij je trainer.",
    "is closed": "Deze sessie is gesloten. Vraag je trainer om een nieuwe code.",
    "pseudonym is needed": "Vul een schuilnaam in (niet je echte naam).",
}
# Layouts and styles shared by many widgets: one model each instead of one per widget, so that a
# page load sends and builds fewer models (the start screen went from 240 models to about 100).
FULL = W.Layout(width="100%")
AUTO = W.Layout(width="auto")
ROW = W.Layout(flex_flow="row wrap")
ROW_FULL = W.Layout(flex_flow="row wrap", width="100%")
CARD_BUTTON = W.Layout(width="auto", max_width="100%")
PLAIN = W.Layout()
HTML_STYLE = HTMLStyle()
BUTTON_STYLE = W.ButtonStyle()
DESC = DescriptionStyle(description_width="initial")
TEXT_DESC = TextStyle(description_width="initial")
CHECK_STYLE = CheckboxStyle()


def _html(value: str = "") -> W.HTML:
    return W.HTML(value, layout=PLAIN, style=HTML_STYLE)


def _hbox(children: Sequence[W.Widget], layout: W.Layout = ROW) -> W.HBox:
    return W.HBox(list(children), layout=layout)


def _dutch_store_error(exc: Exception) -> str:
    text = str(exc)
    for key, dutch in STORE_MESSAGES.items():
        if key in text:
            return dutch
    return ERROR_TEXT


def card_html(d: Card) -> str:
    """The scenario card: title, school type, role, minutes, difficulty, flag and summary."""
    tags = [
        SCHOOLTYPES.get(d.schooltype, d.schooltype),
        f"Rol: {ROLE_NAMES.get(d.role, d.role)}",
        f"± {d.minutes} minuten",
        f"Niveau: {DIFFICULTY.get(d.difficulty, d.difficulty)}",
    ]
    items = "".join(f'<li class="sim-tag">{esc(t)}</li>' for t in tags)
    items += f'<li class="sim-tag sim-flag-{esc(d.flag)}">{esc(FLAGS.get(d.flag, d.flag))}</li>'
    return (
        f'<h3>{esc(d.title)}</h3><ul class="sim-tags" aria-label="Kenmerken">{items}</ul><p>{md_inline(d.summary)}</p>'
    )


def choice_summary(scenario: Scenario, node: Node | None, choice: str) -> str:
    """A chosen option (or options) in words, as HTML."""
    if node is None:
        return esc(choice)
    if node.kind == "reflectie":
        return "<em>reflectie geschreven</em>"
    labels = [md_inline(scenario.option_label(node.id, i)) for i in choice_parts(node.kind, choice)]
    if node.kind == "volgorde":
        return " → ".join(labels)
    return " · ".join(labels)


class TrainerApp(AppPlumbing, W.VBox):
    """The trainee app. Screens: ``start``, ``intro``, ``play``, ``pause``, ``debrief`` (see :attr:`screen_name`)."""

    def __init__(
        self, store: Store | None = None, scenarios: Sequence[Scenario] | None = None, folder: str | Path | None = None
    ) -> None:
        """Build every screen; ``store`` defaults to the data folder, ``scenarios`` to the library in ``folder``."""
        super().__init__()
        self.add_class("sim-app")
        self._store = store
        self.catalogue: list[Card] = []
        self._loaded: dict[str, Scenario] = {}
        self.participant: dict[str, Any] | None = None
        self.session: dict[str, Any] | None = None
        self.run: SavedRun | None = None
        self.chosen: Scenario | None = None
        self.screen_name = "start"
        self._order: list[str] = []
        self._options: list[Option] = []
        self._batching = False
        self._pending_focus: W.Widget | None = None
        self._shown_at = 0.0  # when the current decision point was shown (time.monotonic)
        self._touched = False  # has the trainee changed the decision controls since?

        self.message = _html()
        self.screen = W.VBox(layout=FULL)
        self.js = W.Output(layout=W.Layout(height="0px", overflow="hidden"))
        self.children = (_html(CSS), self.message, self.screen, self.js)
        guard = guarded(self.show_error)
        self.guard: Callable[[Callable[..., Any]], Callable[..., Any]] = lambda fn: guard(self._batched(fn))
        try:
            if scenarios is not None:
                self._loaded = {x.id: x for x in scenarios}
                self.catalogue = [Card.of(x) for x in scenarios]
            else:
                self.catalogue = load_catalogue(folder)
            self._build_start()
            self._build_intro()
            self._build_play()
            self._build_debrief()
            self.show_start()
        except Exception:  # noqa: BLE001 - a Dutch message, never a traceback
            log.exception("could not build the trainer")
            self.screen.children = (
                _html(message_html("De oefening kon niet worden gestart. Laad de pagina later opnieuw.")),
            )

    # -- plumbing ---------------------------------------------------------------------------------
    def _button(self, text: str, handler: Callable[..., Any], style: str = "", tooltip: str | None = None) -> W.Button:
        btn = W.Button(description=text, button_style=style, tooltip=tooltip or text, layout=AUTO, style=BUTTON_STYLE)
        btn.on_click(self.guard(handler))
        return btn

    def _show(self, name: str, *widgets: W.Widget, focus: W.Widget | None = None) -> None:
        self.screen_name = name
        self.screen.children = widgets
        if focus is None:
            return
        if self._batching:
            self._pending_focus = focus  # after the new screen's state has been sent
        else:
            focus.focus()

    def _widgets(self) -> Iterator[W.Widget]:
        """Every widget of the app, the screen container and the narrative first (see :meth:`_batched`)."""
        yield self.screen
        yield self.play_view
        seen = {id(self.screen), id(self.play_view)}
        for value in vars(self).values():
            items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else [value]
            for item in items:
                if isinstance(item, W.Widget) and id(item) not in seen:
                    seen.add(id(item))
                    yield item

    def _batched(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run a callback with every widget's changes held back, then sent as one message per widget.

        A decision changes up to a dozen properties (options, labels, button, timeline, narrative); one
        message per changed widget instead of one per property makes the next screen appear sooner (each
        message costs the kernel, the server and the browser). The messages leave in reverse order of
        :meth:`_widgets`: the controls first, then the narrative with the decision's title, then the
        screen container, then the focus.
        """

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if self._batching:
                return fn(*args, **kwargs)
            self._batching = True
            try:
                with ExitStack() as stack:
                    for widget in self._widgets():
                        stack.enter_context(widget.hold_sync())
                    return fn(*args, **kwargs)
            finally:
                self._batching = False
                focus, self._pending_focus = self._pending_focus, None
                if focus is not None:
                    focus.focus()

        return inner

    def _remember_in_url(self, token: str) -> None:
        """Put ``?hervat=<code>`` in the page address (no reload), so a plain refresh resumes this trainee.

        Voilà renders JavaScript outputs; this fixed snippet only calls ``history.replaceState``. The
        code is URL-safe (``secrets.token_urlsafe``) and JSON-encoded; no scenario text goes in here.
        """
        from IPython.display import Javascript

        script = (
            "try{var u=new URL(window.location.href);"
            f"u.searchParams.set('hervat',{json.dumps(token)});"
            "window.history.replaceState(null,'',u.toString());}catch(e){}"
        )
        self.js.outputs = ()
        self.js.append_display_data(Javascript(script))

    # -- start screen -----------------------------------------------------------------------------
    def _build_start(self) -> None:
        self.mode_select = W.RadioButtons(
            options=[
                ("Oefenen: na elke keuze feedback met de bron", "oefenen"),
                ("Studiedag of toets: feedback pas in de nabespreking", "toets"),
            ],
            value="oefenen",
            description="Hoe wil je spelen?",
            style=DESC,
            layout=AUTO,
        )
        # Text fields send their value when they lose focus (continuous_update=False): while a field
        # streams keystrokes, ipywidgets holds back later ones, and a click could overtake them.
        self.code_text = W.Text(
            description="Sessiecode", placeholder="bijv. K7QX2M", style=TEXT_DESC, continuous_update=False
        )
        self.alias_text = W.Text(
            description="Schuilnaam", placeholder="geen echte naam", style=TEXT_DESC, continuous_update=False
        )
        self.join_button = self._button("Meedoen met de sessie", self._on_join)
        self.session_status = _html()
        self.resume_text = W.Text(
            description="Hervatcode", placeholder="code van je vorige keer", style=TEXT_DESC, continuous_update=False
        )
        self.resume_button = self._button("Verder waar ik was", self._on_resume)

        def choices(pairs: list[tuple[str, str]], label: str) -> W.Dropdown:
            dd = W.Dropdown(options=pairs, value="", description=label, style=DESC, layout=PLAIN)
            dd.observe(self.guard(lambda _change: self._refresh_cards()), "value")
            return dd

        present = {c.role for c in self.catalogue}
        self.filters = {
            "schooltype": choices([("Alle", "")] + [(v, k) for k, v in SCHOOLTYPES.items()], "Schooltype"),
            "role": choices([("Alle", "")] + [(v, k) for k, v in ROLE_NAMES.items() if k in present], "Rol"),
            "difficulty": choices([("Alle", "")] + [(v, str(k)) for k, v in DIFFICULTY.items()], "Niveau"),
            "flag": choices([("Alle", "")] + [(v, k) for k, v in FLAGS.items()], "Vlag"),
        }
        self.card_buttons: dict[str, W.Button] = {}
        self.cards: dict[str, W.VBox] = {}
        for s in self.catalogue:
            btn = W.Button(
                description=f"Kies: {s.title}",
                tooltip=f"Lees meer over '{s.title}' en begin",
                layout=CARD_BUTTON,
                style=BUTTON_STYLE,
            )
            btn.add_class("sim-wide")
            btn.on_click(self.guard(lambda _b, sid=s.id: self.show_intro(sid)))
            self.card_buttons[s.id] = btn
            card = W.VBox([_html(card_html(s)), btn], layout=PLAIN)
            card.add_class("sim-card")
            self.cards[s.id] = card
        self.card_box = W.VBox(layout=FULL)
        self.card_count = _html()
        filters = _hbox(self.filters.values(), ROW_FULL)
        self.start_screen = (
            _html(
                '<h1>Oefenen: er gaat een naaktfoto rond</h1><div class="sim-note" role="note">'
                + md(GENERAL_NOTE)
                + "</div>"
            ),
            _html("<h2>Zo speel je</h2>"),
            self.mode_select,
            _html(
                "<h3>Studiedag</h3><p>Doe je mee aan een studiedag? Vul de sessiecode van je trainer en een "
                "schuilnaam in. Alleen oefenen of een toets voor jezelf? Dan heb je die niet nodig.</p>"
            ),
            _hbox([self.code_text, self.alias_text, self.join_button]),
            self.session_status,
            _html("<h3>Eerder begonnen?</h3>"),
            _hbox([self.resume_text, self.resume_button]),
            _html("<h2>Kies een scenario</h2>"),
            filters,
            self.card_count,
            self.card_box,
        )

    def scenario(self, scenario_id: str) -> Scenario:
        """The full scenario behind a card (loaded and checked on first use)."""
        if scenario_id not in self._loaded:
            card = next(c for c in self.catalogue if c.id == scenario_id)
            self._loaded[scenario_id] = load_scenario(card.path)
        return self._loaded[scenario_id]

    def _visible_scenarios(self) -> list[Card]:
        allowed = set(self.session["scenarios"]) if self.session else None
        f = {k: w.value for k, w in self.filters.items()}
        out = []
        for d in self.catalogue:
            if allowed is not None and d.id not in allowed:
                continue
            if f["schooltype"] and d.schooltype != f["schooltype"]:
                continue
            if f["role"] and d.role != f["role"]:
                continue
            if f["difficulty"] and str(d.difficulty) != f["difficulty"]:
                continue
            if f["flag"] and d.flag != f["flag"]:
                continue
            out.append(d)
        return out

    def _refresh_cards(self) -> None:
        shown = self._visible_scenarios()
        self.card_box.children = tuple(self.cards[s.id] for s in shown)
        n = len(shown)
        text = (
            "Geen scenario's gevonden met deze filters."
            if n == 0
            else ("1 scenario gevonden." if n == 1 else f"{n} scenario's gevonden.")
        )
        self.card_count.value = f'<p aria-live="polite">{esc(text)}</p>'

    def show_start(self) -> None:
        """The start screen: content note, mode, session, resume code and the scenario cards."""
        self._refresh_cards()
        self._show("start", *self.start_screen)

    def _on_join(self, _btn: Any = None) -> None:
        code = self.code_text.value.strip()
        alias = self.alias_text.value.strip()
        if not code or not alias:
            self.session_status.value = message_html("Vul de sessiecode én een schuilnaam in.")
            return
        try:
            pid, token, rejoined = self.store.join(code, alias)
        except StoreError as exc:
            self.session_status.value = message_html(_dutch_store_error(exc))
            return
        session = self.store.session(code) or {}
        self.participant = {"id": pid, "token": token, "session_code": session.get("code"), "pseudonym": alias}
        self._enter_session(session)
        if rejoined:
            open_run = self.store.open_run(pid)
            if open_run is not None:
                self._resume_run(open_run.id, "Welkom terug. Je gaat verder waar je was.")
                return
        self.session_status.value = message_html(
            f"Je doet mee aan sessie {session.get('code', '')} als '{alias}'. Kies hieronder een scenario.", "ok"
        )
        self._refresh_cards()

    def _enter_session(self, session: dict[str, Any]) -> None:
        self.session = session
        self.mode_select.value = "toets"
        self.mode_select.disabled = True
        self.code_text.value = session.get("code", "")

    def _on_resume(self, _btn: Any = None) -> None:
        token = self.resume_text.value.strip()
        if not token:
            self.show_error("Vul je hervatcode in.")
            return
        self.resume_token(token)

    def resume_token(self, token: str) -> None:
        """Continue as the trainee with this code: their open run, else their last debrief, else the list."""
        person = self.store.participant_by_token(token.strip())
        if person is None:
            self.show_error("Deze hervatcode kennen we niet. Controleer de code of begin opnieuw.")
            self.show_start()
            return
        self.participant = {
            "id": person["id"],
            "token": person["token"],
            "session_code": person.get("session_code"),
            "pseudonym": person.get("pseudonym"),
        }
        if person.get("session_code"):
            self._enter_session(self.store.session(person["session_code"]) or {"code": person["session_code"]})
        open_run = self.store.open_run(person["id"])
        if open_run is not None:
            self._resume_run(open_run.id, "Welkom terug. Je gaat verder waar je was.")
            return
        runs = self.store.runs_of(person["id"])
        if runs:
            self.run = SavedRun.resume(self.store, runs[0].id)
            self.chosen = self.run.engine.scenario
            self.show_info("Welkom terug. Dit is de nabespreking van je laatste scenario.")
            self.show_debrief()
            return
        self.show_info("Welkom terug. Kies een scenario.")
        self.show_start()

    def _resume_run(self, run_id: str, note: str) -> None:
        self.run = SavedRun.resume(self.store, run_id)
        self.chosen = self.run.engine.scenario
        self.mode_select.value = self.run.mode
        if self.participant:
            self._remember_in_url(self.participant["token"])
        self.show_info(note, "ok")
        if self.run.state.finished:
            self.show_debrief()
        else:
            self.show_play()

    def read_request(self) -> None:
        """Read the page address: ``?hervat=<code>`` resumes, ``?sessie=<code>`` fills in the session code.

        In a preheated Voilà kernel this waits for the page request (everything else was built before).
        """
        self._batched(self._read_request)()

    def _read_request(self) -> None:
        try:
            from sim.ui.request import query_params

            params = query_params()
            if params.get("sessie"):
                self.code_text.value = params["sessie"][:16]
                self.mode_select.value = "toets"
            if params.get("hervat"):
                self.resume_token(params["hervat"][:100])
        except Exception:  # noqa: BLE001
            log.exception("could not read the request")
            self.show_error(ERROR_TEXT)

    # -- intro screen -----------------------------------------------------------------------------
    def _build_intro(self) -> None:
        self.intro_html = _html()
        self.begin_button = self._button("Begin het scenario", self._on_begin, "primary")
        self.back_button = self._button("Terug naar de lijst", lambda _b=None: self.show_start())
        self.intro_buttons = _hbox([self.begin_button, self.back_button])

    def show_intro(self, scenario_id: str) -> None:
        """Before play: the scenario's content note, learning goals and how feedback will come."""
        self.clear_message()
        d = next(x for x in self.catalogue if x.id == scenario_id)
        try:
            self.chosen = self.scenario(scenario_id)
        except Exception:  # noqa: BLE001
            log.exception("scenario %s does not load", scenario_id)
            self.show_error("Dit scenario kan nu niet worden geladen. Kies een ander scenario.")
            return
        goals = "".join(f"<li>{md_inline(g)}</li>" for g in d.learning_goals)
        mode = self.mode_select.value
        how = (
            "Je krijgt na elke keuze feedback met de bron waarop die rust."
            if mode == "oefenen"
            else "Je krijgt de feedback pas in de nabespreking, aan het eind."
        )
        self.intro_html.value = (
            card_html(d).replace("<h3>", "<h2>", 1).replace("</h3>", "</h2>", 1)
            + f'<div class="sim-note" role="note"><p><strong>Let op:</strong></p>{md(d.content_note)}</div>'
            + f"<h3>Wat je leert</h3><ul>{goals}</ul>"
            + f"<p><strong>Modus: {esc(MODES[mode])}.</strong> {esc(how)}</p>"
        )
        self._show(
            "intro",
            self.intro_html,
            self.intro_buttons,
            focus=self.begin_button,
        )

    def _ensure_participant(self) -> dict[str, Any]:
        if self.participant is None:
            pid, token, _ = self.store.join()
            self.participant = {"id": pid, "token": token, "session_code": None, "pseudonym": None}
        return self.participant

    def _on_begin(self, _btn: Any = None) -> None:
        if self.chosen is None:
            self.show_start()
            return
        self.begin(self.chosen.id)

    def begin(self, scenario_id: str, mode: Mode | None = None) -> None:
        """Start (and store) a new run of a scenario."""
        scenario = self.scenario(scenario_id)
        person = self._ensure_participant()
        mode = mode or ("toets" if self.session else self.mode_select.value)
        self.run = SavedRun.begin(self.store, person["id"], scenario, mode, session_code=person.get("session_code"))
        self.chosen = scenario
        self._remember_in_url(person["token"])
        self.clear_message()
        self.show_play()

    # -- play screen ------------------------------------------------------------------------------
    def _build_play(self) -> None:
        # Head, state, feedback and narrative are one HTML widget: one message per decision, not four.
        self.play_view = _html()
        self.pause_button = self._button("Pauzeren", self._on_pause, tooltip="Pauzeer; je voortgang is bewaard")
        self.radio = W.RadioButtons(options=[], value=None, description="Jouw keuze", layout=FULL, style=DESC)
        self.radio.add_class("sim-options")
        self.checks: list[W.Checkbox] = []
        self._add_checks(8)  # made ahead (preheated), so a meerkeuze does not create widgets on a click
        self.check_box = W.VBox(layout=FULL)
        self.check_count = _html()
        self.check_intro = _html()
        self.order_select = W.Select(options=[], description="Volgorde", layout=FULL, style=DESC)
        self.up_button = self._button("▲ Hoger", self._on_up, tooltip="Zet de gekozen stap eerder")
        self.down_button = self._button("▼ Lager", self._on_down, tooltip="Zet de gekozen stap later")
        self.order_view = _html()
        self.order_buttons = _hbox([self.up_button, self.down_button])
        self.reflection_text = W.Textarea(
            description="Jouw antwoord",
            placeholder="Schrijf hier een paar zinnen…",
            rows=5,
            layout=FULL,
            style=TEXT_DESC,
            continuous_update=False,
        )
        for control in (self.order_select, self.reflection_text):
            control.observe(self._on_touch, "value")
        self.decision = W.VBox(layout=FULL)
        self.confirm_button = self._button("Bevestig keuze", self._on_confirm, "primary")
        self.confirm_button.add_class("sim-confirm")
        self.hint = _html()
        self.play_screen = (
            self.play_view,
            self.decision,
            _hbox([self.confirm_button, self.pause_button]),
            self.hint,
        )
        # The pause screen
        self.pause_html = _html()
        self.continue_button = self._button("Verder spelen", lambda _b=None: self.show_play(), "primary")

    def _resume_code_html(self) -> str:
        token = (self.participant or {}).get("token")
        if not token:
            return ""
        return (
            '<p class="sim-sources">Je hervatcode: <span class="sim-code">'
            f'{esc(token)}</span> · bewaar de code, of de link <a href="?hervat={esc(token)}">'
            "verder waar ik was</a>, om later verder te gaan.</p>"
        )

    def show_play(self, news_html: str = "", before: dict[str, Any] | None = None) -> None:
        """The play screen for the run's current decision point."""
        run = self.run
        assert run is not None
        state = run.state
        if state.finished:
            self.show_debrief()
            return
        scenario = run.engine.scenario
        node = run.engine.node(state)
        assert node is not None
        who = ""
        if self.participant and self.participant.get("pseudonym"):
            who = f" · {esc(self.participant['pseudonym'])} in sessie {esc(self.participant.get('session_code') or '')}"
        # Controls first, the narrative (with the decision's title) last: when the new title is on the
        # screen, the options under it are already the new ones (nobody types into a stale control).
        self._options = run.engine.options(state)
        focus = self._build_decision(node, self._options)
        self.confirm_button.description = CONFIRM_TEXT[node.kind]
        self.confirm_button.tooltip = CONFIRM_TEXT[node.kind]
        self.hint.value = ""
        hint = KIND_HINTS[node.kind].format(max=node.max or "")
        news = f'<section class="sim-news" role="status" aria-label="Wat er gebeurde">{news_html}</section>'
        self.play_view.value = (
            f"<h1>{esc(scenario.data.title)}</h1><p>Modus: <strong>{esc(MODES.get(run.mode, run.mode))}</strong>"
            f" · beslissing {len(state.choices) + 1}{who}</p>{self._resume_code_html()}"
            + state_html(state.vars, state.clock, before)
            + (news if news_html else "")
            + self._timeline_html(run)
            + f'<div class="sim-narrative"><h2 id="beslispunt">{esc(node.title)}</h2>{md(node.text)}'
            f"<p><em>{esc(hint)}</em></p></div>"
        )
        self._show("play", *self.play_screen, focus=focus)
        self._shown_at = time.monotonic()
        self._touched = False

    def _build_decision(self, node: Node, options: list[Option]) -> W.Widget:
        """Put the widget for this kind of decision in place; return the control to focus."""
        if node.kind == "keuze":
            self.radio.options = [(o.label, o.id) for o in options]
            self.radio.value = None
            self.decision.children = (self.radio,)
            return self.radio
        if node.kind == "meerkeuze":
            self._add_checks(len(options) - len(self.checks))
            for cb, opt in zip(self.checks, options, strict=False):
                cb.description = opt.label
                cb.value = False
            self.check_box.children = tuple(self.checks[: len(options)])
            self._count_checks()
            self.check_intro.value = f"<p><strong>Kies ten hoogste {node.max}.</strong></p>"
            self.decision.children = (self.check_intro, self.check_box, self.check_count)
            return self.checks[0]
        if node.kind == "volgorde":
            self._order = [o.id for o in options]
            self._refresh_order(0)
            self.decision.children = (
                self.order_select,
                self.order_buttons,
                self.order_view,
            )
            return self.order_select
        self.reflection_text.value = ""
        self.decision.children = (self.reflection_text,)
        return self.reflection_text

    def _add_checks(self, count: int) -> None:
        for _ in range(count):
            cb = W.Checkbox(value=False, indent=False, layout=FULL, style=CHECK_STYLE)
            cb.add_class("sim-check")
            cb.observe(self.guard(lambda _c: self._count_checks()), "value")
            self.checks.append(cb)

    def _count_checks(self) -> None:
        node = self.run.engine.node(self.run.state) if self.run else None
        n = sum(1 for cb in self.checks[: len(self._options)] if cb.value)
        limit = (node.max if node else None) or len(self._options)
        text = f"Gekozen: {n} van ten hoogste {limit}."
        if n > limit:
            text += f" Dat zijn er te veel: haal er {n - limit} weg."
        self.check_count.value = f'<p aria-live="polite">{esc(text)}</p>'

    def _refresh_order(self, selected: int) -> None:
        labels = {o.id: o.label for o in self._options}
        self.order_select.options = [(f"{i + 1}. {labels[oid]}", oid) for i, oid in enumerate(self._order)]
        self.order_select.rows = max(2, len(self._order))
        if self._order:
            self.order_select.value = self._order[max(0, min(selected, len(self._order) - 1))]
        items = "".join(f"<li>{md_inline(labels[oid])}</li>" for oid in self._order)
        self.order_view.value = (
            f'<div aria-live="polite" class="sim-order-now"><p>Jouw volgorde nu:</p><ol>{items}</ol></div>'
        )

    def _move(self, step: int) -> None:
        self._touched = True
        current = self.order_select.value
        if current not in self._order:
            self.hint.value = message_html("Kies eerst een stap in de lijst.")
            return
        i = self._order.index(current)
        j = i + step
        if 0 <= j < len(self._order):
            self._order[i], self._order[j] = self._order[j], self._order[i]
            self._refresh_order(j)
        self.hint.value = ""

    def _on_up(self, _btn: Any = None) -> None:
        self._move(-1)

    def _on_down(self, _btn: Any = None) -> None:
        self._move(1)

    def current_choice(self) -> str | list[str] | None:
        """What the decision widgets say now (None with a hint when it is not a valid choice yet)."""
        assert self.run is not None
        node = self.run.engine.node(self.run.state)
        assert node is not None
        if node.kind == "keuze":
            if self.radio.value is None:
                self.hint.value = message_html("Kies eerst een optie.")
                return None
            return str(self.radio.value)
        if node.kind == "meerkeuze":
            ids = [o.id for cb, o in zip(self.checks, self._options, strict=False) if cb.value]
            limit = node.max or len(self._options)
            if not ids:
                self.hint.value = message_html("Kies ten minste één optie.")
                return None
            if len(ids) > limit:
                self.hint.value = message_html(f"Je kunt ten hoogste {limit} opties kiezen.")
                return None
            return ids
        if node.kind == "volgorde":
            return list(self._order)
        return self.reflection_text.value.strip() or "-"

    def _on_touch(self, _change: Any = None) -> None:
        self._touched = True

    def _is_second_click(self) -> bool:
        """Is this confirm the second click of a double click on the previous decision point?

        It is when it comes within :data:`DOUBLE_CLICK` of the screen and nothing was chosen yet: an
        order or a reflection would otherwise be stored as offered, and a keuze or meerkeuze would
        answer with "Kies eerst..." without saying why.
        """
        assert self.run is not None
        node = self.run.engine.node(self.run.state)
        if node is None or time.monotonic() - self._shown_at >= DOUBLE_CLICK:
            return False
        if node.kind == "keuze":
            return self.radio.value is None
        if node.kind == "meerkeuze":
            return not any(cb.value for cb in self.checks[: len(self._options)])
        return not self._touched

    def _on_confirm(self, _btn: Any = None) -> None:
        if self.run is None or self.run.state.finished:
            return
        if self._is_second_click():
            self.hint.value = message_html(
                "Je klikte twee keer kort na elkaar. Bekijk eerst deze nieuwe vraag en bevestig dan opnieuw.", "info"
            )
            return
        choice = self.current_choice()
        if choice is None:
            return
        self.choose(choice)

    def choose(self, choice: str | list[str]) -> None:
        """Make (and store) a decision, then show what follows."""
        assert self.run is not None
        before = self.run.state
        try:
            new = self.run.choose(choice)
        except ChoiceError:
            self.hint.value = message_html("Deze keuze kan hier niet. Kijk nog eens naar de opties.")
            return
        except StoreError:
            # Stored elsewhere already (another tab, a double click): continue from what is stored.
            self.run = SavedRun.resume(self.store, self.run.run_id)
            self.show_info("Deze beslissing was al opgeslagen. Je gaat verder vanaf de laatste opgeslagen stand.")
            self.show_play()
            return
        self.clear_message()
        if new.finished:
            self.show_debrief()
            return
        self.show_play(self._news_html(before, new), dict(before.vars))

    def _news_html(self, before: RunState, new: RunState) -> str:
        """What follows a decision: the feedback (oefenen only) and what happened meanwhile."""
        assert self.run is not None
        parts = []
        practice = self.run.mode == "oefenen"
        for entry in new.log[len(before.log) :]:
            if entry.kind == "feedback" and practice:
                src = f'<p class="sim-sources">Bron: {esc("; ".join(entry.sources))}</p>' if entry.sources else ""
                diff = ""
                if entry.difference:
                    d = self.run.engine.protocol.difference(entry.difference)
                    if d is not None:
                        diff = f'<p class="sim-sources">Hier verschillen de bronnen: {esc(sentence(d.title))}</p>'
                parts.append(
                    f'<div class="sim-feedback"><h3>Feedback: {md_inline(entry.title)}</h3>'
                    f"{md(entry.text)}{src}{diff}</div>"
                )
            elif entry.kind == "event":
                parts.append(f'<div class="sim-event"><h3>{esc(entry.title)}</h3>{md(entry.text)}</div>')
        if not practice:
            parts.insert(
                0, '<p class="sim-msg sim-msg-ok">Je keuze is opgeslagen. Feedback volgt in de nabespreking.</p>'
            )
        return "".join(parts)

    def _timeline_html(self, run: SavedRun) -> str:
        """The decisions so far, folded away above the narrative (open it to look back).

        Part of the play view's HTML, not a widget of its own: one message per decision fewer.
        """
        state = run.state
        if not state.choices:
            return ""
        scenario = run.engine.scenario
        steps = scenario.protocol.steps
        items = []
        for i, c in enumerate(state.choices):
            node = scenario.nodes.get(c.node)
            extra = ""
            if run.mode == "oefenen":
                end = state.choices[i + 1].at if i + 1 < len(state.choices) else float("inf")
                taken = [e.action for e in state.timeline if e.node == c.node and c.at <= e.at <= end]
                if taken:
                    extra = (
                        '<br><span class="sim-sources">Protocolstappen: '
                        + esc("; ".join(steps[a].title if a in steps else a for a in taken))
                        + "</span>"
                    )
            items.append(
                f"<li><strong>{esc(fmt_at(c.at))}</strong> · {esc(node.title if node else c.node)}: "
                f"{choice_summary(scenario, node, c.choice)}{extra}</li>"
            )
        return (
            f'<details class="sim-steps"><summary>Jouw stappen tot nu toe ({len(items)})</summary>'
            '<ol class="sim-timeline">' + "".join(items) + "</ol></details>"
        )

    def _on_pause(self, _btn: Any = None) -> None:
        self.pause_html.value = (
            "<h1>Gepauzeerd</h1><p>Je voortgang is bewaard tot en met je laatste bevestigde keuze. "
            "Neem gerust even de tijd. Je kunt deze pagina ook sluiten en later verdergaan.</p>"
            + self._resume_code_html()
        )
        self._show("pause", self.pause_html, self.continue_button, focus=self.continue_button)

    # -- debrief ----------------------------------------------------------------------------------
    def _build_debrief(self) -> None:
        self.debrief_html = _html()
        self.download_html = _html()
        self.again_button = self._button("Speel dit scenario opnieuw", self._on_again, "primary")
        self.other_button = self._button("Kies een ander scenario", self._on_other)
        self.debrief_buttons = _hbox([self.again_button, self.other_button])

    def show_debrief(self) -> None:
        """The debrief of the current run (score, phases, path vs reference, findings, sources, reflection)."""
        run = self.run
        assert run is not None
        scenario = run.engine.scenario
        report = run.report()
        body = debrief_body(scenario, run.state, report, run.mode)
        self.debrief_html.value = body
        doc = standalone_html(scenario, report, body)
        self.download_html.value = "<p>" + download_link(doc, f"nabespreking-{scenario.id}.html") + "</p>"
        self._show(
            "debrief",
            self.debrief_html,
            self.download_html,
            self.debrief_buttons,
            focus=self.again_button,
        )

    def _on_again(self, _btn: Any = None) -> None:
        if self.run is None:
            self.show_start()
            return
        self.begin(self.run.engine.scenario.id, self.run.mode)  # type: ignore[arg-type]

    def _on_other(self, _btn: Any = None) -> None:
        self.run = None
        self.clear_message()
        self.show_start()

    # -- for tests and tools ----------------------------------------------------------------------
    def engine(self) -> Engine | None:
        """The engine of the current run."""
        return self.run.engine if self.run else None


def build_trainer(
    store: Store | None = None, scenarios: Sequence[Scenario] | None = None, folder: str | Path | None = None
) -> TrainerApp:
    """The trainee app's root widget (display it; then call ``read_request()`` to resume from the address)."""
    app = TrainerApp(store=store, scenarios=scenarios, folder=folder)
    # A training day names its scenarios (SIM_PRELOAD, set by `sim studiedag`): load them while the kernel
    # is preheated, not when 60 people choose one in the same minute (≈0.3 s of CPU each).
    for scenario_id in filter(None, (s.strip() for s in os.environ.get("SIM_PRELOAD", "").split(","))):
        try:
            app.scenario(scenario_id)
        except Exception:  # noqa: BLE001 - an unknown id only costs the preload
            log.warning("could not preload scenario %s", scenario_id)
    return app

"""The facilitator's dashboard (trainer): a live view of a training-day session, in Dutch.

``build_facilitator()`` makes it; ``notebooks/facilitator.ipynb`` shows it in the facilitator's own
Voilà server (:mod:`sim.ui.rooms`), never in the trainees'. Every number comes from
:class:`sim.dashboard.SessionDashboard`; this module only lays it out: who joined and how far they
are, the spread of choices per decision point with the discussion prompt and the protocol steps
behind each option, the group's paths (a Sankey diagram), the steps most often missed, late or out of
order, the harmful choices, the scores per phase, and the after-action review (HTML and PDF).

Anonymous by default: participants are numbered; "Toon schuilnamen" shows the pseudonyms they chose.
Charts are plotly figures shown through their own MIME type (rendered by the ``jupyterlab-plotly``
extension that comes with plotly), each with the same numbers as a table beside it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as W

from sim.dashboard import NodeStat, ScenarioView, SessionDashboard, SessionView
from sim.store import Store, StoreError, normalise_code
from sim.ui.common import CSS, AppPlumbing, esc, fmt_num, guarded, message_html
from sim.ui.debrief import download_link

log = logging.getLogger("sim.ui")

REFRESH_SECONDS = 5.0
KIND_NAMES = {
    "keuze": "één keuze",
    "meerkeuze": "meerdere keuzes",
    "volgorde": "volgorde",
    "reflectie": "reflectie (niet beoordeeld)",
}
STATUS_NAMES = {"wacht": "nog niet begonnen", "bezig": "bezig", "klaar": "klaar"}
EXTRA_CSS = """
<style>
.sim-dash table { border-collapse: collapse; margin: .3rem 0 .8rem; }
.sim-dash th, .sim-dash td { border: 1px solid #b0b4ba; padding: .2rem .5rem; text-align: left; vertical-align: top; }
.sim-dash caption { text-align: left; font-weight: bold; padding: .2rem 0; }
.sim-dash .sim-num { text-align: right; white-space: nowrap; }
.sim-dash .sim-harm { color: #a31515; font-weight: bold; }
.sim-dash .sim-prompt { background: #f3f6fb; border-left: 4px solid #2f5d9a; padding: .3rem .7rem; margin: .3rem 0; }
.sim-dash .sim-mini { display: inline-block; width: 8rem; height: .8rem; background: #e4e6ea; vertical-align: middle; }
.sim-dash .sim-mini span { display: block; height: 100%; background: #2f5d9a; }
.sim-dash .sim-mini span.sim-bad { background: #c62828; }
.sim-dash .sim-node { border-top: 1px solid #8a8f98; margin-top: .6rem; padding-top: .3rem; }
</style>
"""


def _bar(share: float, bad: bool = False) -> str:
    pct = max(0.0, min(100.0, 100 * share))
    cls = ' class="sim-bad"' if bad else ""
    return f'<span class="sim-mini" aria-hidden="true"><span{cls} style="width:{pct:.0f}%"></span></span>'


def _pct(share: float) -> str:
    return f"{fmt_num(100 * share, 0)}%"


# --- the HTML of each tab (pure functions of the view: tested without widgets) ------------------


def summary_html(view: SessionView) -> str:
    """One line: the session, how many joined, are playing, are done."""
    busy = sum(1 for p in view.people if p.status == "bezig")
    done = sum(1 for p in view.people if p.status == "klaar")
    closed = " · gesloten voor nieuwe deelnemers" if view.closed else ""
    when = view.refreshed[11:19] if len(view.refreshed) >= 19 else view.refreshed
    return (
        f'<p aria-live="polite"><strong>Sessie {esc(view.code)}</strong> ({esc(view.title)}){closed} · '
        f"{view.participants} deelnemers · {busy} bezig · {done} klaar · {view.finished} van {view.runs} runs "
        f"afgerond · {view.decisions} beslissingen · bijgewerkt om {esc(when)} (UTC)</p>"
    )


def people_html(view: SessionView) -> str:
    """Who joined and how far they are."""
    if not view.people:
        return "<p>Nog niemand heeft zich aangemeld. Deelnemers doen mee met de sessiecode en een schuilnaam.</p>"
    rows = []
    for p in view.people:
        rows.append(
            f'<tr><th scope="row">{esc(p.label)}</th><td>{esc(p.scenario_title or "–")}</td>'
            f"<td>{_bar(p.progress)} {esc(STATUS_NAMES.get(p.status, p.status))}</td>"
            f'<td>{esc(p.status_text)}</td><td class="sim-num">{p.finished}</td></tr>'
        )
    note = (
        "Anoniem: deelnemers zijn genummerd in de volgorde waarin ze meededen."
        if view.anonymous
        else "Schuilnamen zichtbaar: zet dit uit voordat je het scherm deelt."
    )
    return (
        f"<p>{esc(note)}</p><table><caption>Deelnemers ({len(view.people)})</caption><thead><tr>"
        '<th scope="col">Deelnemer</th><th scope="col">Scenario</th><th scope="col">Voortgang</th>'
        '<th scope="col">Waar</th><th scope="col">Afgerond</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def node_html(node: NodeStat) -> str:
    """One decision point: the prompt, and per option how often it was chosen and which steps it is."""
    head = (
        f'<div class="sim-node"><h3>{esc(node.title)}</h3><p>Soort: {esc(KIND_NAMES.get(node.kind, node.kind))} · '
        f"{node.answered} keer beantwoord</p>"
    )
    if node.prompt:
        head += f'<p class="sim-prompt"><strong>Gespreksvraag:</strong> {esc(node.prompt)}</p>'
    if node.kind == "reflectie":
        return head + "<p>De antwoorden worden bewaard, maar niet getoond.</p></div>"
    rows = []
    for o in node.options:
        steps = "; ".join(
            (f'<span class="sim-harm">schadelijk: {esc(s.title)}</span>' if s.harmful else esc(s.title))
            for s in o.steps
        )
        first = f" (eerst: {o.first})" if node.kind == "volgorde" else ""
        rows.append(
            f'<tr><td>{esc(o.label)}</td><td class="sim-num">{o.count}{first}</td>'
            f"<td>{_bar(o.share, o.harmful)} {_pct(o.share)}</td><td>{steps or '–'}</td></tr>"
        )
    share_note = "aandeel van wie hier beslisten" + (
        "; meerdere opties per persoon" if node.kind == "meerkeuze" else ""
    )
    table = (
        f"<table><caption>Keuzes bij '{esc(node.title)}'</caption><thead><tr><th scope=\"col\">Optie</th>"
        f'<th scope="col">Aantal</th><th scope="col">{esc(share_note)}</th>'
        '<th scope="col">Protocolstap achter de optie</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
    )
    combos = ""
    if node.combos:
        items = "".join(f"<li>{esc(label)}: {n}×</li>" for label, n in node.combos)
        what = "volgordes" if node.kind == "volgorde" else "combinaties"
        combos = f"<p>Meest gekozen {what}:</p><ol>{items}</ol>"
    return head + table + combos + "</div>"


def choices_html(sv: ScenarioView) -> str:
    """Every decision point of a scenario."""
    if sv.decisions == 0:
        return f"<h2>{esc(sv.title)}</h2><p>Nog geen beslissingen genomen.</p>"
    return f"<h2>{esc(sv.title)}</h2>" + "".join(node_html(n) for n in sv.nodes if n.answered or n.prompt)


def steps_html(sv: ScenarioView) -> str:
    """The steps most often missed, late or out of order, and the harmful choices (finished runs)."""
    if sv.finished == 0:
        return f"<h2>{esc(sv.title)}</h2><p>Nog geen afgeronde runs: deze cijfers komen na de eerste afronding.</p>"
    rows = []
    for st in sv.steps[:15]:
        after = ""
        if st.after:
            after = "<br>te vroeg, vóór: " + esc("; ".join(f"{t} ({n}×)" for t, n in st.after[:3]))
        rows.append(
            f'<tr><th scope="row">{esc(st.title)}{after}</th><td class="sim-num">{st.missing}</td>'
            f'<td class="sim-num">{st.late}</td><td class="sim-num">{st.order}</td>'
            f"<td>{_bar(st.share, True)} {st.issues} van {st.applicable} ({_pct(st.share)})</td>"
            f'<td class="sim-sources">{esc("; ".join(st.sources))}</td></tr>'
        )
    steps = (
        f"<table><caption>Protocolstappen die het vaakst misgingen ({sv.finished} afgeronde runs)</caption><thead><tr>"
        '<th scope="col">Stap</th><th scope="col">Gemist</th><th scope="col">Te laat</th>'
        '<th scope="col">Verkeerde volgorde</th><th scope="col">Samen</th><th scope="col">Bron</th></tr></thead>'
        "<tbody>" + "".join(rows) + "</tbody></table>"
        if rows
        else "<p>Geen gemiste, late of verkeerd geordende stappen.</p>"
    )
    harm_rows = []
    for h in sv.harmful:
        via = "; ".join(f"'{label}' ({n}×)" for _, label, n in h.options[:3])
        harm_rows.append(
            f'<tr><th scope="row" class="sim-harm">{esc(h.title)}</th>'
            f"<td>{_bar(h.share, True)} {h.runs} van {sv.finished} ({_pct(h.share)})</td>"
            f"<td>{esc(via)}</td><td>{esc(h.why)}</td></tr>"
        )
    harm = (
        '<table><caption>Schadelijke keuzes</caption><thead><tr><th scope="col">Stap</th>'
        '<th scope="col">Afgeronde runs</th><th scope="col">Gekozen via (alle runs)</th>'
        '<th scope="col">Waarom schadelijk</th></tr></thead><tbody>' + "".join(harm_rows) + "</tbody></table>"
        if harm_rows
        else "<p>Niemand koos iets schadelijks.</p>"
    )
    return f"<h2>{esc(sv.title)}</h2>" + steps + harm


def scores_html(sv: ScenarioView) -> str:
    """Scores per phase as numbers (the chart's text alternative)."""
    if not sv.scores:
        return "<p>Nog geen scores: die komen na de eerste afgeronde run.</p>"
    rows = []
    for ph, values in sv.phases.items():
        if not values:
            continue
        ordered = sorted(values)
        mid = ordered[len(ordered) // 2]
        rows.append(
            f'<tr><th scope="row">{esc(sv.phase_titles.get(ph, ph))}</th>'
            f'<td class="sim-num">{fmt_num(sum(values) / len(values))}</td><td class="sim-num">{fmt_num(mid)}</td>'
            f'<td class="sim-num">{fmt_num(ordered[0])}</td><td class="sim-num">{fmt_num(ordered[-1])}</td></tr>'
        )
    total = sorted(sv.scores)
    rows.append(
        f'<tr><th scope="row">Totaal</th><td class="sim-num">{fmt_num(sum(total) / len(total))}</td>'
        f'<td class="sim-num">{fmt_num(total[len(total) // 2])}</td><td class="sim-num">{fmt_num(total[0])}</td>'
        f'<td class="sim-num">{fmt_num(total[-1])}</td></tr>'
    )
    return (
        f"<table><caption>Scores per fase ({len(sv.scores)} afgeronde runs, van 100)</caption><thead><tr>"
        '<th scope="col">Fase</th><th scope="col">Gemiddeld</th><th scope="col">Mediaan</th>'
        '<th scope="col">Laagste</th><th scope="col">Hoogste</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def paths_text(sv: ScenarioView) -> str:
    """The Sankey's text alternative: the busiest links."""
    sk = sv.sankey
    if not sk.value:
        return "<p>Nog geen paden.</p>"
    top = sorted(range(len(sk.value)), key=lambda i: -sk.value[i])[:8]
    items = "".join(
        f"<li>{esc(sk.labels[sk.source[i]])} → {esc(sk.labels[sk.target[i]])}: {sk.value[i]}×</li>" for i in top
    )
    return f"<p>Drukste overgangen:</p><ol>{items}</ol>"


# --- charts (plotly figures as MIME bundles) ----------------------------------------------------

COLOURS = {"choice": "#2f5d9a", "harmful": "#c62828", "ending": "#1e6b2e", "busy": "#8a8f98"}


def sankey_figure(sv: ScenarioView) -> dict[str, Any]:
    """The group's paths as a plotly Sankey (a JSON-able figure dict)."""
    sk = sv.sankey
    return {
        "data": [
            {
                "type": "sankey",
                "arrangement": "snap",
                "node": {
                    "label": sk.short,
                    "customdata": sk.labels,
                    "hovertemplate": "%{customdata}<br>%{value} keer<extra></extra>",
                    "color": [COLOURS.get(k, "#2f5d9a") for k in sk.kinds],
                    "pad": 14,
                    "thickness": 14,
                },
                "link": {
                    "source": sk.source,
                    "target": sk.target,
                    "value": sk.value,
                    "color": "rgba(47,93,154,0.25)",
                    "hovertemplate": "%{source.customdata}<br>→ %{target.customdata}<br>%{value} keer<extra></extra>",
                },
            }
        ],
        "layout": {
            "title": {"text": f"Paden door '{sv.title}': elke kolom is een beslispunt (rood: schadelijke keuze)"},
            "height": max(460, 22 * max(column_sizes(sk), default=0) + 120),
            "font": {"size": 11},
            "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        },
    }


def column_sizes(sk: Any) -> list[int]:
    """How many nodes the busiest column of the Sankey has (the diagram's height follows it)."""
    depth = {i: 0 for i in range(len(sk.labels))}
    for _ in range(len(sk.labels)):
        changed = False
        for a, b in zip(sk.source, sk.target, strict=True):
            if depth[b] < depth[a] + 1:
                depth[b] = depth[a] + 1
                changed = True
        if not changed:
            break
    columns: dict[int, int] = {}
    for d in depth.values():
        columns[d] = columns.get(d, 0) + 1
    return list(columns.values())


def phases_figure(sv: ScenarioView) -> dict[str, Any]:
    """Scores per phase as a distribution (box plots with every run as a point)."""
    traces = []
    for ph, values in sv.phases.items():
        if values:
            traces.append(
                {
                    "type": "box",
                    "name": sv.phase_titles.get(ph, ph),
                    "y": values,
                    "boxpoints": "all",
                    "jitter": 0.4,
                    "pointpos": 0,
                    "marker": {"color": "#2f5d9a", "size": 4},
                }
            )
    if sv.scores:
        traces.append(
            {
                "type": "box",
                "name": "Totaal",
                "y": sv.scores,
                "boxpoints": "all",
                "jitter": 0.4,
                "pointpos": 0,
                "marker": {"color": "#1e6b2e", "size": 4},
            }
        )
    return {
        "data": traces,
        "layout": {
            "title": {"text": "Scores per fase (van 100), één punt per afgeronde run"},
            "yaxis": {"range": [0, 105], "title": {"text": "score"}},
            "showlegend": False,
            "height": 420,
            "margin": {"l": 50, "r": 10, "t": 50, "b": 40},
        },
    }


def show_figure(out: W.Output, figure: dict[str, Any], text: str) -> None:
    """Replace what ``out`` shows with a plotly figure (plain text for other front ends)."""
    from IPython.display import display

    out.clear_output(wait=True)
    with out:
        display({"application/vnd.plotly.v1+json": figure, "text/plain": text}, raw=True)


# --- the app -------------------------------------------------------------------------------------


class FacilitatorApp(AppPlumbing, W.VBox):
    """The facilitator's dashboard. Call :meth:`refresh` (or let it refresh itself every few seconds)."""

    def __init__(
        self,
        store: Store | None = None,
        code: str | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
        autostart: bool = True,
        export_dir: str | Path | None = None,
    ) -> None:
        """Build the screens; ``code`` (or ``SIM_SESSION``) picks the session, else the newest one."""
        super().__init__()
        self.add_class("sim-app")
        self.add_class("sim-dash")
        self._store = store
        self.refresh_seconds = refresh_seconds
        self.export_dir = Path(export_dir) if export_dir else None
        self.dashboard: SessionDashboard | None = None
        self.view: SessionView | None = None
        self._signature = ""
        self._loading = False
        self._figures: dict[str, str] = {}
        self._task: Any = None
        self.message = W.HTML()
        self.guard = guarded(self.show_error)
        self.children = (W.HTML(CSS + EXTRA_CSS), self.message)
        try:
            self._build(code or os.environ.get("SIM_SESSION"))
            if autostart:
                self.start()
        except Exception:  # noqa: BLE001 - a Dutch message, never a traceback
            log.exception("could not build the facilitator dashboard")
            self.children = (W.HTML(message_html("Het dashboard kon niet worden gestart. Laad de pagina opnieuw.")),)

    # -- plumbing ---------------------------------------------------------------------------------
    def _button(self, text: str, handler: Any, style: str = "", tooltip: str | None = None) -> W.Button:
        btn = W.Button(description=text, button_style=style, tooltip=tooltip or text, layout=W.Layout(width="auto"))
        btn.on_click(self.guard(handler))
        return btn

    # -- layout -----------------------------------------------------------------------------------
    def _build(self, code: str | None) -> None:
        self.session_select = W.Dropdown(description="Sessie", options=[], style={"description_width": "initial"})
        self.session_select.observe(self.guard(self._on_session_change), "value")
        self.refresh_button = self._button(
            "Vernieuwen", lambda _b=None: self.refresh(), tooltip="Lees de nieuwste stand"
        )
        self.auto_check = W.Checkbox(
            value=True, description=f"Elke {fmt_num(self.refresh_seconds, 0)} seconden vernieuwen", indent=False
        )
        self.names_check = W.Checkbox(value=False, description="Toon schuilnamen", indent=False)
        self.names_check.observe(self.guard(self._on_names), "value")
        self.close_button = self._button("Sessie sluiten voor nieuwe deelnemers", self._on_close_session)
        self.summary = W.HTML()
        # New session
        scenarios = self._library()
        self.new_scenarios = W.SelectMultiple(
            options=[(s.data.title, s.id) for s in scenarios],
            description="Scenario's",
            rows=min(6, max(2, len(scenarios))),
            style={"description_width": "initial"},
            layout=W.Layout(width="100%"),
        )
        self.new_title = W.Text(description="Titel", value="Studiedag", style={"description_width": "initial"})
        self.new_button = self._button("Nieuwe sessie maken", self._on_new_session, "primary")
        self.new_status = W.HTML()
        new_box = W.VBox(
            [
                W.HTML("<p>Maak een sessie voor een of meer scenario's. Deelnemers doen mee met de code.</p>"),
                self.new_scenarios,
                W.HBox([self.new_title, self.new_button]),
                self.new_status,
            ]
        )
        # Tabs
        self.scenario_select = W.Dropdown(description="Scenario", options=[], style={"description_width": "initial"})
        self.scenario_select.observe(self.guard(lambda _c: self._render(force=True)), "value")
        self.people_view = W.HTML()
        self.choices_view = W.HTML()
        self.paths_chart = W.Output()
        self.paths_view = W.HTML()
        self.steps_view = W.HTML()
        self.scores_chart = W.Output()
        self.scores_view = W.HTML()
        self.notes = W.Textarea(
            description="Afspraken uit de nabespreking",
            placeholder="Wat spreekt de groep af? Dit komt in het verslag (zonder namen).",
            rows=5,
            layout=W.Layout(width="100%"),
            style={"description_width": "initial"},
        )
        self.report_button = self._button("Maak het verslag (HTML en PDF)", self._on_report, "primary")
        self.report_links = W.HTML()
        self.report_view = W.HTML()
        report_box = W.VBox(
            [
                W.HTML(
                    "<p>Het verslag volgt de vorm van een after-action review: wat was de bedoeling, wat gebeurde "
                    "er, wat ging goed, wat kan beter, en wat neemt de school op in het eigen protocol of plan "
                    "van aanpak. Het bevat geen namen.</p>"
                ),
                self.notes,
                self.report_button,
                self.report_links,
                self.report_view,
            ]
        )
        self.tabs = W.Tab(
            children=[
                self.people_view,
                self.choices_view,
                W.VBox([self.paths_chart, self.paths_view]),
                self.steps_view,
                W.VBox([self.scores_chart, self.scores_view]),
                report_box,
                new_box,
            ]
        )
        for i, title in enumerate(
            ["Deelnemers", "Keuzes", "Paden", "Protocolstappen", "Scores", "Nabespreking", "Nieuwe sessie"]
        ):
            self.tabs.set_title(i, title)
        self.children = (
            W.HTML(CSS + EXTRA_CSS),
            W.HTML(
                "<h1>Dashboard voor de trainer</h1><p>Alleen voor de trainer. Live overzicht van de sessie; "
                "deelnemers zijn anoniem tenzij je schuilnamen aanzet.</p>"
            ),
            self.message,
            W.HBox(
                [self.session_select, self.refresh_button, self.auto_check, self.names_check],
                layout=W.Layout(flex_flow="row wrap", align_items="center"),
            ),  # fmt: skip
            self.summary,
            self.scenario_select,
            self.tabs,
            self.close_button,
        )
        self._load_sessions(code)

    def _library(self) -> list[Any]:
        try:
            from sim.ui.catalogue import load_library

            return load_library()
        except Exception:  # noqa: BLE001
            log.exception("could not load the scenario library")
            return []

    def _load_sessions(self, code: str | None = None) -> None:
        sessions = self.store.list_sessions()
        options = [
            (f"{s['code']} · {s['title']} · {s['participants']} deelnemers", s["code"]) for s in reversed(sessions)
        ]
        wanted = normalise_code(code or "")
        codes = [c for _, c in options]
        self._loading = True  # the dropdown changes up to twice here; the dashboard is built once, below
        try:
            self.session_select.options = options
            if wanted in codes:
                self.session_select.value = wanted
            elif codes:
                self.session_select.value = codes[0]
            else:
                self.summary.value = (
                    "<p>Er is nog geen sessie. Maak er een in het tabblad 'Nieuwe sessie' of start de studiedag "
                    "met <code>sim studiedag</code>.</p>"
                )
        finally:
            self._loading = False
        self._select_session()

    def _on_session_change(self, _change: Any = None) -> None:
        if not self._loading:
            self._select_session()

    def _on_names(self, _change: Any = None) -> None:
        """Show or hide the pseudonyms: the same dashboard, drawn again (nothing is read again)."""
        if self.dashboard is None:
            return
        self.dashboard.show_names = self.names_check.value
        self._signature = ""
        self.refresh()

    def _select_session(self) -> None:
        code = self.session_select.value
        if not code:
            self.dashboard = None
            return
        self.dashboard = SessionDashboard(self.store, code, show_names=self.names_check.value)
        self._signature = ""
        self.refresh()

    # -- refreshing -------------------------------------------------------------------------------
    def refresh(self) -> SessionView | None:
        """Read the store and update what changed."""
        if self.dashboard is None:
            return None
        try:
            view = self.dashboard.refresh()
        except StoreError:
            self.show_error("Deze sessie bestaat niet meer (verwijderd?). Kies een andere sessie.")
            self._load_sessions()
            return None
        self.view = view
        self.summary.value = summary_html(view)
        self._render()
        return view

    def _render(self, force: bool = False) -> None:
        view = self.view
        if view is None:
            return
        data = view.to_dict()
        data.pop("refreshed", None)
        signature = hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
        ids = [(s.title, s.id) for s in view.scenarios]
        if list(self.scenario_select.options) != ids:
            current = self.scenario_select.value
            self.scenario_select.options = ids
            if current in [i for _, i in ids]:
                self.scenario_select.value = current
            elif ids:
                self.scenario_select.value = ids[0][1]
        self.scenario_select.layout.display = "" if len(ids) > 1 else "none"
        if signature == self._signature and not force:
            return
        self._signature = signature
        self.close_button.description = (
            "Sessie weer openen voor nieuwe deelnemers" if view.closed else "Sessie sluiten voor nieuwe deelnemers"
        )
        sv = view.scenario(self.scenario_select.value) if self.scenario_select.value else None
        self.people_view.value = people_html(view)
        if sv is None:
            return
        self.choices_view.value = choices_html(sv)
        self.steps_view.value = steps_html(sv)
        self.scores_view.value = scores_html(sv)
        self.paths_view.value = paths_text(sv)
        self._figure("paths", self.paths_chart, sankey_figure(sv), "Sankey-diagram van de paden")
        self._figure("scores", self.scores_chart, phases_figure(sv), "Scores per fase")

    def _figure(self, key: str, out: W.Output, figure: dict[str, Any], text: str) -> None:
        digest = hashlib.sha1(json.dumps(figure, sort_keys=True).encode()).hexdigest()
        if self._figures.get(key) == digest:
            return
        self._figures[key] = digest
        show_figure(out, figure, text)

    def start(self) -> None:
        """Refresh every ``refresh_seconds`` while the page is open (on the kernel's event loop)."""
        if self._task is not None:
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(self.refresh_seconds)
                if self.auto_check.value:
                    try:
                        self.refresh()
                    except Exception:  # noqa: BLE001 - keep refreshing; say so once
                        log.exception("refresh failed")
                        self.show_error("Vernieuwen lukte even niet; het dashboard probeert het opnieuw.")

        try:
            self._task = asyncio.get_event_loop().create_task(loop())
        except RuntimeError:  # no event loop (outside a kernel): refresh by hand
            self._task = None

    def stop(self) -> None:
        """Stop refreshing by itself."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    # -- actions ----------------------------------------------------------------------------------
    def _on_close_session(self, _btn: Any = None) -> None:
        if self.view is None:
            return
        closing = not self.view.closed
        self.store.close_session(self.view.code, closed=closing)
        self.refresh()

    def _on_new_session(self, _btn: Any = None) -> None:
        chosen = list(self.new_scenarios.value)
        if not chosen:
            self.new_status.value = message_html("Kies ten minste één scenario.")
            return
        code = self.store.create_session(chosen, self.new_title.value.strip() or "Studiedag")
        self.new_status.value = message_html(f"Sessie {code} is gemaakt. Geef deelnemers deze code.", "ok")
        self._load_sessions(code)

    def make_report(self) -> tuple[str, bytes]:
        """The after-action review of the session now: (HTML text, PDF bytes)."""
        from sim.aar import build_review, export_review, review_html, review_pdf

        view = self.refresh() or self.view
        if view is None or self.dashboard is None:
            raise StoreError("no session")
        review = build_review(view, self.dashboard.scenario, notes=self.notes.value)
        doc, pdf = review_html(review), review_pdf(review)
        if self.export_dir is not None:
            export_review(review, self.export_dir, doc, pdf)
        return doc, pdf

    def _on_report(self, _btn: Any = None) -> None:
        if self.view is None:
            self.show_error("Kies eerst een sessie.")
            return
        doc, pdf = self.make_report()
        code = self.view.code
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        self.report_links.value = (
            "<p>"
            + download_link(doc, f"nabespreking-{code}-{stamp}.html", "Verslag als HTML")
            + " "
            + download_link(pdf, f"nabespreking-{code}-{stamp}.pdf", "Verslag als PDF", "application/pdf")
            + "</p>"
        )
        body = doc.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
        self.report_view.value = f'<div class="sim-card">{body}</div>'


FACILITATOR_SERVER = "SIM_FACILITATOR_SERVER"  # set by the facilitator's Voilà server (sim.ui.rooms) only
REFUSED = (
    "<h1>Geen toegang</h1><p>Deze pagina is alleen voor de trainer en opent alleen op de computer van de "
    "trainer. Ben je deelnemer? Gebruik het adres dat de trainer heeft gegeven.</p>"
)


def served_to_trainees() -> bool:
    """Whether this kernel was started by a Voilà server other than the facilitator's (a trainee's page)."""
    in_voila = "VOILA_PREHEAT" in os.environ or "VOILA_BASE_URL" in os.environ
    return in_voila and os.environ.get(FACILITATOR_SERVER) != "1"


def build_facilitator(
    store: Store | None = None,
    code: str | None = None,
    refresh_seconds: float = REFRESH_SECONDS,
    autostart: bool = True,
    export_dir: str | Path | None = None,
) -> FacilitatorApp | W.HTML:
    """The facilitator dashboard's root widget.

    In a Voilà kernel that the facilitator's server did not start (someone served ``notebooks/`` to
    the trainees), it shows only a Dutch refusal and reads no data: the dashboard stays the trainer's
    even when a server is set up wrongly.
    """
    if served_to_trainees():
        return W.HTML(REFUSED)
    if export_dir is None and os.environ.get("SIM_EXPORT_DIR"):
        export_dir = os.environ["SIM_EXPORT_DIR"]
    return FacilitatorApp(store, code, refresh_seconds, autostart, export_dir)

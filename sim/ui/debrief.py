"""The debrief (nabespreking) as HTML: shown in the app and saved as a standalone file to keep.

Everything from the scenario or the protocol is escaped or rendered with :func:`sim.ui.common.md`,
so the saved file is as safe as the page. No plotting library: the phase chart is HTML bars with
their values in text.
"""

from __future__ import annotations

import base64
from datetime import datetime

from sim.engine import Choice, ChoiceError, Engine, RunState, play
from sim.report import KIND_ORDER, KIND_TITLES
from sim.scenario import Scenario, choice_parts
from sim.scoring import Report
from sim.ui.common import CSS, esc, fmt_at, fmt_num, md, md_inline, sentence

SCHOOLTYPES = {"po": "Primair onderwijs", "vo": "Voortgezet onderwijs", "mbo": "Mbo"}
DIFFICULTY = {1: "Basis", 2: "Gevorderd", 3: "Complex"}
FLAGS = {"groen": "Groene vlag", "geel": "Gele vlag", "rood": "Rode vlag", "zwart": "Zwarte vlag"}
MODES = {"oefenen": "Oefenen", "toets": "Studiedag/toets"}


_REFERENCES: dict[tuple[str, str], RunState | None] = {}


def reference_run(scenario: Scenario) -> RunState | None:
    """The protocol's reference path played through the engine (None when the scenario has none)."""
    key = (scenario.id, scenario.digest)
    if key not in _REFERENCES:
        try:
            ref = play(Engine(scenario), scenario.data.reference) if scenario.data.reference else None
        except (ChoiceError, ValueError):
            ref = None
        _REFERENCES[key] = ref
    return _REFERENCES[key]


def first_divergence(scenario: Scenario, mine: RunState, ref: RunState | None) -> int | None:
    """Index of the first decision where the trainee left the reference path (reflections do not count)."""
    if ref is None:
        return None
    for i, choice in enumerate(mine.choices):
        if i >= len(ref.choices):
            return i
        other = ref.choices[i]
        if choice.node != other.node:
            return i
        node = scenario.nodes.get(choice.node)
        if node is not None and node.kind == "reflectie":
            continue
        if choice.choice != other.choice:
            return i
    return None


def choice_html(scenario: Scenario, choice: Choice) -> str:
    """What was chosen at a decision point, in words."""
    node = scenario.nodes.get(choice.node)
    kind = node.kind if node else "keuze"
    if kind == "reflectie":
        return "<em>Reflectie (niet beoordeeld)</em>"
    items = [md_inline(scenario.option_label(choice.node, o)) for o in choice_parts(kind, choice.choice)]
    if kind == "meerkeuze":
        return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    if kind == "volgorde":
        return "<ol>" + "".join(f"<li>{i}</li>" for i in items) + "</ol>"
    return "".join(items)


def node_title(scenario: Scenario, node_id: str) -> str:
    """A decision point's title (its id when unknown)."""
    node = scenario.nodes.get(node_id)
    return node.title if node else node_id


def phase_chart(scenario: Scenario, report: Report) -> str:
    """Score per phase as a table of bars with the numbers in text."""
    rows = []
    for phase in scenario.protocol.data.phases:
        value = report.phases.get(phase.id, 0.0)
        tone = "good" if value >= 80 else ("warn" if value >= 50 else "bad")
        rows.append(
            f'<tr><th scope="row">{esc(phase.title)}</th>'
            f'<td><span class="sim-phasebar" aria-hidden="true"><span class="sim-{tone}" '
            f'style="width:{max(0.0, min(100.0, value)):.0f}%"></span></span></td>'
            f"<td>{fmt_num(value)} van 100</td></tr>"
        )
    return (
        '<table class="sim-phases"><caption class="sim-left"><strong>Score per fase</strong></caption>'
        '<thead><tr><th scope="col">Fase</th><th scope="col"><span class="sim-sr">Balk</span></th>'
        '<th scope="col">Score</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
    )


def _steps_html(scenario: Scenario, state: RunState, index: int) -> str:
    """The protocol steps that decision ``index`` performed, with their time."""
    choice = state.choices[index]
    # A decision's steps carry its node and lie between its clock and the next decision's clock.
    end = state.choices[index + 1].at if index + 1 < len(state.choices) else float("inf")
    taken = [e for e in state.timeline if e.node == choice.node and choice.at <= e.at <= end]
    if not taken:
        return ""
    steps = scenario.protocol.steps
    names = [f"{fmt_at(e.at)} {esc(steps[e.action].title if e.action in steps else e.action)}" for e in taken]
    return '<p class="sim-sources">Stappen: ' + "; ".join(names) + "</p>"


def compare_table(scenario: Scenario, state: RunState, ref: RunState | None) -> str:
    """The trainee's decisions beside the reference path, with the first divergence marked."""
    if ref is None:
        return "<p>Dit scenario heeft geen referentiepad.</p>"
    first = first_divergence(scenario, state, ref)
    if first is None:
        intro = '<p class="sim-msg sim-msg-ok">Je volgde het referentiepad van het protocol bij elke beslissing.</p>'
    else:
        intro = (
            '<p class="sim-msg sim-msg-info" id="eerste-afwijking">Bij beslissing '
            f"{first + 1} (<strong>{esc(node_title(scenario, state.choices[first].node))}</strong>) week je voor het "
            "eerst af van het referentiepad van het protocol.</p>"
        )
    rows = []
    for i in range(max(len(state.choices), len(ref.choices))):
        mine = state.choices[i] if i < len(state.choices) else None
        theirs = ref.choices[i] if i < len(ref.choices) else None
        node_id = (mine or theirs).node  # type: ignore[union-attr]
        title = esc(node_title(scenario, node_id))
        if theirs is not None and mine is not None and theirs.node != mine.node:
            title += f'<br><span class="sim-sources">referentie: {esc(node_title(scenario, theirs.node))}</span>'
        mine_html = (choice_html(scenario, mine) + _steps_html(scenario, state, i)) if mine else "<em>—</em>"
        ref_html = (choice_html(scenario, theirs) + _steps_html(scenario, ref, i)) if theirs else "<em>—</em>"
        cls = ' class="sim-diverged"' if first is not None and i == first else ""
        mark = " <strong>(eerste afwijking)</strong>" if cls else ""
        when = fmt_at(mine.at) if mine else ""
        rows.append(
            f'<tr{cls}><th scope="row">{i + 1}. {title}{mark}<br><span class="sim-sources">{esc(when)}</span></th>'
            f"<td>{mine_html}</td><td>{ref_html}</td></tr>"
        )
    return (
        intro + '<table class="sim-compare"><caption class="sim-sr">Jouw beslissingen naast het referentiepad</caption>'
        '<thead><tr><th scope="col">Beslispunt</th><th scope="col">Jouw keuze</th>'
        '<th scope="col">Referentiepad (protocol)</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
    )


def findings_html(scenario: Scenario, report: Report) -> str:
    """Every finding with its explanation, points and sources, grouped by kind."""
    if not report.findings:
        return "<p>Geen bevindingen: alles wat het protocol vraagt is op tijd en in de goede volgorde gedaan.</p>"
    diffs = {d["id"]: d["title"] for d in report.differences}
    parts = []
    for kind in KIND_ORDER:
        found = [f for f in report.findings if f.kind == kind]
        if not found:
            continue
        items = []
        for f in found:
            when = f" (na {fmt_num(f.at)} uur)" if f.at is not None else ""
            diff = ""
            if f.difference and f.difference in diffs:
                title = esc(sentence(diffs[f.difference]))
                diff = f'<br><span class="sim-sources">Hier verschillen de bronnen: {title}</span>'
            items.append(
                f"<li><strong>−{fmt_num(f.points)} punten</strong> · {esc(f.message)}{esc(when)}"
                f'<br><span class="sim-sources">Bron: {esc("; ".join(f.sources))}</span>{diff}</li>'
            )
        parts.append(f"<h3>{esc(KIND_TITLES[kind])}</h3><ul>" + "".join(items) + "</ul>")
    return "".join(parts)


def done_html(scenario: Scenario, report: Report) -> str:
    """The required steps that went well."""
    if not report.done:
        return ""
    steps = scenario.protocol.steps
    names = [" of ".join(esc(steps[s].title) for s in key.split("|") if s in steps) for key in report.done]
    return "<h3>Goed gedaan</h3><ul>" + "".join(f"<li>{n}</li>" for n in names) + "</ul>"


def differences_html(report: Report) -> str:
    """Where the sources differ, for the points this run touched."""
    if not report.differences:
        return "<p>Bij jouw keuzes speelden geen punten waarop de bronnen verschillen.</p>"
    parts = []
    for d in report.differences:
        pos = "".join(f"<li><strong>{esc(p['source'])}</strong>: {esc(p['says'])}</li>" for p in d["positions"])
        advice = f"<p><em>Afweging:</em> {esc(d['advice'])}</p>" if d.get("advice") else ""
        parts.append(f'<h3 id="verschil-{esc(d["id"])}">{esc(d["title"])}</h3><ul>{pos}</ul>{advice}')
    return "".join(parts)


def feedback_html(state: RunState) -> str:
    """The feedback on each choice (held back during a studiedag/toets) and what happened."""
    items = []
    for entry in state.log:
        if entry.kind == "feedback" and entry.option:
            src = f'<p class="sim-sources">Bron: {esc("; ".join(entry.sources))}</p>' if entry.sources else ""
            items.append(
                f'<div class="sim-feedback"><p><strong>{fmt_at(entry.at)} · {md_inline(entry.title)}</strong></p>'
                f"{md(entry.text)}{src}</div>"
            )
        elif entry.kind == "feedback":
            items.append(f'<div class="sim-feedback"><p><strong>{esc(entry.title)}</strong></p>{md(entry.text)}</div>')
        elif entry.kind == "event":
            items.append(
                f'<div class="sim-event"><p><strong>{fmt_at(entry.at)} · {esc(entry.title)}</strong></p>'
                f"{md(entry.text)}</div>"
            )
    return "".join(items) or "<p>Geen feedback.</p>"


def reflection_html(scenario: Scenario, state: RunState) -> str:
    """The trainee's own reflections and questions to think about (or discuss in the group)."""
    own = [e for e in state.log if e.kind == "reflectie" and e.text.strip() not in ("", "-")]
    parts = []
    if own:
        parts.append("<h3>Wat je zelf schreef</h3>")
        parts.extend(
            f"<blockquote><p><strong>{esc(e.title)}</strong></p><p>{esc(e.text)}</p></blockquote>" for e in own
        )
    visited = {c.node for c in state.choices}
    prompts = [n.prompt for n in scenario.data.nodes if n.id in visited and n.prompt]
    questions = list(scenario.data.discussion) + prompts
    if questions:
        parts.append("<h3>Vragen om over na te denken</h3><ul>")
        parts.extend(f"<li>{esc(q)}</li>" for q in questions)
        parts.append("</ul>")
    return "".join(parts) or "<p>Geen reflectievragen bij dit scenario.</p>"


def debrief_body(scenario: Scenario, state: RunState, report: Report, mode: str = "oefenen") -> str:
    """The whole debrief as an HTML fragment (headings from h2 down)."""
    ending = scenario.endings.get(state.ending or "")
    ending_html = ""
    if ending is not None:
        ending_html = f"<h3>{esc(ending.title)}</h3>{md(ending.text)}"
    ref = reference_run(scenario)
    return (
        f'<h2 id="nabespreking">Nabespreking: {esc(scenario.data.title)}</h2>'
        f'<p class="sim-score" data-score="{report.score:g}">Score: {fmt_num(report.score)} van 100</p>'
        f"<p>Modus: {esc(MODES.get(mode, mode))} · Verloren punten: {fmt_num(report.lost)} "
        "(score = 100 min de verloren punten, minimaal 0).</p>"
        f"{ending_html}"
        f"{phase_chart(scenario, report)}"
        "<h2>Jouw pad naast het referentiepad</h2>"
        f"{compare_table(scenario, state, ref)}"
        "<h2>Bevindingen</h2>"
        f"{findings_html(scenario, report)}{done_html(scenario, report)}"
        "<h2>Waar de bronnen verschillen</h2>"
        f"{differences_html(report)}"
        "<h2>Feedback per keuze</h2>"
        f"{feedback_html(state)}"
        "<h2>Reflectie</h2>"
        f"{reflection_html(scenario, state)}"
    )


def standalone_html(scenario: Scenario, report: Report, body: str) -> str:
    """The debrief (``body``, from :func:`debrief_body`) as a complete HTML document to save and keep.

    No scripts, no outside resources.
    """
    stamp = datetime.now().strftime("%d-%m-%Y %H:%M")
    return (
        '<!DOCTYPE html>\n<html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Nabespreking – {esc(scenario.data.title)}</title>{CSS}</head>"
        '<body><main class="sim-app">'
        f"<h1>Nabespreking sextingtraining</h1><p>Opgeslagen op {esc(stamp)}. "
        f"Protocol: {esc(scenario.protocol.data.title)} (versie {esc(report.protocol_version)}).</p>"
        f"{body}"
        "</main></body></html>\n"
    )


def download_link(
    document: str | bytes,
    filename: str,
    text: str = "Nabespreking opslaan als HTML-bestand",
    mime: str = "text/html;charset=utf-8",
) -> str:
    """A link that saves ``document`` (text as UTF-8) as a file; a ``data:`` URI, nothing is stored on the server."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    payload = base64.b64encode(data).decode("ascii")
    return f'<a class="sim-download" download="{esc(filename)}" href="data:{mime};base64,{payload}">{esc(text)}</a>'

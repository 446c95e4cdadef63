"""The group's debrief as an after-action review (nabespreking), exported as HTML and PDF.

An after-action review asks: what was the intent, what happened, what went well, what can be
better, and what do we keep? Here every answer comes from a :class:`~sim.dashboard.SessionView` and
the protocol: strengths are required steps that most of the group took on time and in order;
points to improve are steps often missed, late or out of order and every harmful choice made; each
is tied to its protocol steps and sources. The last part turns the points to improve into items for
the school's own protocol or action plan, because in the stappenplan the evaluation's output is the
input for the protocol (Stap 5 Evalueer, "Verwerk evaluatie in protocol/handelingsplan").

Anonymous: the review holds numbers and shares, never a name or pseudonym. All text is Dutch.
The PDF is made with reportlab (pure Python, its bundled DejaVu-like Vera fonts), no browser needed.
"""

from __future__ import annotations

import html
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.dashboard import SessionView, iter_prompts
from sim.protocol import ROLE_NAMES, Protocol
from sim.report import fmt_points
from sim.scenario import Scenario

STRENGTH_SHARE = 0.75  # a strength: at least this share of the finished runs did it right
IMPROVE_SHARE = 0.25  # a point to improve: at least this share of the finished runs got it wrong
MAX_POINTS = 8
HEADINGS = {
    "intent": "1. Wat was de bedoeling?",
    "happened": "2. Wat is er gebeurd?",
    "strengths": "3. Wat ging goed?",
    "improve": "4. Wat kan beter?",
    "protocol": "5. Wat neemt de school op in het eigen protocol of plan van aanpak?",
    "discussion": "Vragen voor het gesprek",
    "notes": "Afspraken uit de nabespreking",
    "sources": "Bronnen",
}


@dataclass
class Point:
    """One point of the review: a strength, a point to improve or a protocol item."""

    title: str
    text: str
    evidence: str = ""
    steps: list[str] = field(default_factory=list)  # step titles
    sources: list[str] = field(default_factory=list)


@dataclass
class Review:
    """The after-action review of one session."""

    code: str
    title: str
    date: str
    participants: int
    runs: int
    finished: int
    intent: list[Point]
    happened: list[str]
    phase_means: list[tuple[str, float, int]]  # phase title, mean score, runs
    strengths: list[Point]
    improvements: list[Point]
    harmful: list[Point]
    protocol_items: list[Point]
    discussion: list[tuple[str, str, str]]  # scenario, decision point, prompt
    notes: str
    sources: list[tuple[str, str]]  # citation, document title

    @property
    def headings(self) -> list[str]:
        """The section headings, in order."""
        return (
            [HEADINGS[k] for k in ("intent", "happened", "strengths", "improve", "protocol", "discussion")]
            + ([HEADINGS["notes"]] if self.notes.strip() else [])
            + [HEADINGS["sources"]]
        )


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "0%"


def _roles(protocol: Protocol, step_id: str) -> str:
    step = protocol.steps.get(step_id)
    if step is None or not step.roles:
        return ""
    names = [ROLE_NAMES.get(r, r).lower() for r in step.roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " of " + names[-1]


def _deadline(protocol: Protocol, step_id: str) -> float | None:
    return next((r.within for r in protocol.rules.deadlines if r.step == step_id), None)


def build_review(
    view: SessionView,
    scenario_of: Callable[[str], Scenario | None],
    notes: str = "",
    strength_share: float = STRENGTH_SHARE,
    improve_share: float = IMPROVE_SHARE,
) -> Review:
    """The after-action review of a session view (scenarios are needed for the protocol's texts)."""
    scenarios = {sid: scenario_of(sid) for sid in view.scenario_ids}
    protocol = next((s.protocol for s in scenarios.values() if s is not None), None)
    if protocol is None:
        from sim.protocol import load_protocol

        protocol = load_protocol()
    cited: dict[str, None] = {}

    def cite(sources: list[str]) -> list[str]:
        for src in sources:
            cited[src] = None
        return sources

    # 1. Intent: the scenarios and what they were meant to teach.
    intent = []
    for sv in view.scenarios:
        sc = scenarios.get(sv.id)
        goals = " ".join(g if g.rstrip().endswith((".", "!", "?")) else g.rstrip() + "." for g in sv.learning_goals)
        summary = " ".join(sc.data.summary.split()) if sc else ""
        intent.append(
            Point(title=f"Scenario: {sv.title}", text=summary, evidence=f"Leerdoelen: {goals}" if goals else "")
        )
    intent.append(
        Point(
            title="Het stappenplan",
            text="Handelen volgens de vijf stappen: "
            + ", ".join(p.title for p in protocol.data.phases)
            + ". Eerst het slachtoffer, nooit zelf het beeld bekijken of doorsturen.",
            sources=cite(protocol.sources_of([s for st in protocol.steps.values() for s in st.sources][:1])),
        )
    )

    # 2. What happened.
    scores = [x for sv in view.scenarios for x in sv.scores]
    happened = [
        f"{view.participants} deelnemers deden mee; {view.finished} van de {view.runs} gestarte runs zijn afgerond "
        f"({view.decisions} beslissingen in totaal).",
    ]
    if scores:
        scores_sorted = sorted(scores)
        median = scores_sorted[len(scores_sorted) // 2]
        happened.append(
            f"De gemiddelde score was {fmt_points(sum(scores) / len(scores))} van 100 (mediaan {fmt_points(median)}, "
            f"laagste {fmt_points(scores_sorted[0])}, hoogste {fmt_points(scores_sorted[-1])})."
        )
    for sv in view.scenarios:
        if sv.endings:
            ends = ", ".join(f"'{title}' {n}×" for _, title, n in sv.endings)
            happened.append(f"{sv.title}: afgelopen met {ends}.")
    phase_values: dict[str, list[float]] = defaultdict(list)
    phase_titles: dict[str, str] = {}
    for sv in view.scenarios:
        for ph, values in sv.phases.items():
            phase_values[ph].extend(values)
            phase_titles.setdefault(ph, sv.phase_titles.get(ph, ph))
    phase_means = [
        (phase_titles.get(p.id, p.title), round(sum(v) / len(v), 1), len(v))
        for p in protocol.data.phases
        if (v := phase_values.get(p.id))
    ]
    if phase_means:
        low = min(phase_means, key=lambda x: x[1])
        high = max(phase_means, key=lambda x: x[1])
        happened.append(
            f"Sterkste fase: {high[0]} ({fmt_points(high[1])}); zwakste fase: {low[0]} ({fmt_points(low[1])})."
        )

    # 3. Strengths: units most of the group did right (merged over the scenarios).
    units: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    unit_meta: dict[str, Any] = {}
    for sv in view.scenarios:
        for u in sv.units:
            units[u.key][0] += u.ok
            units[u.key][1] += u.applicable
            unit_meta.setdefault(u.key, u)
    strengths = []
    ranked = sorted(units.items(), key=lambda kv: (-(kv[1][0] / kv[1][1]) if kv[1][1] else 0, kv[0]))
    for key, (ok, n) in ranked:
        if not n or ok / n < strength_share:
            continue
        meta = unit_meta[key]
        first = protocol.steps.get(key.split("|")[0])
        strengths.append(
            Point(
                title=meta.title,
                text=" ".join(first.guidance.split()) if first else "",
                evidence=f"{ok} van {n} afgeronde runs ({_pct(ok, n)}) deden dit op tijd en in de goede volgorde.",
                steps=[meta.title],
                sources=cite(list(meta.sources)),
            )
        )
        if len(strengths) >= MAX_POINTS:
            break

    # 4. Points to improve: steps missed / late / out of order, and harmful choices.
    merged: dict[str, dict[str, Any]] = {}
    for sv in view.scenarios:
        for st in sv.steps:
            m = merged.setdefault(
                st.id,
                {
                    "stat": st,
                    "missing": 0,
                    "late": 0,
                    "order": 0,
                    "issues": 0,
                    "applicable": 0,
                    "after": defaultdict(int),
                },
            )
            for k in ("missing", "late", "order", "issues", "applicable"):
                m[k] += getattr(st, k)
            for title, n in st.after:
                m["after"][title] += n
    improvements = []
    improve_ids: list[str] = []
    for sid, m in sorted(merged.items(), key=lambda kv: (-kv[1]["issues"] / max(1, kv[1]["applicable"]), kv[0])):
        n = m["applicable"]
        if not n or m["issues"] / n < improve_share:
            continue
        st = m["stat"]
        step = protocol.steps.get(sid)
        parts = []
        if m["missing"]:
            parts.append(f"gemist in {m['missing']}")
        if m["late"]:
            parts.append(f"te laat in {m['late']}")
        if m["order"]:
            befores = ", ".join(f"'{t}'" for t in m["after"])
            parts.append(f"te vroeg (vóór {befores}) in {m['order']}" if befores else f"te vroeg in {m['order']}")
        improve_ids.append(sid)
        improvements.append(
            Point(
                title=st.title,
                text=" ".join(step.guidance.split()) if step else "",
                evidence=f"{', '.join(parts).capitalize()} van {n} afgeronde runs ({_pct(m['issues'], n)}).",
                steps=[st.title],
                sources=cite(list(st.sources)),
            )
        )
        if len(improvements) >= MAX_POINTS:
            break
    harm_merged: dict[str, dict[str, Any]] = {}
    for sv in view.scenarios:
        for h in sv.harmful:
            m = harm_merged.setdefault(h.id, {"stat": h, "runs": 0, "options": []})
            m["runs"] += h.runs
            m["options"].extend(h.options)
    harmful = []
    for _hid, m in sorted(harm_merged.items(), key=lambda kv: -kv[1]["runs"]):
        h = m["stat"]
        via = "; ".join(f"'{label}' ({n}×)" for _, label, n in m["options"][:3])
        harmful.append(
            Point(
                title=f"Schadelijk: {h.title}",
                text=" ".join(h.why.split()),
                evidence=f"In {m['runs']} van {view.finished} afgeronde runs ({_pct(m['runs'], view.finished)})"
                + (f", gekozen via {via}." if via else "."),
                steps=[h.title],
                sources=cite(list(h.sources)),
            )
        )

    # 5. Protocol items: what the school writes down (output is input for the protocol).
    items = []
    for sid in improve_ids:
        m = merged[sid]
        step = protocol.steps.get(sid)
        if step is None:
            continue
        who = _roles(protocol, sid)
        within = _deadline(protocol, sid)
        bits = [f"Leg vast wie '{step.title}' doet" + (f" (in het stappenplan: {who})" if who else "")]
        if within is not None:
            bits.append(f"uiterlijk wanneer (het stappenplan zegt: binnen {fmt_points(within)} uur na de melding)")
        else:
            bits.append("op welk moment")
        bits.append("en hoe het wordt vastgelegd")
        if m["order"] and m["after"]:
            firsts = " en ".join(f"'{t}'" for t in m["after"])
            bits.append(f"en dat dit pas gebeurt na {firsts}")
        items.append(
            Point(
                title=step.title,
                text=", ".join(bits) + ".",
                steps=[step.title],
                sources=cite(protocol.sources_of(step.sources)),
            )
        )
    never = [protocol.steps[h] for h in harm_merged if h in protocol.steps]
    if never:
        items.append(
            Point(
                title="Wat medewerkers nooit doen",
                text="Neem in het protocol op dat medewerkers dit nooit doen, en schrijf erbij wat ze in plaats "
                "daarvan doen en bij wie ze terechtkunnen: " + "; ".join(st.title for st in never) + ".",
                steps=[st.title for st in never],
                sources=cite(protocol.sources_of([r for st in never for r in st.sources])),
            )
        )
    touched = set(improve_ids) | set(harm_merged)
    for diff in protocol.data.differences:
        if touched & set(diff.steps):
            items.append(
                Point(
                    title=f"Kies een lijn: {diff.title}",
                    text="De bronnen verschillen hier. " + " ".join((diff.advice or "").split()),
                    sources=cite([protocol.source_label(p.source) for p in diff.positions]),
                )
            )
    final = protocol.steps.get("verwerk-in-protocol")
    items.append(
        Point(
            title="Output is input voor het protocol",
            text="Verwerk de afspraken uit deze nabespreking in het protocol of handelingsplan van de school, "
            "maak bekend wie waarvoor aanspreekpunt is, en evalueer het beleid jaarlijks.",
            steps=[final.title] if final else [],
            sources=cite(protocol.sources_of(final.sources)) if final else [],
        )
    )

    discussion = list(iter_prompts(view))
    discussion += [(sv.title, "Algemeen", q) for sv in view.scenarios for q in sv.discussion]
    titles = {}
    for doc in protocol.data.sources.values():
        titles[doc.file] = doc.title
    sources = [(src, titles.get(src.split(" (")[0], "")) for src in cited]
    return Review(
        code=view.code,
        title=view.title,
        date=datetime.now(UTC).astimezone().strftime("%d-%m-%Y"),
        participants=view.participants,
        runs=view.runs,
        finished=view.finished,
        intent=intent,
        happened=happened,
        phase_means=phase_means,
        strengths=strengths,
        improvements=improvements,
        harmful=harmful,
        protocol_items=items,
        discussion=discussion,
        notes=notes,
        sources=sources,
    )


# --- HTML ----------------------------------------------------------------------------------------

CSS = """
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; max-width: 50rem; margin: 1.5rem auto; padding: 0 1rem;
  color: #1a1a1a; line-height: 1.5; font-size: 16px; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; margin-top: 1.6rem;
  border-bottom: 2px solid #2f5d9a; } h3 { font-size: 1.05rem; margin: .8rem 0 .2rem; }
.meta { color: #333; } .evidence { font-style: italic; } .sources { font-size: .9rem; color: #333; }
.point { border-left: 4px solid #2f5d9a; padding: .2rem .8rem; margin: .6rem 0; }
.good { border-color: #1e6b2e; } .improve { border-color: #b7791f; } .harm { border-color: #a31515; }
table { border-collapse: collapse; } td, th { border: 1px solid #b0b4ba; padding: .2rem .6rem; text-align: left; }
.note { background: #f3f6fb; padding: .5rem .8rem; white-space: pre-wrap; }
@media print { body { margin: 0; } h2 { break-after: avoid; } .point { break-inside: avoid; } }
"""


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _point_html(p: Point, cls: str) -> str:
    parts = [f'<div class="point {cls}"><h3>{_e(p.title)}</h3>']
    if p.evidence:
        parts.append(f'<p class="evidence">{_e(p.evidence)}</p>')
    if p.text:
        parts.append(f"<p>{_e(p.text)}</p>")
    if p.steps:
        parts.append(f'<p class="sources">Protocolstap: {_e("; ".join(p.steps))}</p>')
    if p.sources:
        parts.append(f'<p class="sources">Bron: {_e("; ".join(p.sources))}</p>')
    parts.append("</div>")
    return "".join(parts)


def review_html(review: Review) -> str:
    """The review as one standalone, printable HTML document (everything escaped)."""
    r = review
    out = [
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">',
        f"<title>Nabespreking {_e(r.title)} ({_e(r.code)})</title><style>{CSS}</style></head><body>",
        f"<h1>Nabespreking: {_e(r.title)}</h1>",
        f'<p class="meta">After-action review · sessie {_e(r.code)} · {_e(r.date)} · {r.participants} deelnemers · '
        f"{r.finished} afgeronde runs. Anoniem: dit verslag bevat geen namen of schuilnamen.</p>",
        f"<h2>{HEADINGS['intent']}</h2>",
    ]
    out += [_point_html(p, "") for p in r.intent]
    out.append(f"<h2>{HEADINGS['happened']}</h2><ul>")
    out += [f"<li>{_e(line)}</li>" for line in r.happened]
    out.append("</ul>")
    if r.phase_means:
        out.append('<table><caption>Gemiddelde score per fase</caption><thead><tr><th scope="col">Fase</th>')
        out.append('<th scope="col">Gemiddeld (van 100)</th><th scope="col">Runs</th></tr></thead><tbody>')
        out += [f"<tr><td>{_e(t)}</td><td>{fmt_points(v)}</td><td>{n}</td></tr>" for t, v, n in r.phase_means]
        out.append("</tbody></table>")
    out.append(f"<h2>{HEADINGS['strengths']}</h2>")
    out += [_point_html(p, "good") for p in r.strengths] or [
        "<p>Geen stap ging bij drie kwart of meer van de groep goed; bespreek waar dat aan lag.</p>"
    ]
    out.append(f"<h2>{HEADINGS['improve']}</h2>")
    out += [_point_html(p, "improve") for p in r.improvements] or [
        "<p>Geen stap ging bij een kwart of meer van de groep mis.</p>"
    ]
    if r.harmful:
        out.append("<h3>Schadelijke keuzes</h3>")
        out += [_point_html(p, "harm") for p in r.harmful]
    out.append(f"<h2>{HEADINGS['protocol']}</h2>")
    out.append(
        "<p>In het stappenplan is de uitkomst van de evaluatie de input voor het protocol. "
        "Deze punten volgen uit wat de groep deed:</p>"
    )
    out += [_point_html(p, "") for p in r.protocol_items]
    out.append(f"<h2>{HEADINGS['discussion']}</h2><ul>")
    out += [f"<li><strong>{_e(s)} · {_e(n)}:</strong> {_e(q)}</li>" for s, n, q in r.discussion]
    out.append("</ul>")
    if r.notes.strip():
        out.append(f'<h2>{HEADINGS["notes"]}</h2><div class="note">{_e(r.notes.strip())}</div>')
    out.append(f"<h2>{HEADINGS['sources']}</h2><ul>")
    out += [f"<li>{_e(src)}" + (f" – {_e(title)}" if title else "") + "</li>" for src, title in r.sources]
    out.append("</ul></body></html>")
    return "\n".join(out)


# --- PDF -----------------------------------------------------------------------------------------


def _fonts() -> tuple[str, str]:
    """Register reportlab's bundled Vera fonts (full Latin-1 and the punctuation Dutch text uses)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "SimVera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("SimVera", "Vera.ttf"))
        pdfmetrics.registerFont(TTFont("SimVera-Bold", "VeraBd.ttf"))
        pdfmetrics.registerFont(TTFont("SimVera-Italic", "VeraIt.ttf"))
        pdfmetrics.registerFont(TTFont("SimVera-BoldItalic", "VeraBI.ttf"))
        pdfmetrics.registerFontFamily(
            "SimVera", normal="SimVera", bold="SimVera-Bold", italic="SimVera-Italic", boldItalic="SimVera-BoldItalic"
        )
    return "SimVera", "SimVera-Bold"


# Characters outside the Vera fonts, with a readable stand-in.
_SUBSTITUTES = str.maketrans({"→": "->", "✓": "v", "≥": ">=", "≤": "<=", "×": "x"})


def _p(text: Any) -> str:
    """Escape for a reportlab Paragraph (its mini-markup is XML-like)."""
    return html.escape(str(text or "").translate(_SUBSTITUTES), quote=False)


def review_pdf(review: Review) -> bytes:
    """The review as a PDF (A4)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=10, leading=13.5)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#333333"))
    ev = ParagraphStyle("ev", parent=body, fontName="SimVera-Italic")
    h1 = ParagraphStyle("h1", parent=base["Heading1"], fontName=bold, fontSize=17, leading=21)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=13, leading=16, spaceBefore=10)
    h3 = ParagraphStyle("h3", parent=base["Heading3"], fontName=bold, fontSize=10.5, leading=13, spaceBefore=4)
    r = review
    story: list[Any] = [
        Paragraph(_p(f"Nabespreking: {r.title}"), h1),
        Paragraph(
            _p(
                f"After-action review · sessie {r.code} · {r.date} · {r.participants} deelnemers · {r.finished} "
                "afgeronde runs. Anoniem: dit verslag bevat geen namen of schuilnamen."
            ),
            small,
        ),
    ]

    def points(items: list[Point]) -> None:
        for p in items:
            block = [Paragraph(_p(p.title), h3)]
            if p.evidence:
                block.append(Paragraph(_p(p.evidence), ev))
            if p.text:
                block.append(Paragraph(_p(p.text), body))
            if p.steps:
                block.append(Paragraph(_p("Protocolstap: " + "; ".join(p.steps)), small))
            if p.sources:
                block.append(Paragraph(_p("Bron: " + "; ".join(p.sources)), small))
            story.append(KeepTogether(block))

    story.append(Paragraph(_p(HEADINGS["intent"]), h2))
    points(r.intent)
    story.append(Paragraph(_p(HEADINGS["happened"]), h2))
    for line in r.happened:
        story.append(Paragraph(_p("• " + line), body))
    if r.phase_means:
        story.append(Spacer(1, 4 * mm))
        data = [["Fase", "Gemiddeld (van 100)", "Runs"]] + [[t, fmt_points(v), str(n)] for t, v, n in r.phase_means]
        table = Table(data, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), regular),
                    ("FONTNAME", (0, 0), (-1, 0), bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#b0b4ba")),
                ]
            )
        )
        story.append(table)
    story.append(Paragraph(_p(HEADINGS["strengths"]), h2))
    points(r.strengths)
    if not r.strengths:
        story.append(Paragraph(_p("Geen stap ging bij drie kwart of meer van de groep goed."), body))
    story.append(Paragraph(_p(HEADINGS["improve"]), h2))
    points(r.improvements)
    if not r.improvements:
        story.append(Paragraph(_p("Geen stap ging bij een kwart of meer van de groep mis."), body))
    if r.harmful:
        story.append(Paragraph(_p("Schadelijke keuzes"), h3))
        points(r.harmful)
    story.append(Paragraph(_p(HEADINGS["protocol"]), h2))
    story.append(Paragraph(_p("In het stappenplan is de uitkomst van de evaluatie de input voor het protocol."), body))
    points(r.protocol_items)
    story.append(Paragraph(_p(HEADINGS["discussion"]), h2))
    for s, n, q in r.discussion:
        story.append(Paragraph(f"<b>{_p(s)} · {_p(n)}:</b> {_p(q)}", body))
    if r.notes.strip():
        story.append(Paragraph(_p(HEADINGS["notes"]), h2))
        for para in r.notes.strip().split("\n"):
            story.append(Paragraph(_p(para), body))
    story.append(Paragraph(_p(HEADINGS["sources"]), h2))
    for src, title in r.sources:
        story.append(Paragraph(_p(src + (f" – {title}" if title else "")), small))

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Nabespreking {r.title} ({r.code})",
        author="Sexting-training",
        lang="nl",
    )
    doc.build(story)
    return out.getvalue()


def export_review(
    review: Review, folder: str | Path, html_text: str | None = None, pdf: bytes | None = None
) -> tuple[Path, Path]:
    """Write ``nabespreking-<code>.html`` and ``.pdf`` to ``folder``; return both paths.

    ``html_text`` and ``pdf`` are the review's documents when the caller has made them already.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"nabespreking-{review.code}.html"
    html_path.write_text(html_text if html_text is not None else review_html(review), encoding="utf-8")
    pdf_path = folder / f"nabespreking-{review.code}.pdf"
    pdf_path.write_bytes(pdf if pdf is not None else review_pdf(review))
    return html_path, pdf_path

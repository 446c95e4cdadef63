"""Readable Dutch text for a scoring report (the ``sim score`` output without ``--json``)."""

from __future__ import annotations

from sim.protocol import Protocol
from sim.scoring import Report

KIND_TITLES = {
    "harmful": "Schadelijk (nooit doen)",
    "missing": "Gemist",
    "late": "Te laat",
    "order": "In de verkeerde volgorde",
    "disproportionate": "Buiten proportie",
}
KIND_ORDER = ("harmful", "missing", "late", "order", "disproportionate")


def fmt_points(points: float) -> str:
    """Points with a Dutch decimal comma: ``12,5``."""
    text = f"{points:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def bar(value: float, width: int = 20) -> str:
    """A text bar for a 0-100 value."""
    filled = round(width * max(0.0, min(100.0, value)) / 100)
    return "█" * filled + "░" * (width - filled)


def render_text(report: Report, protocol: Protocol) -> str:
    """The whole report as Dutch plain text."""
    lines = [
        f"Score: {fmt_points(report.score)} van 100",
        f"Protocol: {protocol.data.title} (versie {report.protocol_version})",
        f"Schoolprofiel: {report.profile or 'geen (landelijk stappenplan)'}",
        "",
        "Per fase:",
    ]
    for phase in protocol.data.phases:
        value = report.phases[phase.id]
        lines.append(f"  {phase.title:<12} {bar(value)} {fmt_points(value):>5}")
    lines.append("")
    if not report.findings:
        lines.append("Geen bevindingen: alles wat het protocol vraagt is op tijd en in volgorde gedaan.")
    for kind in KIND_ORDER:
        found = [f for f in report.findings if f.kind == kind]
        if not found:
            continue
        lines.append(f"{KIND_TITLES[kind]}:")
        for f in found:
            when = f" (na {fmt_points(f.at)} uur)" if f.at is not None else ""
            lines.append(f"  - [-{fmt_points(f.points)}] {f.message}{when}")
            lines.append(f"    Bron: {'; '.join(f.sources)}")
        lines.append("")
    if report.done:
        titles = []
        for key in report.done:
            titles.append(" of ".join(protocol.steps[s].title for s in key.split("|")))
        lines.append("Goed gedaan: " + "; ".join(titles) + ".")
        lines.append("")
    if report.differences:
        lines.append("Waar de bronnen verschillen:")
        for diff in report.differences:
            lines.append(f"  * {diff['title']}")
            for pos in diff["positions"]:
                lines.append(f"    - {pos['source']}: {pos['says']}")
            if diff["advice"]:
                lines.append(f"    Afweging: {diff['advice']}")
        lines.append("")
    lines.append(f"Verloren punten in totaal: {fmt_points(report.lost)} (score = 100 min verloren punten, minimaal 0).")
    return "\n".join(lines).rstrip() + "\n"

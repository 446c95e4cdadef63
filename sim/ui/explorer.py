"""The protocol explorer (stappenplan): a job aid by phase, role and the facts of an incident.

Every step of the protocol with its guidance and sources, filtered by phase, role, kind, a search
word and, if asked, only the steps that apply to the facts set. A school profile can be laid over
the national protocol. ``build_explorer()`` returns the root widget.
"""

from __future__ import annotations

import logging
from typing import Any

import ipywidgets as W

from sim.protocol import ROLE_NAMES, Protocol, Step, available_profiles, load_protocol
from sim.ui.common import CSS, esc, fmt_num, guarded, message_html

log = logging.getLogger("sim.ui")

KIND_NAMES = {"stap": "Stap", "schadelijk": "Nooit doen", "preventie": "Preventie"}
DESC = {"description_width": "initial"}


def step_html(protocol: Protocol, step: Step, applies: bool | None) -> str:
    """One step: title, kind, roles, guidance, when it applies, sources, and where the sources differ."""
    tags = [KIND_NAMES.get(step.kind, step.kind)]
    if step.kind == "stap":
        tags.append("verplicht" if step.required else "aanbevolen")
    if step.roles:
        tags.append("Wie: " + ", ".join(ROLE_NAMES.get(r, r) for r in step.roles))
    if applies is False:
        tags.append("geldt niet bij deze feiten")
    tag_html = "".join(f'<li class="sim-tag">{esc(t)}</li>' for t in tags)
    why = ""
    if step.kind == "schadelijk":
        why = f"<p><strong>Waarom niet:</strong> {esc(step.why)} (kost {fmt_num(step.points)} punten)</p>"
    when = "altijd" if step.applies is True or step.applies == "true" else str(step.applies)
    diffs = [d for d in protocol.data.differences if step.id in d.steps]
    diff_html = ""
    if diffs:
        items = []
        for d in diffs:
            pos = "; ".join(f"{protocol.source_label(p.source)}: {p.says}" for p in d.positions)
            items.append(f"<li><strong>{esc(d.title)}</strong>: {esc(pos)}</li>")
        diff_html = "<p>Hier verschillen de bronnen:</p><ul>" + "".join(items) + "</ul>"
    return (
        f'<article class="sim-card" id="stap-{esc(step.id)}"><h3>{esc(step.title)}</h3>'
        f'<ul class="sim-tags" aria-label="Kenmerken">{tag_html}</ul>'
        f"<p>{esc(step.guidance)}</p>{why}"
        f'<p class="sim-sources">Geldt: <code>{esc(when)}</code> · id: <code>{esc(step.id)}</code></p>'
        f'<p class="sim-sources">Bron: {esc("; ".join(protocol.sources_of(step.sources)))}</p>{diff_html}</article>'
    )


class ExplorerApp(W.VBox):
    """The stappenplan explorer."""

    def __init__(self) -> None:
        """Build the filters and show every step."""
        super().__init__()
        self.add_class("sim-app")
        self.message = W.HTML()
        self.guard = guarded(lambda text: setattr(self.message, "value", message_html(text)))
        self.protocol = load_protocol()
        profiles = [("Landelijk stappenplan", "")] + [(f"Schoolprofiel {p}", p) for p in available_profiles()]
        self.profile = W.Dropdown(options=profiles, value="", description="Protocol", style=DESC)
        self.phase = W.Dropdown(description="Fase", style=DESC)
        self.role = W.Dropdown(
            options=[("Alle rollen", "")] + [(v, k) for k, v in ROLE_NAMES.items()],
            value="",
            description="Rol",
            style=DESC,
        )
        self.kind = W.Dropdown(
            options=[("Alles", ""), ("Stappen", "stap"), ("Nooit doen", "schadelijk"), ("Preventie", "preventie")],
            value="",
            description="Soort",
            style=DESC,
        )
        self.search = W.Text(description="Zoeken", placeholder="woord in titel of uitleg", style=DESC)
        self.use_facts = W.Checkbox(value=False, description="Alleen wat geldt bij deze feiten", indent=False)
        self.fact_widgets: dict[str, W.Dropdown] = {}
        self.fact_box = W.VBox()
        self.count = W.HTML()
        self.result = W.HTML()
        self._setup_protocol()
        for w in (self.profile,):
            w.observe(self.guard(lambda _c: (self._setup_protocol(), self.refresh())), "value")
        for w in (self.phase, self.role, self.kind, self.search, self.use_facts):
            w.observe(self.guard(lambda _c: self.refresh()), "value")
        self.children = (
            W.HTML(CSS),
            W.HTML(
                "<h1>Stappenplan sexting: wat doe je wanneer?</h1>"
                '<p class="sim-note">Alle stappen van het protocol per fase, met uitleg en bronnen. Kies een fase '
                "of je rol, of vul de feiten van een incident in om te zien wat er dan geldt.</p>"
            ),
            self.message,
            W.HBox(
                [self.profile, self.phase, self.role, self.kind, self.search], layout=W.Layout(flex_flow="row wrap")
            ),
            self.use_facts,
            self.fact_box,
            self.count,
            self.result,
        )
        self.refresh()

    def _setup_protocol(self) -> None:
        self.protocol = load_protocol(profile=self.profile.value or None)
        current = self.phase.value
        self.phase.options = [("Alle fasen", "")] + [(p.title, p.id) for p in self.protocol.data.phases]
        self.phase.value = current if current in self.protocol.phase_ids else ""
        widgets = []
        self.fact_widgets = {}
        for name, spec in self.protocol.facts.items():
            if spec.type == "bool":
                options: list[tuple[str, Any]] = [("ja", True), ("nee", False)]
                value: Any = spec.default if spec.default is not None else True
            else:
                options = [(v, v) for v in spec.values]
                value = spec.default if spec.default is not None else spec.values[0]
            dd = W.Dropdown(
                options=options,
                value=value,
                description=spec.label,
                style={"description_width": "15rem"},
                layout=W.Layout(width="26rem"),
            )
            dd.observe(self.guard(lambda _c: self.refresh()), "value")
            self.fact_widgets[name] = dd
            widgets.append(dd)
        self.fact_box.children = (W.HBox(widgets, layout=W.Layout(flex_flow="row wrap")),)

    def facts(self) -> dict[str, Any]:
        """The facts as set in the fact widgets."""
        return {name: w.value for name, w in self.fact_widgets.items()}

    def visible_steps(self) -> list[tuple[Step, bool | None]]:
        """The steps that pass the filters, with whether they apply to the facts (None: facts not used)."""
        word = self.search.value.strip().lower()
        facts = self.facts() if self.use_facts.value else None
        out = []
        for step in self.protocol.steps.values():
            if self.phase.value and step.phase != self.phase.value:
                continue
            if self.role.value and self.role.value not in step.roles:
                continue
            if self.kind.value and step.kind != self.kind.value:
                continue
            if word and word not in f"{step.title} {step.guidance} {step.id}".lower():
                continue
            applies = None
            if facts is not None:
                applies = self.protocol.applies(step.id, facts)
                if not applies:
                    continue
            out.append((step, applies))
        return out

    def refresh(self) -> None:
        """Show the steps that pass the filters, grouped by phase."""
        self.fact_box.layout.display = "" if self.use_facts.value else "none"
        steps = self.visible_steps()
        n = len(steps)
        self.count.value = f'<p aria-live="polite">{n} {"stap" if n == 1 else "stappen"} gevonden.</p>'
        parts = []
        for phase in self.protocol.data.phases:
            mine = [(s, a) for s, a in steps if s.phase == phase.id]
            if not mine:
                continue
            parts.append(f"<h2>{esc(phase.title)}</h2><p>{esc(phase.summary)}</p>")
            parts.extend(step_html(self.protocol, s, a) for s, a in mine)
        self.result.value = "".join(parts) or "<p>Geen stappen met deze keuzes.</p>"


def build_explorer() -> ExplorerApp | W.HTML:
    """The explorer's root widget (a Dutch message if it cannot be built)."""
    try:
        return ExplorerApp()
    except Exception:  # noqa: BLE001 - a Dutch message, never a traceback
        log.exception("could not build the explorer")
        return W.HTML(message_html("Het stappenplan kon niet worden geladen. Laad de pagina later opnieuw."))

"""Pieces every screen uses: safe Markdown, escaping, Dutch numbers and clock, state gauges, the error guard.

Nothing from a scenario file reaches the page unescaped: Markdown is rendered by markdown-it-py with
raw HTML disabled (tags come out as text) and images off; every other string (titles, labels,
sources) goes through :func:`esc`.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt

if TYPE_CHECKING:
    import ipywidgets as W

    from sim.store import Store

log = logging.getLogger("sim.ui")

ERROR_TEXT = (
    "Er ging iets mis. Je voortgang tot en met je laatste bevestigde keuze is bewaard. "
    "Probeer het nog eens; lukt het niet, laad dan de pagina opnieuw en ga verder met je hervatcode."
)

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def _link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    """Links from scenario text open in a new tab and leak no referrer."""
    tokens[idx].attrSet("target", "_blank")
    tokens[idx].attrSet("rel", "noopener noreferrer")
    return renderer.renderToken(tokens, idx, options, env)


_MD.add_render_rule("link_open", _link_open)


# A scenario's texts come back on every screen (timeline, feedback, debrief): render each once.
@functools.lru_cache(maxsize=2048)
def md(text: str | None) -> str:
    """Markdown to HTML; raw HTML in the text is shown as text, never passed through."""
    return _MD.render(text or "")


@functools.lru_cache(maxsize=2048)
def md_inline(text: str | None) -> str:
    """Markdown of one line (no surrounding ``<p>``), as safe as :func:`md`."""
    return _MD.renderInline(text or "")


def esc(text: Any) -> str:
    """Escape a plain string for HTML text or an attribute value."""
    return html.escape("" if text is None else str(text), quote=True)


def sentence(text: str) -> str:
    """The text ending in a full stop (unless it ends in punctuation already)."""
    text = (text or "").strip()
    return text if not text or text[-1] in ".?!:" else text + "."


def fmt_num(value: float, digits: int = 1) -> str:
    """A number with a Dutch decimal comma and no trailing zeros: ``12,5``, ``80``."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",") if text not in ("-0", "") else "0"


def fmt_clock(hours: float) -> str:
    """Time since the school learned of it, in Dutch: ``net gemeld``, ``2,5 uur``, ``5 dagen en 2 uur``."""
    if hours <= 0:
        return "net gemeld"
    if hours < 24:
        return f"{fmt_num(hours)} uur na de melding"
    days = int(hours // 24)
    rest = hours - 24 * days
    day_text = "1 dag" if days == 1 else f"{days} dagen"
    if rest < 0.05:
        return f"{day_text} na de melding"
    return f"{day_text} en {fmt_num(rest)} uur na de melding"


def fmt_at(hours: float) -> str:
    """A moment on the timeline: ``+0,5 uur``, ``+5 dagen``."""
    if hours < 24:
        return f"+{fmt_num(hours)} uur"
    days = int(hours // 24)
    rest = hours - 24 * days
    text = f"+{days} {'dag' if days == 1 else 'dagen'}"
    return text + (f" {fmt_num(rest)} uur" if rest >= 0.05 else "")


# --- state gauges -------------------------------------------------------------------------------

MAX_SPREAD = 5  # sim.engine.MAX_LEVEL: bereik runs from 0 (geen) to 5 (buiten-school)
SPREAD_NAMES = {
    "geen": "nog niet verspreid",
    "een-persoon": "bij één persoon",
    "klas": "in de klas",
    "meerdere-klassen": "in meerdere klassen",
    "school": "door de hele school",
    "buiten-school": "ook buiten de school",
}


def _band(value: float, bands: tuple[tuple[float, str], ...]) -> str:
    for limit, word in bands:
        if value < limit:
            return word
    return bands[-1][1]


WELLBEING = ((30, "slecht"), (50, "zorgelijk"), (70, "redelijk"), (101, "goed"))
UNREST = ((25, "rustig"), (50, "wat onrustig"), (75, "onrustig"), (101, "zeer onrustig"))
TRUST = ((30, "laag"), (60, "matig"), (101, "goed"))


def _delta(now: float, before: float | None, scale: float = 1.0) -> str:
    if before is None:
        return ""
    diff = (now - before) * scale
    if abs(diff) < 0.5:
        return ""
    word = "gestegen" if diff > 0 else "gedaald"
    arrow = "▲" if diff > 0 else "▼"
    return f' <span class="sim-delta"><span aria-hidden="true">{arrow}</span> {word} met {fmt_num(abs(diff), 0)}</span>'


def gauge(name: str, fill: float, value_text: str, tone: str, delta: str = "") -> str:
    """One labelled bar; the bar is decoration (``aria-hidden``), the text says it all."""
    pct = max(0.0, min(100.0, fill))
    return (
        f'<div class="sim-gauge"><span class="sim-gauge-name">{esc(name)}</span>'
        f'<span class="sim-bar" aria-hidden="true"><span class="sim-fill sim-{tone}" style="width:{pct:.0f}%">'
        f'</span></span><span class="sim-gauge-value">{value_text}{delta}</span></div>'
    )


def _tone(good: bool, ok: bool) -> str:
    return "good" if good else ("warn" if ok else "bad")


def state_html(vars_: Mapping[str, Any], clock: float, before: Mapping[str, Any] | None = None) -> str:
    """The clock and the four state gauges (spread, the victim's wellbeing, unrest, parents' trust)."""
    from sim.engine import level_of

    b = before or {}
    bereik = float(vars_.get("bereik", 0.0))
    spread = level_of(bereik)
    welzijn = float(vars_.get("welzijn", 0.0))
    onrust = float(vars_.get("onrust", 0.0))
    vertrouwen = float(vars_.get("vertrouwen", 0.0))
    stopped = " · gestopt" if vars_.get("gestopt") else ""
    rows = [
        gauge(
            "Verspreiding",
            100 * bereik / MAX_SPREAD,
            f"{esc(SPREAD_NAMES.get(spread, spread))}{stopped}",
            _tone(bereik < 1.5, bereik < 3),
        ),
        gauge(
            "Welzijn slachtoffer",
            welzijn,
            f"{fmt_num(welzijn, 0)} van 100 · {_band(welzijn, WELLBEING)}",
            _tone(welzijn >= 70, welzijn >= 50),
            _delta(welzijn, b.get("welzijn")),
        ),
        gauge(
            "Onrust op school",
            onrust,
            f"{fmt_num(onrust, 0)} van 100 · {_band(onrust, UNREST)}",
            _tone(onrust < 25, onrust < 50),
            _delta(onrust, b.get("onrust")),
        ),
        gauge(
            "Vertrouwen ouders",
            vertrouwen,
            f"{fmt_num(vertrouwen, 0)} van 100 · {_band(vertrouwen, TRUST)}",
            _tone(vertrouwen >= 60, vertrouwen >= 30),
            _delta(vertrouwen, b.get("vertrouwen")),
        ),
    ]
    return (
        '<section class="sim-state" aria-label="Stand van zaken">'
        f'<p class="sim-clock">Tijd: <strong>{esc(fmt_clock(clock))}</strong></p>' + "".join(rows) + "</section>"
    )


# --- the error guard ----------------------------------------------------------------------------


def guarded(show_error: Callable[[str], None]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a widget callback: an exception is logged (kernel side) and shown as a Dutch message.

    The traceback never reaches the page. Progress is safe because every decision is stored before
    the screen moves on (:class:`sim.runs.SavedRun`).
    """

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the promise is: no traceback for a trainee
                log.exception("error in %s", getattr(fn, "__name__", "callback"))
                try:
                    show_error(ERROR_TEXT)
                except Exception:  # noqa: BLE001
                    log.exception("could not show the error message")
                return None

        return inner

    return wrap


class AppPlumbing:
    """What the trainee app and the facilitator app share: the results store and the notice at the top.

    The app sets ``self._store`` (a :class:`~sim.store.Store`, or None for the data folder's) and
    ``self.message`` (an HTML widget above its screens).
    """

    _store: Store | None
    message: W.HTML

    @property
    def store(self) -> Store:
        """The results store (opened on first use)."""
        if self._store is None:
            from sim.store import Store

            self._store = Store()
        return self._store

    def show_error(self, text: str) -> None:
        """Show a Dutch error message at the top (announced by screen readers)."""
        self.message.value = message_html(text, "error")

    def show_info(self, text: str, kind: str = "info") -> None:
        """Show a Dutch notice at the top."""
        self.message.value = message_html(text, kind)

    def clear_message(self) -> None:
        """Remove the notice at the top."""
        self.message.value = ""


def message_html(text: str, kind: str = "error") -> str:
    """A notice box (kind: error, info, ok); errors are announced at once (role=alert)."""
    if not text:
        return ""
    role = ' role="alert"' if kind == "error" else ""
    return f'<div class="sim-msg sim-msg-{kind}"{role}>{esc(text)}</div>'


CSS = """
<style>
.sim-app { max-width: 60rem; margin: 0 auto; font-size: 16px; line-height: 1.5; color: #1a1a1a; }
.sim-app h1 { font-size: 1.6rem; margin: .4rem 0; }
.sim-app h2 { font-size: 1.3rem; margin: .6rem 0 .3rem; }
.sim-app h3 { font-size: 1.1rem; margin: .5rem 0 .2rem; }
.sim-app .widget-html-content, .sim-app .widget-html { font-size: 16px; line-height: 1.5; }
.sim-app .widget-label, .sim-app .widget-radio-box label, .sim-app .widget-checkbox label { font-size: 16px; }
.sim-note { background: #f3f6fb; border-left: 4px solid #2f5d9a; padding: .6rem .9rem; margin: .5rem 0; }
.sim-card { border: 1px solid #8a8f98; border-radius: 6px; padding: .6rem .8rem; margin: .4rem 0; }
.sim-card h3 { margin-top: 0; }
.sim-tags { display: flex; flex-wrap: wrap; gap: .3rem; margin: .3rem 0; padding: 0; list-style: none; }
.sim-tag { border: 1px solid #555; border-radius: 3px; padding: 0 .4rem; font-size: .9rem; background: #fff; }
.sim-flag-groen { border-color: #1e6b2e; color: #1e6b2e; }
.sim-flag-geel { border-color: #7a5c00; color: #6b5000; }
.sim-flag-rood { border-color: #a31515; color: #a31515; }
.sim-flag-zwart { border-color: #000; color: #fff; background: #000; }
.sim-state { border: 1px solid #8a8f98; border-radius: 6px; padding: .5rem .8rem; margin: .4rem 0; }
.sim-clock { margin: 0 0 .3rem; }
.sim-gauge { display: grid; grid-template-columns: 11rem 1fr 22rem; gap: .6rem; align-items: center; }
.sim-bar { display: block; height: .9rem; background: #e4e6ea; border-radius: 3px; overflow: hidden; }
.sim-fill { display: block; height: 100%; }
.sim-good { background: #2e7d32; } .sim-warn { background: #b7791f; } .sim-bad { background: #c62828; }
.sim-delta { font-size: .9rem; color: #333; }
.sim-msg { padding: .5rem .8rem; margin: .4rem 0; border-radius: 4px; }
.sim-msg-error { background: #fdecea; border: 1px solid #a31515; color: #611a15; }
.sim-msg-info { background: #eef4fb; border: 1px solid #2f5d9a; color: #102a43; }
.sim-msg-ok { background: #edf7ed; border: 1px solid #1e6b2e; color: #12391a; }
.sim-feedback { border-left: 4px solid #2f5d9a; padding: .3rem .8rem; margin: .4rem 0; background: #f7f9fc; }
.sim-event { border-left: 4px solid #b7791f; padding: .3rem .8rem; margin: .4rem 0; background: #fffaf0; }
.sim-sources { font-size: .9rem; color: #333; }
.sim-timeline { font-size: .95rem; padding-left: 1.4rem; }
.sim-steps { margin: .4rem 0; }
.sim-steps > summary { cursor: pointer; font-weight: 600; padding: .2rem 0; }
.sim-narrative { border-top: 2px solid #2f5d9a; margin-top: .6rem; padding-top: .3rem; }
.sim-code { font-family: monospace; font-size: 1.05rem; background: #f0f0f0; padding: 0 .3rem; }
.sim-app button.sim-wide, .sim-app .sim-wide button { white-space: normal; height: auto; min-height: 2.2rem;
  text-align: left; line-height: 1.3; padding: .3rem .6rem; }
.sim-app .sim-wrap label, .sim-app .sim-wrap .widget-label { white-space: normal; }
.sim-app .sim-options { height: auto !important; }
.sim-app .sim-options .widget-radio-box label, .sim-app .sim-options .jupyter-widget-radio-box label {
  height: auto !important; line-height: 1.35 !important; display: flex; gap: .5rem; align-items: flex-start;
  margin: .3rem 0; white-space: normal; }
.sim-app .sim-options .widget-radio-box input, .sim-app .sim-options .jupyter-widget-radio-box input {
  float: none; height: auto; line-height: normal; margin: .2rem 0 0 0; flex-shrink: 0; }
.sim-app .sim-check { height: auto !important; line-height: 1.35 !important; margin: .25rem 0; }
.sim-app .sim-check label { display: flex; gap: .5rem; align-items: flex-start; white-space: normal; }
.sim-app .sim-check input[type="checkbox"] { flex-grow: 0 !important; align-self: flex-start !important;
  margin-top: .2rem !important; }
.sim-app .widget-select { max-width: 100%; }
.sim-app .widget-select select { min-width: 0; flex: 1 1 auto; font-size: 15px; }
.sim-app :focus-visible { outline: 3px solid #1a4fa0 !important; outline-offset: 2px; }
.sim-phases { border-collapse: collapse; margin: .4rem 0; }
.sim-phases td, .sim-phases th { padding: .15rem .5rem; text-align: left; }
.sim-phasebar { display: inline-block; width: 14rem; height: .9rem; background: #e4e6ea; vertical-align: middle; }
.sim-phasebar span { display: block; height: 100%; }
.sim-compare { border-collapse: collapse; width: 100%; }
.sim-compare th, .sim-compare td { border: 1px solid #b0b4ba; padding: .3rem .5rem; vertical-align: top;
  text-align: left; }
.sim-diverged td { background: #fff4e5; }
.sim-score { font-size: 1.5rem; font-weight: bold; }
.sim-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.sim-left { text-align: left; }
.sim-download { display: inline-block; margin: .4rem 0; padding: .3rem .7rem; border: 1px solid #2f5d9a;
  border-radius: 4px; color: #1a3f73; text-decoration: underline; }
</style>
"""

"""What the Voilà benchmarks share: the floor notebooks, the click measurement, waiting for quiet.

Not a benchmark itself (``make bench`` skips files starting with "_").
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
from playwright.sync_api import Page

from sim.ui.server import VoilaServer

# Both apps are left alone this long before a timed click, so that every click starts from a quiet
# connection (back-to-back messages on a busy socket add delays unrelated to the app).
SETTLE = 0.3
FLOOR_CELL = (
    "import ipywidgets as w\n"
    "button = w.Button(description='Klik')\n"
    "text = w.HTML('0')\n"
    "button.on_click(lambda _b: setattr(text, 'value', str(int(text.value) + 1)))\n"
    "w.VBox([button, text])"
)

NARRATIVE_SETUP = """
import ipywidgets as w
from sim.runs import scenario_by_id
from sim.engine import Engine
from sim.ui.common import md, state_html
scenario = scenario_by_id("klassenapp-vo3")
state = Engine(scenario).start(1)
node = scenario.nodes[state.node]
PAGE = state_html(state.vars, state.clock, None)
PAGE += f'<div class="sim-narrative"><h2>{node.title}</h2>{md(node.text)}</div>'
button = w.Button(description='Klik')
text = w.HTML('0')
"""
CELLS = {  # one-cell notebooks, each click doing a little more of what a decision shows
    "floor": FLOOR_CELL,
    "narrative": NARRATIVE_SETUP + "def go(_b):\n"
    "    n = int(text.value[:1]) + 1 if text.value[:1].isdigit() else 1\n"
    "    text.value = str(n % 10) + PAGE\n"
    "button.on_click(go)\n"
    "w.VBox([button, text])",
    "decision": NARRATIVE_SETUP
    + "radio = w.RadioButtons(options=['a', 'b', 'c', 'd'], value=None, description='Jouw keuze')\n"
    "def go(_b):\n"
    "    n = int(text.value[:1]) + 1 if text.value[:1].isdigit() else 1\n"
    "    with radio.hold_sync():\n"
    "        radio.options = [f'{n}: optie {i}, een zin over wat je dan doet' for i in range(4)]\n"
    "        radio.value = None\n"
    "    text.value = str(n % 10) + PAGE\n"
    "    radio.focus()\n"
    "button.on_click(go)\n"
    "w.VBox([button, radio, text])",
}


# In the page: click an element and resolve (ms) as soon as the DOM shows the next screen. A
# MutationObserver checks after every change to the page, reading textContent (no forced layout), so
# the measurement neither polls nor makes the page lay out more often than it would for a person.
CLICK_JS = """
([selector, waitFor, before]) => new Promise((resolve) => {
  const done = () => {
    const el = document.querySelector(waitFor);
    return (el && el.textContent !== before) || document.querySelector('#nabespreking');
  };
  let t0 = 0;
  const timer = setTimeout(() => { observer.disconnect(); resolve(-1); }, 30000);
  const observer = new MutationObserver(() => {
    if (done()) { observer.disconnect(); clearTimeout(timer); resolve(performance.now() - t0); }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  t0 = performance.now();
  document.querySelector(selector).click();
})
"""


def write_notebook(folder: Path, name: str, source: str) -> None:
    """Write a one-cell notebook ``folder/name.ipynb``."""
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (folder / f"{name}.ipynb").write_text(json.dumps(nb))


def wait_quiet(server: VoilaServer, limit: float = 30.0) -> None:
    """Wait until the server and its kernels are idle (a refilled pool kernel has finished starting)."""
    deadline = time.monotonic() + limit
    time.sleep(0.3)
    while time.monotonic() < deadline:
        procs = [psutil.Process(server.proc.pid)] + [psutil.Process(p) for p in server.kernel_pids()]
        for p in procs:
            p.cpu_percent(None)
        time.sleep(0.5)
        busy = sum(p.cpu_percent(None) for p in procs if p.is_running())
        if busy < 5:
            return


def floor_clicks(page: Page, count: int = 5) -> list[float]:
    """Click a floor notebook's button ``count`` times, each after SETTLE of quiet; ms per click."""
    page.locator(".widget-html-content").first.wait_for()
    clicks = []
    for _ in range(count):
        time.sleep(SETTLE)
        before = page.locator(".widget-html-content").first.text_content()
        clicks.append(page.evaluate(CLICK_JS, ["button.jupyter-button", ".widget-html-content", before]))
    return clicks

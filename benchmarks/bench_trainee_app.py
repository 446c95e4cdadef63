"""Trainee app vs the floor Voilà sets: page to first decision, click to next screen, kernel memory.

Run: ``.venv/bin/python benchmarks/bench_trainee_app.py [--rounds N]`` (``make bench`` runs it).

Two servers are started the same way (``python -m sim.ui.serve``, the repository's ``voila.json``,
preheated kernels, ipc transport; pools of one kernel, refilled at once so every page gets a
preheated kernel): one serves ``notebooks/`` (the trainee app), the other a minimal notebook with
one button whose click changes one text (the floor), and, for the second measure only, the
``decision`` notebook of ``_voila_bench.CELLS``: new radio options, a real narrative and the focus,
with no app logic (what standard ipywidgets need to show any decision). Real Chromium (Debian's ``/usr/bin/chromium``)
drives both, alternating, for ``--rounds`` page loads each. Measured:

1. page → first decision clickable: from ``page.goto`` until the first control the person acts on
   is visible and enabled (trainee: the first scenario's "Kies:" button on the start screen; floor:
   the button). Also reported, not in the ratios: the trainee app opened with a resume link, straight
   onto a decision point.
2. click → next screen: from the click (in the page) until the next screen is in the DOM (trainee:
   the next decision point's title after "Bevestig"; floor: the changed text), seen by a
   MutationObserver (no polling, no forced layout). Each click comes after 0.3 s of quiet, as a
   person's would.
3. kernel memory: RSS (and USS) of the page's kernel process after the clicks (trainee: after
   playing a whole scenario to the debrief).

Prints the medians and the three ratios trainee/floor (target ≤ 1.2), and click → next screen
against the decision floor (not a target; docs/trainee-app.md).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

from _voila_bench import CELLS, CLICK_JS, SETTLE, floor_clicks, wait_quiet, write_notebook  # noqa: E402

from sim.ui.server import CHROMIUM, CHROMIUM_ARGS, VoilaServer  # noqa: E402
from sim.voila_client import KERNEL_ID  # noqa: E402

SCENARIO = "klassenapp-vo3"


def kernel_id(page: Page) -> str:
    """The kernel id Voilà wrote into the page."""
    found = KERNEL_ID.search(page.content())
    if not found:
        raise RuntimeError("no kernel id in the page")
    return found.group(1)


def memory(server: VoilaServer, page: Page) -> tuple[float, float]:
    """RSS and USS (MB) of the page's kernel."""
    pid = server.kernel_pid(kernel_id(page))
    if pid is None:
        raise RuntimeError("kernel process not found")
    info = psutil.Process(pid).memory_full_info()
    return info.rss / 1e6, info.uss / 1e6


def floor_round(server: VoilaServer, page: Page, name: str = "floor") -> dict[str, float]:
    """One page load of a floor notebook: time to the button, five clicks, memory."""
    t0 = time.perf_counter()
    page.goto(f"{server.url}/voila/render/{name}.ipynb", wait_until="commit")
    button = page.get_by_role("button", name="Klik")
    button.wait_for(state="visible")
    while not button.is_enabled():
        time.sleep(0.002)
    first = time.perf_counter() - t0
    clicks = floor_clicks(page)
    rss, uss = memory(server, page)
    return {"first": first, "click": statistics.median(clicks) / 1000, "rss": rss, "uss": uss}


def choose_reference(page: Page, choice: str) -> None:
    """Set the decision widgets to a reference-path choice (not timed)."""
    if page.locator(".sim-options input[type=radio]").count():
        page.locator(f".sim-options input[type=radio] >> nth={_option_index(page, choice)}").check()
    elif page.get_by_role("checkbox").count():
        for part in choice.split("+"):
            page.get_by_role("checkbox", name=_label(page, part)).check()
    elif page.get_by_role("textbox", name="Jouw antwoord").count():
        page.get_by_role("textbox", name="Jouw antwoord").fill("Bench")
        page.get_by_role("textbox", name="Jouw antwoord").blur()
    elif page.get_by_role("listbox", name="Volgorde").count():
        # The offered order is kept (the benchmark does not need the reference order), after looking
        # at its second step: untouched and confirmed at once, it would count as a double click.
        page.get_by_role("listbox", name="Volgorde").select_option(index=1)


_LABELS: dict[str, str] = {}
_ORDER: dict[str, list[str]] = {}


def _label(page: Page, option_id: str) -> str:
    return _LABELS[option_id]


def _option_index(page: Page, option_id: str) -> int:
    node = page.locator("#beslispunt").inner_text()
    return _ORDER[node].index(option_id)


def trainer_round(server: VoilaServer, page: Page, reference: list[str]) -> dict[str, float]:
    """One page load of the trainee app: time to the first card button, play to the debrief, memory."""
    t0 = time.perf_counter()
    page.goto(f"{server.url}/voila/render/trainer.ipynb", wait_until="commit")
    button = page.get_by_role("button", name=re.compile("^Kies: "))
    button.first.wait_for(state="visible")
    while not button.first.is_enabled():
        time.sleep(0.002)
    first = time.perf_counter() - t0
    page.get_by_role("button", name=f"Kies: {TITLE}").click()
    page.get_by_role("button", name="Begin het scenario").click()
    page.locator("#beslispunt").wait_for()
    clicks = []
    for choice in reference:
        if page.locator("#nabespreking").count():
            break
        page.locator("button.jupyter-button:not([disabled])", has_text=re.compile("^(Bevestig|Opslaan)")).wait_for()
        choose_reference(page, choice)
        time.sleep(SETTLE)
        before = page.locator("#beslispunt").text_content()
        ms = page.evaluate(CLICK_JS, ["button.sim-confirm", "#beslispunt", before])
        clicks.append(ms / 1000)
    page.locator("#nabespreking").wait_for()
    rss, uss = memory(server, page)
    return {"first": first, "click": statistics.median(clicks[:-1] or clicks), "rss": rss, "uss": uss}


def resume_round(server: VoilaServer, page: Page, token: str) -> float:
    """The trainee app opened with a resume link: time to a clickable option of the decision point."""
    t0 = time.perf_counter()
    page.goto(f"{server.url}/voila/render/trainer.ipynb?hervat={token}", wait_until="commit")
    page.locator(".sim-options input[type=radio]").first.wait_for(state="visible")
    return time.perf_counter() - t0


TITLE = ""


def main() -> int:
    """Run the benchmark and print the figures."""
    global TITLE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="page loads per app (default 5)")
    args = parser.parse_args()

    from sim.runs import scenario_by_id

    scenario = scenario_by_id(SCENARIO)
    TITLE = scenario.data.title
    for node in scenario.data.nodes:
        _ORDER[node.title] = [o.id for o in node.options]
        for opt in node.options:
            _LABELS[opt.id] = opt.label
    reference = list(scenario.data.reference)

    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-trainee-"))
    floor_dir = tmp / "floor"
    floor_dir.mkdir()
    for name in ("floor", "decision"):
        write_notebook(floor_dir, name, CELLS[name])
    pools = {"default": 1}
    trainer_server = VoilaServer(ROOT / "notebooks", data_dir=tmp / "data", pools=pools, fill_delay=0, expect_pools=2)
    floor_server = VoilaServer(floor_dir, data_dir=tmp / "floor-data", pools=pools, fill_delay=0, expect_pools=2)
    results: dict[str, list[dict[str, float]]] = {"trainer": [], "floor": [], "decision": []}
    resumes: list[float] = []
    with trainer_server, floor_server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Warm the browser's cache of Voilà's static files for both servers (not measured).
        for server, name in ((floor_server, "floor"), (trainer_server, "trainer")):
            page = browser.new_page()
            page.goto(f"{server.url}/voila/render/{name}.ipynb")
            page.get_by_role("button").first.wait_for()
            page.close()
            wait_quiet(server)
        token = None
        for i in range(args.rounds):
            order = ("floor", "trainer", "decision")
            for name in order if i % 2 == 0 else reversed(order):
                server = trainer_server if name == "trainer" else floor_server
                wait_quiet(floor_server)
                wait_quiet(trainer_server)
                context = browser.new_context()
                page = context.new_page()
                if name != "trainer":
                    results[name].append(floor_round(server, page, name))
                else:
                    results[name].append(trainer_round(server, page, reference))
                    if token is None:
                        token = page.evaluate("new URL(location.href).searchParams.get('hervat')")
                context.close()
        if token:
            # A run that is open at its first decision: start one, then open its resume link.
            from sim.runs import SavedRun
            from sim.store import Store

            store = Store(f"sqlite:///{tmp / 'data' / 'sim.db'}")
            pid = store.participant_by_token(token)["id"]
            SavedRun.begin(store, pid, scenario, "oefenen")
            for _ in range(args.rounds):
                wait_quiet(trainer_server)
                context = browser.new_context()
                resumes.append(resume_round(trainer_server, context.new_page(), token))
                context.close()
        browser.close()

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    rows = [
        ("page -> first decision clickable (s)", "first"),
        ("click -> next screen (s)", "click"),
        ("kernel memory RSS (MB)", "rss"),
    ]
    print(f"Trainee app vs floor (minimal one-button Voilà notebook), {args.rounds} page loads each, medians")
    print(f"{'':40} {'trainee':>10} {'floor':>10} {'ratio':>7}")
    for label, key in rows:
        t, f = med("trainer", key), med("floor", key)
        print(f"{label:40} {t:10.3f} {f:10.3f} {t / f:7.2f}")
    t, f = med("trainer", "click"), med("decision", "click")
    print(f"{'(click vs the decision floor; not a target)':40} {t:10.3f} {f:10.3f} {t / f:7.2f}")
    t, f = med("trainer", "uss"), med("floor", "uss")
    print(f"{'(kernel memory USS, MB; not a target)':40} {t:10.3f} {f:10.3f} {t / f:7.2f}")
    if resumes:
        print(f"(resume link -> decision clickable, s; not a target) {statistics.median(resumes):.3f}")
    load_after = os.getloadavg()[0]
    busy = "; other work on the machine skews the figures" if max(load_before, load_after) > 1.5 else ""
    print(f"(load average before/after: {load_before:.1f}/{load_after:.1f} on {os.cpu_count()} cores{busy})")
    print(
        "ratios (target <= 1.2): "
        + ", ".join(f"{key} {med('trainer', key) / med('floor', key):.2f}" for _, key in rows)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Real Chromium against the real Voilà server (``python -m sim.ui.serve`` with the repository's voila.json).

The server runs on a free port with its data in a temporary folder and a test scenario library
(``SIM_SCENARIO_DIR``: the library plus a scenario with ``<script>`` in it). Its kernel pools are
smaller and refilled at once (command-line overrides of voila.json), so each page gets a preheated
kernel without waiting for the 60 s refill delay meant for a training day.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.ui.server import CHROMIUM, CHROMIUM_ARGS

SCENARIO = "klassenapp-vo3"
SCRIPT = "<script>window.__pwned = 1</script>"


def hostile_scenario(source: str) -> str:
    """The klassenapp scenario with script where the loader allows it (titles, lists, code, escapes)."""
    src = source.replace("id: klassenapp-vo3", "id: script-test", 1)
    src = src.replace("title: Een foto in de klassenapp", f"title: 'Scripttest {SCRIPT}'", 1)
    src = src.replace("learning_goals:\n", "learning_goals:\n  - '<img src=x onerror=\"window.__pwned = 2\">'\n", 1)
    src = src.replace("discussion:\n", f"discussion:\n  - '{SCRIPT}'\n", 1)
    src = src.replace(
        "Sanne (3 havo, fictief) komt in tranen naar je toe.",
        f"Sanne (3 havo, fictief) komt `{SCRIPT}` in tranen \\<script>window.__pwned = 3\\</script> naar je toe.",
        1,
    )
    return src.replace("    title: Afgerond", f"    title: 'Afgerond {SCRIPT}'", 1)


@pytest.fixture(scope="session")
def library(tmp_path_factory):
    from sim.runs import scenario_dir

    folder = tmp_path_factory.mktemp("scenarios")
    for path in scenario_dir().glob("*.yaml"):
        shutil.copy(path, folder)
    source = (scenario_dir() / f"{SCENARIO}.yaml").read_text(encoding="utf-8")
    (folder / "script-test.yaml").write_text(hostile_scenario(source), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def server(tmp_path_factory, library):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from sim.ui.server import VoilaServer

    srv = VoilaServer(
        "notebooks",
        data_dir=tmp_path_factory.mktemp("data"),
        pools={"default": 2},
        fill_delay=0,
        env={"SIM_SCENARIO_DIR": str(library)},
        expect_pools=2,
    )
    srv.start(timeout=180)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    context.set_default_timeout(60_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


@pytest.fixture
def cli_report():
    """``sim play <scenario> --choices ... --json``'s report."""

    def run(choices: list[str], scenario: str = SCENARIO) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "sim", "play", scenario, "--choices", ",".join(choices), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout)["report"]

    return run


@pytest.fixture
def open_app(page, server):
    """Open the app at the root address (optionally with a query string) and wait for the start screen."""

    def go(query: str = ""):
        page.goto(f"{server.url}/{query}")
        page.get_by_role("button", name=re.compile("^Kies: ")).first.wait_for()
        return page

    return go


@pytest.fixture(scope="session")
def scenario():
    from sim.runs import scenario_by_id

    return scenario_by_id(SCENARIO)

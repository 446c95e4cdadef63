"""The trainee app in real Chromium, served by the real Voilà server."""

from __future__ import annotations

import re
import time
import urllib.request

import psutil
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from sim.ui.player import DOUBLE_CLICK
from sim.voila_client import KERNEL_ID

pytestmark = pytest.mark.browser

SCENARIO_TITLE = "Een foto in de klassenapp"
PATH = [
    "luisteren",
    "vragen",
    "zorg+wijkagent",
    "samen",
    "gesprek-en-straf",
    "verwijder>meld>besluit",
    "statement+klasgesprek+brief",
    "evalueren",
]
REFLECTION = "Volgende keer bel ik eerder de zorgcoördinator."


def heading(page) -> str:
    return page.locator("#beslispunt").inner_text()


def wait_next(page, before: str) -> None:
    """Wait until the next decision point (or the debrief) is on the screen."""
    page.wait_for_function(
        "b => document.querySelector('#nabespreking') || "
        "(document.querySelector('#beslispunt') && document.querySelector('#beslispunt').innerText !== b)",
        arg=before,
    )
    page.locator("button.sim-confirm:not([disabled]), #nabespreking").first.wait_for()


def begin(page, title: str = SCENARIO_TITLE) -> None:
    page.get_by_role("button", name=f"Kies: {title}").click()
    page.get_by_role("button", name="Begin het scenario").click()
    page.locator("#beslispunt").wait_for()


def confirm_by_keyboard(page, max_tabs: int = 8) -> None:
    """Tab on to the confirm button and press Enter."""
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.innerText") or ""
        if focused.strip().startswith(("Bevestig", "Opslaan")):
            page.keyboard.press("Enter")
            return
    raise AssertionError(f"the confirm button is not reached by Tab (at {focused!r})")


def kernel_order(page) -> list[str]:
    """The order as the app holds it ("Jouw volgorde nu", drawn by the kernel after every move)."""
    items = page.locator(".sim-order-now li").all_inner_texts()
    return [t.replace("\xa0", " ").strip() for t in items]


def order_by_keyboard(page, select, wanted: list[str], attempts: int = 30) -> None:
    """Reach the ``wanted`` order with Home/ArrowDown in the list and Enter on "▲ Hoger".

    Each press is confirmed by the app's own view of the order. A key that arrives while the list
    is being redrawn can select another item; then the loop simply goes on from the order the app
    now holds, until it is the wanted one.
    """
    for _ in range(attempts):
        current = kernel_order(page)
        if current == wanted:
            return
        pos = next(p for p, (a, b) in enumerate(zip(current, wanted, strict=True)) if a != b)
        i = current.index(wanted[pos])
        select.focus()
        page.keyboard.press("Home")
        for _ in range(i):
            page.keyboard.press("ArrowDown")
        page.get_by_role("button", name="▲ Hoger").focus()
        page.keyboard.press("Enter")
        try:
            page.wait_for_function(
                "before => [...document.querySelectorAll('.sim-order-now li')].map(li => li.innerText.trim())"
                ".join('|') !== before",
                arg="|".join(current),
                timeout=8000,
            )
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"could not reach the order {wanted} by keyboard (at {kernel_order(page)})")


def keuze_by_keyboard(page, option_index: int) -> None:
    """Focus is on the first option after a decision; Tab to the option, Space, Tab to confirm, Enter."""
    radios = page.locator(".sim-options input[type=radio]")
    try:
        page.wait_for_function("document.activeElement && document.activeElement.type === 'radio'", timeout=3000)
    except PlaywrightTimeout:  # the very first screen's views may come after the focus request
        radios.first.focus()
    for _ in range(option_index):
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert radios.nth(option_index).is_checked()
    confirm_by_keyboard(page)


def play(page, scenario, choices: list[str], reflection: str = REFLECTION) -> None:
    """Play choices: keuze and volgorde by keyboard, meerkeuze by keyboard and mouse, reflection typed."""
    nodes = {n.title: n for n in scenario.data.nodes}
    for choice in [*choices, reflection]:
        before = heading(page)
        node = nodes[before]
        if node.kind == "keuze":
            keuze_by_keyboard(page, [o.id for o in node.options].index(choice))
        elif node.kind == "meerkeuze":
            wanted = choice.split("+")
            for k, opt in enumerate(node.options):
                if opt.id not in wanted:
                    continue
                box = page.get_by_role("checkbox", name=opt.label)
                if k % 2:
                    box.click()  # mouse
                else:
                    box.focus()
                    page.keyboard.press("Space")
                box.wait_for()
                assert box.is_checked()
            page.get_by_text(f"Gekozen: {len(wanted)} van").wait_for()
            page.locator("button.sim-confirm").click()
        elif node.kind == "volgorde":
            want = choice.split(">")
            labels = {o.id: o.label for o in node.options}
            select = page.get_by_role("listbox", name="Volgorde")
            page.locator(".sim-order-now li").first.wait_for()
            if kernel_order(page) == [labels[oid] for oid in want]:
                # keeping the order as offered: a person reads it first (a quicker click is a double click)
                page.wait_for_timeout(DOUBLE_CLICK * 1000)
            order_by_keyboard(page, select, [labels[oid] for oid in want])
            page.get_by_role("button", name="Bevestig volgorde").focus()
            page.keyboard.press("Enter")
        else:
            box = page.get_by_role("textbox", name="Jouw antwoord")
            box.focus()
            page.keyboard.type(choice)
            confirm_by_keyboard(page)
        wait_next(page, before)


def test_root_address_opens_the_trainer(server, page):
    """Does http://host:port/ open the trainee app (the start screen in Dutch)?"""
    with urllib.request.urlopen(f"{server.url}/") as resp:  # noqa: S310 - local test server
        assert resp.url.endswith("/voila/render/trainer.ipynb")
    page.goto(f"{server.url}/")
    page.get_by_role("heading", name="Oefenen: er gaat een naaktfoto rond").wait_for()
    text = page.locator(".sim-app").first.inner_text()
    for words in (
        "Waar gaat dit over?",
        "Pauzeren mag altijd",
        "Steun nodig?",
        "Hoe wil je spelen?",
        "Kies een scenario",
    ):
        assert words in text
    assert page.get_by_role("button", name=f"Kies: {SCENARIO_TITLE}").is_visible()


def test_play_to_debrief_score_equals_cli(server, page, open_app, cli_report, scenario):
    """Played by keyboard and mouse to the debrief, is the score on the page that of `sim play --choices`?"""
    open_app()
    page.get_by_role("radio", name="Studiedag of toets: feedback pas in de nabespreking").check()
    begin(page)
    # The resume code went into the address, so a plain refresh resumes.
    assert re.search(r"[?&]hervat=[\w-]{10,}", page.url)
    play(page, scenario, PATH)
    page.locator("#nabespreking").wait_for()
    shown = page.locator(".sim-score")
    expected = cli_report([*PATH, "x"])["score"]
    assert float(shown.get_attribute("data-score")) == expected
    assert shown.inner_text() == f"Score: {f'{expected:.1f}'.rstrip('0').rstrip('.').replace('.', ',')} van 100"
    text = page.locator(".sim-app").first.inner_text()
    for words in (
        "Score per fase",
        "Jouw pad naast het referentiepad",
        "eerste afwijking",
        "Bevindingen",
        "Bron:",
        "Waar de bronnen verschillen",
        "Feedback per keuze",
        "Vragen om over na te denken",
        REFLECTION,
    ):
        assert words in text, words
    link = page.get_by_role("link", name="Nabespreking opslaan als HTML-bestand")
    with page.expect_download() as info:
        link.click()
    saved = info.value.path().read_text(encoding="utf-8")
    assert saved.startswith("<!DOCTYPE html>") and f'data-score="{expected:g}"' in saved
    assert page.errors == []


def test_practice_feedback_and_focus(server, page, open_app):
    """In oefenen, is feedback with its source shown after a choice, and is focus on the next decision?"""
    open_app()
    begin(page)
    before = heading(page)
    keuze_by_keyboard(page, 0)
    wait_next(page, before)
    news = page.locator(".sim-news")
    assert "Feedback:" in news.inner_text() and "Bron:" in news.inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.type === 'radio'")


def test_refresh_resumes(server, page, open_app, scenario):
    """After a refresh mid-scenario (a new kernel), does the trainee continue at the same decision?"""
    open_app()
    begin(page)
    play_three = PATH[:3]
    nodes = {n.title: n for n in scenario.data.nodes}
    for choice in play_three:
        before = heading(page)
        node = nodes[before]
        if node.kind == "keuze":
            keuze_by_keyboard(page, [o.id for o in node.options].index(choice))
        else:
            for part in choice.split("+"):
                page.get_by_role("checkbox", name=next(o.label for o in node.options if o.id == part)).check()
            page.locator("button.sim-confirm").click()
        wait_next(page, before)
    where = heading(page)
    assert where == "Sannes ouders"
    page.reload()
    page.locator("#beslispunt").wait_for()
    assert heading(page) == where
    assert page.get_by_text("Welkom terug").is_visible()
    assert page.locator(".sim-timeline li").count() == 3


def test_script_in_scenario_runs_nothing(server, page, open_app, scenario):
    """Does a scenario with <script> in its text show the text and run nothing, up to the debrief?"""
    open_app()
    card = page.locator(".sim-card", has_text="Scripttest")
    assert "<script>window.__pwned = 1</script>" in card.inner_text()
    begin(page, f"Scripttest {'<script>window.__pwned = 1</script>'}")
    text = page.locator(".sim-app").first.inner_text()
    assert "<script>window.__pwned = 1</script>" in text and "<script>window.__pwned = 3</script>" in text
    play(page, scenario, list(scenario.data.reference[:-1]), reflection="<script>window.__pwned = 4</script>")
    page.locator("#nabespreking").wait_for()
    assert "Afgerond <script>" in page.locator(".sim-app").first.inner_text()
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("[...document.querySelectorAll('.sim-app script')].length") == 0
    assert page.evaluate("[...document.querySelectorAll('.sim-app img')].length") == 0


def test_studiedag_join_and_rejoin(server, browser, page, open_app):
    """Does a trainee join a session with code and pseudonym, and find their run again from a new tab?"""
    from sim.store import Store

    store = Store(f"sqlite:///{server.data_dir / 'sim.db'}")
    code = store.create_session(["klassenapp-vo3"], "Browsertest")
    open_app(f"?sessie={code}")
    assert page.get_by_role("textbox", name="Sessiecode").input_value() == code
    page.get_by_role("textbox", name="Schuilnaam").fill("Kiki")
    page.get_by_role("button", name="Meedoen met de sessie").click()
    page.get_by_text(f"Je doet mee aan sessie {code}").wait_for()
    assert page.locator(".sim-card").count() == 1
    begin(page)
    before = heading(page)
    keuze_by_keyboard(page, 0)
    wait_next(page, before)
    other = browser.new_context().new_page()
    other.goto(f"{server.url}/?sessie={code}")
    other.get_by_role("textbox", name="Schuilnaam").fill("Kiki")
    other.get_by_role("button", name="Meedoen met de sessie").click()
    other.locator("#beslispunt").wait_for()
    assert other.locator("#beslispunt").inner_text() == "Wat weet je al?"
    other.context.close()


def test_closed_tab_frees_its_kernel(server, page, open_app):
    """Does closing the tab shut its kernel down (the shutdown beacon is accepted: disable_check_xsrf)?"""
    open_app()
    kernel_id = KERNEL_ID.search(page.content()).group(1)
    pid = server.kernel_pid(kernel_id)
    assert pid is not None
    page.close(run_before_unload=True)  # as a closing tab does: Voilà's beforeunload sends the beacon
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and psutil.pid_exists(pid):
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_explorer(server, page):
    """Does the stappenplan explorer show the steps and filter them by phase?"""
    page.goto(f"{server.url}/voila/render/stappenplan.ipynb")
    page.get_by_text("stappen gevonden").wait_for()
    page.get_by_role("combobox", name="Fase").select_option(label="Evalueer")
    # All phases are shown before filtering, so wait for the other phases to go, not for Evalueer.
    page.get_by_role("heading", name="Analyseer").wait_for(state="detached")
    assert page.get_by_role("heading", name="Evalueer").count() == 1

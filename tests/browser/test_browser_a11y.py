"""Accessibility in real Chromium: axe-core on every screen of our apps, and our own label checks.

axe-core comes with the ``axe-playwright-python`` test dependency (its ``axe.min.js``); nothing is
fetched at test time. The checks run on our apps' part of the page (``.sim-app``), not on Voilà's
own page frame.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sim.ui.player import DOUBLE_CLICK

pytestmark = pytest.mark.browser

# Every control needs a name a screen reader can say: buttons their text, fields a label.
LABELS_JS = """
() => {
  const problems = [];
  const root = document.querySelectorAll('.sim-app');
  for (const app of root) {
    for (const b of app.querySelectorAll('button')) {
      if (!(b.innerText || '').trim() && !b.getAttribute('aria-label')) problems.push('button without text');
    }
    for (const el of app.querySelectorAll('input, select, textarea')) {
      const id = el.id;
      const labelled = el.closest('label') || (id && app.querySelector(`label[for="${id}"]`))
        || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
      if (!labelled) problems.push(`${el.tagName.toLowerCase()}[type=${el.type}] without label`);
    }
  }
  return problems;
}
"""


def axe_source() -> str:
    try:
        import axe_playwright_python
    except ImportError:
        pytest.skip("axe-playwright-python (axe-core) is not installed")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def check(page, where: str) -> list[str]:
    """axe-core violations (serious or critical) and unlabelled controls on the visible screen."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate(
        """async () => {
            const r = await axe.run({include: [['.sim-app']]}, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160))}));
        }"""
    )
    bad = [
        f"{where}: {v['id']} ({v['impact']}): {v['help']} {json.dumps(v['nodes'])}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    bad += [f"{where}: {p}" for p in page.evaluate(LABELS_JS)]
    return bad


def test_every_screen_is_accessible(server, page, open_app, scenario):
    """Do the start screen, the intro, every kind of decision, the pause screen and the debrief pass axe-core?"""
    problems: list[str] = []
    open_app()
    problems += check(page, "start")
    page.get_by_role("button", name="Kies: Een foto in de klassenapp").click()
    page.get_by_role("button", name="Begin het scenario").wait_for()
    problems += check(page, "intro")
    page.get_by_role("button", name="Begin het scenario").click()
    page.locator("#beslispunt").wait_for()
    seen = set()
    for choice in scenario.data.reference:
        title = page.locator("#beslispunt").inner_text()
        node = next(n for n in scenario.data.nodes if n.title == title)
        page.locator("button.sim-confirm:not([disabled])").wait_for()
        if node.kind not in seen:
            seen.add(node.kind)
            problems += check(page, f"play/{node.kind}")
        if node.kind == "keuze":
            idx = [o.id for o in node.options].index(choice)
            page.locator(".sim-options input[type=radio]").nth(idx).check()
        elif node.kind == "meerkeuze":
            for part in choice.split("+"):
                page.get_by_role("checkbox", name=next(o.label for o in node.options if o.id == part)).check()
        elif node.kind == "volgorde":
            page.wait_for_timeout(DOUBLE_CLICK * 1000)  # the order as offered, after reading it
        elif node.kind == "reflectie":
            page.get_by_role("textbox", name="Jouw antwoord").fill("Reflectie")
        if node.id == "omvang":
            page.get_by_role("button", name="Pauzeren").click()
            page.get_by_role("button", name="Verder spelen").wait_for()
            problems += check(page, "pause")
            page.get_by_role("button", name="Verder spelen").click()
            page.locator("button.sim-confirm").wait_for()
            page.locator(".sim-options input[type=radio]").nth(0).check()
        page.locator("button.sim-confirm").click()
        page.wait_for_function(
            "t => document.querySelector('#nabespreking') || document.querySelector('#beslispunt').innerText !== t",
            arg=title,
        )
    page.locator("#nabespreking").wait_for()
    assert seen == {"keuze", "meerkeuze", "volgorde", "reflectie"}
    problems += check(page, "debrief")
    assert problems == [], "\n".join(problems)


def test_explorer_is_accessible(server, page):
    """Does the stappenplan explorer pass axe-core, also with the facts shown?"""
    page.goto(f"{server.url}/voila/render/stappenplan.ipynb")
    page.get_by_text(re.compile("stappen gevonden")).wait_for()
    problems = check(page, "explorer")
    page.get_by_role("checkbox", name="Alleen wat geldt bij deze feiten").check()
    page.get_by_role("combobox", name="Schooltype").wait_for()
    problems += check(page, "explorer/facts")
    assert problems == [], "\n".join(problems)

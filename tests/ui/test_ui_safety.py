"""No raw HTML or script from a scenario file reaches the page."""

from __future__ import annotations

import re
import shutil

import ipywidgets as W
import pytest

from sim.errors import InputErrors
from sim.runs import scenario_dir
from sim.scenario import load_scenario
from sim.ui.common import esc, md, md_inline
from sim.ui.debrief import debrief_body, standalone_html
from sim.ui.player import build_trainer

SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 1">'


def hostile_scenario(folder, text_extra: str = "") -> str:
    """A copy of the klassenapp scenario with script in every place the loader allows it."""
    src = (scenario_dir() / "klassenapp-vo3.yaml").read_text(encoding="utf-8")
    src = src.replace("id: klassenapp-vo3", "id: script-test", 1)
    src = src.replace("title: Een foto in de klassenapp", f"title: 'Test {SCRIPT}'", 1)
    src = src.replace("learning_goals:\n", f"learning_goals:\n  - '{IMG}'\n", 1)
    src = src.replace("discussion:\n", f"discussion:\n  - '{SCRIPT}'\n", 1)
    # In Markdown text raw HTML is refused by the loader; as code or escaped it is allowed and shown as text.
    src = src.replace(
        "Sanne (3 havo, fictief) komt in tranen naar je toe.",
        f"Sanne (3 havo, fictief) komt `{SCRIPT}` in tranen \\<script>alert(1)\\</script> naar je toe.{text_extra}",
        1,
    )
    src = src.replace("    title: Afgerond", f"    title: 'Afgerond {SCRIPT}'", 1)
    path = folder / "script-test.yaml"
    path.write_text(src, encoding="utf-8")
    return str(path)


def all_html(widget) -> str:
    out = []

    def walk(w):
        if isinstance(w, W.HTML):
            out.append(w.value)
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    return "\n".join(out)


def assert_inert(html: str) -> None:
    assert not re.search(r"<script", html, re.IGNORECASE), html[:2000]
    assert not re.search(r"<img", html, re.IGNORECASE)
    assert not re.search(r"\son\w+\s*=", html.replace("&quot;", '"')) or "&lt;img" in html


def test_markdown_drops_raw_html():
    """Does md() show raw HTML as text, drop images and refuse javascript: links?"""
    html = md(f"Hallo {SCRIPT} {IMG} [klik](javascript:alert(1)) ![x](http://example.org/x.png)\n\n<div>blok</div>")
    assert "<script" not in html and "<img" not in html and "<div>" not in html
    assert "&lt;script&gt;" in html and "&lt;div&gt;" in html
    assert 'href="javascript' not in html
    assert "<script" not in md_inline(SCRIPT)
    link = md("[Helpwanted](https://www.helpwanted.nl)")
    assert 'rel="noopener noreferrer"' in link and 'target="_blank"' in link


def test_esc():
    """Does esc() escape tags and quotes?"""
    assert esc('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"


def test_loader_refuses_raw_html_in_text(tmp_path):
    """Is raw HTML in a scenario's Markdown text refused when the file is loaded?"""
    src = (scenario_dir() / "klassenapp-vo3.yaml").read_text(encoding="utf-8")
    src = src.replace("id: klassenapp-vo3", "id: raw-html", 1).replace(
        "Sanne (3 havo, fictief) komt in tranen naar je toe.", f"Sanne {SCRIPT} komt naar je toe.", 1
    )
    path = tmp_path / "raw-html.yaml"
    path.write_text(src, encoding="utf-8")
    with pytest.raises(InputErrors, match="raw HTML is not allowed"):
        load_scenario(path)


def test_script_in_scenario_is_shown_as_text(tmp_path, store, choose):
    """Loaded from a temp file, is a scenario's <script> shown as text on every screen and in the saved file?"""
    folder = tmp_path / "lib"
    folder.mkdir()
    hostile_scenario(folder)
    app = build_trainer(store=store, folder=folder)
    assert_inert(all_html(app))
    assert "Test &lt;script&gt;" in app.cards["script-test"].children[0].value
    app.card_buttons["script-test"].click()
    assert_inert(all_html(app))
    assert "&lt;img src=x onerror" in app.intro_html.value
    app.begin_button.click()
    html = all_html(app)
    assert_inert(html)
    assert "<code>&lt;script&gt;window.__pwned = 1&lt;/script&gt;</code>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for c in app.run.engine.scenario.data.reference:
        choose(app, c if c != "-" else f"Mijn reflectie {SCRIPT}")
        assert_inert(all_html(app))
    assert app.screen_name == "debrief"
    assert "Mijn reflectie &lt;script&gt;" in app.debrief_html.value
    assert "Afgerond &lt;script&gt;" in app.debrief_html.value
    scenario, report = app.run.engine.scenario, app.run.report()
    doc = standalone_html(scenario, report, debrief_body(scenario, app.run.state, report, "oefenen"))
    assert_inert(doc)
    assert "Content-Security-Policy" in doc


def test_script_scenario_copy_is_valid(tmp_path):
    """Is the hostile scenario a valid scenario (so the loader does not hide the test)?"""
    path = hostile_scenario(tmp_path)
    assert load_scenario(path).data.title.startswith("Test <script>")
    shutil.rmtree(tmp_path)

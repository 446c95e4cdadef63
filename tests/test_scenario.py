"""Tests for the scenario format and its authoring checks (sim/scenario.py, sim validate)."""

from __future__ import annotations

import re
import textwrap

import pytest

from sim.cli import main
from sim.errors import InputError, InputErrors
from sim.scenario import has_raw_html, load_scenario
from sim.schemas import check_schemas

HEADER = "# yaml-language-server: $schema=schema/scenario.schema.json\n"
MINI = textwrap.dedent(
    """\
    schema_version: 1
    id: mini
    title: Mini
    summary: Een kort oefenscenario.
    schooltype: vo
    role: mentor
    minutes: 5
    difficulty: 1
    flag: geel
    learning_goals: [Het slachtoffer eerst.]
    content_note: Dit gaat over een verspreide naaktfoto.
    facts: {slachtoffer_eigen_school: true, dader_school: eigen, verspreiding: een-persoon}
    start: a
    nodes:
      - id: a
        title: Begin
        text: Een leerling vertelt iets.
        options:
          - id: luister
            label: Luisteren
            steps: [gesprek-slachtoffer]
            feedback: Goed. Eerst luisteren.
            sources: [{doc: BJM, where: Stap 1}]
            next: b
          - id: kijk
            label: Laten zien
            steps: [bekijk-beeld]
            feedback: Niet doen. Nooit kijken.
            sources: [{doc: SCH, where: De docent}]
            next: b
      - id: b
        title: Verder
        text: En nu?
        kind: meerkeuze
        max: 2
        options:
          - id: omvang
            label: Omvang bepalen
            steps: [bepaal-omvang]
            feedback: Goed. Weet wat er speelt.
            sources: [{doc: HW, where: "1"}]
          - id: wis
            label: Laten verwijderen
            steps: [verzoek-verwijderen]
            feedback: Goed. Weg ermee.
            sources: [{doc: BJM, where: Stap 4}]
        next: einde
    endings:
      - id: einde
        title: Klaar
        text: Afgelopen.
    """
)


def write(tmp_path, text, name="mini.yaml", header=True):
    path = tmp_path / name
    path.write_text((HEADER if header else "") + text, encoding="utf-8")
    return path


def problems(tmp_path, text, **kw):
    path = write(tmp_path, text, **kw)
    with pytest.raises((InputError, InputErrors)) as info:
        load_scenario(path)
    return [str(e) for e in getattr(info.value, "errors", [info.value])]


def test_minimal_scenario_loads(tmp_path):
    """Does a small valid scenario load, with the schema comment and file-name id?"""
    scenario = load_scenario(write(tmp_path, MINI))
    assert scenario.id == "mini" and set(scenario.nodes) == {"a", "b"}


def line_of(text, fragment):
    return (HEADER + text)[: (HEADER + text).index(fragment)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "message", "anchor"),
    [
        (
            "next: b\n      - id: kijk",
            "next: bb\n      - id: kijk",
            "leads to unknown decision point or ending 'bb' (did you mean 'b'?)",
            "next: bb",
        ),
        (
            "steps: [bepaal-omvang]",
            "steps: [bepaal-omvang, bepaal-omvnag]",
            "unknown protocol step 'bepaal-omvnag'",
            "steps: [bepaal-omvang, bepaal",
        ),
        ("text: En nu?", "text: En <b>nu</b>?", "raw HTML is not allowed", "text: En <b>"),
        (
            "facts: {slachtoffer_eigen_school: true,",
            "facts: {slachtoffer_eigen: true, slachtoffer_eigen_school: true,",
            "unknown fact 'slachtoffer_eigen'",
            "facts:",
        ),
        ("    next: einde\n", "", "leads nowhere (dead end)", "  - id: b"),
        ("    max: 2\n", "", "needs `max`", "  - id: b"),
        (
            "next: b\n      - id: kijk",
            "next: b\n        when: onrust > veel\n      - id: kijk",
            "unknown name 'veel'",
            "next: b\n        when",
        ),
    ],
)
def test_authoring_errors_are_located(tmp_path, old, new, message, anchor):
    """Does each authoring mistake give 'path:line:col: message' on the right line?"""
    text = MINI.replace(old, new, 1)
    assert text != MINI
    found = problems(tmp_path, text)
    hit = [p for p in found if message in p]
    assert hit, found
    assert re.match(r"^.+mini\.yaml:\d+:\d+: ", hit[0])
    line = int(hit[0].split(":")[1])
    assert abs(line - line_of(text, anchor)) <= 1, (hit[0], line_of(text, anchor))


def test_unreachable_and_loop_without_way_out(tmp_path):
    """Are an unreachable decision point and a loop with no way to an ending both reported?"""
    loop = MINI.replace("next: einde\n", "next: a\n").replace(
        "endings:\n",
        "  - id: eiland\n    title: Eiland\n    text: Hier komt niemand.\n    options:\n"
        "      - {id: x, label: X, feedback: Niets. Echt niets., sources: [{doc: BJM, where: x}], next: einde}\n"
        "endings:\n",
    )
    found = problems(tmp_path, loop)
    assert any("decision point 'eiland' cannot be reached" in p for p in found)
    assert any("'a' is in a loop with no way out" in p for p in found)


def test_option_without_feedback_is_an_error(tmp_path):
    """Is an option with empty feedback refused?"""
    found = problems(tmp_path, MINI.replace("feedback: Goed. Weg ermee.", 'feedback: ""'))
    assert any("feedback" in p for p in found)


def test_missing_schema_comment_is_reported(tmp_path, capsys):
    """Does `sim validate` require the yaml-language-server schema comment (exit 1)?"""
    path = write(tmp_path, MINI, header=False)
    assert main(["validate", str(path)]) == 1
    assert f"{path}:1:1: a scenario file starts with" in capsys.readouterr().err


def test_validate_lists_every_problem(tmp_path, capsys):
    """Does `sim validate` report several problems of one file at once, each located?"""
    text = MINI.replace("steps: [bepaal-omvang]", "steps: [onbekend-a]").replace(
        "steps: [verzoek-verwijderen]", "steps: [onbekend-b]"
    )
    path = write(tmp_path, text)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert sum("unknown protocol step" in e for e in err) == 2
    assert all(re.match(r"^\S+:\d+:\d+: ", e) for e in err[:-1])


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "tekst <img src=x onerror=alert(1)>", "<!-- x -->"])
def test_raw_html_detection(text):
    """Is every form of raw HTML (block, inline, comment) detected in Markdown?"""
    assert has_raw_html(text)
    assert not has_raw_html("Gewone **Markdown** met 3 < 4 en een [link](https://example.org).")


def test_committed_json_schemas_match_the_models():
    """Is the JSON Schema under scenarios/schema (and protocols/schema) generated from the current models?"""
    assert check_schemas() == [], "run: python -m sim schema"


def test_choice_parts_reads_every_kind_of_stored_choice():
    """Are the option ids of a stored choice read by the decision's kind (reflection text names none)?"""
    from sim.scenario import choice_parts

    assert choice_parts("keuze", "melden") == ["melden"]
    assert choice_parts("meerkeuze", "zorg+protocol") == ["zorg", "protocol"]
    assert choice_parts("volgorde", "b>a>c") == ["b", "a", "c"]
    assert choice_parts("reflectie", "Ik zou eerst + dan > dat") == []

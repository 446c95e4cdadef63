"""Tests for the protocol file and school profiles (sim/protocol.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.protocol import DEFAULT_PROTOCOL, load_protocol

SHARED = Path(__file__).resolve().parents[2] / "shared"
CATALOGUE = SHARED / "protocol-catalogue.md"
SEEDS = SHARED / "seeds"


def catalogue_ids():
    """Every step id in the catalogue's tables and lists (kebab-case in backticks), minus fact values."""
    text = CATALOGUE.read_text(encoding="utf-8")
    ids = set(re.findall(r"`([a-z]+(?:-[a-z]+)+)`", text))
    values = {"een-persoon", "meerdere-klassen", "buiten-school"}
    return ids - values


@pytest.mark.skipif(not CATALOGUE.exists(), reason="shared/ is not beside the checkout")
def test_every_catalogue_id_is_in_the_protocol(protocol):
    """Is every binding id of protocol-catalogue.md a step of the protocol file?"""
    ids = catalogue_ids()
    assert len(ids) >= 50
    assert ids - set(protocol.steps) == set()


def test_every_step_cites_a_seed_document(protocol):
    """Does every step cite at least one source, and does every source key name a real file?"""
    files = {key: doc.file for key, doc in protocol.data.sources.items()}
    for step in protocol.steps.values():
        assert step.sources, step.id
        assert any(files[ref.doc].endswith(".txt") or files[ref.doc] == "domain-notes.md" for ref in step.sources)
    if SEEDS.exists():
        for key, name in files.items():
            assert (SEEDS / name).exists() or (SHARED / name).exists(), (key, name)


def test_harmful_steps_and_phases(protocol):
    """Are the ten never-do steps harmful with points, and every step in one of the five phases?"""
    harmful = {s.id for s in protocol.steps.values() if s.kind == "schadelijk"}
    assert harmful == {
        "bekijk-beeld",
        "laat-beeld-doorsturen",
        "schuld-bij-slachtoffer",
        "sanctie-slachtoffer",
        "naam-in-brief",
        "ouders-buiten-leerling-om",
        "afwachten",
        "doorzoek-telefoon",
        "beloof-geheimhouding",
        "suggestieve-vragen",
    }
    assert protocol.phase_ids == ["analyseer", "reageer", "faciliteer", "activeer", "evalueer"]
    assert all(protocol.steps[h].points >= 20 for h in harmful)


def test_differences_are_data(protocol):
    """Are the five points where the sources differ present, each with two or more cited positions?"""
    ids = {d.id for d in protocol.data.differences}
    assert ids == {
        "ouders-informeren",
        "verwijderen-of-melden",
        "sancties-of-herstel",
        "strafbaarheid-sexting",
        "wijkagent-altijd",
    }
    for diff in protocol.data.differences:
        assert len({p.source.doc for p in diff.positions}) >= 2


def test_profile_overlays_the_protocol(protocol, school_protocol):
    """Does school-001 make the safety coordinator required, add its steps and drop report-before-delete?"""
    assert not protocol.steps["betrek-veiligheidscoordinator"].required
    assert school_protocol.steps["betrek-veiligheidscoordinator"].required
    assert set(school_protocol.steps) - set(protocol.steps) >= {
        "contact-thuis-verspreider",
        "notitie-dossier-verspreider",
    }
    assert "volgorde-melden-voor-verwijderen" not in {r.id for r in school_protocol.rules.order}
    assert school_protocol.profile.id == "school-001"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_protocol_errors_name_file_line_and_suggestion(tmp_path):
    """Does a misspelt phase in a copy of the protocol give path:line:col with a suggestion?"""
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    broken = text.replace("phase: reageer", "phase: reageeer", 1)
    path = write(tmp_path, "p.yaml", broken)
    with pytest.raises(InputError) as info:
        load_protocol(path)
    line = broken[: broken.index("phase: reageeer")].count("\n") + 1
    assert info.value.line == line
    assert "did you mean 'reageer'" in str(info.value)


def test_unknown_profile_is_a_clear_error():
    """Does asking for a profile that does not exist name it and suggest the nearest?"""
    with pytest.raises(InputError) as info:
        load_protocol(profile="school-01")
    assert "school-001" in str(info.value)

"""Scenario cards: read from the file headers, cached by file stamp."""

from __future__ import annotations

import json
import shutil

from sim.runs import scenario_dir
from sim.ui.catalogue import Card, load_catalogue


def test_cards_are_cached_and_refreshed(tmp_path):
    """Is the cache used when a file is unchanged and refreshed when it changes?"""
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(scenario_dir() / "klassenapp-vo3.yaml", lib)
    cache = tmp_path / "cards.json"
    first = load_catalogue(lib, cache)
    assert [c.id for c in first] == ["klassenapp-vo3"] and cache.exists()
    assert first[0].title == "Een foto in de klassenapp" and first[0].minutes == 20
    data = json.loads(cache.read_text())
    key = next(iter(data))
    data[key]["card"]["title"] = "uit de cache"
    cache.write_text(json.dumps(data))
    assert load_catalogue(lib, cache)[0].title == "uit de cache"
    path = lib / "klassenapp-vo3.yaml"
    path.write_text(path.read_text() + "\n")
    assert load_catalogue(lib, cache)[0].title == "Een foto in de klassenapp"


def test_unreadable_file_is_left_out(tmp_path):
    """Is a broken file left out (logged), the rest shown?"""
    shutil.copy(scenario_dir() / "klassenapp-vo3.yaml", tmp_path)
    (tmp_path / "zz-kapot.yaml").write_text("id: [\n")
    cards = load_catalogue(tmp_path, tmp_path / "cards.json")
    assert [c.id for c in cards] == ["klassenapp-vo3"]
    assert isinstance(cards[0], Card)


def test_every_library_card_matches_its_scenario(tmp_path):
    """Does every card of the library agree with the fully loaded scenario (validity is test_library's job)?"""
    from sim.errors import InputError, InputErrors
    from sim.scenario import load_scenario

    for card in load_catalogue(scenario_dir(), tmp_path / "cards.json"):
        try:
            s = load_scenario(card.path)
        except (InputError, InputErrors):
            continue
        assert card == Card.of(s)

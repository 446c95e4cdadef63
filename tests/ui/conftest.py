"""Fixtures for widget tests without a browser: a store in a temporary folder and a trainee app."""

from __future__ import annotations

import pytest

from sim.runs import scenario_by_id
from sim.store import Store

SCENARIO = "klassenapp-vo3"


@pytest.fixture(scope="session")
def _library_cards(tmp_path_factory):
    from sim.ui.catalogue import load_catalogue

    return load_catalogue(cache=tmp_path_factory.mktemp("cards") / "cards.json")


@pytest.fixture(autouse=True)
def _cards_once(_library_cards, monkeypatch):
    """Parse the library's card headers once per session (YAML parsing is slow); other folders as usual."""
    import sim.ui.player as player
    from sim.ui.catalogue import load_catalogue

    monkeypatch.setattr(
        player, "load_catalogue", lambda folder=None: list(_library_cards) if folder is None else load_catalogue(folder)
    )


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SIM_DATABASE_URL", raising=False)
    return Store(f"sqlite:///{tmp_path / 'sim.db'}")


@pytest.fixture
def scenario():
    return scenario_by_id(SCENARIO)


@pytest.fixture
def app(store):
    from sim.ui.player import build_trainer

    return build_trainer(store=store)


def apply_choice(app, choice: str) -> None:
    """Set the decision widgets to a choice written as for `sim play --choices`, then confirm."""
    node = app.run.engine.node(app.run.state)
    if node.kind == "keuze":
        app.radio.value = choice
    elif node.kind == "meerkeuze":
        wanted = set(choice.split("+"))
        for cb, opt in zip(app.checks, app._options, strict=False):
            cb.value = opt.id in wanted
    elif node.kind == "volgorde":
        for pos, oid in enumerate(choice.split(">")):
            app.order_select.value = oid
            while app._order.index(oid) > pos:
                app.up_button.click()
            while app._order.index(oid) < pos:
                app.down_button.click()
    else:
        app.reflection_text.value = choice
    app.confirm_button.click()


@pytest.fixture
def choose():
    return apply_choice

"""The scenario cards of the start screen, read cheaply and cached (no widgets here).

Loading every scenario in every trainee kernel would cost memory and start-up time for scenarios
nobody plays there: the start screen needs only each file's header (title, school type, role,
minutes, difficulty, flag, summary), and a scenario is loaded and checked in full when it is chosen.
Parsing YAML is slow (≈0.2 s a file), so the cards are cached in the data folder (``cards.json``) by
file, size and modification time; the server fills the cache when it starts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim import data_dir, write_atomic
from sim.runs import scenario_dir
from sim.scenario import Scenario, scenario_files

log = logging.getLogger("sim.ui")


@dataclass(frozen=True)
class Card:
    """What the start screen shows of a scenario; the scenario itself is loaded when it is chosen."""

    id: str
    path: str
    title: str
    summary: str
    schooltype: str
    role: str
    minutes: int
    difficulty: int
    flag: str
    content_note: str = ""
    learning_goals: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, scenario: Scenario) -> Card:
        """The card of a loaded scenario."""
        d = scenario.data
        return cls(
            d.id,
            scenario.path,
            d.title,
            d.summary,
            d.schooltype,
            d.role,
            d.minutes,
            d.difficulty,
            d.flag,
            d.content_note,
            tuple(d.learning_goals),
        )


def _read_card(path: Path) -> Card:
    from sim.yamlio import cached_tree

    d = cached_tree(path)  # parsed once for the cards and for the kernels that load the scenario
    return Card(
        str(d["id"]),
        str(path),
        str(d["title"]),
        str(d.get("summary", "")),
        str(d["schooltype"]),
        str(d["role"]),
        int(d["minutes"]),
        int(d["difficulty"]),
        str(d["flag"]),
        str(d.get("content_note", "")),
        tuple(str(g) for g in d.get("learning_goals") or ()),
    )


def cards_cache_path() -> Path:
    """Where the scenario cards are cached: ``cards.json`` in the data folder."""
    return data_dir() / "cards.json"


def load_catalogue(folder: str | Path | None = None, cache: Path | None = None) -> list[Card]:
    """The cards of the library in ``folder`` (safe YAML headers, cached; no full check).

    A file that cannot be read is logged and left out rather than breaking the app.
    """
    cache = cache or cards_cache_path()
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = {}
    out: list[Card] = []
    fresh: dict[str, Any] = {}
    for path in scenario_files(folder or scenario_dir()):
        try:
            st = path.stat()
            key = str(path.resolve())
            stamp = [st.st_mtime_ns, st.st_size]
            hit = cached.get(key)
            if isinstance(hit, dict) and hit.get("stamp") == stamp:
                card = Card(**{**hit["card"], "learning_goals": tuple(hit["card"]["learning_goals"])})
            else:
                card = _read_card(path)
            fresh[key] = {"stamp": stamp, "card": {**card.__dict__, "learning_goals": list(card.learning_goals)}}
            out.append(card)
        except Exception:  # noqa: BLE001 - one bad file must not take the app down
            log.warning("scenario %s cannot be read; left out of the list", path, exc_info=True)
    if any(cached.get(k) != v for k, v in fresh.items()):
        try:
            write_atomic(cache, json.dumps({**cached, **fresh}, ensure_ascii=False))
        except OSError:
            log.warning("cannot write the card cache %s", cache)
    return out


def load_library(folder: str | Path | None = None) -> list[Scenario]:
    """Every scenario in ``folder`` loaded and checked in full; a broken file is logged and left out."""
    from sim.scenario import load_scenario

    out = []
    for path in scenario_files(folder or scenario_dir()):
        try:
            out.append(load_scenario(path))
        except Exception:  # noqa: BLE001 - one bad file must not take an app down
            log.warning("scenario %s does not load; left out", path, exc_info=True)
    return out

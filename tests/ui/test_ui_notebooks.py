"""The Voilà notebooks are thin: a few cells that build one app, no `def`, outputs stripped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_thin_and_stripped(path):
    """Are the cells few, without `def`, and without outputs or execution counts?"""
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert 1 <= len(code) <= 3
    for cell in code:
        src = "".join(cell["source"])
        assert "def " not in src and "class " not in src
        assert cell.get("outputs") == [] and cell.get("execution_count") is None
        assert "from sim.ui." in src or "trainer." in src


def test_the_apps_are_there():
    """Are the trainee app and the stappenplan explorer both served?"""
    assert {p.name for p in NOTEBOOKS} >= {"trainer.ipynb", "stappenplan.ipynb"}

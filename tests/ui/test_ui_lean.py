"""The trainee's kernel stays lean: the player imports no pandas, plotly, database toolkit or Voilà server code."""

from __future__ import annotations

import json
import subprocess
import sys

CHECK = """
import json, sys
import sim.ui.player
app = sim.ui.player.build_trainer()
app.read_request()
app.card_buttons["klassenapp-vo3"].click()
app.begin_button.click()
for choice in app.run.engine.scenario.data.reference:
    app.choose(choice.split("+") if "+" in choice else choice.split(">") if ">" in choice else choice)
assert app.screen_name == "debrief", app.screen_name
heavy = ("pandas", "plotly", "pyarrow", "voila", "jupyter_server", "numpy", "sqlalchemy", "psycopg", "ruamel")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def test_player_imports_nothing_heavy(tmp_path):
    """Does a kernel that builds the trainee app and plays to the debrief (SQLite) import none of pandas, plotly,
    SQLAlchemy, psycopg, Voilà's server, or ruamel (once the first kernel has filled the parse cache)?"""
    runs = [
        subprocess.run(
            [sys.executable, "-c", CHECK],
            capture_output=True,
            text=True,
            check=True,
            env={"SIM_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        )
        for _ in range(2)
    ]
    assert json.loads(runs[0].stdout.strip().splitlines()[-1]) == ["ruamel"]  # the first one parsed the YAML
    assert json.loads(runs[1].stdout.strip().splitlines()[-1]) == []

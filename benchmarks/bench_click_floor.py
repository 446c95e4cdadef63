"""What a decision's click costs in Voilà before any app logic: the floor for "click → next screen".

Run: ``.venv/bin/python benchmarks/bench_click_floor.py [--rounds N]`` (``make bench`` runs it).

Three one-cell notebooks, served and clicked like ``bench_trainee_app.py`` (same server launcher,
same MutationObserver measurement, 0.3 s of quiet before each click), each click doing a little more
of what a trainee's decision has to do on screen, without engine, store or HTML rendering:

The notebooks are ``_voila_bench.CELLS``:

1. ``floor``: one text changes (the floor of the trainee-app benchmark).
2. ``narrative``: the text is replaced by a real play-screen narrative (≈2.7 KB of HTML).
3. ``decision``: new radio options (one update), then the narrative, then the focus moves to the
   options: the least a keuze after a keuze sends.

Prints the medians and each ratio to the floor. The trainee app cannot click faster than
``decision`` with standard ipywidgets, whatever its Python does; its target of 1.2x the floor is
compared with that in docs/trainee-app.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _voila_bench import CELLS, floor_clicks, wait_quiet, write_notebook  # noqa: E402

from sim.ui.server import CHROMIUM, CHROMIUM_ARGS, VoilaServer  # noqa: E402


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="page loads per notebook, 5 clicks each (default 3)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-click-floor-"))
    folder = tmp / "notebooks"
    folder.mkdir()
    for name, source in CELLS.items():
        write_notebook(folder, name, source)
    clicks: dict[str, list[float]] = {name: [] for name in CELLS}
    server = VoilaServer(folder, data_dir=tmp / "data", pools={"default": 1}, fill_delay=0, expect_pools=len(CELLS))
    with server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for i in range(args.rounds):
            for name in CELLS if i % 2 == 0 else reversed(CELLS):
                wait_quiet(server)
                context = browser.new_context()
                page = context.new_page()
                page.goto(f"{server.url}/voila/render/{name}.ipynb")
                page.get_by_role("button", name="Klik").wait_for()
                clicks[name] += floor_clicks(page)
                context.close()
        browser.close()
    floor = statistics.median(clicks["floor"])
    print(f"Click -> next screen in Voilà, {args.rounds} page loads x 5 clicks per notebook, medians")
    for name, values in clicks.items():
        med = statistics.median(values)
        print(f"{name:10} {med:6.1f} ms   ratio to floor {med / floor:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

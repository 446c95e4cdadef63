"""Tests for the training-day commands of the CLI: sessions, purge, export, nabespreking, studiedag."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sim.cli import main
from sim.groupsim import play_group
from sim.runs import scenario_by_id
from sim.store import Store
from sim.studiedag import http_get
from sim.ui.server import free_port

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "klassenapp-vo3"


@pytest.fixture
def data(tmp_path, monkeypatch):
    """SIM_DATA_DIR in a temporary folder, with two sessions (one played)."""
    monkeypatch.delenv("SIM_DATABASE_URL", raising=False)
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path / "data"))
    store = Store()
    played = store.create_session([SCENARIO], "Studiedag maart")
    empty = store.create_session([SCENARIO, "mbo-website"], "Leeg")
    play_group(store, played, scenario_by_id(SCENARIO), 3, seed=1, prefix="Anna")
    yield store, played, empty
    store.dispose()


def run(capsys, *args, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_sessions_lists_codes_and_counts(data, capsys):
    """Does `sim sessions` list every session with participants, runs and finished runs?"""
    _, played, empty = data
    code, out, err = run(capsys, "sessions")
    assert code == 0 and err == ""
    line = next(x for x in out.splitlines() if x.startswith(played))
    assert line.split()[3:6] == ["3", "3", "3"] and "Studiedag maart" in line
    assert any(x.startswith(empty) for x in out.splitlines())
    code, out, _ = run(capsys, "sessions", "--json")
    rows = {r["code"]: r for r in json.loads(out)}
    assert rows[played]["participants"] == 3 and rows[empty]["scenarios"] == [SCENARIO, "mbo-website"]


def test_sessions_when_there_are_none(tmp_path, monkeypatch, capsys):
    """Does `sim sessions` say in Dutch that there are none?"""
    monkeypatch.delenv("SIM_DATABASE_URL", raising=False)
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path))
    code, out, _ = run(capsys, "sessions")
    assert code == 0 and "Geen sessies" in out


def test_purge_asks_first(data, capsys, monkeypatch):
    """Does `sim purge` delete nothing unless the answer is 'ja'?"""
    store, played, _ = data
    code, out, _ = run(capsys, "purge", played, stdin="nee\n", monkeypatch=monkeypatch)
    assert code == 1 and "Niets verwijderd" in out and store.session(played) is not None
    code, out, _ = run(capsys, "purge", played.lower(), stdin="ja\n", monkeypatch=monkeypatch)
    assert code == 0 and "3 deelnemers, 3 runs" in out
    assert store.session(played) is None and store.session_runs(played) == []


def test_purge_yes_and_unknown(data, capsys):
    """Does --yes skip the question, and does an unknown code give exit code 2 and a Dutch message?"""
    store, _, empty = data
    code, out, _ = run(capsys, "purge", empty, "--yes")
    assert code == 0 and store.session(empty) is None
    code, _, err = run(capsys, "purge", "QQQQQQ", "--yes")
    assert code == 2 and "Onbekende sessie" in err


@pytest.mark.parametrize(
    "fmt,suffixes", [("csv", {".csv"}), ("parquet", {".parquet"}), ("beide", {".csv", ".parquet"})]
)
def test_export_formats(data, capsys, tmp_path, fmt, suffixes):
    """Does `sim export CODE --out DIR --format F` write the runs and decisions in that format?"""
    _, played, _ = data
    code, out, _ = run(capsys, "export", played, "--out", str(tmp_path / "x"), "--format", fmt)
    files = sorted((tmp_path / "x").iterdir())
    assert code == 0 and {f.suffix for f in files} == suffixes and len(files) == 2 * len(suffixes)
    assert out.count("geschreven:") == len(files)
    for f in files:
        assert b"Anna" not in f.read_bytes()


def test_export_unknown_session(data, capsys, tmp_path):
    """Is an unknown session an error with exit code 2?"""
    code, _, err = run(capsys, "export", "QQQQQQ", "--out", str(tmp_path))
    assert code == 2 and "Export mislukt" in err


def test_nabespreking_writes_html_and_pdf(data, capsys, tmp_path):
    """Does `sim nabespreking CODE --out DIR --notes F` write the review as HTML and PDF with the notes?"""
    _, played, _ = data
    notes = tmp_path / "afspraken.txt"
    notes.write_text("Wij spreken af: eerst de zorgcoördinator bellen.", encoding="utf-8")
    code, out, _ = run(capsys, "nabespreking", played, "--out", str(tmp_path / "v"), "--notes", str(notes))
    assert code == 0
    html = (tmp_path / "v" / f"nabespreking-{played}.html").read_text(encoding="utf-8")
    assert "Wat ging goed?" in html and "eerst de zorgcoördinator bellen" in html
    assert (tmp_path / "v" / f"nabespreking-{played}.pdf").read_bytes().startswith(b"%PDF")


def test_studiedag_plan_without_starting(data):
    """Does the plan create a session, reuse one by code, and require a key when the dashboard is on the network?"""
    from sim.studiedag import make_plan, server_commands

    store, played, _ = data
    plan = make_plan(store, [SCENARIO], title="Dag", trainees=5)
    assert store.session(plan.code)["scenarios"] == [SCENARIO] and plan.key is None
    assert plan.trainee_url.endswith(f":8866/?sessie={plan.code}") and plan.dashboard_url == "http://127.0.0.1:8867/"
    trainees, dashboard = server_commands(plan)
    assert "--Voila.ip=0.0.0.0" in trainees and "--RoomVoila.trainees=5" in trainees
    assert "--Voila.ip=127.0.0.1" in dashboard and "facilitator" in dashboard
    reused = make_plan(store, [], code=played.lower(), dashboard_host="0.0.0.0")
    assert reused.code == played and reused.key and len(reused.key) >= 16
    assert f"--Voila.token={reused.key}" in server_commands(reused)[1]
    assert f"?token={reused.key}" in reused.dashboard_url


def test_studiedag_unknown_scenario_or_code(data, capsys):
    """Are an unknown scenario and an unknown session code refused before anything starts?"""
    code, _, err = run(capsys, "studiedag", "--scenario", "bestaat-niet")
    assert code == 2 and "bestaat-niet" in err
    code, _, err = run(capsys, "studiedag", "--code", "QQQQQQ")
    assert code == 2 and "QQQQQQ" in err


def _status(url: str) -> int:
    return http_get(url, timeout=10)[0]


@pytest.mark.slow
def test_studiedag_starts_both_servers_and_stops_on_ctrl_c(tmp_path):
    """Does `sim studiedag` print both addresses, serve the app and the dashboard, hide the dashboard from
    the trainees' server, and stop both on Ctrl-C?"""
    env = {**os.environ, "SIM_DATA_DIR": str(tmp_path / "data")}
    env.pop("SIM_DATABASE_URL", None)
    port, dport = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "studiedag", "--scenario", SCENARIO, "--deelnemers", "1",
         "--host", "127.0.0.1", "--port", str(port), "--dashboard-port", str(dport), "--logs", str(tmp_path / "logs")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Stoppen: Ctrl-C"):
                break
        text = "".join(lines)
        assert "Studiedag staat klaar." in text, text
        assert f"http://127.0.0.1:{port}/?sessie=" in text and f"http://127.0.0.1:{dport}/" in text
        code = text.split("Sessiecode:")[1].split()[0]
        assert _status(f"http://127.0.0.1:{port}/voila/render/trainer.ipynb?sessie={code}") == 200
        assert _status(f"http://127.0.0.1:{dport}/") == 200
        for path in ("voila/render/facilitator.ipynb", "voila/render/./facilitator.ipynb", "voila/tree"):
            assert _status(f"http://127.0.0.1:{port}/{path}") == 404, path
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "Gestopt." in rest
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for p in (port, dport):
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{p}/", timeout=3)

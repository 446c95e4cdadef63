"""Tests for the command line (sim/cli.py): score, validate, explore, play, and bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "incident-voorbeeld.yaml"
LOCATED = re.compile(r"^\S+:\d+:\d+: .+$")


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_score_prints_a_dutch_report(capsys):
    """Does `sim score` print the score, the phases and findings with sources in Dutch?"""
    code, out, err = run(capsys, "score", str(EXAMPLE))
    assert code == 0 and err == ""
    assert out.startswith("Score: ")
    for word in ("Analyseer", "Gemist:", "Bron: 003_8415e7536f4987af.txt", "Te laat"):
        assert word in out


def test_score_json_has_the_documented_shape(capsys):
    """Does `--json` print one object with score, phases and findings as the issue specifies?"""
    code, out, _ = run(capsys, "score", str(EXAMPLE), "--json")
    data = json.loads(out)
    assert code == 0
    assert 0 <= data["score"] <= 100
    assert set(data["phases"]) == {"analyseer", "reageer", "faciliteer", "activeer", "evalueer"}
    kinds = {f["kind"] for f in data["findings"]}
    assert kinds <= {"missing", "harmful", "order", "late", "disproportionate"} and "missing" in kinds
    for f in data["findings"]:
        assert f["action"] and f["message"] and f["sources"]
        if f["kind"] == "order":
            assert f["after"]
    assert data["score"] == pytest.approx(max(0, 100 - sum(f["points"] for f in data["findings"])), abs=0.05)


def test_profile_option_is_used_and_reported(capsys):
    """Does --profile school-001 change the result and appear in the report?"""
    _, plain, _ = run(capsys, "score", str(EXAMPLE), "--json")
    _, school, _ = run(capsys, "score", str(EXAMPLE), "--json", "--profile", "school-001")
    assert json.loads(plain)["profile"] is None
    assert json.loads(school)["profile"] == "school-001"
    assert json.loads(school)["score"] < json.loads(plain)["score"]


BAD = {
    "unknown-action": (
        "facts: {slachtoffer_eigen_school: true, dader_school: eigen, verspreiding: klas}\n"
        "timeline:\n  - {at: 1, action: gesprek-slachtofer}\n",
        r":3:\d+: unknown action 'gesprek-slachtofer' \(did you mean 'gesprek-slachtoffer'\?\)",
    ),
    "wrong-type": (
        "facts: {slachtoffer_eigen_school: true, dader_school: eigen, verspreiding: klas}\n"
        "timeline:\n  - {at: gisteren, action: bepaal-omvang}\n",
        r":3:\d+: timeline\.0\.at: .*'gisteren'",
    ),
    "unknown-fact": (
        "facts: {slachtoffer_eigen_school: true, dader_school: eigen, verspreiding: klas, verspreid: x}\n"
        "timeline: []\n",
        r":1:\d+: unknown fact 'verspreid' \(did you mean 'verspreiding'\?\)",
    ),
    "bad-fact-value": (
        "facts: {slachtoffer_eigen_school: true, dader_school: eigen, verspreiding: overal}\ntimeline: []\n",
        r":1:\d+: fact 'verspreiding' cannot be 'overal'",
    ),
    "duplicate-key": ("facts: {}\nfacts: {}\ntimeline: []\n", r":2:\d+: invalid YAML: duplicate key"),
    "malformed": ("facts: {slachtoffer_eigen_school: true\ntimeline: [\n", r":\d+:\d+: invalid YAML"),
    "alias-bomb": (
        "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]\n",
        r":1:\d+: YAML anchors",
    ),
    "missing-fact": ("facts: {slachtoffer_eigen_school: true}\ntimeline: []\n", r":1:\d+: missing fact 'dader_school'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_located_message(tmp_path, capsys, case):
    """Does every kind of bad incident log give exit 2 and one line 'path:line:col: problem'?"""
    text, pattern = BAD[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "score", str(path))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and LOCATED.match(lines[0]), err
    assert lines[0].startswith(str(path)) and re.search(pattern, lines[0]), lines[0]


def test_huge_file_is_refused(tmp_path, capsys):
    """Is a 3 MB incident log refused with a clear message instead of being parsed?"""
    path = tmp_path / "huge.yaml"
    path.write_text("timeline:\n" + "  - {at: 1, action: bepaal-omvang}\n" * 90000, encoding="utf-8")
    code, _, err = run(capsys, "score", str(path))
    assert code == 2 and "too large" in err


def test_validate_defaults_and_reports_problems(tmp_path, capsys):
    """Does `sim validate` pass the repository's files and fail (exit 1) on a broken profile?"""
    code, out, _ = run(capsys, "validate")
    assert code == 0 and out.startswith("ok:")
    bad = tmp_path / "profiles"
    bad.mkdir()
    text = (ROOT / "protocols" / "profiles" / "school-001.yaml").read_text(encoding="utf-8")
    (bad / "kapot.yaml").write_text(
        text.replace("protocol: stappenplan-sexting", "protocol: stappenplan-sexting\nextra: 1"), encoding="utf-8"
    )
    code, _, err = run(capsys, "validate", str(bad / "kapot.yaml"))
    assert code == 1 and "unknown field 'extra'" in err and LOCATED.match(err.splitlines()[0])


def test_module_and_console_script_both_work():
    """Do `python -m sim` and the `sim` console script both run?"""
    result = subprocess.run(
        [sys.executable, "-m", "sim", "score", str(EXAMPLE), "--json"], capture_output=True, text=True
    )
    assert result.returncode == 0 and json.loads(result.stdout)["score"] >= 0
    script = shutil.which("sim", path=str(Path(sys.executable).parent))
    assert script, "the sim console script is not installed in this environment"
    result = subprocess.run([script, "validate"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_play_and_explore_json(capsys):
    """Do `sim play --choices --json` and `sim explore --json` print the documented objects?"""
    from sim.scenario import load_scenario

    ref = load_scenario(ROOT / "scenarios" / "klassenapp-vo3.yaml").data.reference
    code, out, _ = run(capsys, "play", "klassenapp-vo3", "--choices", ",".join(ref), "--json")
    played = json.loads(out)
    assert code == 0 and played["ending"] and played["report"]["score"] >= 85
    assert played["choices"] == ref
    code, out, _ = run(capsys, "explore", "klassenapp-vo3", "--json", "--limit", "500")
    data = json.loads(out)
    assert code == 0 and data["paths"] > 0
    assert {"paths", "endings", "best", "worst", "steps"} <= set(data)
    assert data["best"]["score"] >= data["worst"]["score"]
    assert isinstance(data["best"]["choices"], list) and "gesprek-slachtoffer" in data["steps"]


def test_play_refuses_an_impossible_choice(capsys):
    """Does a wrong option id give exit 2 and name the options that exist?"""
    code, _, err = run(capsys, "play", "klassenapp-vo3", "--choices", "bestaat-niet")
    assert code == 2 and "luisteren" in err

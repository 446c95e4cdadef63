"""Fuzzed bad input (hypothesis): thousands of malformed files, and never a traceback.

Every loader must either succeed or raise :class:`InputError`/:class:`InputErrors` whose text has the
form ``path:line:col: message``.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import InputError, InputErrors
from sim.incident import load_incident
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
GOOD_LOG = """\
profile: school-001
facts: {slachtoffer_eigen_school: true, dader_bekend: true, dader_school: eigen, verspreiding: klas}
timeline:
  - {at: 0.5, action: gesprek-slachtoffer, by: mentor}
  - {at: 2, action: bel-ouders-slachtoffer, note: "na het gesprek"}
  - at: 3
    action: bepaal-omvang
"""
SCENARIO = (ROOT / "scenarios" / "klassenapp-vo3.yaml").read_text(encoding="utf-8")
LOCATED = re.compile(r"^[^\n]+:\d+:\d+: \S")
TOKENS = [
    ":",
    "-",
    " ",
    "\n",
    "{",
    "}",
    "[",
    "]",
    "&a",
    "*a",
    "!!python/object:os.system",
    "'",
    '"',
    "#",
    "\t",
    "true",
    "gisteren",
    "-1",
    "1e400",
    "null",
    "~",
    "<<: *a",
    "%YAML 1.1\n",
    "---\n",
    "\x00",
    "\ufeff",
    "é",
]


def mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    for pos, cut, insert in edits:
        pos %= max(1, len(text))
        text = text[:pos] + insert + text[pos + cut :]
    return text


EDITS = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 12), st.sampled_from(TOKENS) | st.text(max_size=6)),
    min_size=1,
    max_size=6,
)


def check(loader, text: str) -> None:
    try:
        loader(text)
    except InputError as exc:
        assert LOCATED.match(str(exc)), str(exc)
    except InputErrors as exc:
        assert exc.errors
        for err in exc.errors:
            assert LOCATED.match(str(err)), str(err)


def load_log(text: str) -> None:
    load_incident("fuzz.yaml", text=text)


def load_scen(text: str) -> None:
    load_scenario("scenarios/klassenapp-vo3.yaml", text=text)


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_mutated_incident_logs_never_crash(edits):
    """Do 2500 mutated incident logs all load or fail with a located message?"""
    check(load_log, mutate(GOOD_LOG, edits))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["profile", "facts", "timeline", "at", "action", "by", "note", "verspreiding", "x"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_random_structures_as_incident_logs_never_crash(tree):
    """Do 1000 random YAML structures (any shape, any type) fail cleanly as incident logs?"""
    import io

    from ruamel.yaml import YAML

    buf = io.StringIO()
    YAML(typ="safe", pure=True).dump(tree, buf)
    check(load_log, buf.getvalue())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_mutated_scenarios_never_crash(edits):
    """Do 400 mutated copies of a real scenario all load or fail with located messages?"""
    check(load_scen, mutate(SCENARIO, edits))

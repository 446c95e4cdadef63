"""Tests for the facilitator's aggregation (sim/dashboard.py): its numbers against the store's."""

from __future__ import annotations

import json
import random

import pytest

from sim.dashboard import SessionDashboard, store_counts, view_counts
from sim.groupsim import bulk_runs, play_group, random_choice
from sim.runs import SavedRun, scenario_by_id
from sim.store import StoreError

SCENARIO = "klassenapp-vo3"


@pytest.fixture(scope="module")
def scenario():
    return scenario_by_id(SCENARIO)


@pytest.fixture
def session(store, scenario):
    """A session with 6 finished and 3 unfinished runs; pseudonyms that must never show."""
    code = store.create_session([SCENARIO], "Studiedag test")
    play_group(store, code, scenario, 6, seed=11, prefix="Xyzzy")
    play_group(store, code, scenario, 3, seed=12, finish=False, prefix="Plugh")
    store.join(code, "Frobozz")  # joined, no scenario chosen yet
    return code


def test_numbers_equal_the_stores(store, session):
    """Do participants, runs, decisions and every option's count equal what the store holds?"""
    view = SessionDashboard(store, session).refresh()
    assert view_counts(view) == store_counts(store, session)
    runs = store.session_runs(session)
    assert view.participants == 10 and view.runs == 9 == len(runs)
    assert view.finished == sum(1 for r in runs if r["ending"]) == 6
    assert view.decisions == len(store.session_decisions(session))


def test_refresh_is_incremental_and_stays_equal(store, session, scenario):
    """After more decisions and a newcomer, does the next refresh match the store again (only changes read)?"""
    dash = SessionDashboard(store, session)
    before = dash.refresh()
    rng = random.Random(4)
    for row in store.session_runs(session):
        if row["ending"] is None:
            run = SavedRun.resume(store, row["id"])
            run.choose(random_choice(run.engine, run.state, rng))
    play_group(store, session, scenario, 1, seed=13, prefix="Laat")
    after = dash.refresh()
    assert after.decisions == len(store.session_decisions(session)) > before.decisions + 3
    assert view_counts(after) == store_counts(store, session)
    assert after.participants == before.participants + 1
    again = dash.refresh()  # nothing changed
    assert view_counts(again) == view_counts(after)


def test_anonymous_by_default(store, session):
    """Does the view hold no pseudonym unless names are asked for, and number participants by arrival?"""
    view = SessionDashboard(store, session).refresh()
    text = json.dumps(view.to_dict(), ensure_ascii=False)
    for word in ("Xyzzy", "Plugh", "Frobozz"):
        assert word not in text
    assert [p.label for p in view.people] == [f"Deelnemer {i}" for i in range(1, 11)]
    assert view.anonymous
    named = SessionDashboard(store, session, show_names=True).refresh()
    assert named.people[0].label == "Xyzzy-1" and named.people[-1].label == "Frobozz"


def test_progress_per_participant(store, session):
    """Does every participant show how far they are: waiting, busy at decision k, or done?"""
    view = SessionDashboard(store, session).refresh()
    status = [p.status for p in view.people]
    assert status == ["klaar"] * 6 + ["bezig"] * 3 + ["wacht"]
    busy = view.people[6]
    assert busy.status_text.startswith("bezig: beslissing")
    assert all(0 <= p.progress <= 1 for p in view.people)
    assert view.people[0].progress == 1.0 and view.people[-1].scenario is None


def test_decision_points_show_prompt_steps_and_harm(store, session, scenario):
    """Does each decision point carry its discussion prompt and, per option, the protocol steps and harm?"""
    sv = SessionDashboard(store, session).refresh().scenario(SCENARIO)
    first = next(n for n in sv.nodes if n.id == "melding")
    assert first.prompt == scenario.nodes["melding"].prompt
    by_id = {o.id: o for o in first.options}
    assert [s.id for s in by_id["luisteren"].steps] == ["gesprek-slachtoffer"] and not by_id["luisteren"].harmful
    assert by_id["laten-zien"].harmful and by_id["laten-zien"].steps[0].harmful
    assert sum(o.count for o in first.options) == first.answered
    assert abs(sum(o.share for o in first.options) - 1) < 1e-3
    multi = next(n for n in sv.nodes if n.kind == "meerkeuze" and n.answered)
    assert sum(c for _, c in multi.combos) <= multi.answered


def test_steps_harm_and_phases_come_from_the_finished_runs(store, session):
    """Are missed/late/order counts, harmful choices and phase scores taken from the finished runs' reports?"""
    import json as _json

    sv = SessionDashboard(store, session).refresh().scenario(SCENARIO)
    reports = [_json.loads(r["report"]) for r in store.session_runs(session) if r["report"]]
    assert len(reports) == 6 == sv.finished
    for phase, values in sv.phases.items():
        assert sorted(values) == sorted(r["phases"][phase] for r in reports)
    assert sorted(sv.scores) == sorted(r["score"] for r in reports)
    for st in sv.steps:
        missing = sum(1 for r in reports if any(f["kind"] == "missing" and f["action"] == st.id for f in r["findings"]))
        assert st.missing == missing and st.issues >= max(st.missing, st.late, st.order) and st.sources
    for h in sv.harmful:
        assert h.runs == sum(
            1 for r in reports if any(f["kind"] == "harmful" and f["action"] == h.id for f in r["findings"])
        )
    assert [s.issues for s in sv.steps] == sorted((s.issues for s in sv.steps), reverse=True)
    assert all(0 <= u.share <= 1 and u.ok <= u.applicable == 6 for u in sv.units)


def test_sankey_conserves_the_flow(store, session):
    """Does every run enter the Sankey once and leave it at an ending or 'nog bezig'?"""
    sv = SessionDashboard(store, session).refresh().scenario(SCENARIO)
    sk = sv.sankey
    assert len(sk.source) == len(sk.target) == len(sk.value) and all(v > 0 for v in sk.value)
    into_end = sum(v for t, v in zip(sk.target, sk.value, strict=True) if sk.kinds[t] in ("ending", "busy"))
    started = sum(1 for r in store.session_runs(session) if r["decisions"] > 0)
    assert into_end == started
    assert sum(sk.value) == sv.decisions
    assert "harmful" in sk.kinds


def test_a_missing_scenario_still_aggregates(store, session):
    """When a scenario file is gone, does the dashboard still count by ids instead of failing?"""
    view = SessionDashboard(store, session, loader=lambda _id: None).refresh()
    got, want = view_counts(view), store_counts(store, session)
    for key in ("participants", "runs", "finished", "decisions", "decision_rows"):
        assert got[key] == want[key]
    assert got["picks"][SCENARIO]["melding"] == want["picks"][SCENARIO]["melding"]  # a one-choice point
    assert view.scenarios[0].title == SCENARIO


def test_unknown_session(store):
    """Is an unknown session a StoreError (the UI says so in Dutch)?"""
    with pytest.raises(StoreError):
        SessionDashboard(store, "QQQQQQ").refresh()


def test_frames_for_analysis(store, session):
    """Do the pandas frames carry the same numbers?"""
    frames = SessionDashboard(store, session).refresh().frames()
    assert set(frames) == {"deelnemers", "keuzes", "stappen", "fasen"}
    assert len(frames["deelnemers"]) == 10
    assert frames["keuzes"]["aantal"].sum() == sum(
        sum(v for k, v in node.items() if k != "__beslissingen__")
        for node in store_counts(store, session)["picks"][SCENARIO].values()
    )


def test_ten_thousand_runs(tmp_path, scenario):
    """Do 10,000 bulk-stored runs aggregate to the store's numbers (the benchmark's setup)?"""
    from sim.store import Store

    st = Store(f"sqlite:///{tmp_path / 'big.db'}")
    code = st.create_session([SCENARIO])
    decisions = bulk_runs(st, code, scenario, 10_000, distinct=50)
    dash = SessionDashboard(st, code)
    view = dash.refresh()
    assert view.runs == view.finished == 10_000 and view.decisions == decisions
    assert view_counts(dash.refresh()) == store_counts(st, code)
    st.dispose()

"""Tests for the scorer (sim/scoring.py): one group per rule kind, plus traceability and the report."""

from __future__ import annotations

import pytest

from sim.scoring import ideal_timeline, required_units, score
from tests.conftest import facts_for


def tl(*pairs):
    return [{"at": at, "action": action} for at, action in pairs]


def kinds(report, kind):
    return [f for f in report.findings if f.kind == kind]


def test_ideal_timeline_scores_100_with_no_findings(protocol):
    """Does doing every required step, on time and in order, give 100 and no findings?"""
    facts = facts_for(protocol)
    report = score(ideal_timeline(protocol, facts), facts, protocol)
    assert report.findings == []
    assert report.score == 100
    assert set(report.phases.values()) == {100}


# --- missing -----------------------------------------------------------------------------------
def test_missing_required_step_is_a_finding_with_its_share(protocol):
    """Does leaving out the talk with the victim cost exactly its share and cite the poster?"""
    facts = facts_for(protocol)
    full = ideal_timeline(protocol, facts)
    report = score([e for e in full if e["action"] != "gesprek-slachtoffer"], facts, protocol)
    missing = kinds(report, "missing")
    assert [f.action for f in missing] == ["gesprek-slachtoffer"]
    share = {u.key: u.share for u in required_units(protocol, facts)}["gesprek-slachtoffer"]
    assert missing[0].points == pytest.approx(share, abs=0.05)
    assert any(s.startswith("003_8415e7536f4987af.txt") for s in missing[0].sources)
    assert report.score == pytest.approx(100 - share, abs=0.1)


def test_step_that_does_not_apply_is_not_missing(protocol):
    """Is taking an image offline only required when the image is online?"""
    offline = facts_for(protocol, beeld_online=False)
    online = facts_for(protocol, beeld_online=True)
    assert "offline-halen" not in {f.action for f in kinds(score([], offline, protocol), "missing")}
    assert "offline-halen" in {f.action for f in kinds(score([], online, protocol), "missing")}


def test_empty_timeline_loses_everything(protocol):
    """Does doing nothing at all score 0, with one missing finding per required step?"""
    facts = facts_for(protocol)
    report = score([], facts, protocol)
    assert report.score == 0
    assert len(kinds(report, "missing")) == len(required_units(protocol, facts))


def test_one_of_alternatives_satisfy_the_requirement(protocol):
    """Does either a sanction or a restorative intervention count as the response to the perpetrator?"""
    facts = facts_for(protocol)
    full = [
        e for e in ideal_timeline(protocol, facts) if e["action"] not in ("sanctie-dader", "alternatieve-interventies")
    ]
    none = score(full, facts, protocol)
    gap = [f for f in kinds(none, "missing") if f.rule == "reactie-op-dader"]
    assert len(gap) == 1 and gap[0].alternatives == ["alternatieve-interventies"]
    assert gap[0].difference == "sancties-of-herstel"
    for step in ("sanctie-dader", "alternatieve-interventies"):
        assert score([*full, {"at": 1.0, "action": step}], facts, protocol).score == 100


# --- harmful -----------------------------------------------------------------------------------
@pytest.mark.parametrize("harm", ["bekijk-beeld", "laat-beeld-doorsturen"])
def test_viewing_or_collecting_the_image_cannot_be_made_up_for(protocol, harm):
    """Does a perfect timeline plus looking at / collecting the image score 40 at most?"""
    facts = facts_for(protocol)
    report = score([*ideal_timeline(protocol, facts), {"at": 1, "action": harm}], facts, protocol)
    assert report.score <= 40
    found = kinds(report, "harmful")
    assert [f.action for f in found] == [harm]
    assert any("001_1058c2bcff0d7d72.txt" in s for s in found[0].sources)


def test_each_harmful_step_is_counted_once(protocol):
    """Is the same harmful step twice one finding, not two?"""
    facts = facts_for(protocol)
    base = ideal_timeline(protocol, facts)
    once = score([*base, {"at": 1, "action": "afwachten"}], facts, protocol)
    twice = score([*base, {"at": 1, "action": "afwachten"}, {"at": 9, "action": "afwachten"}], facts, protocol)
    assert once.score == twice.score and len(kinds(twice, "harmful")) == 1


# --- order -------------------------------------------------------------------------------------
def test_calling_parents_before_talking_to_the_victim_is_an_order_finding(protocol):
    """Is 'bel-ouders-slachtoffer' before 'gesprek-slachtoffer' reported with after= the talk?"""
    facts = facts_for(protocol)
    timeline = [
        e
        for e in ideal_timeline(protocol, facts)
        if e["action"] not in ("gesprek-slachtoffer", "bel-ouders-slachtoffer")
    ]
    timeline = [
        {"at": 0.2, "action": "bel-ouders-slachtoffer"},
        {"at": 0.5, "action": "gesprek-slachtoffer"},
        *timeline,
    ]
    report = score(timeline, facts, protocol)
    order = kinds(report, "order")
    assert [(f.action, f.after) for f in order] == [("bel-ouders-slachtoffer", "gesprek-slachtoffer")]
    assert order[0].points > 0 and report.score < 100


def test_same_hour_keeps_listed_order(protocol):
    """At the same hour, does the listed order decide what came first?"""
    facts = facts_for(protocol)
    rest = [
        e for e in ideal_timeline(protocol, facts) if e["action"] not in ("politie-advies", "besluit-melding-aangifte")
    ]
    good = score([*rest, *tl((1, "politie-advies"), (1, "besluit-melding-aangifte"))], facts, protocol)
    bad = score([*rest, *tl((1, "besluit-melding-aangifte"), (1, "politie-advies"))], facts, protocol)
    assert not kinds(good, "order")
    assert [(f.action, f.after) for f in kinds(bad, "order")] == [("besluit-melding-aangifte", "politie-advies")]


def test_evaluating_before_the_response_is_done_is_out_of_order(protocol):
    """Does an evaluation step before a response step give a phase-order finding?"""
    facts = facts_for(protocol)
    timeline = ideal_timeline(protocol, facts)
    timeline = [{"at": 0.05, "action": "evalueer-zat"}, *[e for e in timeline if e["action"] != "evalueer-zat"]]
    found = [f for f in kinds(score(timeline, facts, protocol), "order") if f.rule == "evaluatie-na-respons"]
    assert [f.action for f in found] == ["evalueer-zat"]


def test_report_first_then_delete_is_a_documented_difference(protocol, school_protocol):
    """Is deleting before reporting an order finding nationally, but not under the school-001 profile?"""
    facts = facts_for(protocol)
    timeline = [
        e for e in ideal_timeline(protocol, facts) if e["action"] not in ("meld-beelden", "verzoek-verwijderen")
    ]
    timeline += tl((4, "verzoek-verwijderen"), (5, "meld-beelden"))
    national = [f for f in kinds(score(timeline, facts, protocol), "order") if f.action == "verzoek-verwijderen"]
    assert national and national[0].difference == "verwijderen-of-melden"
    school = score(timeline, school_protocol.resolve_facts(facts), school_protocol)
    assert not [f for f in kinds(school, "order") if f.action == "verzoek-verwijderen"]


# --- late --------------------------------------------------------------------------------------
def test_deadline_is_inclusive_and_late_costs_half_a_share(protocol):
    """Is the talk with the victim at 8 h on time and at 9 h late, losing half its share?"""
    facts = facts_for(protocol)
    rest = [e for e in ideal_timeline(protocol, facts) if e["action"] != "gesprek-slachtoffer"]
    on_time = score([{"at": 0.0, "action": "gesprek-slachtoffer"}, *rest], facts, protocol)
    late_rest = [{"at": max(e["at"], 9.5), "action": e["action"]} for e in rest]
    at8 = score([{"at": 8, "action": "gesprek-slachtoffer"}, *[e for e in late_rest]], facts, protocol)
    at9 = score([{"at": 9, "action": "gesprek-slachtoffer"}, *[e for e in late_rest]], facts, protocol)
    assert on_time.score == 100
    assert not [f for f in kinds(at8, "late") if f.action == "gesprek-slachtoffer"]
    late = [f for f in kinds(at9, "late") if f.action == "gesprek-slachtoffer"]
    share = {u.key: u.share for u in required_units(protocol, facts)}["gesprek-slachtoffer"]
    assert len(late) == 1 and late[0].points == pytest.approx(share / 2, abs=0.05)
    assert "9 uur" in late[0].message and "8 uur" in late[0].message


# --- disproportionate --------------------------------------------------------------------------
def test_police_case_for_consensual_sexting_is_out_of_proportion(protocol):
    """Is a report to the police for consensual, unshared sexting flagged, and not when it spread?"""
    green = facts_for(protocol, vrijwillig_gemaakt=True, verspreiding="geen")
    spread = facts_for(protocol, vrijwillig_gemaakt=True, verspreiding="klas")
    timeline = tl((1, "politie-advies"), (2, "besluit-melding-aangifte"))
    found = kinds(score(timeline, green, protocol), "disproportionate")
    assert [f.action for f in found] == ["besluit-melding-aangifte"]
    assert any("004_84fc98cd0f10c257.txt" in s for s in found[0].sources)
    assert not kinds(score(timeline, spread, protocol), "disproportionate")


# --- the report --------------------------------------------------------------------------------
def test_every_lost_point_belongs_to_a_finding(protocol):
    """Is score == 100 - sum(points) for a mixed timeline with every kind of finding?"""
    facts = facts_for(protocol, verspreiding="een-persoon")
    timeline = tl(
        (0.1, "bekijk-beeld"),
        (0.2, "bel-ouders-slachtoffer"),
        (9, "gesprek-slachtoffer"),
        (10, "informeer-ouders-klas"),
        (12, "evalueer-zat"),
        (13, "verzoek-verwijderen"),
    )
    report = score(timeline, facts, protocol)
    assert {f.kind for f in report.findings} == {"harmful", "missing", "order", "late", "disproportionate"}
    assert report.score == pytest.approx(max(0, 100 - sum(f.points for f in report.findings)), abs=1e-6)
    for f in report.findings:
        assert f.sources and f.message and f.phase in report.phases


def test_phase_scores_follow_the_findings(protocol):
    """Does missing only evaluation steps leave the other phases at 100?"""
    facts = facts_for(protocol)
    timeline = [e for e in ideal_timeline(protocol, facts) if protocol.steps[e["action"]].phase != "evalueer"]
    report = score(timeline, facts, protocol)
    assert report.phases["evalueer"] == 0
    assert all(v == 100 for k, v in report.phases.items() if k != "evalueer")


def test_profile_changes_what_is_required_and_is_named(protocol, school_protocol):
    """Does school-001 require the safety coordinator and its own steps, and say so in the report?"""
    facts = facts_for(protocol)
    national = score(ideal_timeline(protocol, facts), facts, protocol)
    school = score(ideal_timeline(protocol, facts), school_protocol.resolve_facts(facts), school_protocol)
    assert national.profile is None and school.profile == "school-001"
    missing = {f.action for f in kinds(school, "missing")}
    assert {"betrek-veiligheidscoordinator", "contact-thuis-verspreider", "notitie-dossier-verspreider"} <= missing
    perfect = score(ideal_timeline(school_protocol, facts), school_protocol.resolve_facts(facts), school_protocol)
    assert perfect.score == 100


def test_differences_in_the_report(protocol):
    """Does the report list the source difference on sanctions when a sanction was given?"""
    facts = facts_for(protocol)
    report = score(tl((1, "sanctie-dader")), facts, protocol)
    ids = [d["id"] for d in report.differences]
    assert "sancties-of-herstel" in ids
    diff = next(d for d in report.differences if d["id"] == "sancties-of-herstel")
    assert len(diff["positions"]) >= 2 and all(p["source"] for p in diff["positions"])


def test_unknown_step_is_refused(protocol):
    """Does the scorer refuse an id it does not know instead of ignoring it?"""
    with pytest.raises(ValueError, match="unknown step"):
        score(tl((1, "bekijk-plaatje")), facts_for(protocol), protocol)

"""Differential test: our scorer against pm4py's Declare conformance checker on random timelines.

pm4py (AGPL) is a test-only dependency; ``sim`` never imports it. The rule kinds that map onto
Declare templates are compared constraint by constraint:

* a required step (not one of alternatives)   ~ existence(A)
* a harmful step                              ~ absence(A)
* an order rule "A before B"                  ~ precedence(A, B) and response(A, B)

Where our semantics differ on purpose, the comparison says so:

* precedence(A, B) is also violated when B occurs and A never does. We report that case as A
  *missing* (when A is required), not as an order problem, so we compare only traces where A occurs.
* response(A, B) is violated when A occurs and B never follows. A step not taken yet is not an
  order problem for us, and we judge the *first* time a step is taken, so response is compared only
  on traces where A and B each occur exactly once.
"""

from __future__ import annotations

import random
import warnings

import pytest

from sim.protocol import load_protocol
from sim.scoring import required_units, score, to_events

pd = pytest.importorskip("pandas")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pm4py = pytest.importorskip("pm4py")

N_TRACES = 600
FULL = {"support": 1.0, "confidence": 1.0}


def random_cases(protocol, n, seed=20261122):
    rng = random.Random(seed)
    ids = sorted(protocol.steps)
    order_steps = sorted({r.before for r in protocol.rules.order} | {a for r in protocol.rules.order for a in r.after})
    cases = []
    for _ in range(n):
        facts = {}
        for name, spec in protocol.facts.items():
            facts[name] = rng.choice([True, False]) if spec.type == "bool" else rng.choice(spec.values)
        pool = ids if rng.random() < 0.5 else order_steps  # bias towards steps that take part in order rules
        timeline = [{"at": round(rng.uniform(0, 72), 1), "action": rng.choice(pool)} for _ in range(rng.randint(1, 30))]
        cases.append((facts, timeline))
    return cases


def declare_model(protocol, facts):
    """The Declare constraints that correspond to our rules for these facts."""
    single = [u.steps[0] for u in required_units(protocol, facts) if u.rule is None]
    harmful = [s.id for s in protocol.steps.values() if s.kind == "schadelijk"]
    pairs = [(r.before, after) for r in protocol.rules.order if protocol.applies(r.id, facts) for after in r.after]
    return {
        "existence": {a: FULL for a in single},
        "absence": {a: FULL for a in harmful},
        "precedence": {p: FULL for p in pairs},
        "response": {p: FULL for p in pairs},
    }


def run_pm4py(traces, model):
    rows = []
    base = pd.Timestamp("2026-01-01")
    for cid, acts in traces:
        for i, act in enumerate(acts):
            rows.append(
                {"case:concept:name": cid, "concept:name": act, "time:timestamp": base + pd.Timedelta(seconds=i)}
            )
    df = pd.DataFrame(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = pm4py.conformance_declare(df, model)
    assert len(result) == len(traces)
    return {cid: {(d[0], d[1]) for d in r["deviations"]} for (cid, _), r in zip(traces, result, strict=True)}


def test_scorer_agrees_with_pm4py_declare():
    """On 600 random timelines, do missing/harmful/order findings match Declare's verdicts where they should?"""
    protocol = load_protocol()
    cases = random_cases(protocol, N_TRACES)
    compared = {"existence": 0, "absence": 0, "precedence": 0, "response": 0}
    # Group traces by facts-dependent model: run pm4py once per case (models differ per facts).
    by_model: dict[str, list] = {}
    for i, (facts, timeline) in enumerate(cases):
        model = declare_model(protocol, facts)
        key = repr(sorted((k, sorted(v)) for k, v in model.items()))
        by_model.setdefault(key, []).append((f"c{i:04d}", facts, timeline, model))
    for group in by_model.values():
        model = group[0][3]
        traces = [(cid, [e.action for e in to_events(tl)]) for cid, _, tl, _ in group]
        verdicts = run_pm4py(traces, model)
        for (cid, facts, timeline, _), (_, acts) in zip(group, traces, strict=True):
            report = score(timeline, facts, protocol)
            dev = verdicts[cid]
            missing = {f.action for f in report.findings if f.kind == "missing" and not f.alternatives}
            harmful = {f.action for f in report.findings if f.kind == "harmful"}
            order = {
                (f.after, f.action) for f in report.findings if f.kind == "order" and f.rule != "evaluatie-na-respons"
            }
            for a in model["existence"]:
                assert (("existence", a) in dev) == (a in missing), (cid, a)
                compared["existence"] += 1
            for a in model["absence"]:
                assert (("absence", a) in dev) == (a in harmful), (cid, a)
                compared["absence"] += 1
            for a, b in model["precedence"]:
                if a not in acts:
                    continue  # documented difference: we report a missing 'a', not an order problem
                assert (("precedence", (a, b)) in dev) == ((a, b) in order), (cid, a, b, acts)
                compared["precedence"] += 1
            for a, b in model["response"]:
                if acts.count(a) != 1 or acts.count(b) != 1:
                    continue  # documented difference: first occurrences, and 'not yet' is not an order problem
                assert (("response", (a, b)) in dev) == ((a, b) in order), (cid, a, b, acts)
                compared["response"] += 1
    assert min(compared.values()) >= 100, compared
